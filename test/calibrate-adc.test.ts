import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { calibrateAdc, writeCalibration } from '../src/calibrate/index.ts';
import { adcEnergyPerConversion, adcParamsOf } from '../src/devices/adc.ts';
import { loadPreset } from '../src/devices/preset.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fm-cal-adc-'));
function write(dir: string, text: string): string {
  const p = join(dir, 'adc.csv');
  writeFileSync(p, text);
  return p;
}

/** converters with log-normal scatter (relative sigma ~ sig) around an energy law */
function csv(seed: number, law: (n: number, fs: number) => number, sig = 0.1, power = false): string {
  const rng = stream(seed, 'adc');
  let s = power ? 'bits,sample rate[GHz],power[mW]\n' : 'bits,sample_rate[GHz],energy[pJ]\n';
  for (let rep = 0; rep < 3; rep++) {
    for (const n of [4, 5, 6, 7, 8, 9, 10]) {
      const fs = [0.5, 1, 2][rep]!;
      const e = law(n, fs * 1e9) * Math.exp(rng.normal(0, sig));
      s += `${n},${fs},${power ? (e * fs * 1e9 * 1e3).toPrecision(8) : (e * 1e12).toPrecision(8)}\n`;
    }
  }
  return s;
}

/** Murmann frontier written out independently (Accelergy ADC model constants, docs/reference.md). */
function frontier(n: number, fs: number): number {
  const fom = Math.min(180.14, 302.74 - 6.4608 * Math.log(fs));
  return 1 / (2 * 10 ** ((fom - (6.02 * n + 1.76)) / 10));
}

describe('calibrate adc', () => {
  it('sar-linear: recovers the energy per bit within 3 sigma and writes a preset that reproduces it', () => {
    const eb = 0.185e-12;
    const dir = tmp();
    const out = join(dir, 'o', 'adc.json');
    const c = calibrateAdc({ data: write(dir, csv(1, (n) => eb * n)), out });
    const p = c.fit.params.energyPerBit!;
    expect(Math.abs(p.value - eb)).toBeLessThan(3 * p.uncertainty);
    expect(p.uncertainty / eb).toBeLessThan(0.05);
    writeCalibration(c);
    const pre = adcParamsOf(loadPreset(out, 'adc'));
    expect(pre.energyModel).toBe('sar-linear');
    expect(adcEnergyPerConversion(pre).total / (p.value * pre.bits)).toBeCloseTo(1, 8);
  });

  it('flash: recovers comparator and encoder energies from power data', () => {
    const cmp = 40e-15;
    const enc = 30e-15;
    const dir = tmp();
    const out = join(dir, 'f.json');
    const c = calibrateAdc({ data: write(dir, csv(2, (n) => cmp * (2 ** n - 1) + enc * n, 0.03, true)), model: 'flash', out });
    const f = c.fit.params;
    expect(Math.abs(f.comparatorEnergy!.value - cmp)).toBeLessThan(3 * f.comparatorEnergy!.uncertainty);
    expect(Math.abs(f.encoderEnergyPerBit!.value - enc)).toBeLessThan(3 * f.encoderEnergyPerBit!.uncertainty);
    writeCalibration(c);
    const pre = adcParamsOf(loadPreset(out, 'adc'));
    const e = adcEnergyPerConversion({ ...pre, bits: 6 }).total;
    expect(e / c.fit.energyAt(6, 1e9)).toBeCloseTo(1, 8);
  });

  it('walden: E = k 2^N, written as a flash preset exact at the base resolution', () => {
    const k = 2e-15;
    const dir = tmp();
    const out = join(dir, 'w.json');
    const c = calibrateAdc({ data: write(dir, csv(3, (n) => k * 2 ** n)), model: 'walden', out });
    const w = c.fit.params.waldenFom!;
    expect(Math.abs(w.value - k)).toBeLessThan(3 * w.uncertainty);
    writeCalibration(c);
    const pre = adcParamsOf(loadPreset(out, 'adc'));
    expect(adcEnergyPerConversion(pre).total / (w.value * 2 ** pre.bits)).toBeCloseTo(1, 9);
  });

  it('murmann: recovers the offset above the survey frontier (report only, no preset)', () => {
    const dir = tmp();
    const c = calibrateAdc({ data: write(dir, csv(4, (n, fs) => frontier(n, fs) * 10 ** (6 / 10))), model: 'murmann', out: join(dir, 'm.json') });
    const d = c.fit.params.frontierOffsetDb!;
    expect(Math.abs(d.value - 6)).toBeLessThan(3 * d.uncertainty);
    expect(c.presets).toHaveLength(0);
    writeCalibration(c);
    expect(readdirSync(dir)).toEqual(['adc.csv']);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['missing energy/power', 'bits,fs\n8,1e9\n', /missing column: expected the energy per conversion or the power/],
    ['missing sample rate', 'bits,energy\n8,1e-12\n', /missing column: expected the sample rate/],
    ['fractional bits', 'bits,fs,energy\n8.5,1e9,1e-12\n', /row 2, column 'bits': expected an integer/],
    ['negative energy', 'bits,fs,energy\n8,1e9,-1e-12\n', /row 2, column 'energy'.*non-physical/],
    ['NaN', 'bits,fs,energy\n8,1e9,1e-12\n7,NaN,1e-12\n', /row 3, column 'fs'/],
    ['too few points', 'bits,fs,energy\n8,1e9,1e-12\n', /too few points/],
  ];
  for (const [what, text, re] of bad) {
    it(`bad data (${what}) is a DataError and writes nothing`, () => {
      const dir = tmp();
      let err: unknown;
      try {
        writeCalibration(calibrateAdc({ data: write(dir, text), out: join(dir, 'o', 'a.json') }), { plot: join(dir, 'o', 'a.svg') });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(re);
      expect(readdirSync(dir)).toEqual(['adc.csv']);
    });
  }
});
