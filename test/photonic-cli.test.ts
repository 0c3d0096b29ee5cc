import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('fusemix mesh', () => {
  it('--size N --json reports reconstruction error, depth, MZI count and energy', () => {
    const r = run('mesh', '--size', '8', '--decomposition', 'reck', '--seed', '3', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.maxError).toBeLessThan(1e-10);
    expect(j.depth).toBe(13);
    expect(j.mzis).toBe(28);
    expect(j.energy.totalJ).toBeGreaterThan(0);
  }, 90000);

  it('--matrix maps a CSV under non-idealities; a bad CSV is a DataError naming file, row and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-mesh-'));
    const good = join(dir, 'w.csv');
    const rows = Array.from({ length: 6 }, (_, i) => Array.from({ length: 10 }, (_, j) => Math.sin(i * 10 + j + 1).toFixed(6)).join(','));
    writeFileSync(good, `# weights\n${rows.join('\n')}\n`);
    const out = join(dir, 'eff.csv');
    const r = run('mesh', '--matrix', good, '--block', '4', '--phase-noise', '0.02', '--phase-bits', '8', '--json', '--out', out);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.idealMaxError).toBeLessThan(1e-10);
    expect(j.maxError).toBeGreaterThan(1e-4);
    expect(j.mzis).toBe(6 * 2 * 6);
    expect(j.blocks).toBe(6);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(6);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '1,2,3\n4,oops,6\n');
    const b = run('mesh', '--matrix', bad, '--block', '2');
    expect(b.code).toBe(2);
    expect(b.err).toContain('bad.csv');
    expect(b.err).toMatch(/row 2, column 2/);
  }, 90000);
});
