/**
 * Photonic mesh benchmarks: Clements decomposition at N = 8, 16, 64; mapping a 784 x 128 weight
 * matrix onto 8 x 8 blocks; the per-evaluation resampling of its non-idealities; and (issue 9) the
 * photonic model of the mixer's Dense layers, PhotonicLayer.refresh and the eval-mode transform,
 * against the plain composition of the library calls (transpose, mapWeights, effectiveWeights,
 * transpose back, subtract), with an agreement check (1e-12).
 * Prints medians of several runs and ratios against baselines measured in the same run.
 *   npx tsx bench/mesh.ts            (MESH_BENCH_RUNS=n: runs per median in the last part, default 7)
 */
import { Matrix, SVD } from 'ml-matrix';
import { stream } from '../src/core/rng.ts';
import { PhotonicLayer } from '../src/mixer/photonic.ts';
import { cmatmul, decomposeUnitary, effectiveWeights, mapWeights, randomUnitary } from '../src/photonic/index.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function time(fn: () => void, runs: number, warm = 2): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} us` : `${ms.toFixed(2)} ms`);

console.log('Clements decomposition of a random complex unitary (baseline: one N x N complex matrix product)');
for (const n of [8, 16, 64]) {
  const u = randomUnitary(n, stream(1, 'bench', n));
  const runs = n >= 64 ? 21 : 501;
  const dec = time(() => decomposeUnitary(u, { trusted: true }), runs, runs);
  const mm = time(() => cmatmul(u, u), runs, runs);
  console.log(`  N = ${String(n).padStart(2)}: decompose ${fmt(dec)}  | matmul ${fmt(mm)}  | ratio ${(dec / mm).toFixed(2)}`);
}

const M = 784;
const N = 128;
const w = stream(1, 'bench', 'w').fillNormal(new Float64Array(M * N), 0, 0.05);
console.log(`\nWeight mapping ${M} x ${N} in 8 x 8 blocks (${Math.ceil(M / 8) * Math.ceil(N / 8)} blocks; baseline: the block SVDs alone)`);
const svdOnly = time(() => {
  for (let i = 0; i < M; i += 8) {
    for (let j = 0; j < N; j += 8) {
      const b = Array.from({ length: 8 }, (_, r) => Array.from(w.subarray((i + r) * N + j, (i + r) * N + j + 8)));
      new SVD(new Matrix(b), { autoTranspose: false });
    }
  }
}, 5, 1);
const mapMs = time(() => mapWeights(w, M, N, { block: 8 }), 5, 1);
const blocks = Math.ceil(M / 8) * Math.ceil(N / 8);
console.log(`  mapWeights ${fmt(mapMs)} (${((blocks / mapMs) * 1000).toFixed(0)} blocks/s, ${((M * N) / mapMs / 1000).toFixed(2)} Mweights/s) | SVDs ${fmt(svdOnly)} | ratio ${(mapMs / svdOnly).toFixed(2)}`);

const map = mapWeights(w, M, N, { block: 8 });
const out = new Float64Array(M * N);
const ideal = time(() => effectiveWeights(map, {}, undefined, out), 21, 5);
const ni = { phaseNoise: 0.01, gammaError: 0.01, phaseBits: 8, crosstalk: 0.005, lossDb: 0.99 };
let k = 0;
const noisy = time(() => effectiveWeights(map, ni, stream(1, 'bench', 'eval', k++), out), 21, 5);
const noiseOnly = time(() => effectiveWeights(map, { phaseNoise: 0.01 }, stream(1, 'bench', 'eval', k++), out), 21, 5);
console.log(`\nPer-evaluation effective ${M} x ${N} matrix (baseline: the ideal reconstruction, no draws)`);
console.log(`  ideal ${fmt(ideal)} | phase noise only ${fmt(noiseOnly)} (ratio ${(noiseOnly / ideal).toFixed(2)}) | noise+gamma+8b+crosstalk+loss ${fmt(noisy)} (ratio ${(noisy / ideal).toFixed(2)})`);

