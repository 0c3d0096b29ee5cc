import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { sha256 } from '../src/core/io.ts';
import { stream } from '../src/core/rng.ts';
import { calibrateMtj, writeCalibration } from '../src/calibrate/index.ts';
import { loadPreset } from '../src/devices/preset.ts';
import { type MtjParams, mtjCurrent, mtjResistance } from '../src/devices/mtj.ts';
import { runCli } from './helpers/cli.ts';

const TRUE = { rp: 5000, tmr0: 1.71, vh: 0.5 };
/** The closed-form law, written out here independently of the code under test. */
const rTrue = (v: number, ap: boolean) => (ap ? TRUE.rp * (1 + TRUE.tmr0 / (1 + (v / TRUE.vh) ** 2)) : TRUE.rp);

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fm-cal-mtj-'));
}

function resistanceCsv(seed: number, sigma = 20): string {
  const rng = stream(seed, 'mtj-r');
  let s = 'voltage[mV],resistance[kohm],state\n';
  for (const st of ['P', 'AP']) {
    for (let v = -600; v <= 600; v += 40) s += `${v},${((rTrue(v / 1000, st === 'AP') + rng.normal(0, sigma)) / 1000).toFixed(7)},${st}\n`;
  }
  return s;
}

function currentCsv(seed: number, sigma = 0.2e-6): string {
  const rng = stream(seed, 'mtj-i');
  let s = 'state,voltage,current[uA]\n';
  for (const st of ['P', 'AP']) {
    for (let v = 0.05; v <= 0.8001; v += 0.025) s += `${st},${v.toFixed(3)},${((v / rTrue(v, st === 'AP') + rng.normal(0, sigma)) * 1e6).toFixed(6)}\n`;
  }
  return s;
}

