/**
 * The photonic fast paths of issue 9 (allocation-free Clements decomposition, flat-buffer weight
 * mapping, the fused resampling of effective.ts, PhotonicLayer's fused transposes) against the code they
 * replace, kept in test/helpers/photonic-reference.ts: the same numbers, bit for bit (Object.is, so even the sign
 * of zero), on random inputs, odd sizes, blocks that are not full, rank-deficient and zero blocks.
 */
import { describe, expect, it } from 'vitest';
import { type Rng, stream } from '../src/core/rng.ts';
import { PhotonicLayer } from '../src/mixer/photonic.ts';
import { type CMatrix, cidentity, czeros, decomposeUnitary, effectiveWeights, mapWeights, type MziMesh, type NonIdealities, randomUnitary, type WeightMapping, wrapPhase } from '../src/photonic/index.ts';
import { orthonormalPair } from '../src/photonic/orthonormal.ts';
import { decomposeUnitaryRef, effectiveWeightsRef, mapWeightsRef, orthonormalColumnsRef } from './helpers/photonic-reference.ts';

/** Number of positions where a and b differ as values (Object.is); a length mismatch counts too. */
const diff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) d++;
  return d;
};

const meshDiff = (a: MziMesh, b: MziMesh): number =>
  diff(a.theta, b.theta) +
  diff(a.phi, b.phi) +
  diff(a.outPhase, b.outPhase) +
  diff(a.mode, b.mode) +
  diff(a.layer, b.layer) +
  diff(a.nbPrev, b.nbPrev) +
  diff(a.nbNext, b.nbNext) +
  (a.n === b.n && a.depth === b.depth && a.field === b.field && a.decomposition === b.decomposition ? 0 : 1);

const mapDiff = (a: WeightMapping, b: WeightMapping): number => {
  let d = diff(a.weights, b.weights) + (a.blocks.length === b.blocks.length ? 0 : 1);
  for (let t = 0; t < Math.min(a.blocks.length, b.blocks.length); t++) {
    const x = a.blocks[t]!;
    const y = b.blocks[t]!;
    d += diff(x.s, y.s) + diff(x.ideal, y.ideal) + meshDiff(x.u, y.u) + meshDiff(x.vh, y.vh) + (x.row0 === y.row0 && x.col0 === y.col0 ? 0 : 1);
  }
  return d;
};

/** Weight matrices with the awkward cases: exact zeros, repeated values, rank-deficient blocks. */
function weights(m: number, n: number, kind: number, rng: Rng): Float64Array {
  const w = rng.fillNormal(new Float64Array(m * n));
  if (kind === 1) for (let i = 0; i < w.length; i += 3) w[i] = 0;
  if (kind === 2) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[i * n + j] = (i + 1) * ((j % 3) - 1); // rank 1
  if (kind === 3) for (let i = 0; i < w.length; i++) w[i] = Math.round(w[i]!); // small integers, many zeros
  if (kind === 4) w.fill(0);
  if (kind === 5) for (let i = 1; i < m; i += 2) w.copyWithin(i * n, (i - 1) * n, i * n); // repeated rows
  return w;
}

describe('decomposeUnitary (allocation-free, Givens fast path for real meshes)', () => {
  it('gives the reference decomposition bit for bit, zeros and signed zeros included', () => {
    let checked = 0;
    let bad = 0;
    for (const n of [1, 2, 3, 4, 5, 8, 9]) {
      for (const decomposition of ['clements', 'reck'] as const) {
        for (const field of ['complex', 'real'] as const) {
          for (let t = 0; t < 12; t++) {
            let u: CMatrix = randomUnitary(n, stream(1, 'fast-u', n, t), field === 'real');
            if (t === 1) u = cidentity(n);
            if (t === 2) for (let i = 0; i < n; i++) u.re[i * n + i] = i % 2 ? -1 : 1; // a sign screen
            if (t === 3) {
              // a permutation (reversal) with one negated entry: nothing but zeros to null
              u = czeros(n, n);
              for (let i = 0; i < n; i++) u.re[i * n + (n - 1 - i)] = i === 1 ? -1 : 1;
            }
            if (t === 4 && n >= 2) {
              // a Givens rotation of modes 0, 1 embedded in the identity, with a -0
              u = cidentity(n);
              u.re[0] = u.re[n + 1] = Math.SQRT1_2;
              u.re[1] = -Math.SQRT1_2;
              u.re[n] = Math.SQRT1_2;
              if (n > 2) u.re[2] = -0;
            }
            const a = decomposeUnitary(u, { decomposition, field, trusted: true });
            const b = decomposeUnitaryRef(u, { decomposition, field, trusted: true });
            checked++;
            if (meshDiff(a, b) > 0) bad++;
          }
        }
      }
    }
    expect(checked).toBe(7 * 2 * 2 * 12);
    expect(bad).toBe(0);
  });
});

