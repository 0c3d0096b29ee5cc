import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { formatSpice, parseQuantity } from '../src/core/units.ts';

describe('units', () => {
  it('parses quantities with units into SI', () => {
    expect(parseQuantity('2.5 kohm', 'resistance')).toBeCloseTo(2500, 9);
    expect(parseQuantity('10 fF', 'capacitance')).toBe(1e-14);
    expect(parseQuantity('300 mV', 'voltage')).toBeCloseTo(0.3, 15);
    expect(parseQuantity('29 ohm*um^2', 'resistance-area')).toBeCloseTo(29e-12, 20);
    expect(parseQuantity('3e10 A/m^2', 'current-density')).toBe(3e10);
    expect(parseQuantity('20 uohm*cm', 'resistivity')).toBeCloseTo(20e-8, 20);
    expect(parseQuantity('300 uA/V^2', 'transconductance')).toBeCloseTo(300e-6, 18);
    expect(parseQuantity(1.5, 'voltage')).toBe(1.5);
    expect(parseQuantity('0.25', 'voltage')).toBe(0.25);
  });
  it('parses SPICE suffixes, percent, dB and dBm', () => {
    expect(parseQuantity('2.5k', 'resistance')).toBe(2500);
    expect(parseQuantity('1meg', 'resistance')).toBe(1e6);
    expect(parseQuantity('10f', 'capacitance')).toBeCloseTo(1e-14, 28);
    expect(parseQuantity('5 %', 'dimensionless')).toBe(0.05);
    expect(parseQuantity('0.99 dB', 'decibel')).toBe(0.99);
    expect(parseQuantity('-25 dBm', 'power')).toBeCloseTo(1e-3 * 10 ** -2.5, 15);
  });
  it('rejects the wrong dimension with a ConfigError naming the field', () => {
    expect(() => parseQuantity('10 fF', 'resistance', { file: 'x.json', field: 'params.rp.value' })).toThrow(ConfigError);
    try {
      parseQuantity('10 fF', 'resistance', { file: 'x.json', field: 'params.rp.value' });
    } catch (e) {
      expect((e as Error).message).toContain('x.json');
      expect((e as Error).message).toContain('params.rp.value');
      expect((e as Error).message).toContain('resistance');
    }
    expect(() => parseQuantity('abc', 'voltage')).toThrow(ConfigError);
    expect(() => parseQuantity(Number.NaN, 'voltage')).toThrow(ConfigError);
    expect(() => parseQuantity(true, 'voltage')).toThrow(ConfigError);
  });
  it('formats SPICE suffixes', () => {
    expect(formatSpice(2500)).toBe('2.5k');
    expect(formatSpice(1e-14)).toBe('10f');
    expect(formatSpice(1e6)).toBe('1meg');
    expect(formatSpice(0.3)).toBe('300m');
    expect(formatSpice(-4.7e-9)).toBe('-4.7n');
    expect(formatSpice(0)).toBe('0');
    expect(formatSpice(1)).toBe('1');
    expect(formatSpice(3e12)).toBe('3t');
  });
  it('round-trips numbers through formatSpice and parseQuantity', () => {
    const r = stream(7, 'roundtrip');
    for (let i = 0; i < 2000; i++) {
      const x = (r.uniform() < 0.5 ? -1 : 1) * 10 ** r.uniformIn(-17, 14) * r.uniformIn(1, 9.99);
      const back = parseQuantity(formatSpice(x), 'dimensionless');
      expect(Math.abs(back - x) / Math.abs(x)).toBeLessThan(1e-9);
    }
    for (const s of ['2.5 kohm', '10 fF', '300 mV', '1 ns', '4.36 V']) {
      const dim = s.endsWith('ohm') ? 'resistance' : s.endsWith('F') ? 'capacitance' : s.endsWith('s') ? 'time' : 'voltage';
      const v = parseQuantity(s, dim);
      expect(parseQuantity(formatSpice(v), dim)).toBeCloseTo(v, 20);
    }
  });
});

describe('seeded streams', () => {
  it('gives the same numbers for the same seed and path', () => {
    const a = stream(42, 'mc', 3);
    const b = stream(42, 'mc', 3);
    for (let i = 0; i < 100; i++) expect(a.uniform()).toBe(b.uniform());
    const c = stream(42, 'mc', 3);
    const d = stream(42, 'mc', 3);
    for (let i = 0; i < 100; i++) expect(c.normal()).toBe(d.normal());
  });
  it('gives different streams for different seeds or names', () => {
    const xs = (s: ReturnType<typeof stream>) => Array.from({ length: 8 }, () => s.uniform());
    expect(xs(stream(1, 'a'))).not.toEqual(xs(stream(2, 'a')));
    expect(xs(stream(1, 'a'))).not.toEqual(xs(stream(1, 'b')));
    expect(xs(stream(1, 'a').child('x'))).not.toEqual(xs(stream(1, 'a').child('y')));
  });
  it('draws uniform and normal deviates with the right moments', () => {
    const r = stream(3, 'moments');
    const n = 200000;
    let s = 0;
    let s2 = 0;
    let u = 0;
    let uMin = 1;
    let uMax = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal(2, 0.5);
      s += x;
      s2 += x * x;
      const v = r.uniform();
      u += v;
      uMin = Math.min(uMin, v);
      uMax = Math.max(uMax, v);
    }
    const mean = s / n;
    const sd = Math.sqrt(s2 / n - mean * mean);
    expect(Math.abs(mean - 2)).toBeLessThan(5 * (0.5 / Math.sqrt(n)));
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(u / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(uMin).toBeGreaterThanOrEqual(0);
    expect(uMax).toBeLessThan(1);
  });
});