function write(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('calibrate mtj', () => {
  it('recovers R_P, TMR0 and V_h from noisy R-V data within 3 sigma, with sane statistics', () => {
    for (const seed of [1, 2, 3]) {
      const dir = tmp();
      const c = calibrateMtj({ data: write(dir, 'iv.csv', resistanceCsv(seed)), out: join(dir, 'p.json') });
      const f = c.fit;
      expect(Math.abs(f.rp.value - TRUE.rp)).toBeLessThan(3 * f.rp.uncertainty);
      expect(Math.abs(f.tmr0.value - TRUE.tmr0)).toBeLessThan(3 * f.tmr0.uncertainty);
      expect(Math.abs(f.vh.value - TRUE.vh)).toBeLessThan(3 * f.vh.uncertainty);
      expect(f.stats.points).toBe(62);
      // residual RMS estimates the 20 ohm noise
      expect(f.stats.rms).toBeGreaterThan(14);
      expect(f.stats.rms).toBeLessThan(26);
      expect(f.stats.r2).toBeGreaterThan(0.999);
    }
  });

  it('fits current data in the current domain and reports RA with the area', () => {
    const dir = tmp();
    const c = calibrateMtj({ data: write(dir, 'i.csv', currentCsv(5)), area: '0.0058um^2' });
    const f = c.fit;
    expect(f.stats.rmsUnit).toBe('A');
    expect(Math.abs(f.rp.value - TRUE.rp)).toBeLessThan(3 * f.rp.uncertainty);
    expect(Math.abs(f.tmr0.value - TRUE.tmr0)).toBeLessThan(3 * f.tmr0.uncertainty);
    expect(Math.abs(f.vh.value - TRUE.vh)).toBeLessThan(3 * f.vh.uncertainty);
    expect(f.ra!.value).toBeCloseTo(f.rp.value * 0.0058e-12, 20);
  });

  it('writes a preset that loads with the device library and reproduces the data', () => {
    const dir = tmp();
    const text = resistanceCsv(9);
    const data = write(dir, 'iv.csv', text);
    const out = join(dir, 'out', 'mtj-fit.json');
    const c = calibrateMtj({ data, out, name: 'mtj-fit', area: '0.0058 um^2' });
    const written = writeCalibration(c, { plot: join(dir, 'out', 'fit.svg') });
    expect(written).toEqual([out, join(dir, 'out', 'fit.svg')]);
    const p = loadPreset(out, 'mtj');
    const params = p.params as unknown as MtjParams;
    expect(p.name).toBe('mtj-fit');
    expect(p.sources.tmr0).toBe(`fitted to ${data}`);
    expect(p.sources.vh).toBe(`fitted to ${data}`);
    const fit = p.fit as Record<string, unknown>;
    expect(fit.sha256).toBe(sha256(text));
    expect(fit.points).toBe(62);
    expect(typeof fit.date).toBe('string');
    expect(Number.isNaN(Date.parse(fit.date as string))).toBe(false);
    expect((fit.params as Record<string, { uncertainty: number }>).rp!.uncertainty).toBeGreaterThan(0);
    // the loaded preset reproduces the measured points to the noise level (20 ohm)
    let ss = 0;
    let n = 0;
    for (const line of text.trim().split('\n').slice(1)) {
      const [v, r, st] = line.split(',');
      const model = mtjResistance(params, st as 'P' | 'AP', Number(v) / 1000);
      ss += (model - Number(r) * 1000) ** 2;
      n++;
    }
    expect(Math.sqrt(ss / n)).toBeLessThan(26);
    // and the law itself is within a few sigma of the truth at 0.3 V
    expect(Math.abs(mtjCurrent(params, 'AP', 0.3) - 0.3 / rTrue(0.3, true))).toBeLessThan(1e-7);
    expect(readFileSync(join(dir, 'out', 'fit.svg'), 'utf8')).toMatch(/^<svg[\s\S]*AP fit[\s\S]*<\/svg>\n$/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['missing column', 'voltage,state\n0.1,P\n', /missing column: expected a resistance or a current column/],
    ['missing state', 'voltage,resistance\n0.1,5000\n', /missing column: expected 'state'/],
    ['non-numeric cell', 'voltage,resistance,state\n0.1,5000,P\n0.2,five,AP\n', /row 3, column 'resistance': expected a finite number, got "five"/],
    ['NaN cell', 'voltage,resistance,state\n0.1,NaN,P\n', /row 2, column 'resistance'.*"NaN"/],
    ['bad state', 'voltage,resistance,state\n0.1,5000,X\n', /row 2, column 'state'/],
    ['too few points', 'voltage,resistance,state\n0.1,5000,P\n0.1,13000,AP\n0.2,12000,AP\n', /too few points/],
    ['negative resistance', 'voltage,resistance,state\n0.1,5000,P\n0.2,-13000,AP\n', /row 3.*non-physical/],
    ['wrong-sign current', 'voltage,current,state\n0.1,2e-5,P\n0.2,-1e-5,AP\n', /row 3.*non-positive resistance/],
    ['no AP rows', 'voltage,resistance,state\n' + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((v) => `${v},5000,P`).join('\n'), /no AP rows/],
    [
      'non-physical fit (AP below P)',
      'voltage,resistance,state\n' + [0, 0.1, 0.2, 0.3, 0.4, 0.5].flatMap((v) => [`${v},5000,P`, `${v},${4000 - 1000 / (1 + (v / 0.3) ** 2)},AP`]).join('\n'),
      /non-physical fit result: TMR0/,
    ],
  ];
  for (const [what, text, re] of bad) {
    it(`bad data (${what}) is a DataError and writes nothing`, () => {
      const dir = tmp();
      const data = write(join(dir), 'bad.csv', text);
      const outDir = join(dir, 'out');
      let err: unknown;
      try {
        const c = calibrateMtj({ data, out: join(outDir, 'p.json') });
        writeCalibration(c, { plot: join(outDir, 'p.svg') });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message.startsWith(`${data}: `)).toBe(true);
      expect(readdirSync(dir)).toEqual(['bad.csv']);
    });
  }

  it('CLI: writes the preset and --json gives rp, tmr0, vh in SI; bad data exits 2 with nothing written', () => {
    const dir = tmp();
    const data = write(dir, 'iv.csv', resistanceCsv(4));
    const out = join(dir, 'out', 'm.json');
    const r = runCli(['calibrate', 'mtj', '--data', data, '--out', out, '--json', '--plot', join(dir, 'out', 'm.svg')]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { params: Record<string, { value: number; uncertainty: number }>; written: string[] };
    expect(Object.keys(j.params)).toEqual(['rp', 'tmr0', 'vh']);
    expect(Math.abs(j.params.rp!.value - TRUE.rp)).toBeLessThan(3 * j.params.rp!.uncertainty);
    expect(Math.abs(j.params.vh!.value - TRUE.vh)).toBeLessThan(3 * j.params.vh!.uncertainty);
    expect(j.written).toEqual([out, join(dir, 'out', 'm.svg')]);
    expect(loadPreset(out, 'mtj').name).toBe('mtj-iv');
    // refuses to overwrite without --force
    expect(runCli(['calibrate', 'mtj', '--data', data, '--out', out]).code).toBe(2);
    const badDir = tmp();
    const badData = write(badDir, 'b.csv', 'voltage,resistance,state\n0.1,x,P\n');
    const rb = runCli(['calibrate', 'mtj', '--data', badData, '--out', join(badDir, 'o', 'p.json'), '--plot', join(badDir, 'o', 'p.svg')]);
    expect(rb.code).toBe(2);
    expect(rb.stderr).toMatch(/b\.csv: row 2, column 'resistance'/);
    expect(readdirSync(badDir)).toEqual(['b.csv']);
  });
});
