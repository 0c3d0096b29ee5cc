/**
 * Runs that share a folder, get killed, or find a corrupt checkpoint: a lock file with the owner's
 * pid, resume to the same JSON after SIGKILL at seeded moments, and checksummed checkpoints that
 * are recomputed (never trusted) when corrupt.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { sha256 } from '../src/core/io.ts';
import { acquireRunLock, LOCK_NAME, RunLocked } from '../src/core/lock.ts';
import { stream } from '../src/core/rng.ts';
import { type MixOptions, readCheckpoint, runMix } from '../src/mixer/index.ts';
import { jsonReplacer } from '../src/cli/util.ts';
import { tinyCsv } from './helpers/data.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = tinyCsv(dir, 12);

const opts: Partial<MixOptions> = { data, hidden: [8], poolSize: 3, pretrainEpochs: 12, searchEpochs: 4, finetuneEpochs: 4, batchSize: 16, seed: 7, nTest: 40 };
const flags = ['--data', data, '--hidden', '8', '--pool', '3', '--epochs', '12', '--search-epochs', '4', '--finetune-epochs', '4', '--batch', '16', '--seed', '7', '--n-test', '40', '--threads', '1', '-q'];
const reference = `${JSON.stringify(runMix(opts).result, jsonReplacer, 2)}\n`;

/** Start `fusemix mix` as its own process group (so a kill reaches the run, not only a launcher). */
function startMix(args: string[]) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/fusemix.js'), 'mix', ...args], { stdio: 'ignore', detached: true, env: { ...process.env, FUSEMIX_HUGEPAGES: 'off' } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const kill = async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
  };
  return { child, exited, kill };
}

/** A pid that is certainly dead: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Every checkpoint and result in `out` parses and checks out (nothing half-written). */
function halfWritten(out: string): string[] {
  const bad: string[] = [];
  for (const f of readdirSync(out)) {
    if (!f.endsWith('.json')) continue;
    const file = join(out, f);
    let ok = true;
    if (f.endsWith('.ckpt.json')) ok = readCheckpoint(file, () => {}) !== undefined;
    else {
      try {
        JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        ok = false;
      }
    }
    if (!ok) bad.push(f);
  }
  return bad;
}

describe('run lock', () => {
  it('a second holder of one folder is refused naming the owner; released, it can be taken again', () => {
    const out = join(dir, 'lock1');
    const a = acquireRunLock(out, 'test run');
    const info = JSON.parse(readFileSync(join(out, LOCK_NAME), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), command: 'test run' });
    const e = (() => {
      try {
        acquireRunLock(out, 'second');
      } catch (x) {
        return x as RunLocked;
      }
    })();
    expect(e).toBeInstanceOf(RunLocked);
    expect(e!.message).toContain(`${join(out, LOCK_NAME)}: this --out folder is in use: locked by test run (pid ${process.pid} on ${hostname()}`);
    a.release();
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
    acquireRunLock(out, 'third').release();
  });

  it('takes over a stale lock of a dead pid with a message; refuses a lock from another host', () => {
    const out = join(dir, 'lock2');
    acquireRunLock(out, 'x').release();
    const pid = deadPid();
    writeFileSync(join(out, LOCK_NAME), JSON.stringify({ pid, host: hostname(), command: 'fusemix mix', started: '2026-01-01T00:00:00Z' }));
    const notes: string[] = [];
    const l = acquireRunLock(out, 'new', (m) => notes.push(m));
    expect(notes.join()).toMatch(new RegExp(`taking over a stale lock of fusemix mix \\(pid ${pid}`));
    expect(JSON.parse(readFileSync(join(out, LOCK_NAME), 'utf8')).pid).toBe(process.pid);
    l.release();
    writeFileSync(join(out, LOCK_NAME), JSON.stringify({ pid, host: 'elsewhere', command: 'fusemix mix', started: 'then' }));
    expect(() => acquireRunLock(out, 'new')).toThrow(/pid \d+ on elsewhere.*delete the lock if that run is over/);
  });

  it('two mix runs on one --out: the second exits 2 with the owner named', async () => {
    const out = join(dir, 'concurrent');
    const long = flags.map((f, i) => (flags[i - 1] === '--epochs' ? '100000' : f));
    const first = startMix([...long, '--out', out]);
    try {
      const lock = join(out, LOCK_NAME);
      for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(lock)).toBe(true);
      const second = runCli(['mix', ...flags, '--out', out]);
      expect(second.code).toBe(2);
      const owner = JSON.parse(readFileSync(lock, 'utf8')).pid as number;
      expect(second.stderr).toContain(`this --out folder is in use: locked by fusemix mix (pid ${owner} on ${hostname()}`);
      expect(second.stderr).toMatch(/still running; wait for it or use another --out/);
    } finally {
      await first.kill();
    }
  });
});

