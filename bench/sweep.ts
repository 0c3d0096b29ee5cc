/**
 * The README "Scaling out" table: one sweep spec (default examples/sweeps/mix-quick.json, 24 points)
 * run from scratch by three runners, each into a fresh folder, then merged:
 *   - local, --jobs 1 (the baseline: one process, points one after the other)
 *   - local, --jobs 2 (two child processes)
 *   - a 2-task Slurm job array (`sweep slurm --tasks 2 --submit`), when `sinfo` answers
 *     (scripts/slurm-local.sh start makes a one-node cluster on this machine)
 * Prints the median wall time of each runner over the runs, its ratio to --jobs 1 measured in the
 * same run, and whether every merged sweep.csv and sweep.json has the same bytes as --jobs 1's.
 *   npx tsx bench/sweep.ts [spec.json]     (SWEEP_BENCH_RUNS=n: runs per runner, default 3)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'fusemix.js');
const spec = resolve(process.argv[2] ?? join(ROOT, 'examples', 'sweeps', 'mix-quick.json'));
const runs = Number(process.env.SWEEP_BENCH_RUNS ?? 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args, '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fusemix ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slurmUp = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 }).stdout?.match(/idle|mixed|allocated/) != null;

type Runner = { name: string; run: (out: string) => Promise<void> };
const runners: Runner[] = [
  { name: 'local, --jobs 1', run: async (out) => void cli(['sweep', 'run', spec, '--out', out, '--jobs', '1']) },
  { name: 'local, --jobs 2', run: async (out) => void cli(['sweep', 'run', spec, '--out', out, '--jobs', '2']) },
];
if (slurmUp) {
  runners.push({
    name: '2 Slurm array tasks',
    run: async (out) => {
      const { jobId } = JSON.parse(cli(['sweep', 'slurm', spec, '--out', out, '--tasks', '2', '--submit', '--json'])) as { jobId: string };
      // wall time includes scheduling: poll squeue until the array has left the queue
      while (spawnSync('squeue', ['-h', '-j', jobId], { encoding: 'utf8' }).stdout.trim() !== '') await sleep(250);
    },
  });
} else console.log('Slurm: sinfo does not answer, so the Slurm row is left out (scripts/slurm-local.sh start makes a one-node cluster)');

const points = (JSON.parse(cli(['sweep', 'plan', spec, '--json'])) as { points: unknown[] }).points.length;
console.log(`${spec}: ${points} points, ${runs} run(s) per runner, fresh folder each run`);
const times = new Map<string, number[]>();
const hashes = new Map<string, Set<string>>();
for (let i = 0; i < runs; i++) {
  for (const r of runners) {
    const out = mkdtempSync(join(tmpdir(), 'fusemix-bench-sweep-'));
    const t0 = performance.now();
    await r.run(out);
    const s = (performance.now() - t0) / 1000;
    cli(['sweep', 'merge', out]);
    const h = `${sha(join(out, 'sweep.csv'))} ${sha(join(out, 'sweep.json'))}`;
    (times.get(r.name) ?? times.set(r.name, []).get(r.name)!).push(s);
    (hashes.get(r.name) ?? hashes.set(r.name, new Set()).get(r.name)!).add(h);
    console.log(`  run ${i + 1}, ${r.name}: ${s.toFixed(1)} s`);
    rmSync(out, { recursive: true, force: true });
  }
}
const base = median(times.get(runners[0]!.name)!);
const ref = [...hashes.get(runners[0]!.name)!][0]!;
console.log('\n| runner | wall time (median) | ratio to --jobs 1 | merged table (sweep.csv, sweep.json sha256) |');
console.log('|---|---|---|---|');
for (const r of runners) {
  const m = median(times.get(r.name)!);
  const hs = hashes.get(r.name)!;
  const same = hs.size === 1 && hs.has(ref) ? `identical (${ref.split(' ').map((x) => x.slice(0, 8)).join(', ')})` : `DIFFERENT: ${[...hs].join(' / ')}`;
  console.log(`| ${r.name} | ${m.toFixed(1)} s | ${(base / m).toFixed(2)}x | ${same} |`);
}
