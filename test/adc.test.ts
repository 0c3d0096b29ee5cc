import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import {
  type AdcParams,
  adcCodeToVoltage,
  adcEnergyPerConversion,
  adcNoiseSigma,
  adcParamsOf,
  adcPower,
  adcQuantise,
  adcQuantiseBatch,
  murmannEnergy,
  murmannFomS,
  schreierFom,
  waldenFom,
} from '../src/devices/adc.ts';
import { loadPreset, parsePreset, presetFromValues } from '../src/devices/preset.ts';

/** the largest double below x */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = x > 0 ? i[0]! - 1n : i[0]! + 1n;
  return b[0]!;
}
function nextUp(x: number): number {
  return -nextDown(-x);
}

function adc(values: Record<string, unknown>): AdcParams {
  return adcParamsOf(
    presetFromValues('adc', { sampleRate: 1e9, energyModel: 'sar-linear', energyPerBit: 1e-13, ...values }),
  );
}

describe('ADC quantiser', () => {
  it('changes code exactly at the bin edges vmin + k*LSB (dyadic range)', () => {
    const p = adc({ bits: 3, vmin: -1, vmax: 1 }); // LSB = 0.25
    for (let k = 1; k < 8; k++) {
      const e = -1 + k * 0.25;
      expect(adcQuantise(p, e)).toBe(k);
      expect(adcQuantise(p, nextDown(e))).toBe(k - 1);
      expect(adcQuantise(p, nextUp(e))).toBe(k);
    }
  });

  it('changes code exactly at the edge doubles for a non-dyadic range', () => {
    const p = adc({ bits: 5, vmin: 0.1, vmax: 0.9 }); // LSB = 0.8 / 32 = 0.025
    for (let k = 1; k < 32; k++) {
      const e = 0.1 + k * (0.8 / 32);
      expect(adcQuantise(p, e)).toBe(k);
      expect(adcQuantise(p, nextDown(e))).toBe(k - 1);
      expect(adcQuantise(p, e + 1e-12)).toBe(k);
    }
  });

  it('clamps below vmin and at/above vmax', () => {
    const p = adc({ bits: 3, vmin: -1, vmax: 1 });
    expect(adcQuantise(p, -5)).toBe(0);
    expect(adcQuantise(p, nextDown(-1))).toBe(0);
    expect(adcQuantise(p, -1)).toBe(0);
    expect(adcQuantise(p, nextDown(1))).toBe(7);
    expect(adcQuantise(p, 1)).toBe(7);
    expect(adcQuantise(p, 1e9)).toBe(7);
    expect(adcQuantise(p, Number.NaN)).toBeNaN();
  });

  it('bin-centre reconstruction', () => {
    const p = adc({ bits: 3, vmin: -1, vmax: 1 });
    expect(adcCodeToVoltage(p, 0)).toBeCloseTo(-0.875, 15);
    expect(adcCodeToVoltage(p, 7)).toBeCloseTo(0.875, 15);
  });

  it('offset shifts every edge down by the offset', () => {
    const p = adc({ bits: 3, vmin: 0, vmax: 1, offset: 0.03 }); // LSB 0.125
    // edge k at k*0.125 - 0.03: 0.095, 0.22, 0.345, ...
    const edges = [0.095, 0.22, 0.345, 0.47, 0.595, 0.72, 0.845];
    edges.forEach((e, i) => {
      expect(adcQuantise(p, e - 1e-9)).toBe(i);
      expect(adcQuantise(p, e + 1e-9)).toBe(i + 1);
    });
  });

  it('gain error and offset move the edges to vmin + (k LSB - offset) / (1 + g)', () => {
    const p = adc({ bits: 3, vmin: 0.2, vmax: 1.0, offset: -0.01, gainError: 0.05 }); // LSB 0.1
    // by hand: e_k = 0.2 + (0.1k + 0.01) / 1.05
    const edges = [0.30476190476190477, 0.4, 0.4952380952380952, 0.5904761904761905, 0.6857142857142857, 0.780952380952381, 0.8761904761904762];
    edges.forEach((e, i) => {
      expect(adcQuantise(p, e - 1e-9)).toBe(i);
      expect(adcQuantise(p, e + 1e-9)).toBe(i + 1);
    });
  });

  it('batch quantisation matches the scalar one', () => {
    const p = adc({ bits: 6, vmin: -0.4, vmax: 0.7, offset: 0.002, gainError: -0.01 });
    const vs = new Float64Array(2001);
    for (let i = 0; i < vs.length; i++) vs[i] = -0.6 + i * 0.000731;
    const codes = adcQuantiseBatch(p, vs);
    for (let i = 0; i < vs.length; i++) expect(codes[i]).toBe(adcQuantise(p, vs[i]!));
    const f = adcQuantiseBatch(p, vs, new Float64Array(vs.length));
    expect(Array.from(f)).toEqual(Array.from(codes));
  });
});

