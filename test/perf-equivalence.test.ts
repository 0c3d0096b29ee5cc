/**
 * The fast paths of issue 9 (mix speed-up) against the code they replace: each must give the same
 * numbers, bit for bit (Object.is, so even the sign of zero), as the straightforward computation.
 */
import { Matrix, SVD } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import { createActivationHardware, MixedActivation, PhotonicLayer } from '../src/mixer/index.ts';
import { loadKernelBackend, setKernelBackend } from '../src/kernels/backend.ts';
import { Adam, SGD } from '../src/nn/optim.ts';
import { decomposeUnitary, randomUnitary, realisePhases } from '../src/photonic/index.ts';
import { svdScratch, svdSquare } from '../src/core/svd.ts';
import { createDigitalPath } from '../src/units/digital-path.ts';

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let diff = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!Object.is(a[i], b[i])) diff++;
  return diff;
};

describe('Rng.fillNormalRange', () => {
  it('returns the numbers of repeated normal() calls and leaves the stream where they would', () => {
    for (const [mean, sd] of [
      [0, 1],
      [2.5, 0.3],
      [-1, 4],
    ] as const) {
      const a = stream(3, 'fill', mean);
      const b = stream(3, 'fill', mean);
      const out = new Float64Array(40);
      // odd and even batch lengths, a pending spare carried across batches, an empty batch
      for (const len of [1, 7, 0, 8, 3, 21]) {
        a.fillNormalRange(out, 5, 5 + len, mean, sd);
        const ref = Array.from({ length: len }, () => b.normal(mean, sd));
        expect(sameBits(out.subarray(5, 5 + len), ref)).toBe(0);
      }
      expect(a.uniform()).toBe(b.uniform());
      expect(a.normal()).toBe(b.normal());
    }
  });

  it('fillNormal (now built on it) gives the sequence of normal() calls', () => {
    const ref = stream(8, 'w');
    const want = Array.from({ length: 33 }, () => ref.normal(0.1, 2));
    expect(sameBits(stream(8, 'w').fillNormal(new Float64Array(33), 0.1, 2), want)).toBe(0);
  });
});

describe('digital path batch', () => {
  it('evaluateBatch (table of output codes) equals evaluate() element by element, edges and out-of-range included', () => {
    for (const fn of ['relu', 'sigmoid', 'tanh']) {
      for (const adc of ['adc-sar-default', { bits: 6, vmin: 0, vmax: 1, sampleRate: 1e9, offset: 0.003, gainError: 0.01, energyModel: 'sar-linear', energyPerBit: 1e-13 }]) {
        const dp = createDigitalPath({ fn, bits: 5, inputRange: [-3, 4], adc });
        const xs = stream(2, 'dp', fn).fillUniform(new Float64Array(3000), -4, 5);
        // the inputs at the ADC bin edges (through the front end) and a few ulps either side
        const lsbX = 7 / 2 ** dp.adcBits;
        let at = 0;
        for (let k = 0; k <= 2 ** dp.adcBits; k++) {
          const e = -3 + k * lsbX;
          for (const f of [-4e-16, -2.2e-16, 0, 2.2e-16, 4e-16]) xs[at++] = e + f * Math.max(1, Math.abs(e));
        }
        const out = dp.evaluateBatch(xs);
        const ref = Array.from(xs, (x) => dp.evaluate(x));
        expect(sameBits(out, ref)).toBe(0);
        const outF = dp.evaluateBatch(Float64Array.of(Number.NaN, 1), new Float64Array(2));
        expect(Object.is(outF[0], dp.evaluate(Number.NaN))).toBe(true);
        expect(outF[1]).toBe(dp.evaluate(1));
        // lookupBatch: a table read at the Int32Array codes, in one pass (a short table reads NaN)
        for (const levels of [2 ** dp.bits, 2 ** dp.bits - 3]) {
          const values = stream(5, 'values', fn).fillNormal(new Float64Array(levels), 0, 1);
          const xsN = Float64Array.from([...xs, Number.NaN, Infinity, -Infinity]);
          const codes = dp.evaluateBatch(xsN, new Int32Array(xsN.length));
          const got = dp.lookupBatch(xsN, values, new Float64Array(xsN.length));
          expect(sameBits(got, Float64Array.from(codes, (c) => values[c]!))).toBe(0);
        }
      }
    }
  });
});

