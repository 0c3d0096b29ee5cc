/**
 * SuperMixer throughput: training samples per second of the default network (784-128-10 MLP) in
 * float mode (plain ReLU, the baseline), with the mixed activation site (hardware in the loop), and
 * with the photonic core model on top; then the wall time of `fusemix mix` end to end (default
 * options, child processes) against an earlier commit (a git worktree of MIX_BASELINE_REF),
 * see below. Prints medians; never asserts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/io.ts';
import { loadMnist } from '../src/data/index.ts';
import { Adam, Dense, Sequential, softmaxCrossEntropy } from '../src/nn/index.ts';
import { matrixData } from '../src/nn/param.ts';
import { createActivationHardware, MixedActivation, PhotonicLayer } from '../src/mixer/index.ts';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const { train } = loadMnist({ seed: 1, nTest: 2000 });
const N = 2048;
const bs = 64;
const hw = createActivationHardware({ seed: 1 });

function build(mode: 'float' | 'mix' | 'photonic') {
  const p0 = new PhotonicLayer('fc0', 784, 128, { nonIdealities: { phaseBits: 8, phaseNoise: 0.01 } });
  const p1 = new PhotonicLayer('fc1', 128, 10, { nonIdealities: { phaseBits: 8, phaseNoise: 0.01 } });
  const fc0 = new Dense(784, 128, { name: 'fc0', seed: 1, weightTransform: p0.transform });
  const site = new MixedActivation({ name: 'act0', channels: 128, hardware: hw });
  const fc1 = new Dense(128, 10, { name: 'fc1', seed: 1, weightTransform: p1.transform });
  if (mode !== 'float') {
    site.mode = 'mix';
    site.scale = 0.7;
    site.setGates(Float64Array.from({ length: 128 }, (_, c) => (c < 88 ? 1 : 0)));
  }
  const model = new Sequential([fc0, site, fc1]);
  const refresh = () => {
    if (mode !== 'photonic') return;
    p0.refresh(matrixData(fc0.W), 1, 'bench');
    p1.refresh(matrixData(fc1.W), 1, 'bench');
  };
  return { model, refresh };
}

function epochRate(mode: 'float' | 'mix' | 'photonic'): { rate: number; refreshSeconds: number } {
  const { model, refresh } = build(mode);
  const t0 = performance.now();
  refresh();
  const refreshSeconds = (performance.now() - t0) / 1000;
  const opt = new Adam({ lr: 1e-3 });
  const params = model.params().filter((p) => !p.name.endsWith('.logits'));
  const grad = new Float64Array(bs * 10);
  const t1 = performance.now();
  for (let s = 0; s + bs <= N; s += bs) {
    const x = train.x.subarray(s * 784, (s + bs) * 784);
    const y = train.y.subarray(s, s + bs);
    const z = model.forward(x, { training: true });
    const r = softmaxCrossEntropy(z, y, bs, 10, grad);
    model.backward(r.grad);
    opt.step(params);
  }
  return { rate: N / ((performance.now() - t1) / 1000), refreshSeconds };
}

const runs = 5;
const res: Record<string, number[]> = { float: [], mix: [], photonic: [] };
let refresh = 0;
for (let r = 0; r < runs; r++) {
  for (const m of ['float', 'mix', 'photonic'] as const) {
    const e = epochRate(m);
    res[m]!.push(e.rate);
    if (m === 'photonic') refresh = e.refreshSeconds;
  }
}
const base = median(res.float!);
console.log(`training throughput, 784-128-10, batch ${bs}, median of ${runs} runs of ${N} samples:`);
for (const m of ['float', 'mix', 'photonic'] as const) {
  console.log(`  ${m.padEnd(9)} ${median(res[m]!).toFixed(0).padStart(7)} samples/s  (${(median(res[m]!) / base).toFixed(2)} x float ReLU)`);
}
console.log(`  photonic refresh (map 128x784 + 4 error samples, once per epoch): ${refresh.toFixed(2)} s`);

// End to end: `fusemix mix --json -q` (bin/fusemix.js run as a user runs it) against an earlier
// commit checked out from git into a temporary worktree that shares node_modules: MIX_BASELINE_REF
// (default c3b29f0, the code before issue 15), run with MIX_BASELINE_ARGS (default none; for 0c73ec8,
// the code before issue 9, give `--pool 128`: its default column pool was 16). Today's code runs with
// MIX_ARGS (default `--baselines 0 --heuristics none`: the baseline networks came after c3b29f0, so
// this does the reference's work) with the JS reference kernels on one thread, the automatic kernels
// on one thread and on the default threads. Interleaved, so a slow spell of the machine hits all
// alike; median of MIX_BENCH_RUNS (default 3) each. The figures are compared with the reference's to
// the golden tolerances (test/golden.test.ts), not to the bit.
const e2e = Number(process.env.MIX_BENCH_RUNS ?? 3);
const baseRef = process.env.MIX_BASELINE_REF ?? 'c3b29f0';
const words = (v: string | undefined, d: string) => (v ?? d).split(/\s+/).filter((w) => w !== '');
const baseArgs = words(process.env.MIX_BASELINE_ARGS, '');
const todayArgs = words(process.env.MIX_ARGS, '--baselines 0 --heuristics none');
function baselineCheckout(): string | undefined {
  if (!existsSync(join(PACKAGE_ROOT, '.git'))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fusemix-baseline-'));
  try {
    execFileSync('git', ['-C', PACKAGE_ROOT, 'worktree', 'add', '--detach', '--force', dir, baseRef], { stdio: 'ignore' });
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  } catch (e) {
    console.log(`  (no baseline: git worktree of ${baseRef} failed: ${(e as Error).message.split('\n')[0]})`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
const baseDir = e2e > 0 ? baselineCheckout() : undefined;
const configs: Record<string, { root: string; args: string[] }> = {
  ...(baseDir ? { [`reference ${baseRef}`]: { root: baseDir, args: baseArgs } } : {}),
  'js, 1 thread': { root: PACKAGE_ROOT, args: [...todayArgs, '--kernels', 'js', '--threads', '1'] },
  'auto, 1 thread': { root: PACKAGE_ROOT, args: [...todayArgs, '--kernels', 'auto', '--threads', '1'] },
  'auto, threads': { root: PACKAGE_ROOT, args: [...todayArgs, '--kernels', 'auto'] },
};
const names = Object.keys(configs);
const walls = Object.fromEntries(names.map((k) => [k, [] as number[]]));
const outputs = Object.fromEntries(names.map((k) => [k, [] as string[]]));
try {
  for (let r = 0; r < e2e; r++) {
    for (const k of names) {
      const { root, args } = configs[k]!;
      const t = performance.now();
      // the CLI as a user runs it (`fusemix ...`: the script through its shebang; no tunable preset)
      const out = execFileSync(join(root, 'bin/fusemix.js'), ['mix', ...args, '--json', '--quiet'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 28,
      });
      walls[k]!.push((performance.now() - t) / 1000);
      outputs[k]!.push(out.toString('utf8'));
    }
  }
} finally {
  if (baseDir) {
    execFileSync('git', ['-C', PACKAGE_ROOT, 'worktree', 'remove', '--force', baseDir], { stdio: 'ignore' });
    rmSync(baseDir, { recursive: true, force: true });
  }
}
if (e2e > 0) {
  const ref = names[0]!;
  const base = median(walls[ref]!);
  console.log(`fusemix mix (defaults) end to end, median of ${e2e} interleaved runs each (ratio: ${ref} / this):`);
  for (const k of names) {
    const m = median(walls[k]!);
    console.log(`  ${k.padEnd(28)} ${m.toFixed(1).padStart(6)} s  ${(base / m).toFixed(2)} x  (runs: ${walls[k]!.map((w) => w.toFixed(1)).join(', ')})`);
  }
  console.log(`  (reference args: ${baseArgs.join(' ') || 'none'}; today's: ${todayArgs.join(' ') || 'none'})`);
  const same = (a: string[]) => a.every((o) => o === a[0]);
  const threadsSame = outputs['auto, threads']![0] === outputs['auto, 1 thread']![0];
  console.log(`  same JSON across runs: ${names.map((k) => `${k} ${same(outputs[k]!) ? 'yes' : 'NO'}`).join(', ')}; auto threads vs 1 thread: ${threadsSame ? 'identical' : 'DIFFERENT'}`);
  // accuracies and saving against the reference's, in points, with the golden tolerances
  type Figures = { accuracy: Record<string, number>; saving: number };
  const fig = (o: string) => JSON.parse(o) as Figures;
  const r0 = fig(outputs[ref]![0]!);
  const tol: Record<string, number> = { float: 0.5, digital: 0.5, analog: 0.5, mixed: 1, saving: 1 };
  for (const k of names.slice(1)) {
    const r = fig(outputs[k]![0]!);
    const d = [...['float', 'digital', 'analog', 'mixed'].map((n) => [n, 100 * (r.accuracy[n]! - r0.accuracy[n]!)] as const), ['saving', 100 * (r.saving - r0.saving)] as const];
    const ok = d.every(([n, v]) => Math.abs(v) <= tol[n]!);
    console.log(`  ${k} - ${ref} (points): ${d.map(([n, v]) => `${n} ${v >= 0 ? '+' : ''}${v.toFixed(2)}`).join(', ')}  ${ok ? 'within' : 'OUTSIDE'} the golden tolerances`);
  }
}
