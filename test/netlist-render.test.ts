/** Netlist rendering: committed netlists up to date, determinism, headers, explicit MC deviations, CLI. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fusemixVersion, PACKAGE_ROOT } from '../src/core/io.ts';
import { stream } from '../src/core/rng.ts';
import { cellSigmas, loadMacamCell, sampleDeviation } from '../src/devices/macam.ts';
import { createFusedUnit } from '../src/units/fused.ts';
import { renderTemplate, renderUnit } from '../src/spice/netlist.ts';
import { defaultNetlists, renderTestbench } from '../src/spice/testbench.ts';

const cell = loadMacamCell('macam-measured');

describe('committed netlists', () => {
  it('regenerating the netlists and libraries changes no byte', async () => {
    const files = await defaultNetlists();
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(7);
    for (const [rel, content] of Object.entries(files)) {
      expect(readFileSync(join(PACKAGE_ROOT, rel), 'utf8'), `${rel} is stale: run npx tsx scripts/gen-netlists.ts`).toBe(content);
    }
  });

  it('rendering is deterministic and every netlist names version, presets and seed', async () => {
    const a = await defaultNetlists();
    const b = await defaultNetlists();
    expect(a).toEqual(b);
    for (const [rel, text] of Object.entries(a)) {
      const head = text.split('\n').slice(0, 5).join('\n');
      expect(head, rel).toContain(`* fusemix ${fusemixVersion()}:`);
      expect(head, rel).toMatch(/\* seed: /);
      expect(text, rel).not.toMatch(/20\d\d-\d\d-\d\d/); // no dates
    }
    expect(a['netlists/tb-mc.cir']).toMatch(/^\.option seed=1$/m);
    expect(a['netlists/tb-mc.cir']).toMatch(/\* seed: 1 \(/);
    expect(a['netlists/cell.cir']).toMatch(/\* seed: none/);
    expect(a['netlists/cell.cir']).toContain('cell=macam-measured');
  });

  it('templates are strict: a missing field is an error', () => {
    expect(() => renderTemplate('header.cir.hbs', { version: '0' })).toThrow();
  });
});

describe('rendered content', () => {
  it('the MC testbench carries the deviations of stream(seed, "macam-mc", i) explicitly', () => {
    const seed = 42;
    const text = renderTestbench('mc', { cell, seed, samples: 5 });
    const lines = text.split('\n').filter((l) => /^X\d+ /.test(l));
    expect(lines.length).toBe(10);
    const rp = 29e-12 / 0.0058e-12; // RA / area of dwmtj-pt-5notch-lo (preset values)
    for (let i = 0; i < 5; i++) {
      const dev = sampleDeviation(stream(seed, 'macam-mc', i), cellSigmas(cell));
      const lo = lines[2 * i]!;
      const num = (k: string) => {
        const m = new RegExp(` ${k}=(\\S+)`).exec(lo)!;
        const s = m[1]!;
        const suf: Record<string, number> = { m: 1e-3, k: 1e3, u: 1e-6, n: 1e-9, p: 1e-12 };
        const mm = /^(-?[\d.e+-]+?)([mkunp]?)$/.exec(s)!;
        return Number(mm[1]) * (mm[2] ? suf[mm[2]]! : 1);
      };
      expect(lo).toContain('fm_cell_lo');
      expect(lines[2 * i + 1]).toContain('fm_cell_hi');
      expect(num('rp1') / (rp * dev.rpLo!)).toBeCloseTo(1, 8);
      expect(num('dv2')).toBeCloseTo(dev.dvto!.T2!, 10);
      expect(num('f1')).toBeCloseTo(Math.min(1, Math.max(0, 1 + dev.dfLo!)), 9);
    }
  });

  it('a unit column omits the first row lower pull-down and the last row upper pull-down', () => {
    const unit = createFusedUnit({ fn: 'relu', bits: 4, cell });
    const text = renderUnit(unit, { inputs: [1, 2] });
    const k = unit.rows.length;
    expect(text).toMatch(/^Xr0 sl dl ml0 vdd fm_cell_hi /m);
    expect(text).toMatch(new RegExp(`^Xr${k - 1} sl dl ml${k - 1} vdd fm_cell_lo `, 'm'));
    expect(text.match(/^Xc\d+ /gm)!.length).toBe(2);
    // encoder codes in row order
    const enc = /^Benc code 0 V = (.*)$/m.exec(text)![1]!;
    const codes = [...enc.matchAll(/\? (\d+) :/g)].map((m) => Number(m[1]));
    expect(codes).toEqual(unit.rows.map((r) => r.code));
  });
});

describe('fusemix netlist (CLI)', () => {
  const cli = (args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: PACKAGE_ROOT, encoding: 'utf8' });

  it('prints to stdout without -o and writes the same bytes atomically with -o', () => {
    const out = cli(['netlist', 'testbench', '--kind', 'dc']);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(readFileSync(join(PACKAGE_ROOT, 'netlists/tb-dc.cir'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-netlist-'));
    const file = join(dir, 'mc.cir');
    execFileSync('npx', ['tsx', 'src/cli/main.ts', 'netlist', 'testbench', '--kind', 'mc', '--seed', '1', '--samples', '100', '-o', file, '--quiet'], { cwd: PACKAGE_ROOT });
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(PACKAGE_ROOT, 'netlists/tb-mc.cir'), 'utf8'));
  });

  it('rejects a bad wall position with exit code 2', () => {
    const out = cli(['netlist', 'cell', '--f-lo', '1.5']);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/--f-lo/);
  });
});
