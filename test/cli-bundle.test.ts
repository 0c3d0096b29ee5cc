/**
 * bin/fusemix.js runs the bundle (build/js, scripts/bundle.mjs on npm install) only while it is newer
 * than every source file; the bundle and the sources give the same results, worker threads included.
 * Under CI (a fresh `npm ci`) the bundle must exist and be used.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const runtimeOf = (env: Record<string, string> = {}) => {
  const r = runCli(['doctor', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runtime: string }).runtime;
};

/** Whether build/js/main.mjs exists and is newer than package.json and every file under src/. */
function bundleFresh(): boolean {
  let bundle: number;
  try {
    bundle = statSync(join(ROOT, 'build', 'js', 'main.mjs')).mtimeMs;
  } catch {
    return false;
  }
  const times = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).map((f) => statSync(join(ROOT, 'src', f)).mtimeMs);
  const newest = Math.max(statSync(join(ROOT, 'package.json')).mtimeMs, ...times);
  return bundle > newest;
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

  it('runs the command with GLIBC_TUNABLES glibc.malloc.hugetlb=1 where THP exists; FUSEMIX_HUGEPAGES=off does not', () => {
    expect(memoryOf({ FUSEMIX_HUGEPAGES: 'off' })).toMatch(/^4 KiB malloc pages/);
    if (wanted) expect(memoryOf({})).toMatch(/^malloc on transparent huge pages \(GLIBC_TUNABLES glibc\.malloc\.hugetlb=1/);
    else expect(memoryOf({})).toMatch(/^(4 KiB malloc pages|system default pages)/);
    // a tunable the user set is kept, the huge-page one added
    const r = runCli(['doctor', '--json'], { env: { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1048576' } });
    expect(r.code, r.stderr).toBe(0);
    // run as a user runs it (`fusemix`: the script through its shebang), with the tunable not set
    const direct = spawnSync(join(ROOT, 'bin', 'fusemix.js'), ['doctor', '--json'], { encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: '' } });
    expect(direct.status, direct.stderr).toBe(0);
    const memory = (JSON.parse(direct.stdout) as { memory: string }).memory;
    if (wanted) expect(memory).toMatch(/^malloc on transparent huge pages/);
  });

  it('passes arguments, output and the exit status through, and a signal to the parent ends the child', async () => {
    const bad = runCli(['mix', '--budget', '7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/budget/);
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    if (!wanted) return;
    // a long run, killed with SIGTERM after its child has started: both are gone, status by signal
    const parent = spawn(process.execPath, [join(ROOT, 'bin', 'fusemix.js'), 'mix', '-q', '--threads', '1'], { stdio: 'ignore' });
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