describe('optimisers', () => {
  const textbookAdam = (w: Float64Array, g: Float64Array, steps: number, o: { lr: number; wd: number; decoupled: boolean }) => {
    const m = new Float64Array(w.length);
    const v = new Float64Array(w.length);
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    for (let t = 1; t <= steps; t++) {
      const c1 = 1 / (1 - b1 ** t);
      const c2 = 1 / (1 - b2 ** t);
      for (let i = 0; i < w.length; i++) {
        const gi = o.decoupled ? g[i]! : g[i]! + o.wd * w[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        let upd = (m[i]! * c1) / (Math.sqrt(v[i]! * c2) + eps);
        if (o.decoupled) upd += o.wd * w[i]!;
        w[i] = w[i]! - o.lr * upd;
      }
    }
  };
  it('Adam (L2 and decoupled decay) matches the textbook update bit for bit, in JavaScript and in the WebAssembly arena, across a checkpoint', () => {
    const wasm = loadKernelBackend('wasm');
    expect(wasm.ok, 'the WebAssembly kernels must be built (npm install runs asm/build.mjs)').toBe(true);
    try {
      for (const kernels of ['js', 'wasm'] as const) {
        setKernelBackend(kernels);
        for (const decoupled of [false, true]) {
          // odd sizes: the two-lane loop and its scalar tail
          const sizes = [1, 257, 1000];
          const w0 = sizes.map((n) => stream(5, 'adam-w', n).fillNormal(new Float64Array(n)));
          const g = sizes.map((n) => stream(5, 'adam-g', n).fillNormal(new Float64Array(n)));
          const w = w0.map((a) => Float64Array.from(a));
          const params = () => sizes.map((n, k) => ({ name: `w${n}`, value: w[k]!, grad: g[k]!, decay: true }));
          const opt = new Adam({ lr: 0.01, weightDecay: 0.05, decoupled });
          for (let t = 0; t < 3; t++) opt.step(params());
          expect((opt as unknown as { arena: unknown }).arena === null).toBe(kernels === 'js');
          // resume from the exported state in a fresh optimiser for the last two steps
          const again = new Adam({ lr: 0.01, weightDecay: 0.05, decoupled });
          again.loadState(JSON.parse(JSON.stringify(opt.state())) as ReturnType<Adam['state']>);
          for (let t = 0; t < 2; t++) again.step(params());
          sizes.forEach((_, k) => {
            const ref = Float64Array.from(w0[k]!);
            textbookAdam(ref, g[k]!, 5, { lr: 0.01, wd: 0.05, decoupled });
            expect(sameBits(w[k]!, ref)).toBe(0);
          });
        }
      }
    } finally {
      setKernelBackend('auto');
    }
  });
  it('SGD with (Nesterov) momentum matches the textbook update bit for bit', () => {
    for (const nesterov of [false, true]) {
      const w0 = stream(6, 'sgd-w').fillNormal(new Float64Array(101));
      const g = stream(6, 'sgd-g').fillNormal(new Float64Array(101));
      const w = Float64Array.from(w0);
      const opt = new SGD({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov });
      for (let t = 0; t < 4; t++) opt.step([{ name: 'w', value: w, grad: g, decay: true }]);
      const ref = Float64Array.from(w0);
      const vel = new Float64Array(101);
      for (let t = 0; t < 4; t++) {
        for (let i = 0; i < 101; i++) {
          const gi = g[i]! + 0.01 * ref[i]!;
          vel[i] = 0.9 * vel[i]! + gi;
          ref[i] = ref[i]! - 0.1 * (nesterov ? gi + 0.9 * vel[i]! : vel[i]!);
        }
      }
      expect(sameBits(w, ref)).toBe(0);
    }
  });
});

/**
 * The site's outputs from its units one value at a time (evaluate, codeValue, decode arithmetic):
 * analog a, digital d and y = p a + (1 - p) d per element ((b C + c) S + s); a = 0 where p = 0 unless
 * every path is evaluated (a gate gradient is on).
 */
function siteReference(site: MixedActivation, x: Float64Array, B: number, p: Float64Array, allPaths: boolean) {
  const { channels: C, spatial: S } = site.site;
  const hw = site.hardware;
  const g = site.scale;
  const dp = hw.digital;
  const [yLo, yHi] = dp.outputRange;
  const step = (yHi - yLo) / (2 ** dp.bits - 1);
  const n = B * C * S;
  const a = new Float64Array(n);
  const d = new Float64Array(n);
  const y = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const unit = hw.pool[site.column[c]!]!;
      for (let s = 0; s < S; s++) {
        const i = (b * C + c) * S + s;
        const u = g * x[i]!;
        a[i] = p[c] === 0 && !allPaths ? 0 : unit.codeValue(unit.evaluate(u)) * (1 / g);
        d[i] = (yLo + dp.evaluate(u) * step) * (1 / g);
        y[i] = p[c]! * a[i]! + (1 - p[c]!) * d[i]!;
      }
    }
  }
  return { a, d, y };
}