// ---- the photonic model of one fine-tuning epoch (PhotonicLayer.refresh: map W^T + 4 error samples)
// and of one evaluation batch (eval-mode transform), against the plain composition of the library calls
// (as src/mixer/photonic.ts drove them before its fused transposes). Interleaved runs.
{
  const runs = Number(process.env.MESH_BENCH_RUNS ?? 7);
  const ni = { phaseBits: 8, phaseNoise: 0.01 };
  const transposeInto = (a: Float64Array, r: number, c: number, out: Float64Array): Float64Array => {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
    return out;
  };
  /** the composition: transpose, map, then per sample effectiveWeights, transpose, subtract */
  const refreshOld = (W: Float64Array, rows: number, cols: number, seed: number): Float64Array[] => {
    const map = mapWeights(transposeInto(W, rows, cols, new Float64Array(W.length)), cols, rows, { block: 8 });
    const deltas: Float64Array[] = [];
    for (let r = 0; r < 4; r++) {
      const d = transposeInto(effectiveWeights(map, ni, stream(seed, 'bench', 'fc', r)), cols, rows, new Float64Array(W.length));
      for (let i = 0; i < d.length; i++) d[i] = d[i]! - W[i]!;
      deltas.push(d);
    }
    return deltas;
  };
  const stats = (xs: number[]) => median(xs);
  for (const [rows, cols] of [
    [784, 128],
    [128, 10],
  ] as const) {
    const W = stream(1, 'bench', 'he', rows).fillNormal(new Float64Array(rows * cols), 0, Math.sqrt(2 / rows));
    const wt = transposeInto(W, rows, cols, new Float64Array(W.length));
    const Wt = W.slice();
    const t = { refreshOld: [] as number[], refreshNew: [] as number[], evalOld: [] as number[], evalNew: [] as number[] };
    const mapR = mapWeights(wt, cols, rows, { block: 8 });
    // eval: both draw from stream(1, 'bench-eval', 'fc'); the first batch (which maps W) is not timed
    const evalLayer = new PhotonicLayer('fc', rows, cols, { nonIdealities: ni });
    evalLayer.beginEval(1, 'bench-eval');
    const ctx = { training: false, layer: 'fc' };
    evalLayer.transform(W, rows, cols, ctx);
    const evalRngOld = stream(1, 'bench-eval', 'fc');
    const evalOut = new Float64Array(W.length);
    transposeInto(effectiveWeights(mapR, ni, evalRngOld), cols, rows, evalOut);
    // one layer for all epochs, as the mixer keeps it
    const layer = new PhotonicLayer('fc', rows, cols, { nonIdealities: ni });
    let same = true;
    for (let r = -2; r < runs; r++) {
      const lap = (arr: number[], fn: () => void) => {
        const t0 = performance.now();
        fn();
        if (r >= 0) arr.push(performance.now() - t0);
      };
      // a new W each run (as after a training epoch), so both paths map it afresh
      Wt[((r + 2) * 7919) % Wt.length] += 1e-3;
      let dOld: Float64Array[] = [];
      lap(t.refreshOld, () => (dOld = refreshOld(Wt, rows, cols, 100 + r)));
      lap(t.refreshNew, () => layer.refresh(Wt, 100 + r, 'bench'));
      // the same numbers? (train mode applies W + delta_r in turn)
      for (const d of dOld) {
        const y = layer.transform(Wt, rows, cols, { training: true, layer: 'fc' });
        for (let i = 0; i < y.length; i++) if (Math.abs(y[i]! - (Wt[i]! + d[i]!)) > 1e-12) same = false;
      }
      lap(t.evalOld, () => transposeInto(effectiveWeights(mapR, ni, evalRngOld), cols, rows, evalOut));
      let y: Float64Array = evalOut;
      lap(t.evalNew, () => (y = evalLayer.transform(W, rows, cols, ctx)));
      for (let i = 0; i < y.length; i++) if (Math.abs(y[i]! - evalOut[i]!) > 1e-12) same = false;
    }
    const row = (name: string, a: number[], b: number[]) =>
      console.log(`  ${name.padEnd(34)} composed ${fmt(stats(a)).padStart(9)}  layer ${fmt(stats(b)).padStart(9)}  speed-up ${(stats(a) / stats(b)).toFixed(2)}x`);
    console.log(`\nPhotonicLayer ${rows} x ${cols} (8-bit DACs, 0.01 rad noise), composed calls vs PhotonicLayer, median of ${runs}:`);
      row('refresh (map + 4 samples)', t.refreshOld, t.refreshNew);
    row('eval-mode transform (1 batch)', t.evalOld, t.evalNew);
    console.log(`  refresh deltas and eval matrices within 1e-12 of the composition: ${same ? 'yes' : 'NO'}`);
  }
}
