/**
 * Sweeps: spec checks, stable content-addressed plans, and the three runners (local processes, a
 * real one-node Slurm cluster, BullMQ workers on a real redis-server) giving byte-identical tables,
 * also after a kill mid-run. The services are started here; outside CI a missing binary skips its
 * test, under CI=true it fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { parseSweepSpec, planSweep, resolveShard, shardPoints } from '../src/sweep/index.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'fusemix.js');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const inCI = process.env.CI === 'true';
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

// 8 cell points with a Monte Carlo each: ~0.2 s a point, long enough to kill a run between points
const CELL_SPEC = { kind: 'cell', base: { mcSamples: 3000 }, axes: { fLo: [1, 0.5], fHi: [0, 0.5] }, repeat: 2 };
const specPath = join(dir, 'cells.json');
writeFileSync(specPath, JSON.stringify(CELL_SPEC));

const sha = (f: string) => spawnSync('sha256sum', [f], { encoding: 'utf8' }).stdout.split(' ')[0];
const tables = (out: string) => ({ csv: readFileSync(join(out, 'sweep.csv'), 'utf8'), json: readFileSync(join(out, 'sweep.json'), 'utf8') });
const pointCount = (out: string) => (existsSync(join(out, 'points')) ? readdirSync(join(out, 'points')).filter((f) => /^[0-9a-f]{16}\.json$/.test(f)).length : 0);
const until = async (cond: () => boolean, ms: number, what: string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The uninterrupted local run: the reference table of every runner below. */
const refOut = join(dir, 'ref');
let reference: { csv: string; json: string } | undefined;
function ref() {
  if (!reference) {
    const r = runCli(['sweep', 'run', specPath, '--out', refOut, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(runCli(['sweep', 'merge', refOut, '-q']).code).toBe(0);
    reference = tables(refOut);
  }
  return reference;
}

describe('sweep spec and plan', () => {
  it('bad specs name the field and what was expected', () => {
    const bad = (o: unknown) => {
      try {
        parseSweepSpec(o, 'spec.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ kind: 'cnn' })).toMatch(/^spec\.json: field 'kind'/);
    expect(bad({ kind: 'mix', axes: { budjet: [0.2] } })).toMatch(/field 'axes\.budjet': expected an option of a mix point/);
    expect(bad({ kind: 'mix', axes: { budget: { from: 0.2, to: 0.6, step: -1 } } })).toMatch(/field 'axes\.budget/);
    expect(bad({ kind: 'unit', base: { seed: 3 } })).toMatch(/field 'base\.seed'.*repeat/);
    expect(bad({ kind: 'unit', repeat: { seeds: [1, 1] } })).toMatch(/field 'repeat\.seeds': expected distinct seeds/);
    // a mix option out of range is named where it came from in the spec
    expect(() => planSweep(parseSweepSpec({ kind: 'mix', axes: { budget: [0.4, 2] } }, 'm.json'))).toThrow(/m\.json: field 'axes\.budget': expected a fraction in \(0, 1\]/);
  });

  it('points are the cartesian product (first axis outermost, seeds innermost); ids follow config and preset bytes', () => {
    const spec = parseSweepSpec({ kind: 'unit', axes: { fn: ['relu', 'tanh'], bits: { from: 3, to: 4, step: 1 } }, repeat: { seeds: [7, 'b'] } });
    const pts = planSweep(spec);
    expect(pts.map((p) => `${p.axes.fn}/${p.axes.bits}/${p.seed}`)).toEqual(['relu/3/7', 'relu/3/b', 'relu/4/7', 'relu/4/b', 'tanh/3/7', 'tanh/3/b', 'tanh/4/7', 'tanh/4/b']);
    expect(new Set(pts.map((p) => p.id)).size).toBe(8);
    expect(planSweep(spec).map((p) => p.id)).toEqual(pts.map((p) => p.id)); // stable
    // the same cell under another file name with the same bytes: same id; one byte changed: new id
    const same = join(dir, 'same-cell.json');
    copyFileSync(join(ROOT, 'devices', 'macam-measured.json'), same);
    const one = (cell: string) => planSweep(parseSweepSpec({ kind: 'cell', base: { cell } }))[0]!;
    expect(one(same).presets.cell!.sha256).toBe(one('macam-measured').presets.cell!.sha256);
    const edited = join(dir, 'edited-cell.json');
    writeFileSync(edited, readFileSync(same, 'utf8').replace('"description": "', '"description": "edited '));
    expect(one(edited).id).not.toBe(one(same).id);
    // the referenced DW-MTJ and MOSFET presets are part of the id too
    expect(Object.keys(one(same).presets).length).toBeGreaterThan(1);
    // shards partition the plan
    const shards = [0, 1, 2].map((i) => shardPoints(pts, { index: i, count: 3 }).map((p) => p.index));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(pts.map((p) => p.index));
    expect(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' })).toMatchObject({ index: 2, count: 4 });
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '1', JOB_COMPLETION_COUNT: '2' })).toMatchObject({ index: 1, count: 2 });
    expect(() => resolveShard('4/4')).toThrow(/0 <= i < n/);
  });
});

describe('local runner', () => {
  it('--jobs 2 gives the same bytes as one process; a second run computes nothing', () => {
    const out = join(dir, 'jobs2');
    const r = runCli(['sweep', 'run', specPath, '--out', out, '--jobs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ computed: 8, skipped: 0, total: 8 });
    expect(runCli(['sweep', 'merge', out, '-q']).code).toBe(0);
    expect(tables(out)).toEqual(ref());
    const again = runCli(['sweep', 'run', specPath, '--out', out, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ computed: 0, skipped: 8 });
  });

  it('killed mid-run, the rerun computes only the missing points and the table is byte-identical', async () => {
    const out = join(dir, 'killed');
    // its own process group, so the kill reaches the run whatever the launcher started
    const child = spawn(process.execPath, [CLI, 'sweep', 'run', specPath, '--out', out, '-q'], { stdio: 'ignore', detached: true });
    await until(() => pointCount(out) >= 2, 60_000, 'two point files');
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('close', r));
    const done = pointCount(out);
    expect(done).toBeLessThan(8);
    const r = runCli(['sweep', 'run', specPath, '--out', out, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ computed: 8 - done, skipped: done });
    expect(runCli(['sweep', 'merge', out, '-q']).code).toBe(0);
    expect(tables(out)).toEqual(ref());
  });

  it('--jobs 2 and Ctrl-C: exit 130, both child processes stopped, the rerun finishes to the same bytes', async () => {
    const out = join(dir, 'sigint');
    const child = spawn(process.execPath, [CLI, 'sweep', 'run', specPath, '--out', out, '--jobs', '2', '-q'], { stdio: 'ignore', detached: true });
    await until(() => pointCount(out) >= 2, 60_000, 'two point files');
    // SIGINT to the parent alone: it must stop its --serve children itself
    process.kill(child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    const left = () => spawnSync('pgrep', ['-f', `--out ${out} --serve`], { encoding: 'utf8' }).stdout.trim();
    await until(() => left() === '', 10_000, 'the --serve children to exit');
    const done = pointCount(out);
    const r = runCli(['sweep', 'run', specPath, '--out', out, '--jobs', '2', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ computed: 8 - done, skipped: done });
    expect(runCli(['sweep', 'merge', out, '-q']).code).toBe(0);
    expect(tables(out)).toEqual(ref());
  });

  it('merge names the missing points; a torn point file counts as missing; another spec on the folder is refused', () => {
    const out = join(dir, 'partial');
    expect(runCli(['sweep', 'run', specPath, '--out', out, '--shard', '0/2', '-q']).code).toBe(0);
    const m = runCli(['sweep', 'merge', out]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/4 of 8 points have no valid result/);
    const files = readdirSync(join(out, 'points'));
    writeFileSync(join(out, 'points', files[0]!), '{"format":"fusemix-sweep-point/1",');
    expect(runCli(['sweep', 'merge', out]).stderr).toMatch(/5 of 8 points/);
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...CELL_SPEC, repeat: 3 }));
    const r = runCli(['sweep', 'run', other, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field '--out': expected a folder of this sweep/);
  });
});

describe('Slurm job array (a one-node cluster on this machine)', () => {
  const ok = has('slurmctld') && has('sbatch');
  it.skipIf(!ok && !inCI)('examples/slurm/submit.sh: a 2-task array and its merge job give the local table, byte for byte', async () => {
    const up = spawnSync('bash', [join(ROOT, 'scripts', 'slurm-local.sh'), 'start'], { encoding: 'utf8', timeout: 180_000 });
    expect(up.status, `scripts/slurm-local.sh start failed: ${up.stderr}${up.stdout}`).toBe(0);
    const out = join(dir, 'slurm');
    // the example as a user runs it: `fusemix sweep slurm --submit`, then a merge job after the array
    const r = spawnSync('bash', [join(ROOT, 'examples', 'slurm', 'submit.sh'), specPath, out, '2'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stderr}${r.stdout}`).toBe(0);
    const jobId = /array job (\d+): 2 tasks/.exec(r.stdout)?.[1];
    const mergeId = /merge job (\d+)/.exec(r.stdout)?.[1];
    expect(jobId && mergeId, r.stdout).toBeTruthy();
    const queued = (id: string) => spawnSync('squeue', ['-h', '-j', id], { encoding: 'utf8' }).stdout.trim() !== '';
    await until(() => !queued(jobId!) && !queued(mergeId!), 200_000, `Slurm jobs ${jobId} and ${mergeId}`);
    const logs = readdirSync(join(out, 'slurm')).filter((f) => f.startsWith(`${jobId}_`));
    expect(logs.length).toBe(2);
    const manifests = readdirSync(join(out, 'points')).map((f) => JSON.parse(readFileSync(join(out, 'points', f), 'utf8')).manifest.runner);
    expect(manifests).toEqual(Array(8).fill('slurm'));
    // the merge job's table (written on the cluster, not here) equals the uninterrupted local run's
    expect(existsSync(join(out, 'sweep.csv')), readdirSync(join(out, 'slurm')).join(', ')).toBe(true);
    expect(tables(out)).toEqual(ref());
  }, 360_000);
});

describe('BullMQ worker pool (redis-server on 127.0.0.1)', () => {
  const ok = has('redis-server');
  it.skipIf(!ok && !inCI)('two workers, one killed mid-point: its point goes to the other and the table is the same', async () => {
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const workers: ChildProcess[] = [];
    try {
      await until(() => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 20_000, 'redis-server');
      const queue = `redis://127.0.0.1:${port}/sweep-test`;
      const out = join(dir, 'bull');
      // slow points (a bigger Monte Carlo) so a worker can be caught mid-point
      const slowSpec = join(dir, 'slow.json');
      writeFileSync(slowSpec, JSON.stringify(CELL_SPEC));
      const e = runCli(['sweep', 'enqueue', slowSpec, '--out', out, '--queue', queue, '--json']);
      expect(e.code, e.stderr).toBe(0);
      expect(JSON.parse(e.stdout)).toMatchObject({ added: 8, done: 0 });
      // enqueueing again adds nothing new (job id = point id)
      const start = (untilEmpty: boolean) => {
        const w = spawn(process.execPath, [CLI, 'sweep', 'worker', '--queue', queue, '--lock-ms', '2000', ...(untilEmpty ? ['--until-empty'] : [])], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let log = '';
        w.stderr!.on('data', (d: Buffer) => (log += d.toString()));
        w.stdout!.on('data', (d: Buffer) => (log += d.toString()));
        workers.push(w);
        return { w, log: () => log };
      };
      const a = start(false);
      await until(() => /start point/.test(a.log()), 30_000, 'worker A to start a point');
      // a dead machine: the worker and the point process it started
      process.kill(-a.w.pid!, 'SIGKILL');
      const b = start(true);
      await new Promise((r) => b.w.on('close', r));
      expect(b.log()).toMatch(/worker stopped: \d+ points done, 0 failures/);
      expect(pointCount(out)).toBe(8);
      expect(runCli(['sweep', 'merge', out, '-q']).code).toBe(0);
      expect(tables(out)).toEqual(ref());
      expect(sha(join(out, 'sweep.csv'))).toBe(sha(join(refOut, 'sweep.csv')));
    } finally {
      for (const w of workers) {
        try {
          process.kill(-w.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      redis.kill('SIGTERM');
      await new Promise((r) => redis.on('close', r));
    }
  }, 240_000);
});