describe('mixed activation site', () => {
  it('forward and the gate gradient with S = 1 equal the units one value at a time, bit for bit', () => {
    const hw = createActivationHardware({ seed: 12, poolSize: 5 });
    const C = 9;
    const B = 6;
    const x = stream(5, 'x1').fillUniform(new Float64Array(B * C), -2, 8);
    const dy = stream(5, 'dy1').fillNormal(new Float64Array(B * C), 0, 1);
    // a fixed assignment (p = 0 channels skip the analog path), and the search (every path evaluated)
    for (const withGrad of [false, true]) {
      const site = new MixedActivation({ name: 'act-1', channels: C, hardware: hw });
      site.mode = 'mix';
      site.scale = 0.85;
      const p = Float64Array.of(0, 1, 0.25, 0.6, 0, 1, 0.5, 0.125, 1);
      site.setGates(p, withGrad ? new Float64Array(C).fill(0.2) : undefined);
      const y = site.forward(x, B, { training: true });
      const ref = siteReference(site, x, B, p, withGrad);
      expect(sameBits(y, ref.y)).toBe(0);
      site.backward(dy, B, { needInputGrad: true });
      const gg = new Float64Array(C);
      for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) gg[c] = gg[c]! + (0 + dy[b * C + c]! * (ref.a[b * C + c]! - ref.d[b * C + c]!));
      expect(sameBits(site.gateGrad, gg)).toBe(0);
    }
  });

  it('forward with S > 1 equals p a + (1 - p) d from the units one value at a time, bit for bit', () => {
    const hw = createActivationHardware({ seed: 11, poolSize: 3 });
    const C = 4;
    const S = 3;
    const B = 5;
    const site = new MixedActivation({ name: 'act-s', channels: C, spatial: S, hardware: hw });
    site.mode = 'mix';
    site.scale = 0.7;
    const p = Float64Array.of(0, 1, 0.25, 0.6);
    site.setGates(p);
    const x = stream(4, 'xs').fillUniform(new Float64Array(B * C * S), -2, 8);
    const y = site.forward(x, B, { training: false });
    expect(sameBits(y, siteReference(site, x, B, p, false).y)).toBe(0);
  });
});

describe('svdSquare', () => {
  it('is bit-identical to ml-matrix SVD (autoTranspose off) on random, rank-deficient and zero blocks', () => {
    const rng = stream(1, 'test-svd');
    let mismatches = 0;
    let checked = 0;
    for (const k of [2, 3, 5, 8]) {
      const ws = svdScratch(k);
      const s = new Float64Array(k);
      for (let t = 0; t < 400; t++) {
        const a = new Float64Array(k * k);
        for (let i = 0; i < a.length; i++) a[i] = rng.normal();
        const kind = t % 5;
        if (kind === 1) a.fill(0, 2 * k); // only two non-zero rows (a padded edge block)
        if (kind === 2) for (let i = 0; i < a.length; i++) if (i % k >= 1) a[i] = 0; // one column
        if (kind === 3) a.fill(0);
        if (kind === 4) for (let i = 0; i < a.length; i++) a[i] = Math.round(a[i]! * 2) / 2; // repeated values
        const ref = new SVD(new Matrix(Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)))), { autoTranspose: false });
        svdSquare(a, k, s, ws);
        const U = ref.leftSingularVectors;
        const V = ref.rightSingularVectors;
        const d = ref.diagonal;
        let same = true;
        for (let i = 0; i < k; i++) {
          if (!Object.is(d[i], s[i])) same = false;
          for (let j = 0; j < k; j++) {
            if (!Object.is(U.get(i, j), ws.ut[j * k + i])) same = false;
            if (!Object.is(V.get(i, j), ws.vt[j * k + i])) same = false;
          }
        }
        checked++;
        if (!same) mismatches++;
      }
    }
    expect(checked).toBe(1600);
    expect(mismatches).toBe(0);
  });
});

