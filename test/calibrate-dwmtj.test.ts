import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { calibrateDwmtj, writeCalibration } from '../src/calibrate/index.ts';
import { type DwmtjParams, dwmtjConductance } from '../src/devices/dwmtj.ts';
import { loadPreset } from '../src/devices/preset.ts';

const RP = 5000;
const RAP = 13500;
/** parallel-area law written out independently */
const rOf = (f: number) => 1 / ((1 - f) / RP + f / RAP);
const NOTCHES = [0.12, 0.37, 0.55, 0.81];

const tmp = () => mkdtempSync(join(tmpdir(), 'fm-cal-dw-'));
function write(dir: string, text: string): string {
  const p = join(dir, 'r.csv');
  writeFileSync(p, text);
  return p;
}

function positionCsv(seed: number, sigma = 30): string {
  const rng = stream(seed, 'dw-pos');
  let s = 'position,resistance[kohm]\n';
  for (let i = 0; i <= 20; i++) s += `${i / 20},${((rOf(i / 20) + rng.normal(0, sigma)) / 1e3).toFixed(7)}\n`;
  return s;
}

function notchCsv(seed: number, withRefs = true, sigma = 30, reads = 6): string {
  const rng = stream(seed, 'dw-notch');
  let s = 'notch,resistance[ohm]\n';
  for (let r = 0; r < reads; r++) {
    if (withRefs) {
      s += `P,${(RP + rng.normal(0, sigma)).toFixed(3)}\n`;
      s += `AP,${(RAP + rng.normal(0, sigma)).toFixed(3)}\n`;
    }
    NOTCHES.forEach((f, k) => (s += `${k + 1},${(rOf(f) + rng.normal(0, sigma)).toFixed(3)}\n`));
  }
  return s;
}

describe('calibrate dwmtj', () => {
  it('recovers R_P and R_AP (and TMR0) from position data within 3 sigma', () => {
    for (const seed of [1, 2]) {
      const dir = tmp();
      const c = calibrateDwmtj({ data: write(dir, positionCsv(seed)), out: join(dir, 'p.json') });
      const f = c.fit;
      expect(Math.abs(f.rp.value - RP)).toBeLessThan(3 * f.rp.uncertainty);
      expect(Math.abs(f.rap.value - RAP)).toBeLessThan(3 * f.rap.uncertainty);
      expect(Math.abs(f.tmr0.value - (RAP / RP - 1))).toBeLessThan(3 * f.tmr0.uncertainty);
      expect(f.notches).toBeUndefined();
    }
  });

  it('recovers notch positions from notch-index data with P/AP reference reads, within 3 sigma', () => {
    for (const seed of [3, 4]) {
      const dir = tmp();
      const c = calibrateDwmtj({ data: write(dir, notchCsv(seed)), out: join(dir, 'p.json') });
      const f = c.fit;
      expect(f.notchIndex).toEqual([1, 2, 3, 4]);
      f.notches!.forEach((n, k) => expect(Math.abs(n.value - NOTCHES[k]!)).toBeLessThan(3 * n.uncertainty));
      expect(Math.abs(f.rp.value - RP)).toBeLessThan(3 * f.rp.uncertainty);
      // the position is the law inverted at the fitted R_P, R_AP for the notch's mean reading
      const rows = notchCsv(seed).trim().split('\n').slice(1).filter((l) => l.startsWith('2,'));
      const mean = rows.reduce((s, l) => s + Number(l.split(',')[1]), 0) / rows.length;
      const inv = (1 / f.rp.value - 1 / mean) / (1 / f.rp.value - 1 / f.rap.value);
      expect(f.notches![1]!.value).toBeCloseTo(inv, 6);
    }
  });

  it('with ends, takes the lowest notch as f = 0 and the highest as f = 1', () => {
    const dir = tmp();
    let s = 'notch,resistance\n';
    const rng = stream(8, 'ends');
    for (let r = 0; r < 5; r++) [0, ...NOTCHES, 1].forEach((f, k) => (s += `${k},${(rOf(f) + rng.normal(0, 20)).toFixed(3)}\n`));
    const c = calibrateDwmtj({ data: write(dir, s), ends: true });
    const f = c.fit;
    expect(f.notches!.map((n) => n.value).slice(0, 1)).toEqual([0]);
    expect(f.notches![5]!.value).toBe(1);
    f.notches!.slice(1, 5).forEach((n, k) => expect(Math.abs(n.value - NOTCHES[k]!)).toBeLessThan(3 * n.uncertainty));
  });

  it('writes a dwmtj preset (base fields and sources kept) that loads and reproduces the data', () => {
    const dir = tmp();
    const text = notchCsv(6);
    const data = write(dir, text);
    const out = join(dir, 'o', 'dw.json');
    writeCalibration(calibrateDwmtj({ data, out, name: 'dw-fit' }));
    const p = loadPreset(out, 'dwmtj');
    const base = loadPreset('dwmtj-pt-projected', 'dwmtj');
    const q = p.params as unknown as DwmtjParams;
    expect(p.sources.trackLength).toBe(base.sources.trackLength);
    expect(q.area).toBe((base.params as unknown as DwmtjParams).area);
    expect(p.sources.notches).toMatch(/^fitted to /);
    expect(q.notches).toHaveLength(4);
    // reproduce: the preset's zero-bias conductance at each fitted notch gives that notch's mean reading
    const lines = text.trim().split('\n').slice(1);
    for (let k = 1; k <= 4; k++) {
      const rs = lines.filter((l) => l.startsWith(`${k},`)).map((l) => Number(l.split(',')[1]));
      const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
      expect(1 / dwmtjConductance(q, q.notches[k - 1]!, 0)).toBeCloseTo(mean, 2);
    }
    expect(1 / dwmtjConductance(q, 1, 0)).toBeGreaterThan(RAP - 100);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['missing position/notch', 'x,resistance\n1,2\n', /missing column: expected the wall position/],
    ['position out of range', 'position,resistance\n0,5000\n1.5,9000\n', /row 3, column 'position'.*\[0, 1\]/],
    ['non-numeric', 'position,resistance\n0,5000\n0.5,-\n', /row 3, column 'resistance'.*"-"/],
    ['notch without references', 'notch,resistance\n1,6000\n2,7000\n1,6010\n', /reference rows/],
    ['bad notch label', 'notch,resistance\nP,5000\nX,7000\n', /row 3, column 'notch'/],
    ['too few points', 'notch,resistance\nP,5000\nAP,13000\n1,7000\n', /too few points/],
    ['R_AP below R_P', 'position,resistance\n0,5000\n0.5,4500\n1,4000\n0,5001\n', /non-physical fit result: R_AP/],
  ];
  for (const [what, text, re] of bad) {
    it(`bad data (${what}) is a DataError and writes nothing`, () => {
      const dir = tmp();
      const data = write(dir, text);
      let err: unknown;
      try {
        writeCalibration(calibrateDwmtj({ data, out: join(dir, 'o', 'p.json') }), { plot: join(dir, 'o', 'p.svg') });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(re);
      expect(readdirSync(dir)).toEqual(['r.csv']);
    });
  }
});
