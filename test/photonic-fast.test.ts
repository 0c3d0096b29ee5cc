/**
 * The photonic fast paths (allocation-free Clements decomposition, flat-buffer weight mapping, the
 * fused resampling of effective.ts, PhotonicLayer's fused transposes) against independent
 * computations (test/helpers/naive-photonic.ts: the MZI formula and dense complex products), to stated
 * tolerances, on random inputs, odd sizes, blocks that are not full, rank-deficient and zero blocks.
 * Tolerances: 1e-12 on unitaries and orthonormality (double rounding over at most a few hundred
 * operations per entry is ~1e-14; a wrong phase or sign gives errors of order 1e-2 or more); 1e-10
 * relative to the matrix norm on reconstructed weights (an SVD and two meshes per block).
 */
import { describe, expect, it } from 'vitest';
import { type Rng, stream } from '../src/core/rng.ts';
import { PhotonicLayer } from '../src/mixer/photonic.ts';
import { type CMatrix, cidentity, czeros, decomposeUnitary, effectiveWeights, mapWeights, type NonIdealities, randomUnitary, type WeightMapping, wrapPhase } from '../src/photonic/index.ts';
import { orthonormalPair } from '../src/photonic/orthonormal.ts';
import { type Mat, mul, naiveMesh } from './helpers/naive-photonic.ts';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const norm = (a: ArrayLike<number>): number => Math.max(1, ...Array.from(a, Math.abs));
const maxDiffC = (a: Mat, b: CMatrix): number => {
  let m = 0;
  for (let i = 0; i < b.rows; i++) for (let j = 0; j < b.cols; j++) m = Math.max(m, Math.hypot(a[i]![j]![0] - b.re[i * b.cols + j]!, a[i]![j]![1] - b.im[i * b.cols + j]!));
  return m;
};

