import { describe, expect, it } from 'vitest';
import {
  dwmtjConductance,
  dwmtjReadCurrent,
  type DwmtjParams,
  loadPreset,
  mosfetCurrent,
  mosfetRegion,
  type MosfetParams,
  mtjCurrent,
  mtjResistance,
  type MtjParams,
  pulseFor,
  readSeriesResistance,
  snapToNotch,
  trackResistance,
  writePulse,
} from '../src/devices/index.ts';

const mtj = loadPreset('mtj-alamdar', 'mtj').params as unknown as MtjParams;
const nmos = loadPreset('nmos-level1', 'mosfet').params as unknown as MosfetParams;
const pmos = loadPreset('pmos-level1', 'mosfet').params as unknown as MosfetParams;
const dw = loadPreset('dwmtj-pt-projected', 'dwmtj').params as unknown as DwmtjParams;
const dw5 = loadPreset('dwmtj-pt-5notch-hi', 'dwmtj').params as unknown as DwmtjParams;

describe('MTJ', () => {
  const rp = 29e-12 / 0.0058e-12; // RA / area, by hand: 5 kohm
  it('R_P = RA / area and R_AP at V = 0 and V = V_h', () => {
    expect(mtjResistance(mtj, 'P', 0)).toBeCloseTo(rp, 6);
    expect(mtjResistance(mtj, 'P', 0.3)).toBeCloseTo(rp, 6);
    expect(mtjResistance(mtj, 'AP', 0)).toBeCloseTo(rp * (1 + 1.71), 6);
    // at V = V_h the TMR halves
    expect(mtjResistance(mtj, 'AP', 0.5)).toBeCloseTo(rp * (1 + 1.71 / 2), 6);
    expect(mtjResistance(mtj, 'AP', -0.5)).toBeCloseTo(rp * (1 + 1.71 / 2), 6);
  });
  it('I = V / R(V)', () => {
    expect(mtjCurrent(mtj, 'AP', 0.2)).toBeCloseTo(0.2 / (rp * (1 + 1.71 / (1 + 0.16))), 15);
    expect(mtjCurrent(mtj, 'P', -0.1)).toBeCloseTo(-0.1 / rp, 15);
  });
});

describe('level-1 MOSFET (hand-computed points)', () => {
  // KP 300 uA/V^2, VTO 0.35 V, W/L 1, LAMBDA 0
  it('cutoff, linear and saturation', () => {
    expect(mosfetCurrent(nmos, 0.3, 0.5)).toBe(0);
    expect(mosfetRegion(nmos, 0.3, 0.5)).toBe('cutoff');
    // linear: KP (Vov - Vds/2) Vds = 300e-6 * (0.45 - 0.05) * 0.1 = 12 uA
    expect(mosfetCurrent(nmos, 0.8, 0.1)).toBeCloseTo(12e-6, 15);
    expect(mosfetRegion(nmos, 0.8, 0.1)).toBe('linear');
    // saturation: KP/2 Vov^2 = 150e-6 * 0.45^2 = 30.375 uA
    expect(mosfetCurrent(nmos, 0.8, 0.8)).toBeCloseTo(30.375e-6, 15);
    expect(mosfetRegion(nmos, 0.8, 0.8)).toBe('saturation');
    // continuity at the region edge
    expect(mosfetCurrent(nmos, 0.8, 0.45 - 1e-12)).toBeCloseTo(mosfetCurrent(nmos, 0.8, 0.45), 12);
  });
  it('W/L and LAMBDA scale as in SPICE level 1', () => {
    const lam = { ...nmos, lambda: 0.1 };
    expect(mosfetCurrent(lam, 0.8, 0.8, 2)).toBeCloseTo(2 * 30.375e-6 * (1 + 0.08), 15);
    expect(mosfetCurrent(lam, 0.8, 0.2, 2)).toBeCloseTo(2 * 300e-6 * (0.45 - 0.1) * 0.2 * (1 + 0.02), 15);
  });
  it('swaps source and drain for V_DS < 0', () => {
    // vgs = 0.8, vds = -0.1: the other terminal is the source: vgs' = 0.9, vds' = 0.1 -> linear
    expect(mosfetCurrent(nmos, 0.8, -0.1)).toBeCloseTo(-300e-6 * (0.55 - 0.05) * 0.1, 15);
  });
  it('PMOS mirrors the NMOS equations', () => {
    // KP 120 uA/V^2, VTO -0.35: vsg 0.8, vsd 0.8 -> 60e-6 * 0.45^2
    expect(mosfetCurrent(pmos, -0.8, -0.8)).toBeCloseTo(60e-6 * 0.45 ** 2, 15);
    expect(mosfetCurrent(pmos, -0.8, -0.1)).toBeCloseTo(120e-6 * (0.45 - 0.05) * 0.1, 15);
    expect(mosfetCurrent(pmos, -0.2, -0.8)).toBe(0);
  });
});