describe('realisePhases cache', () => {
  it('reuses the per-mesh quantised phases only while the mesh is unchanged (in-place edits are seen)', () => {
    const mesh = decomposeUnitary(randomUnitary(6, stream(2, 'u')));
    const ni = { phaseBits: 6, phaseNoise: 0.02, gammaError: 0.01 };
    const fresh = (m: typeof mesh, seed: string) => {
      // a structural copy has no cache entry: computed from scratch
      const copy = { ...m, theta: Float64Array.from(m.theta), phi: Float64Array.from(m.phi), outPhase: Float64Array.from(m.outPhase) };
      return realisePhases(copy, ni, stream(1, seed));
    };
    const flat = (p: { theta: Float64Array; phi: Float64Array; outPhase: Float64Array }) => [...p.theta, ...p.phi, ...p.outPhase];
    expect(sameBits(flat(realisePhases(mesh, ni, stream(1, 'a'))), flat(fresh(mesh, 'a')))).toBe(0);
    // second call: served from the cache
    expect(sameBits(flat(realisePhases(mesh, ni, stream(1, 'b'))), flat(fresh(mesh, 'b')))).toBe(0);
    (mesh.theta as Float64Array)[2] = mesh.theta[2]! + 0.3;
    (mesh.outPhase as Float64Array)[0] = 5.5;
    expect(sameBits(flat(realisePhases(mesh, ni, stream(1, 'c'))), flat(fresh(mesh, 'c')))).toBe(0);
    // other DAC settings on the same mesh
    const ni2 = { ...ni, phaseBits: 4 };
    const again = { ...mesh, theta: Float64Array.from(mesh.theta), phi: Float64Array.from(mesh.phi), outPhase: Float64Array.from(mesh.outPhase) };
    expect(sameBits(flat(realisePhases(mesh, ni2, stream(1, 'd'))), flat(realisePhases(again, ni2, stream(1, 'd'))))).toBe(0);
  });
});

describe('photonic train-mode transform', () => {
  it('W + D_r in the WebAssembly arena equals the JavaScript loop bit for bit, over a refresh cycle and a second refresh', () => {
    const W0 = stream(9, 'ptw').fillNormal(new Float64Array(37 * 11), 0, 0.3);
    const run = (kernels: 'js' | 'wasm') => {
      setKernelBackend(kernels);
      try {
        const layer = new PhotonicLayer('fc', 37, 11, { nonIdealities: { phaseBits: 6, phaseNoise: 0.02 }, samples: 3 });
        const W = Float64Array.from(W0);
        const outs: Float64Array[] = [];
        for (const epoch of [0, 1]) {
          layer.refresh(W, 4, 'eq', epoch);
          for (let step = 0; step < 4; step++) {
            outs.push(Float64Array.from(layer.transform(W, 37, 11, { training: true, layer: 'fc' })));
            for (let i = 0; i < W.length; i++) W[i] = W[i]! * 0.999 + 1e-3 * Math.sin(i + step);
          }
        }
        expect((layer as unknown as { arena: unknown }).arena === null).toBe(kernels === 'js');
        return outs;
      } finally {
        setKernelBackend('auto');
      }
    };
    const js = run('js');
    const wasm = run('wasm');
    expect(js.length).toBe(8);
    // the samples differ from W (the error is real) and cycle with period 3
    expect(sameBits(js[0]!, W0)).toBeGreaterThan(300);
    js.forEach((o, k) => expect(sameBits(o, wasm[k]!)).toBe(0));
  });
});