describe('killed runs resume to the same JSON', () => {
  const rng = stream(16, 'kill-moments');
  // kill once `k` checkpoint files exist, plus a few ms: moments inside pretraining and later phases
  const moments = [1 + rng.int(2), 3 + rng.int(4)].map((k) => ({ k, ms: rng.int(30) }));

  it(`SIGKILL at seeded moments ${moments.map((m) => `${m.k} ckpt + ${m.ms} ms`).join(', ')}; then resume`, async () => {
    const out = join(dir, 'killed');
    for (const m of moments) {
      const { exited, kill } = startMix([...flags, '--out', out]);
      let done = false;
      void exited.then(() => (done = true));
      const count = () => (existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.ckpt.json')).length : 0);
      while (!done && count() < m.k) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, m.ms));
      await kill();
      expect(halfWritten(out)).toEqual([]);
      expect(existsSync(join(out, LOCK_NAME))).toBe(true); // a killed run leaves its lock: stale now
      expect(existsSync(join(out, 'mix-b0.4.json'))).toBe(false); // killed before the end
    }
    const r = runCli(['mix', ...flags.filter((f) => f !== '-q'), '--out', out]);
    expect(r.stdout).toMatch(/taking over a stale lock of fusemix mix \(pid \d+/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'mix-b0.4.json'), 'utf8')).toBe(reference);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });
});

describe('corrupt checkpoints', () => {
  it('a flipped digit fails the checksum: warned, recomputed, same result', () => {
    const out = join(dir, 'corrupt');
    expect(runMix(opts, { outDir: out, stopAfter: 'search', warn: () => {} }).stopped).toBe('search');
    const file = join(out, 'pretrain.ckpt.json');
    const text = readFileSync(file, 'utf8');
    // change one digit of a parameter: still valid JSON, only the checksum can tell
    const at = text.indexOf('"model"');
    const i = text.slice(at).search(/[1-8]/) + at;
    writeFileSync(file, text.slice(0, i) + String(Number(text[i]) + 1) + text.slice(i + 1));
    const warnings: string[] = [];
    const r = runMix(opts, { outDir: out, warn: (m) => warnings.push(m) }).result!;
    expect(warnings.join('\n')).toMatch(/pretrain\.ckpt\.json: checkpoint checksum does not match its contents; not trusted, recomputing/);
    expect(`${JSON.stringify(r, jsonReplacer, 2)}\n`).toBe(reference);
    expect(readCheckpoint(file, () => {})).toBeDefined(); // rewritten good
    // torn (truncated) and checksum-less files are not trusted either
    writeFileSync(file, text.slice(0, text.length >> 1));
    expect(readCheckpoint(file, (m) => warnings.push(m))).toBeUndefined();
    const { checksum: _c, ...bare } = JSON.parse(text);
    writeFileSync(file, JSON.stringify(bare));
    expect(readCheckpoint(file, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings.at(-1)).toMatch(/checksum is missing/);
    expect(JSON.parse(text).checksum).toBe(sha256(JSON.stringify(bare)));
  });

  it('nn checkpoints carry a checksum and a corrupt one is refused (DataError)', async () => {
    const { Sequential } = await import('../src/nn/sequential.ts');
    const { Dense } = await import('../src/nn/layers.ts');
    const { saveCheckpoint, loadCheckpoint } = await import('../src/nn/checkpoint.ts');
    const mk = () => new Sequential([new Dense(3, 2, { name: 'd', seed: 1 })]);
    const file = join(dir, 'nn.ckpt.json');
    saveCheckpoint(file, mk(), { epoch: 2 });
    expect(loadCheckpoint(file, mk())).toEqual({ epoch: 2 });
    const t = readFileSync(file, 'utf8');
    writeFileSync(file, t.replace('"epoch": 2', '"epoch": 3'));
    expect(() => loadCheckpoint(file, mk())).toThrow(DataError);
    expect(() => loadCheckpoint(file, mk())).toThrow(/checksum does not match/);
  });
});