describe('DW-MTJ', () => {
  const rp = 5000;
  const rap = rp * 2.71;
  it('parallel-area conductance, linear in f at zero bias', () => {
    for (const f of [0, 0.25, 0.5, 1]) expect(dwmtjConductance(dw, f, 0)).toBeCloseTo((1 - f) / rp + f / rap, 12);
    // bias roll-off on the AP part only
    const v = 0.5;
    expect(dwmtjConductance(dw, 1, v)).toBeCloseTo(1 / (rp * (1 + 1.71 / 2)), 12);
    expect(dwmtjConductance(dw, 0, v)).toBeCloseTo(1 / rp, 12);
  });
  it('heavy-metal track resistance rho L / (w t)', () => {
    const r = (25e-8 * 400e-9) / (60e-9 * 5e-9);
    expect(trackResistance(dw)).toBeCloseTo(r, 6);
    expect(readSeriesResistance(dw)).toBeCloseTo(0.36 * r, 6);
    const w = { ...dw, material: 'W' as const };
    expect(trackResistance(w)).toBeCloseTo((200e-8 * 400e-9) / (60e-9 * 5e-9), 4);
  });
  it('read current satisfies V = V_mtj + I R_s with I = V_mtj G(f, V_mtj)', () => {
    const rs = readSeriesResistance(dw);
    for (const f of [0, 0.3, 1]) {
      for (const v of [0.05, 0.2, 0.5, -0.3]) {
        const i = dwmtjReadCurrent(dw, f, v);
        const vm = v - i * rs;
        expect(i).toBeCloseTo(vm * dwmtjConductance(dw, f, vm), 14);
      }
    }
    // at f = 0 the law is linear: I = V / (R_P + R_s)
    expect(dwmtjReadCurrent(dw, 0, 0.2)).toBeCloseTo(0.2 / (rp + rs), 14);
  });
  it('SOT writing: no motion below the pinning threshold, linear velocity above, snapped to notches', () => {
    const area = dw5.trackWidth * dw5.trackThickness;
    const below = writePulse(dw5, 0.5181, { current: 3e9 * area, duration: 3e-9 });
    expect(below.velocity).toBe(0);
    expect(below.f).toBe(0.5181);
    const j = 3e10;
    const res = writePulse(dw5, 0.1845, { current: j * area, duration: 3e-9 });
    const v = 1e-9 * (j - 4e9);
    expect(res.velocity).toBeCloseTo(v, 9);
    const fUnpinned = 0.1845 + (v * 3e-9) / 116e-9;
    expect(res.fUnpinned).toBeCloseTo(Math.min(1, fUnpinned), 9);
    // nearest of [0.1845, 0.3572, 0.5181, 0.6675, 0.8056] to 0.8569 is 0.8056
    expect(res.f).toBe(0.8056);
    expect(res.energy).toBeCloseTo((j * area) ** 2 * trackResistance(dw5) * 3e-9, 20);
    expect(snapToNotch(dw5, 0.43)).toBe(0.3572);
    // a pulse designed for a target lands on it
    const p = pulseFor(dw5, 0.1845, 0.6675);
    expect(writePulse(dw5, 0.1845, p).f).toBe(0.6675);
    const back = pulseFor(dw5, 0.6675, 0.3572);
    expect(back.current).toBeLessThan(0);
    expect(writePulse(dw5, 0.6675, back).f).toBe(0.3572);
  });
});

describe('EKV MOSFET model', () => {
  const ekv = { ...nmos, model: 'ekv' as const, n: 1, theta: 0, eta: 0, temperature: 300 };
  it('tends to level 1 in strong inversion with n = 1', () => {
    expect(mosfetCurrent(ekv, 0.8, 0.8) / mosfetCurrent(nmos, 0.8, 0.8)).toBeCloseTo(1, 2);
    expect(mosfetCurrent(ekv, 0.8, 0.1) / mosfetCurrent(nmos, 0.8, 0.1)).toBeCloseTo(1, 2);
  });
  it('conducts below threshold with a slope of n U_T ln 10 per decade', () => {
    const ut = (1.380649e-23 * 300) / 1.602176634e-19;
    const e2 = { ...ekv, n: 1.4 };
    const i1 = mosfetCurrent(e2, -0.1, 0.5);
    const i2 = mosfetCurrent(e2, -0.05, 0.5);
    expect(i1).toBeGreaterThan(0);
    expect(Math.log(i2 / i1)).toBeCloseTo(0.05 / (1.4 * ut), 2);
  });
  it('PMOS mirrors NMOS and V_DS < 0 swaps terminals', () => {
    const p = { ...ekv, polarity: 'pmos' as const, vto: -0.35 };
    expect(mosfetCurrent(p, -0.6, -0.4)).toBeCloseTo(mosfetCurrent(ekv, 0.6, 0.4), 18);
    expect(mosfetCurrent(ekv, 0.8, -0.1)).toBeCloseTo(-mosfetCurrent(ekv, 0.9, 0.1), 18);
  });
});