/** The real matrix a mapping applies without non-idealities, from the naive meshes: sum of U_b S_b V_b^T over blocks. */
function naiveMapping(map: WeightMapping): Float64Array {
  const { rows: M, cols: N, block: k } = map;
  const out = new Float64Array(M * N);
  for (const b of map.blocks) {
    const u = naiveMesh(b.u, b.u.theta, b.u.phi, b.u.outPhase);
    const v = naiveMesh(b.vh, b.vh.theta, b.vh.phi, b.vh.outPhase);
    for (let i = 0; i < k && b.row0 + i < M; i++) {
      for (let j = 0; j < k && b.col0 + j < N; j++) {
        let re = 0;
        for (let p = 0; p < k; p++) re += b.s[p]! * mul(u[i]![p]!, v[p]![j]!)[0];
        out[(b.row0 + i) * N + b.col0 + j] += re;
      }
    }
  }
  return out;
}
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
  it('reconstructs the unitary from the MZI formula to 1e-12 on random, identity, sign-screen, permutation and Givens cases', () => {
    let checked = 0;
    for (const n of [1, 2, 3, 4, 5, 8, 9]) {
      for (const decomposition of ['clements', 'reck'] as const) {
        for (const field of ['complex', 'real'] as const) {
          for (let t = 0; t < 6; t++) {
            let u: CMatrix = randomUnitary(n, stream(1, 'fast-u', n, t), field === 'real');
            if (t === 1) u = cidentity(n);
            if (t === 2) {
              u = cidentity(n); // a sign screen
              for (let i = 0; i < n; i++) u.re[i * n + i] = i % 2 ? -1 : 1;
            }
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
            const mesh = decomposeUnitary(u, { decomposition, field, trusted: true });
            expect(mesh.mode.length).toBe((n * (n - 1)) / 2);
            if (field === 'real') expect(Array.from(mesh.phi).every((p) => p === 0)).toBe(true);
            expect(maxDiffC(naiveMesh(mesh, mesh.theta, mesh.phi, mesh.outPhase), u), `n ${n} ${decomposition} ${field} case ${t}`).toBeLessThan(1e-12);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(7 * 2 * 2 * 6);
  });
});

describe('mapWeights (flat buffers, interleaved Gram-Schmidt)', () => {
  it('maps odd sizes, partial and rank-deficient blocks so that the naive U S V^T of every block gives W to 1e-10', () => {
    const rng = stream(2, 'fast-map');
    let checked = 0;
    for (const [m, n, k] of [
      [10, 40, 8],
      [13, 9, 3],
      [7, 5, 4],
      [5, 11, 2],
      [17, 16, 8],
    ] as const) {
      for (let kind = 0; kind < 6; kind++) {
        const w = weights(m, n, kind, rng);
        for (const decomposition of ['clements', 'reck'] as const) {
          for (const field of ['real', 'complex'] as const) {
            const map = mapWeights(w, m, n, { block: k, decomposition, field });
            for (const b of map.blocks) for (let p = 0; p < k; p++) expect(b.s[p]!).toBeGreaterThanOrEqual(p + 1 < k ? b.s[p + 1]! : 0);
            expect(maxAbs(naiveMapping(map), w) / norm(w)).toBeLessThan(1e-10);
            // the library's own ideal reconstruction agrees
            expect(maxAbs(effectiveWeights(map), w) / norm(w)).toBeLessThan(1e-10);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(5 * 6 * 4);
  });

  it('orthonormalises two matrices at once: orthonormal columns to 1e-12 and A = Q R with R upper triangular, also when a column vanishes', () => {
    const rng = stream(3, 'fast-gs');
    for (const k of [2, 3, 5, 8]) {
      for (let t = 0; t < 40; t++) {
        // column-major inputs; some with repeated, zero or nearly dependent columns (the unit-vector retries)
        let fullRank = true;
        const make = (): Float64Array => {
          const kind = rng.int(5);
          // as an SVD leaves them: orthogonal columns with an error (the norm test of orthonormalPair
          // assumes columns of length ~1)
          const q = kind === 0 ? Float64Array.from(randomUnitary(k, stream(3, 'fast-gs-q', k, t), true).re, (x) => x + 1e-3 * rng.normal()) : rng.fillNormal(new Float64Array(k * k));
          if (kind !== 0) fullRank = false;
          if (kind === 1 && k > 1) q.copyWithin(k, 0, k); // column 1 = column 0
          if (kind === 2) q.fill(0, 0, k); // column 0 = 0
          if (kind === 3) for (let j = 1; j < k; j++) for (let i = 0; i < k; i++) q[j * k + i] = q[i]! * (j + 1); // rank 1
          if (kind === 4) q.fill(0);
          return q;
        };
        const qa = make();
        const qb = make();
        const fa = Float64Array.from(qa);
        const fb = Float64Array.from(qb);
        orthonormalPair(fa, fb, k, new Float64Array(k), new Float64Array(k));
        for (const [a, q] of [
          [qa, fa],
          [qb, fb],
        ] as const) {
          const dot = (x: Float64Array, p: number, y: Float64Array, r: number) => {
            let d = 0;
            for (let i = 0; i < k; i++) d += x[p * k + i]! * y[r * k + i]!;
            return d;
          };
          for (let p = 0; p < k; p++) for (let r = 0; r < k; r++) expect(Math.abs(dot(q, p, q, r) - (p === r ? 1 : 0))).toBeLessThan(1e-12);
          // full rank: classical Gram-Schmidt, column j of A lies in the span of q_0..q_j, (Q^T A)_pj = 0
          // for p > j (a column taken as vanished is replaced by a unit vector: then only orthonormality)
          if (!fullRank) continue;
          const scale = norm(a);
          for (let j = 0; j < k; j++) for (let p = j + 1; p < k; p++) expect(Math.abs(dot(q, p, a, j)) / scale).toBeLessThan(1e-10);
        }
      }
    }
  });
});

describe('effectiveWeights (fused resampling)', () => {
  const settings: NonIdealities[] = [
    { phaseNoise: 0.01 },
    { phaseBits: 8, phaseNoise: 0.01 },
    { phaseNoise: 0.05, gammaError: 0.02, phaseBits: 5, crosstalk: 0.01, lossDb: 0.5 },
    { lossDb: 0.3, compensateLoss: false, phaseNoise: 0.02, detection: 'intensity' },
    { gammaError: 0.05, vPi: 3, vMax: 5, phaseBits: 4 },
  ];

  it('the same stream gives the same matrix on a repeat call (cached heater phases) and a fresh mapping; small noise stays near W', () => {
    const rng = stream(4, 'fast-eff');
    for (const [m, n, k, kind] of [
      [10, 40, 8, 0],
      [13, 9, 3, 1],
      [17, 16, 8, 5],
    ] as const) {
      const w = weights(m, n, kind, rng);
      for (const field of ['real', 'complex'] as const) {
        const map = mapWeights(w, m, n, { block: k, field });
        for (const [q, ni] of settings.entries()) {
          const first = effectiveWeights(map, ni, stream(5, 'draws', q));
          const again = effectiveWeights(map, ni, stream(5, 'draws', q));
          const fresh = effectiveWeights(mapWeights(w, m, n, { block: k, field }), ni, stream(5, 'draws', q));
          expect(maxAbs(again, first)).toBe(0);
          expect(maxAbs(fresh, first)).toBe(0);
          expect(first.every(Number.isFinite)).toBe(true);
          // 0.01 rad of phase noise alone: the matrix stays within a few percent of W
          if (q === 0) expect(maxAbs(first, w) / norm(w)).toBeLessThan(0.1);
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

  it('sees meshes edited in place and handles mixed layouts: the ideal matrix follows the naive meshes', () => {
    const [m, n, k] = [12, 16, 4];
    const w = weights(m, n, 0, stream(8, 'fast-edit'));
    const map = mapWeights(w, m, n, { block: k });
    expect(maxAbs(effectiveWeights(map), w) / norm(w)).toBeLessThan(1e-10);
    // edits: an internal phase, an external one, an output phase, and a +0 made -0
    const b = map.blocks[3]!;
    (b.u.theta as Float64Array)[2] += 0.3;
    (b.vh.phi as Float64Array)[1] = 1.25;
    (b.u.outPhase as Float64Array)[0] = 5.5;
    (b.vh.phi as Float64Array)[0] = -0;
    const edited = effectiveWeights(map);
    expect(maxAbs(edited, naiveMapping(map)) / norm(w)).toBeLessThan(1e-10);
    expect(maxAbs(edited, w)).toBeGreaterThan(1e-3);
    // a mapping whose blocks use different decompositions: per-block path, still U S V^T
    const fresh = mapWeights(w, m, n, { block: k });
    const reck = mapWeights(w, m, n, { block: k, decomposition: 'reck' });
    const mixed: WeightMapping = { ...fresh, blocks: fresh.blocks.map((bl, t) => (t % 2 ? reck.blocks[t]! : bl)) };
    expect(maxAbs(effectiveWeights(mixed), w) / norm(w)).toBeLessThan(1e-10);
    const t = effectiveWeights(mixed, {}, undefined, undefined, { transposed: true });
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(Math.abs(t[j * m + i]! - w[i * n + j]!)).toBeLessThan(1e-10 * norm(w));
    expect(() => effectiveWeights(map, { phaseNoise: 0.1 })).toThrow(/rng/);
  });
});

describe('PhotonicLayer', () => {
  /** The layer's model written out: map W^T, sample effectiveWeights per stream, transpose back, minus W. */
  function composed(rows: number, cols: number, ni: NonIdealities, block: number) {
    const tr = (a: Float64Array, r: number, c: number) => Float64Array.from({ length: r * c }, (_, x) => a[(x % r) * c + Math.floor(x / r)]!);
    return {
      refresh(W: Float64Array, seed: number, path: string, layer: string, samples: number): Float64Array[] {
        const map = mapWeights(tr(W, rows, cols), cols, rows, { block });
        return Array.from({ length: samples }, (_, r) => {
          const d = tr(effectiveWeights(map, ni, stream(seed, path, layer, r)), cols, rows);
          for (let i = 0; i < d.length; i++) d[i] = d[i]! - W[i]!;
          return d;
        });
      },
      evaluate(W: Float64Array, rng: Rng): Float64Array {
        return tr(effectiveWeights(mapWeights(tr(W, rows, cols), cols, rows, { block }), ni, rng), cols, rows);
      },
    };
  }

  it('refresh (train) and eval give the composed model weights to 1e-12, across epochs with new W', () => {
    for (const [rows, cols, block, ni] of [
      [20, 12, 8, { phaseBits: 8, phaseNoise: 0.01 }],
      [13, 7, 4, { phaseBits: 8, phaseNoise: 0.01, gammaError: 0.01 }],
      [9, 10, 3, { phaseNoise: 0.02, detection: 'intensity' as const }],
    ] as const) {
      const layer = new PhotonicLayer('fcX', rows, cols, { nonIdealities: ni, block, samples: 3 });
      const ref = composed(rows, cols, ni, block);
      const W = stream(9, 'fast-layer', rows).fillNormal(new Float64Array(rows * cols), 0, Math.sqrt(2 / rows));
      const ctx = { training: true, layer: 'fcX' };
      for (let epoch = 0; epoch < 3; epoch++) {
        W[epoch] += 0.05; // training moved W: a new mapping, the old one's caches recycled
        layer.refresh(W, 4, 'epoch', epoch);
        const deltas = ref.refresh(W, 4, `epoch/${epoch}`, 'fcX', 3);
        for (let step = 0; step < 6; step++) {
          const y = layer.transform(W, rows, cols, ctx);
          const d = deltas[step % 3]!;
          expect(maxAbs(y, Float64Array.from(W, (x, i) => x + d[i]!))).toBeLessThan(1e-12);
        }
      }
      layer.beginEval(4, 'eval');
      const evalRng = stream(4, 'eval', 'fcX');
      for (let batch = 0; batch < 3; batch++) {
        const y = Float64Array.from(layer.transform(W, rows, cols, { training: false, layer: 'fcX' }));
        expect(maxAbs(y, ref.evaluate(W, evalRng))).toBeLessThan(1e-12);
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
