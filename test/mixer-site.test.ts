import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import { createActivationHardware, MixedActivation, relaxedGates, runMix } from '../src/mixer/index.ts';
import { tinyCsv } from './helpers/data.ts';

const hw = createActivationHardware({ seed: 4, poolSize: 3 });

function site(C: number, g = 0.8) {
  const s = new MixedActivation({ name: 'act0', channels: C, hardware: hw });
  s.mode = 'mix';
  s.scale = g;
  return s;
}

describe('mixed activation site', () => {
  it('outputs p * analog + (1 - p) * digital, each computed from the units one value at a time', () => {
    const C = 5;
    const B = 7;
    const s = site(C);
    const p = Float64Array.of(0, 1, 0.3, 0.5, 0.9);
    s.setGates(p);
    const x = stream(1, 'x').fillUniform(new Float64Array(B * C), -2, 7);
    const y = s.forward(x, B, { training: false });
    const dp = hw.digital;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        const u = 0.8 * x[b * C + c]!;
        const unit = hw.pool[s.column[c]!]!;
        const a = unit.codeValue(unit.evaluate(u)) / 0.8;
        const d = dp.decode(dp.evaluate(u)) / 0.8;
        expect(y[b * C + c]).toBeCloseTo(p[c]! * a + (1 - p[c]!) * d, 12);
      }
    }
  });

  it('a hard assignment (p in {0, 1}, no gate gradient) takes each channel through its own path only, per position too', () => {
    for (const S of [1, 6]) {
      const C = 5;
      const B = 4;
      const s = new MixedActivation({ name: 'act0', channels: C, spatial: S, hardware: hw });
      s.mode = 'mix';
      s.scale = 0.8;
      const x = stream(3, `x${S}`).fillUniform(new Float64Array(B * C * S), -2, 7);
      for (const p of [Float64Array.of(0, 1, 1, 0, 1), new Float64Array(C), new Float64Array(C).fill(1)]) {
        s.setGates(p);
        const y = Float64Array.from(s.forward(x, B, { training: true }));
        for (let b = 0; b < B; b++) {
          for (let c = 0; c < C; c++) {
            for (let k = 0; k < S; k++) {
              const i = (b * C + c) * S + k;
              const u = 0.8 * x[i]!;
              const unit = hw.pool[s.column[c]!]!;
              const want = p[c] ? unit.codeValue(unit.evaluate(u)) / 0.8 : hw.digital.decode(hw.digital.evaluate(u)) / 0.8;
              expect(y[i], `S ${S} b ${b} c ${c} k ${k}`).toBeCloseTo(want, 12);
            }
          }
        }
        // the input gradient is the straight-through one, and there is no gate gradient
        const dy = stream(3, 'dy').fillNormal(new Float64Array(x.length));
        const dx = s.backward(dy, B, { needInputGrad: true });
        const [xLo, xHi] = hw.inputRange;
        for (let i = 0; i < x.length; i++) {
          const u = 0.8 * x[i]!;
          expect(dx[i]).toBeCloseTo(u >= xLo && u <= xHi ? dy[i]! * s.fn.df(u) : 0, 12);
        }
        expect([...s.gateGrad].every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('the logit gradient matches finite differences (quantised outputs fixed), STE passes dy inside the range only', () => {
    const C = 6;
    const B = 9;
    const s = site(C);
    const alpha = Float64Array.of(-1.2, -0.3, 0, 0.4, 1.1, 2);
    s.logits.set(alpha);
    const tau = 0.7;
    const w = stream(2, 'w').fillNormal(new Float64Array(B * C));
    const x = stream(2, 'x').fillUniform(new Float64Array(B * C), -1, 6.5);
    const loss = (a: Float64Array) => {
      const p = new Float64Array(C);
      const d = new Float64Array(C);
      relaxedGates(a, tau, undefined, p, d);
      s.setGates(p, d);
      const y = s.forward(x, B, { training: true });
      let L = 0;
      for (let i = 0; i < y.length; i++) L += w[i]! * y[i]!;
      return L;
    };
    loss(alpha);
    const dx = s.backward(w, B, { needInputGrad: true });
    const grad = Float64Array.from(s.logitGrad);
    const h = 1e-5;
    for (let j = 0; j < C; j++) {
      const ap = Float64Array.from(alpha);
      const am = Float64Array.from(alpha);
      ap[j] = ap[j]! + h;
      am[j] = am[j]! - h;
      const fd = (loss(ap) - loss(am)) / (2 * h);
      expect(grad[j]).toBeCloseTo(fd, 6);
    }
    const [lo, hi] = hw.inputRange;
    for (let i = 0; i < x.length; i++) {
      const u = 0.8 * x[i]!;
      expect(dx[i]! + 0).toBe(u > lo && u <= hi ? w[i] : 0);
    }
  });
});

describe('mix run', () => {
  it('is deterministic for a seed and resumes from a checkpoint to the same result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-mix-'));
    try {
      const opts = {
        data: tinyCsv(dir, 11),
        hidden: [8],
        poolSize: 3,
        pretrainEpochs: 2,
        searchEpochs: 2,
        finetuneEpochs: 1,
        batchSize: 16,
        seed: 5,
        nTest: 40,
      };
      const a = runMix(opts).result!;
      const b = runMix(opts).result!;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      const out = join(dir, 'run');
      expect(runMix(opts, { outDir: out, stopAfter: 'search' }).stopped).toBe('search');
      const c = runMix(opts, { outDir: out }).result!;
      expect(JSON.stringify(c)).toBe(JSON.stringify(a));
      // another seed changes the result; changed options in the same folder are refused
      expect(JSON.stringify(runMix({ ...opts, seed: 6 }).result)).not.toBe(JSON.stringify(a));
      expect(() => runMix({ ...opts, lambda: 3 }, { outDir: out })).toThrow(/other options/);
      expect(a.assignment.ratio).toBeLessThanOrEqual(0.4);
      expect(a.saving).toBeGreaterThanOrEqual(0.6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