describe('ADC noise from ENOB', () => {
  it('sigma = LSB sqrt(2^(2(N-ENOB)) - 1) / sqrt 12', () => {
    const p = adc({ bits: 8, vmin: 0, vmax: 1, enob: 6 });
    // LSB = 1/256 = 0.00390625; 2^(2*2) - 1 = 15; sqrt(15/12) = 1.118033988749895
    expect(adcNoiseSigma(p)).toBeCloseTo(0.00390625 * 1.118033988749895, 15);
    expect(adcNoiseSigma(adc({ bits: 8, vmin: 0, vmax: 1 }))).toBe(0);
    expect(adcNoiseSigma(adc({ bits: 8, vmin: 0, vmax: 1, enob: 8 }))).toBe(0);
  });

  it('total conversion error equals that of an ideal ENOB-bit quantiser (seeded)', () => {
    const p = adc({ bits: 8, vmin: 0, vmax: 1, enob: 5.5 });
    const rng = stream(42, 'adc-noise-test');
    const n = 100000;
    const vs = new Float64Array(n);
    rng.child('inputs').fillUniform(vs, 0.2, 0.8); // away from the clamps
    const codes = adcQuantiseBatch(p, vs, undefined, rng.child('noise'));
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const e = adcCodeToVoltage(p, codes[i]!) - vs[i]!;
      s2 += e * e;
    }
    const rms = Math.sqrt(s2 / n);
    // ideal 5.5-bit quantiser over 1 V: LSB' = 2^-5.5, rms error LSB'/sqrt(12)
    const expected = 2 ** -5.5 / Math.sqrt(12);
    expect(Math.abs(rms / expected - 1)).toBeLessThan(0.02);
  });

  it('noise is reproducible with the same seed and absent without an Rng', () => {
    const p = adc({ bits: 8, vmin: 0, vmax: 1, enob: 6 });
    const vs = new Float64Array(500).fill(0.5 + 0.5 / 256); // a bin centre
    const a = adcQuantiseBatch(p, vs, undefined, stream(7, 'x'));
    const b = adcQuantiseBatch(p, vs, undefined, stream(7, 'x'));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Set(a).size).toBeGreaterThan(3);
    const c = adcQuantiseBatch(p, vs);
    expect(new Set(c)).toEqual(new Set([128]));
    // scalar noise draws follow the same sequence
    const r = stream(7, 'x');
    for (let i = 0; i < 20; i++) expect(adcQuantise(p, vs[i]!, r)).toBe(a[i]);
  });
});

