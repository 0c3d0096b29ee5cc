import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import {
  pdCurrent,
  pdDetect,
  pdNoiseSigma,
  pdOutputVoltage,
  pdTiaPower,
  type PdTiaParams,
  shotNoiseSigma,
  thermalNoiseSigma,
} from '../src/devices/photodetector.ts';
import { loadPreset, presetFromValues } from '../src/devices/preset.ts';

const q = 1.602176634e-19;
const kB = 1.380649e-23;

describe('photodetector + TIA (pd-tia)', () => {
  const p = loadPreset('pd-tia-default', 'pd-tia').params as PdTiaParams;

  it('the preset carries the reference figures in SI', () => {
    expect(p.responsivity).toBe(1);
    expect(p.sensitivity).toBeCloseTo(3.1622776601683795e-6, 18); // -25 dBm
    expect(p.pdPower).toBeCloseTo(1.1e-3, 15);
    expect(p.tiaPower).toBeCloseTo(3e-3, 15);
    expect(pdTiaPower(p)).toBeCloseTo(4.1e-3, 15);
  });

  it('optical power to current and voltage: V = G (R P + I_dark)', () => {
    for (const P of [0, 1e-6, 3.2e-6, 1e-4]) {
      expect(pdCurrent(p, P)).toBeCloseTo(1 * P + 10e-9, 18);
      expect(pdOutputVoltage(p, P)).toBeCloseTo(1e4 * (P + 10e-9), 12);
    }
  });

  it('shot and thermal noise follow sqrt(2 q I B) and sqrt(4 k T B / G)', () => {
    const I = 2e-6;
    expect(shotNoiseSigma(p, I)).toBeCloseTo(Math.sqrt(2 * q * I * 5e9), 18);
    expect(thermalNoiseSigma(p)).toBeCloseTo(Math.sqrt((4 * kB * 300 * 5e9) / 1e4), 18);
    const withTia = presetFromValues('pd-tia', { ...p, tiaNoiseDensity: 5e-12 }).params as PdTiaParams;
    expect(thermalNoiseSigma(withTia)).toBeCloseTo(Math.sqrt((4 * kB * 300 * 5e9) / 1e4 + 25e-24 * 5e9), 18);
  });

  it('seeded noisy readings have the closed-form mean and standard deviation', () => {
    const P = 5e-6;
    const I = P + 10e-9;
    const n = 20000;
    for (const noise of [{ shot: true }, { thermal: true }, { shot: true, thermal: true }]) {
      const v = pdDetect(p, new Float64Array(n).fill(P), stream(3, 'pd', JSON.stringify(noise)), noise);
      const mean = v.reduce((s, x) => s + x, 0) / n;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
      const sigI = Math.sqrt((noise.shot ? 2 * q * I * 5e9 : 0) + ('thermal' in noise && noise.thermal ? (4 * kB * 300 * 5e9) / 1e4 : 0));
      expect(sd / (1e4 * sigI)).toBeGreaterThan(0.97);
      expect(sd / (1e4 * sigI)).toBeLessThan(1.03);
      expect(Math.abs(mean - 1e4 * I)).toBeLessThan((4 * 1e4 * sigI) / Math.sqrt(n));
      expect(pdNoiseSigma(p, I, noise)).toBeCloseTo(sigI, 18);
    }
  });

  it('noise-free batch equals the scalar path; the same seed repeats', () => {
    const P = Float64Array.of(0, 1e-6, 2e-5);
    const v = pdDetect(p, P);
    P.forEach((x, i) => expect(v[i]).toBeCloseTo(pdOutputVoltage(p, x), 15));
    const a = pdDetect(p, P, stream(1, 'x'));
    const b = pdDetect(p, P, stream(1, 'x'));
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
