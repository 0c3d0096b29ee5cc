/**
 * Photonic mesh benchmarks: Clements decomposition at N = 8, 16, 64; mapping a 784 x 128 weight
 * matrix onto 8 x 8 blocks; and the per-evaluation resampling of its non-idealities.
 * Prints medians of several runs and ratios against baselines measured in the same run.
 *   npx tsx bench/mesh.ts
 */
import { Matrix, SVD } from 'ml-matrix';
import { stream } from '../src/core/rng.ts';
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
