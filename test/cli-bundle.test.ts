/**
 * bin/fusemix.js runs the bundle (build/js, scripts/bundle.mjs on npm install) only while it is newer
 * than every source file; the bundle and the sources give the same results, worker threads included.
 * Under CI (a fresh `npm ci`) the bundle must exist and be used.
 */
import { readdirSync, statSync } from 'node:fs';
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
