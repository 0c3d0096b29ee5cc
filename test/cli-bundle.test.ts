/**
 * bin/fusemix.js runs the bundle (build/js, scripts/bundle.mjs on npm install) only while the content
 * hash of the sources (scripts/source-hash.mjs) equals the one in build/js/manifest.json; the bundle
 * and the sources give the same results, worker threads included. File dates play no part: a copy
 * that keeps old dates, or an edit back-dated, runs the sources. Under CI (a fresh `npm ci`) the
 * bundle must exist and be used.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST, sourceHash } from '../scripts/source-hash.mjs';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const runtimeOf = (env: Record<string, string> = {}, bin = join(ROOT, 'bin', 'fusemix.js')) => {
  const r = spawnSync(process.execPath, [bin, 'doctor', '--json'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runtime: string }).runtime;
};

/** Whether build/js/manifest.json (under `root`) names the hash of the sources under `root`. */
function bundleFresh(root = ROOT): boolean {
  try {
    const m = JSON.parse(readFileSync(join(root, 'build', 'js', MANIFEST), 'utf8')) as { sourceHash: string };
    return existsSync(join(root, 'build', 'js', 'main.mjs')) && m.sourceHash === sourceHash(root);
  } catch {
    return false;
  }
}

describe('CLI bundle', () => {
  it('FUSEMIX_FROM_SOURCE=1 runs the sources', () => {
    expect(runtimeOf({ FUSEMIX_FROM_SOURCE: '1' })).toBe('sources (tsx)');
  });

  it('a fresh bundle is used (required under CI) and gives the same mix result as the sources, on 2 threads', () => {
    const fresh = bundleFresh();
    if (process.env.CI) expect(fresh, 'npm ci must build build/js (scripts/bundle.mjs)').toBe(true);
    // sources edited since the bundle was built (or no bundle): a stale bundle must not be used
    expect(runtimeOf()).toBe(fresh ? 'bundle (build/js)' : 'sources (tsx)');
    if (!fresh) return;
    const args = ['mix', '--json', '-q', '--threads', '2', '--epochs', '1', '--search-epochs', '1', '--finetune-epochs', '1', '--n-test', '500'];
    const fromBundle = runCli(args);
    const fromSources = runCli(args, { env: { FUSEMIX_FROM_SOURCE: '1' } });
    expect(fromBundle.code, fromBundle.stderr).toBe(0);
    expect(fromSources.code, fromSources.stderr).toBe(0);
    const a = JSON.parse(fromBundle.stdout) as { accuracy: Record<string, number>; saving: number };
    expect(a.accuracy.mixed).toBeGreaterThan(0.5);
    expect(fromBundle.stdout).toBe(fromSources.stdout);
  });

  it('a copy that keeps old dates, with a source edited and back-dated, runs the sources, not the stale bundle', () => {
    if (!existsSync(join(ROOT, 'build', 'js', MANIFEST))) {
      if (process.env.CI) throw new Error('npm ci must build build/js (scripts/bundle.mjs)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-stale-'));
    try {
      // the package as installed, dates kept (cp -a); node_modules shared through a link
      for (const d of ['bin', 'scripts', 'src', 'build', 'devices', 'templates', 'asm', 'package.json']) {
        cpSync(join(ROOT, d), join(dir, d), { recursive: true, preserveTimestamps: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const bin = join(dir, 'bin', 'fusemix.js');
      const freshCopy = bundleFresh(dir);
      expect(runtimeOf({}, bin)).toBe(freshCopy ? 'bundle (build/js)' : 'sources (tsx)');
      // edit a source, then date it (and package.json) years before the bundle, the bundle in the future
      const edited = join(dir, 'src', 'core', 'errors.ts');
      appendFileSync(edited, '\n// edited after the bundle was built\n');
      const old = new Date('2001-01-01T00:00:00Z');
      utimesSync(edited, old, old);
      utimesSync(join(dir, 'package.json'), old, old);
      const future = new Date(Date.now() + 365 * 86_400_000);
      utimesSync(join(dir, 'build', 'js', 'main.mjs'), future, future);
      utimesSync(join(dir, 'build', 'js', MANIFEST), future, future);
      expect(bundleFresh(dir)).toBe(false);
      expect(runtimeOf({}, bin)).toBe('sources (tsx)');
      // and a bundle without its manifest is never used
      rmSync(join(dir, 'src', 'core', 'errors.ts'));
      cpSync(join(ROOT, 'src', 'core', 'errors.ts'), edited, { preserveTimestamps: true });
      if (freshCopy) expect(runtimeOf({}, bin)).toBe('bundle (build/js)');
      rmSync(join(dir, 'build', 'js', MANIFEST));
      expect(runtimeOf({}, bin)).toBe('sources (tsx)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The transparent-huge-page mode of this kernel ('always', 'madvise', 'never'), or undefined. */
function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

describe('CLI restart with huge-page malloc', () => {
  const wanted = process.platform === 'linux' && thpMode() !== undefined && thpMode() !== 'never';
  const memoryOf = (env: Record<string, string>) => {
    const r = runCli(['doctor', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { memory: string }).memory;
  };

  it('opt-in: with FUSEMIX_HUGEPAGES=on the command runs with GLIBC_TUNABLES glibc.malloc.hugetlb=1 where THP exists; without it, no restart', () => {
    expect(memoryOf({ FUSEMIX_HUGEPAGES: '' })).toMatch(/^(4 KiB malloc pages|system default pages)/);
    if (wanted) expect(memoryOf({ FUSEMIX_HUGEPAGES: 'on' })).toMatch(/^malloc on transparent huge pages \(GLIBC_TUNABLES glibc\.malloc\.hugetlb=1/);
    else expect(memoryOf({ FUSEMIX_HUGEPAGES: 'on' })).toMatch(/^(4 KiB malloc pages|system default pages)/);
    // a tunable the user set is kept, the huge-page one added
    const r = runCli(['doctor', '--json'], { env: { FUSEMIX_HUGEPAGES: 'on', GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1048576' } });
    expect(r.code, r.stderr).toBe(0);
    // run as a user runs it (`fusemix`: the script through its shebang), with the tunable not set
    const direct = spawnSync(join(ROOT, 'bin', 'fusemix.js'), ['doctor', '--json'], { encoding: 'utf8', env: { ...process.env, FUSEMIX_HUGEPAGES: 'on', GLIBC_TUNABLES: '' } });
    expect(direct.status, direct.stderr).toBe(0);
    const memory = (JSON.parse(direct.stdout) as { memory: string }).memory;
    if (wanted) expect(memory).toMatch(/^malloc on transparent huge pages/);
  });

  it('passes arguments, output and the exit status through, and a signal to the parent ends the child', async () => {
    const bad = runCli(['mix', '--budget', '7'], { env: { FUSEMIX_HUGEPAGES: 'on' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/budget/);
    expect(runCli(['--version'], { env: { FUSEMIX_HUGEPAGES: 'on' } }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    if (!wanted) return;
    // a long run, killed with SIGTERM after its child has started: both are gone, status by signal
    const parent = spawn(process.execPath, [join(ROOT, 'bin', 'fusemix.js'), 'mix', '-q', '--threads', '1'], { stdio: 'ignore', env: { ...process.env, FUSEMIX_HUGEPAGES: 'on' } });
    let child: number | undefined;
    for (let t = 0; t < 100 && child === undefined; t++) {
      await new Promise((r) => setTimeout(r, 100));
      const ps = spawnSync('ps', ['-o', 'pid=', '--ppid', String(parent.pid)], { encoding: 'utf8' });
      child = Number(ps.stdout.trim().split('\n')[0]) || undefined;
    }
    expect(child, 'the restarted node process').toBeDefined();
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => parent.on('exit', (code, signal) => r({ code, signal })));
    parent.kill('SIGTERM');
    const st = await exited;
    expect(st.signal ?? st.code).toBe('SIGTERM');
    const alive = () => {
      try {
        process.kill(child!, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(false);
  }, 60_000);
});