describe('ADC energy models', () => {
  it('sar-linear: the default preset is 8 x (14.8 mW / 10 GS/s / 8) = 1.48 pJ', () => {
    const p = adcParamsOf(loadPreset('adc-sar-default', 'adc'));
    const e = adcEnergyPerConversion(p);
    expect(e.model).toBe('sar-linear');
    expect(e.total / (8 * (14.8e-3 / 10e9 / 8)) - 1).toBeCloseTo(0, 12);
    expect(adcPower(p) / 14.8e-3 - 1).toBeCloseTo(0, 12);
  });

  it('murmann: 8 b at 1 GS/s from the frontier constants by hand (~0.64 pJ)', () => {
    // ln(1e9) = 20.723265836946411; FoM_S = 302.74 - 6.4608 * 20.723265836946411 = 168.8510...
    const fom = 302.74 - 6.4608 * 20.723265836946411;
    expect(fom).toBeLessThan(180.14);
    const sndr = 6.02 * 8 + 1.76; // 49.92 dB
    const expected = 1 / (2 * 10 ** ((fom - sndr) / 10));
    expect(expected).toBeGreaterThan(0.63e-12);
    expect(expected).toBeLessThan(0.65e-12);
    const p = adcParamsOf(loadPreset('adc-murmann', 'adc'));
    const e = adcEnergyPerConversion(p);
    expect(e.total / expected - 1).toBeCloseTo(0, 10);
    expect(e.items.floorExcess).toBe(0);
    expect(murmannFomS(1e9)).toBeCloseTo(fom, 10);
    // the frontier FoM caps at 180.14 dB at low rates: 302.74 - 6.4608 ln(1e6) = 213.5 > 180.14
    expect(murmannFomS(1e6)).toBe(180.14);
    // Schreier FoM of the frontier design reproduces FoM_S
    expect(schreierFom(sndr, 1e9, murmannEnergy(8, 1e9) * 1e9)).toBeCloseTo(fom, 9);
  });

  it('murmann: the energy floor applies at low resolution', () => {
    const base = loadPreset('adc-murmann', 'adc');
    const p = { ...adcParamsOf(base), bits: 2 };
    // frontier at 2 b, 1 GS/s: SNDR 13.8 dB -> 1/(2*10^((168.851-13.8)/10)) ~ 1.6e-16 J, below the 0.1 pJ floor
    const e = adcEnergyPerConversion(p);
    expect(e.items.frontier).toBeLessThan(1e-15);
    expect(e.total).toBeCloseTo(0.1e-12, 20);
    expect(e.items.frontier! + e.items.floorExcess!).toBeCloseTo(e.total, 25);
  });

  it('flash: 4 b = 15 comparators x E_cmp + 4 x encoder bit', () => {
    const p = adcParamsOf(loadPreset('adc-flash', 'adc'));
    const e = adcEnergyPerConversion(p);
    expect(e.items.comparators).toBeCloseTo(15 * 50e-15, 25);
    expect(e.items.encoder).toBeCloseTo(4 * 5e-15, 25);
    expect(e.total).toBeCloseTo(15 * 50e-15 + 4 * 5e-15, 25);
    const noEnc = { ...p, encoderEnergyPerBit: 0 };
    expect(adcEnergyPerConversion(noEnc).total).toBeCloseTo(15 * 50e-15, 25);
  });

  it('published points reproduce P / f_s per conversion', () => {
    const r = adcEnergyPerConversion(adcParamsOf(loadPreset('adc-ramkaj-2018', 'adc')));
    expect(Math.abs(r.total / (3.56e-3 / 1.25e9) - 1)).toBeLessThan(1e-5);
    const k = adcEnergyPerConversion(adcParamsOf(loadPreset('adc-kull-2013', 'adc')));
    expect(Math.abs(k.total / (3.1e-3 / 1.2e9) - 1)).toBeLessThan(1e-5);
  });

  it('Walden and Schreier FoM helpers', () => {
    expect(waldenFom(1e-3, 7, 1e9)).toBeCloseTo(1e-3 / (128 * 1e9), 25);
    // 50 + 10 log10(1e9 / 2e-3) = 50 + 116.98970004336019
    expect(schreierFom(50, 1e9, 1e-3)).toBeCloseTo(166.98970004336019, 10);
  });
});

describe('ADC configuration errors', () => {
  it('vmax must exceed vmin', () => {
    expect(() => adc({ bits: 4, vmin: 1, vmax: 1 })).toThrow(ConfigError);
  });
  it('the chosen energy model needs its constant', () => {
    const p = adcParamsOf(presetFromValues('adc', { bits: 4, vmin: 0, vmax: 1, sampleRate: 1e9, energyModel: 'flash' }));
    expect(() => adcEnergyPerConversion(p)).toThrow(/comparatorEnergy/);
  });
  it('unknown energy model and non-integer bits are rejected with the field named', () => {
    const env = (params: Record<string, unknown>) => ({
      name: 'x',
      kind: 'adc',
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { value: v, source: 'test' }])),
    });
    const good = { bits: 4, vmin: '0 V', vmax: '1 V', sampleRate: '1 GHz', energyModel: 'sar-linear', energyPerBit: '0.1 pJ' };
    expect(adcParamsOf(parsePreset(env(good), 'f.json', 'adc')).energyPerBit).toBeCloseTo(1e-13, 25);
    expect(() => parsePreset(env({ ...good, energyModel: 'pipeline' }), 'f.json', 'adc')).toThrow(/energyModel/);
    expect(() => parsePreset(env({ ...good, bits: 4.5 }), 'f.json', 'adc')).toThrow(/bits/);
  });
});
