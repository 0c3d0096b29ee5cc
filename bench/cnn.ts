/**
 * The CNN workload's training epoch (issue 14): the 'cnn' preset of mix as a float network (three 3x3
 * convolutions of 64 channels, relu, 2x2 max pooling after the first two, Dense to 10; batch 64, plain
 * SGD lr 0.05) over N mnist-package digits, fusemix (active kernel backend, one thread, as a mix chain
 * runs) against PyTorch (float32, one thread) measured in the same run, interleaved, median of the
 * runs; and the time of a 60,000-image epoch extrapolated from it (per-sample cost x 60,000). Also the
 * same epoch with the mixer's hardware in the loop (both activation paths and the photonic model), the
 * cost of a search epoch. Prints figures; asserts nothing.
 *
 *   npx tsx bench/cnn.ts [--n 2000] [--runs 3] [--precision f64|f32]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnistAll, subset } from '../src/data/index.ts';
import { getKernelBackend, getKernelPrecision, setKernelPrecision, type KernelPrecision } from '../src/kernels/index.ts';
import { buildNet, hardwareFor, resolveMixOptions } from '../src/mixer/index.ts';
import { Conv2d, Dense, Flatten, MaxPool2d, ReLU, Sequential, SGD, trainEpoch } from '../src/nn/index.ts';
import { loadPhotonicCore } from '../src/photonic/index.ts';
import { matrixData } from '../src/nn/param.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 2000);
const RUNS = arg('runs', 3);
const pi = process.argv.indexOf('--precision');
if (pi > 0) setKernelPrecision(process.argv[pi + 1] as KernelPrecision);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const all = loadMnistAll();
const data = subset(all, Int32Array.from({ length: Math.min(N, all.n) }, (_v, i) => i));

function floatCnn(): Sequential {
  return new Sequential([
    new Conv2d({ name: 'c0', seed: 1, inChannels: 1, outChannels: 64, height: 28, width: 28 }),
    new ReLU('r0', [64, 28, 28]),
    new MaxPool2d('p0', [64, 28, 28]),
    new Conv2d({ name: 'c1', seed: 1, inChannels: 64, outChannels: 64, height: 14, width: 14 }),
    new ReLU('r1', [64, 14, 14]),
    new MaxPool2d('p1', [64, 14, 14]),
    new Conv2d({ name: 'c2', seed: 1, inChannels: 64, outChannels: 64, height: 7, width: 7 }),
    new ReLU('r2', [64, 7, 7]),
    new Flatten('f', 64 * 49),
    new Dense(64 * 49, 10, { name: 'fc', seed: 1 }),
  ]);
}

// ---- PyTorch (when python3 can import torch) ----
const py = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { timeout: 120_000 }).status === 0);
const dir = mkdtempSync(join(tmpdir(), 'fusemix-bench-cnn-'));
const dataFile = join(dir, 'digits.bin');
{
  const buf = Buffer.alloc(data.n * 784 * 4 + data.n * 8);
  new Float32Array(buf.buffer, buf.byteOffset, data.n * 784).set(data.x);
  const y = new BigInt64Array(buf.buffer, buf.byteOffset + data.n * 784 * 4, data.n);
  for (let i = 0; i < data.n; i++) y[i] = BigInt(data.y[i]!);
  writeFileSync(dataFile, buf);
}
let torchVersion = '';
function torchEpoch(): number | undefined {
  if (!py) return undefined;
  const r = spawnSync(py, [new URL('./cnn-torch.py', import.meta.url).pathname, dataFile, String(data.n), '1'], { encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) {
    console.log(`  (PyTorch run failed: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; seconds: number[] };
  torchVersion = j.torch;
  return j.seconds[0];
}

// ---- the mixer's network with hardware in the loop: both paths at every site, photonic model on ----
const o = resolveMixOptions({ model: 'cnn' });
const hw = hardwareFor(o);
const net = buildNet(o, hw, 784, 10, loadPhotonicCore(o.photonicPreset));
for (const s of net.sites) {
  s.mode = 'mix';
  s.setGates(new Float64Array(64).fill(0.5), new Float64Array(64).fill(0.25));
}
function searchEpoch(): number {
  const t0 = performance.now();
  net.photonic.forEach((p, i) => p.refresh(matrixData(net.weighted[i]!.W), 1, 'bench', i));
  trainEpoch(net.model, data, { seed: 1, epoch: 0, batchSize: 64, optimizer: new SGD({ lr: 0.05 }) });
  return (performance.now() - t0) / 1000;
}

// the second convolution's product, the CNN's hot path: W [64, 576] x columns [576, 196] per sample
{
  const be = getKernelBackend();
  const prec = getKernelPrecision();
  const W = Float64Array.from({ length: 64 * 576 }, (_v, i) => Math.sin(i));
  const B = Float64Array.from({ length: 576 * 196 }, (_v, i) => Math.cos(i));
  const C = new Float64Array(64 * 196);
  const times: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    const t0 = performance.now();
    for (let s = 0; s < 64; s++) be.gemm('nn', W, B, C, 64, 576, 196, false, undefined, prec);
    if (r > 0) times.push((performance.now() - t0) / 1000);
  }
  const flops = 2 * 64 * 576 * 196 * 64;
  console.log(`conv 64 x 576 x 196 product, 64 samples, ${be.name} ${prec}: ${(flops / median(times) / 1e9).toFixed(1)} GFLOP/s${process.env.OPENBLAS_CORETYPE ? ` (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE})` : ''}`);
}

console.log(`CNN preset (3 x conv3x3 64, pools, fc), batch 64, SGD lr 0.05, one epoch over ${data.n} digits; backend ${getKernelBackend().name} ${getKernelPrecision()}, one thread; median of ${RUNS} (+1 warm-up)`);
const model = floatCnn();
const opt = new SGD({ lr: 0.05 });
const ours: number[] = [];
const theirs: number[] = [];
const search: number[] = [];
for (let e = 0; e <= RUNS; e++) {
  const t0 = performance.now();
  trainEpoch(model, data, { seed: 1, epoch: e, batchSize: 64, optimizer: opt });
  const t = (performance.now() - t0) / 1000;
  const tt = torchEpoch();
  const ts = searchEpoch();
  if (e === 0) continue;
  ours.push(t);
  search.push(ts);
  if (tt !== undefined) theirs.push(tt);
}
const per = (t: number) => `${((1e3 * t) / data.n).toFixed(2)} ms/sample, 60k epoch ${((t / data.n) * 60000 / 60).toFixed(1)} min`;
const tO = median(ours);
console.log(`  fusemix float CNN   ${tO.toFixed(2)} s/epoch (${per(tO)})`);
const tS = median(search);
console.log(`  fusemix search mode ${tS.toFixed(2)} s/epoch (${per(tS)}): both activation paths, photonic model in the loop; ${(tS / tO).toFixed(2)}x the float epoch`);
if (theirs.length) {
  const tT = median(theirs);
  console.log(`  PyTorch ${torchVersion} ${tT.toFixed(2)} s/epoch (${per(tT)}), float32, 1 thread, same run`);
  console.log(`  fusemix / PyTorch epoch time: ${(tO / tT).toFixed(2)} (goal <= 2)`);
} else console.log('  PyTorch: not measured (no python3 that can import torch; pip install torch)');
rmSync(dir, { recursive: true, force: true });