describe('mapWeights (flat buffers, interleaved Gram-Schmidt)', () => {
  it('gives the reference mapping bit for bit on odd sizes, partial and rank-deficient blocks', () => {
    const rng = stream(2, 'fast-map');
    let checked = 0;
    for (const [m, n, k] of [
      [10, 40, 8],
      [13, 9, 3],
      [7, 5, 4],
      [6, 6, 6],
      [5, 11, 2],
      [17, 16, 8],
    ] as const) {
      for (let kind = 0; kind < 6; kind++) {
        const w = weights(m, n, kind, rng);
        for (const decomposition of ['clements', 'reck'] as const) {
          for (const field of ['real', 'complex'] as const) {
            const a = mapWeights(w, m, n, { block: k, decomposition, field });
            const b = mapWeightsRef(w, m, n, { block: k, decomposition, field });
            expect(mapDiff(a, b)).toBe(0);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(6 * 6 * 4);
  });

  it('orthonormalises two matrices at once as the reference does each, also when a column vanishes', () => {
    const rng = stream(3, 'fast-gs');
    for (const k of [2, 3, 5, 8]) {
      for (let t = 0; t < 40; t++) {
        // column-major inputs; some with repeated, zero or nearly dependent columns (the unit-vector retries)
        const make = (): Float64Array => {
          const q = rng.fillNormal(new Float64Array(k * k));
          const kind = rng.int(5);
          if (kind === 1 && k > 1) q.copyWithin(k, 0, k); // column 1 = column 0
          if (kind === 2) q.fill(0, 0, k); // column 0 = 0
          if (kind === 3) for (let j = 1; j < k; j++) for (let i = 0; i < k; i++) q[j * k + i] = q[i]! * (j + 1); // rank 1
          if (kind === 4) q.fill(0);
          return q;
        };
        const qa = make();
        const qb = make();
        // the reference takes the transposed matrix (at[j k + i] = a_ij) and returns it row-major
        const ra = orthonormalColumnsRef(qa, k);
        const rb = orthonormalColumnsRef(qb, k);
        const fa = Float64Array.from(qa);
        const fb = Float64Array.from(qb);
        orthonormalPair(fa, fb, k, new Float64Array(k), new Float64Array(k));
        const rowMajor = (q: Float64Array) => Float64Array.from({ length: k * k }, (_, x) => q[(x % k) * k + Math.floor(x / k)]!);
        expect(diff(rowMajor(fa), ra)).toBe(0);
        expect(diff(rowMajor(fb), rb)).toBe(0);
      }
    }
  });
});

describe('effectiveWeights (fused resampling)', () => {
  const settings: NonIdealities[] = [
    {},
    { phaseNoise: 0.01 },
    { phaseBits: 8, phaseNoise: 0.01 },
    { phaseBits: 6 },
    { phaseNoise: 0.05, gammaError: 0.02, phaseBits: 5, crosstalk: 0.01, lossDb: 0.5 },
    { crosstalk: 0.02, detection: 'intensity' },
    { lossDb: 0.3, compensateLoss: false, phaseNoise: 0.02, detection: 'intensity' },
    { gammaError: 0.05, vPi: 3, vMax: 5, phaseBits: 4 },
    { phaseNoise: 0.03, vMax: 3 }, // clamped heaters, no DAC
  ];

  it('draws the reference matrices bit for bit and leaves the stream where the reference does', () => {
    const rng = stream(4, 'fast-eff');
    for (const [m, n, k, kind] of [
      [10, 40, 8, 0],
      [13, 9, 3, 1],
      [7, 5, 4, 3],
      [17, 16, 8, 5],
      [6, 6, 6, 2],
      [8, 12, 4, 4], // all zero: outputs that are zeros of either sign before the final 0 + g v
    ] as const) {
      const w = weights(m, n, kind, rng);
      for (const field of ['real', 'complex'] as const) {
        const fast = mapWeights(w, m, n, { block: k, field });
        const ref = mapWeightsRef(w, m, n, { block: k, field });
        for (const [q, ni] of settings.entries()) {
          // both mappings through the fast path (the reference's meshes each hold their own layout arrays)
          for (const map of [fast, ref]) {
            const r1 = stream(5, 'draws', q);
            const r2 = stream(5, 'draws', q);
            // two calls in a row: the second one reuses the cached heater phases
            for (let call = 0; call < 2; call++) expect(diff(effectiveWeights(map, ni, r1), effectiveWeightsRef(ref, ni, r2))).toBe(0);
            expect(r1.normal()).toBe(r2.normal());
          }
        }
      }
    }
  });

  it('writes transposed and minus a matrix as transposing and subtracting afterwards would', () => {
    const [m, n] = [11, 21];
    const w = weights(m, n, 0, stream(6, 'fast-t'));
    const map = mapWeights(w, m, n, { block: 4 });
    const minus = stream(6, 'minus').fillNormal(new Float64Array(m * n));
    for (const ni of [{ phaseBits: 8, phaseNoise: 0.01 }, { detection: 'intensity' as const, lossDb: 0.2 }]) {
      const plain = effectiveWeights(map, ni, stream(7, 'x'));
      const t = effectiveWeights(map, ni, stream(7, 'x'), new Float64Array(m * n), { transposed: true });
      const tm = effectiveWeights(map, ni, stream(7, 'x'), new Float64Array(m * n), { transposed: true, minus });
      const rm = effectiveWeights(map, ni, stream(7, 'x'), new Float64Array(m * n), { minus });
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          expect(Object.is(t[j * m + i], plain[i * n + j])).toBe(true);
          expect(Object.is(tm[j * m + i], plain[i * n + j]! - minus[j * m + i]!)).toBe(true);
          expect(Object.is(rm[i * n + j], plain[i * n + j]! - minus[i * n + j]!)).toBe(true);
        }
      }
    }
  });

  it('sees meshes edited in place and falls back to the per-block path for mixed layouts', () => {
    const [m, n, k] = [12, 16, 4];
    const w = weights(m, n, 0, stream(8, 'fast-edit'));
    const fast = mapWeights(w, m, n, { block: k });
    const ref = mapWeightsRef(w, m, n, { block: k });
    const ni = { phaseBits: 6, phaseNoise: 0.02 };
    expect(diff(effectiveWeights(fast, ni, stream(1, 'e0')), effectiveWeightsRef(ref, ni, stream(1, 'e0')))).toBe(0);
    // the same edits on both: an internal phase, an external one, an output phase, and a +0 made -0
    for (const map of [fast, ref]) {
      const b = map.blocks[3]!;
      (b.u.theta as Float64Array)[2] += 0.3;
      (b.vh.phi as Float64Array)[1] = 1.25;
      (b.u.outPhase as Float64Array)[0] = 5.5;
      (b.vh.phi as Float64Array)[0] = -0;
    }
    expect(diff(effectiveWeights(fast, ni, stream(1, 'e1')), effectiveWeightsRef(ref, ni, stream(1, 'e1')))).toBe(0);
    // other DAC settings on the same mapping
    const ni2 = { phaseBits: 4, phaseNoise: 0.02, vPi: 5 };
    expect(diff(effectiveWeights(fast, ni2, stream(1, 'e2')), effectiveWeightsRef(ref, ni2, stream(1, 'e2')))).toBe(0);
    // a mapping whose blocks use different decompositions: per-block path, still the reference numbers
    const reck = mapWeights(w, m, n, { block: k, decomposition: 'reck' });
    const mixed: WeightMapping = { ...fast, blocks: fast.blocks.map((b, t) => (t % 2 ? reck.blocks[t]! : b)) };
    const mixedRef: WeightMapping = { ...ref, blocks: mixed.blocks };
    for (const layout of [{}, { transposed: true }]) {
      const out = effectiveWeights(mixed, ni, stream(1, 'e3'), undefined, layout);
      let want = effectiveWeightsRef(mixedRef, ni, stream(1, 'e3'));
      if ('transposed' in layout) want = Float64Array.from({ length: m * n }, (_, x) => want[(x % m) * n + Math.floor(x / m)]!);
      expect(diff(out, want)).toBe(0);
    }
    expect(() => effectiveWeights(fast, { phaseNoise: 0.1 })).toThrow(/rng/);
  });
});

describe('PhotonicLayer', () => {
  /** The layer as it was: transpose, mapWeights, effectiveWeights, transpose back, subtract W. */
  function reference(rows: number, cols: number, ni: NonIdealities, block: number) {
    const tr = (a: Float64Array, r: number, c: number) => Float64Array.from({ length: r * c }, (_, x) => a[(x % r) * c + Math.floor(x / r)]!);
    return {
      refresh(W: Float64Array, seed: number, path: string, layer: string, samples: number): Float64Array[] {
        const map = mapWeightsRef(tr(W, rows, cols), cols, rows, { block });
        return Array.from({ length: samples }, (_, r) => {
          const d = tr(effectiveWeightsRef(map, ni, stream(seed, path, layer, r)), cols, rows);
          for (let i = 0; i < d.length; i++) d[i] = d[i]! - W[i]!;
          return d;
        });
      },
      evaluate(W: Float64Array, rng: Rng): Float64Array {
        return tr(effectiveWeightsRef(mapWeightsRef(tr(W, rows, cols), cols, rows, { block }), ni, rng), cols, rows);
      },
    };
  }

  it('refresh (train) and eval give the reference weights bit for bit, across epochs with new W', () => {
    for (const [rows, cols, block, ni] of [
      [20, 12, 8, { phaseBits: 8, phaseNoise: 0.01 }],
      [13, 7, 4, { phaseBits: 8, phaseNoise: 0.01, gammaError: 0.01 }],
      [9, 10, 3, { phaseNoise: 0.02, detection: 'intensity' as const }],
    ] as const) {
      const layer = new PhotonicLayer('fcX', rows, cols, { nonIdealities: ni, block, samples: 3 });
      const ref = reference(rows, cols, ni, block);
      const W = stream(9, 'fast-layer', rows).fillNormal(new Float64Array(rows * cols), 0, Math.sqrt(2 / rows));
      const ctx = { training: true, layer: 'fcX' };
      for (let epoch = 0; epoch < 3; epoch++) {
        W[epoch] += 0.05; // training moved W: a new mapping, the old one's caches recycled
        layer.refresh(W, 4, 'epoch', epoch);
        const deltas = ref.refresh(W, 4, `epoch/${epoch}`, 'fcX', 3);
        for (let step = 0; step < 6; step++) {
          const y = layer.transform(W, rows, cols, ctx);
          const d = deltas[step % 3]!;
          expect(diff(y, Float64Array.from(W, (x, i) => x + d[i]!))).toBe(0);
        }
      }
      layer.beginEval(4, 'eval');
      const evalRng = stream(4, 'eval', 'fcX');
      for (let batch = 0; batch < 3; batch++) {
        const y = Float64Array.from(layer.transform(W, rows, cols, { training: false, layer: 'fcX' }));
        expect(diff(y, ref.evaluate(W, evalRng))).toBe(0);
      }
    }
  });
});

describe('wrapPhase', () => {
  it('is x % 2 pi (plus 2 pi when negative) bit for bit, at the turn boundaries too', () => {
    const TWO_PI = 2 * Math.PI;
    const slow = (x: number) => {
      const y = x % TWO_PI;
      return y < 0 ? y + TWO_PI : y;
    };
    const f = new Float64Array(1);
    const u = new BigInt64Array(f.buffer);
    const xs: number[] = [0, -0, Number.NaN, Infinity, -Infinity, 5e-324, -5e-324];
    for (const e of [TWO_PI, -TWO_PI, 2 * TWO_PI, -2 * TWO_PI, Math.PI, -Math.PI, 3 * TWO_PI]) {
      for (let d = -8n; d <= 8n; d++) {
        f[0] = e;
        u[0] += d;
        xs.push(f[0]);
      }
    }
    const rng = stream(10, 'wrap');
    for (let i = 0; i < 20000; i++) xs.push(rng.uniformIn(-30, 30));
    expect(xs.filter((x) => !Object.is(wrapPhase(x), slow(x))).length).toBe(0);
  });
});
