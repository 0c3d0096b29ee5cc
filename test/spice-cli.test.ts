import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryTests } from './helpers/spice.ts';

const ROOT = join(import.meta.dirname, '..');
const NET = join(ROOT, 'test/fixtures/spice/linear-rc.cir');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-simcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** `npx tsx src/cli/main.ts ...` (the dev entry) or `node bin/fusemix.js ...` (the installed one). */
function cli(entry: 'tsx' | 'bin', args: string[]) {
  const [cmd, pre] = entry === 'tsx' ? ['npx', ['tsx', 'src/cli/main.ts']] : [process.execPath, ['bin/fusemix.js']];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The divider's dc sweep: v(out) = 0.75 v(in). */
function checkDc(vin: number[], vout: number[]) {
  expect(vin).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
  vin.forEach((v, i) => expect(vout[i]).toBeCloseTo(0.75 * v, 12));
}

describe('fusemix simulate', () => {
  it('runs a netlist on the wasm engine, prints a summary and writes every vector to CSV', () => {
    const out = join(dir, 'v.csv');
    const r = cli('tsx', ['simulate', NET, '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/3 plot\(s\) on wasm/);
    expect(r.out).toMatch(/dc1: DC transfer characteristic \(9 points/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const head = lines[0]!.split(',');
    const col = (name: string) => lines.slice(1).map((l) => l.split(',')[head.indexOf(name)]!).filter((c) => c !== '').map(Number);
    expect(head).toContain('ac1.v(out).im');
    checkDc(col('dc1.v(v-sweep)'), col('dc1.v(out)'));
    expect(col('tran1.time').length).toBeGreaterThan(100);
  });

  it.skipIf(!binaryTests)('runs on the ngspice binary through bin/fusemix.js, --json and a JSON export', () => {
    const out = join(dir, 'v.json');
    const r = cli('bin', ['simulate', NET, '--engine', 'ngspice', '--json', '--out', out, '--timeout', '20000']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { engine: string; plots: Array<{ label: string; points: number }> };
    expect(summary.engine).toBe('ngspice');
    expect(summary.plots.map((p) => p.label)).toEqual(['ac1', 'dc1', 'tran1']);
    const data = JSON.parse(readFileSync(out, 'utf8')) as { plots: Array<{ type: string; vectors: Record<string, number[]>; imag?: Record<string, number[]> }> };
    const dc = data.plots.find((p) => p.type === 'dc')!;
    checkDc(dc.vectors['v(v-sweep)']!, dc.vectors['v(out)']!);
    expect(data.plots.find((p) => p.type === 'ac')!.imag!['v(out)']!.length).toBe(17);
  });

  it('exits 2 with a one-line message for a missing file or a bad --out', () => {
    const r = cli('bin', ['simulate', join(dir, 'nope.cir')]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/nope\.cir: netlist file not found$/);
    const r2 = cli('bin', ['simulate', NET, '--out', join(dir, 'x.txt')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--out/);
  });
});
