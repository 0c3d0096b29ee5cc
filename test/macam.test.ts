import { describe, expect, it } from 'vitest';
import {
  achievableBounds,
  boundDistribution,
  boundRange,
  cellMatches,
  dischargeTime,
  loadMacamCell,
  lowerBound,
  readSeriesResistance,
  searchEnergy,
  synthesizePositions,
  upperBound,
  type MacamCell,
} from '../src/devices/index.ts';

const measured = loadMacamCell('macam-measured');
const projected = loadMacamCell('macam-projected');

/**
 * Independent closed-form level-1 solution (LAMBDA = 0) of the bounds at f = 0 (fully P: the
 * read path is a plain resistor R_P + R_s). At the bound the ML falls from V_DD to V_sense in
 * exactly t_eval with the pull-down saturated the whole way (checked below), so
 *   C (V_DD - V_s) / t_eval = beta/2 vov^2  ->  the pull-down gate = VTO + vov.
 */
function closedFormBoundsAtP(c: MacamCell) {
  const p = c.params;
  const kp = c.nmos.kp;
  const vt = c.nmos.vto;
  const r = c.lo.ra / c.lo.area + readSeriesResistance(c.lo);
  const vovPd = (wl: number) => Math.sqrt((2 * p.cMl * (p.vdd - p.vSense)) / (kp * wl * p.tEval));
  // lower branch: G1 = VTO + vov2; T1 saturated carries (V_SL - G1) / R
  const vov2 = vovPd(p.wlT2);
  expect(vov2).toBeLessThan(p.vSense); // T2 stays saturated down to V_sense
  const g1 = vt + vov2;
  const i1 = (p.vsl - g1) / r;
  const vov1 = Math.sqrt((2 * i1) / (kp * p.wlT1));
  expect(g1).toBeGreaterThanOrEqual(vov1); // T1 saturated
  const vLo = vt + vov1;
  // upper branch: inverter output = VTO + vov6; both inverter devices saturated:
  // (KP_p wl4 / 2)(V_DD - G2 - |VTP|)^2 = (KP_n wl5 / 2)(G2 - VTN)^2
  const vov6 = vovPd(p.wlT6);
  const vout = vt + vov6;
  const a = Math.sqrt(c.pmos.kp * p.wlT4);
  const b = Math.sqrt(kp * p.wlT5);
  const vtp = -c.pmos.vto;
  const g2 = (a * (p.vdd - vtp) + b * vt) / (a + b);
  expect(g2 - vt).toBeLessThanOrEqual(vout); // T5 saturated
  expect(p.vdd - g2 - vtp).toBeLessThanOrEqual(p.vdd - vout); // T4 saturated
  const i3 = (p.vsl - g2) / r;
  const vov3 = Math.sqrt((2 * i3) / (kp * p.wlT3));
  expect(g2).toBeGreaterThanOrEqual(vov3); // T3 saturated
  return { vLo, vHi: vt + vov3 };
}

describe('MACAM cell (behavioral)', () => {
  it('bounds at f = 0 agree with a closed-form level-1 solution', () => {
    const cf = closedFormBoundsAtP(projected);
    expect(Math.abs(lowerBound(projected, 0) - cf.vLo)).toBeLessThan(1e-6);
    expect(Math.abs(upperBound(projected, 0) - cf.vHi)).toBeLessThan(1e-6);
  });

  it('matches the transient window of the docs/reference.md worked example within a few mV', () => {
    // docs/reference.md: M1 fully AP, M2 fully P -> [0.587, 0.712] V; M1 half AP -> V_lo 0.668; M2 half AP -> V_hi 0.652
    expect(Math.abs(lowerBound(projected, 1) - 0.587)).toBeLessThan(0.005);
    expect(Math.abs(upperBound(projected, 0) - 0.712)).toBeLessThan(0.005);
    expect(Math.abs(lowerBound(projected, 0.5) - 0.668)).toBeLessThan(0.005);
    expect(Math.abs(upperBound(projected, 0.5) - 0.652)).toBeLessThan(0.005);
  });

  it('discharge time equals the closed form C dV / I_sat for a saturated pull-down', () => {
    const p = projected.params;
    const g = 0.39; // vov = 0.04 < V_sense: saturated all the way
    const t = dischargeTime(projected, g, 0);
    const iSat = 0.5 * projected.nmos.kp * p.wlT2 * (g - projected.nmos.vto) ** 2;
    expect(t).toBeCloseTo((p.cMl * (p.vdd - p.vSense)) / iSat, 18);
    // a pull-down that is off never discharges the ML
    expect(dischargeTime(projected, 0.2, 0.1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('V_lo and V_hi rise with the DW-MTJ conductance (fall with the AP fraction)', () => {
    let prevLo = Infinity;
    let prevHi = Infinity;
    for (let f = 0; f <= 1.0001; f += 0.125) {
      const lo = lowerBound(projected, f);
      const hi = upperBound(projected, f);
      expect(lo).toBeLessThan(prevLo);
      expect(hi).toBeLessThan(prevHi);
      prevLo = lo;
      prevHi = hi;
    }
  });

  it('matches only inside [V_lo, V_hi)', () => {
    const lo = lowerBound(projected, 1);
    const hi = upperBound(projected, 0);
    expect(cellMatches(projected, 1, 0, 0.5 * (lo + hi))).toBe(true);
    expect(cellMatches(projected, 1, 0, lo - 0.003)).toBe(false);
    expect(cellMatches(projected, 1, 0, hi + 0.003)).toBe(false);
  });

  it('synthesis: continuous positions give evenly spaced bounds within 1 mV, and are unevenly spaced', () => {
    const range = boundRange(projected);
    const win: [number, number] = [range.lo[0], range.hi[1]];
    for (const branch of ['lo', 'hi'] as const) {
      const { positions, targets } = synthesizePositions(projected, branch, 8, win);
      const bounds = positions.map((f) => (branch === 'lo' ? lowerBound(projected, f) : upperBound(projected, f)));
      const step = (win[1] - win[0]) / 7;
      bounds.forEach((b, i) => expect(Math.abs(b - (win[0] + i * step))).toBeLessThan(1e-3));
      expect(targets.length).toBe(8);
      const gaps = positions
        .slice()
        .sort((a, b) => a - b)
        .slice(1)
        .map((f, i, arr) => f - (i === 0 ? positions.slice().sort((a, b) => a - b)[0]! : arr[i - 1]!));
      expect(Math.max(...gaps) / Math.min(...gaps)).toBeGreaterThan(1.1);
    }
  });

  it('a 5-state device has at most 5 achievable values of each bound', () => {
    const ach = achievableBounds(measured);
    expect(new Set(ach.lo.map((e) => e.v.toFixed(9))).size).toBeLessThanOrEqual(5);
    expect(new Set(ach.hi.map((e) => e.v.toFixed(9))).size).toBeLessThanOrEqual(5);
    expect(ach.lo.length).toBe(5);
  });

  it('Pt gives a wider bound range than W or Ta at the same geometry', () => {
    const width = (m: 'Pt' | 'W' | 'Ta') => {
      const c: MacamCell = { ...projected, lo: { ...projected.lo, material: m }, hi: { ...projected.hi, material: m } };
      const r = boundRange(c);
      return { lo: r.lo[1] - r.lo[0], hi: r.hi[1] - r.hi[0] };
    };
    const pt = width('Pt');
    for (const m of ['W', 'Ta'] as const) {
      const w = width(m);
      expect(pt.lo).toBeGreaterThan(w.lo);
      expect(pt.hi).toBeGreaterThan(w.hi);
    }
  });

  it('search energy is itemised, and the static terms follow I * V_SL * t_eval', () => {
    const p = projected.params;
    const vdl = 0.65;
    const e = searchEnergy(projected, 1, 0, vdl);
    const sum = Object.values(e.items).reduce((s, x) => s + x, 0);
    expect(e.total).toBeCloseTo(sum, 25);
    // T1 and T3 are saturated at V_DL = 0.65 with the divider node above V_ov: the branch current is
    // the saturation current KP/2 (V_DL - VTO)^2
    const iSat = 0.5 * projected.nmos.kp * p.wlT1 * (vdl - projected.nmos.vto) ** 2;
    expect(e.items.lowerDivider).toBeCloseTo(iSat * p.vsl * p.tEval, 22);
    expect(e.items.upperDivider).toBeCloseTo(iSat * p.vsl * p.tEval, 22);
    // inside the window the ML does not discharge much; far below it discharges fully: C V_DD^2
    const far = searchEnergy(projected, 1, 0, 0.2);
    expect(far.items.matchLine).toBeCloseTo(p.cMl * p.vdd * p.vdd, 20);
    expect(far.items.lowerDivider).toBe(0); // T1 off: no divider current
  });

  it('Monte Carlo of the bounds is seeded and spreads with the sigmas', () => {
    const a = boundDistribution(measured, 0.6245, 0.5181, { samples: 40, seed: 5 });
    const b = boundDistribution(measured, 0.6245, 0.5181, { samples: 40, seed: 5 });
    expect(Array.from(a.vLo)).toEqual(Array.from(b.vLo));
    expect(a.lo.std).toBeGreaterThan(0.002);
    const none = boundDistribution(measured, 0.6245, 0.5181, { samples: 5, seed: 5, sigmas: { rp: 0, tmr: 0, vto: 0, positionLo: 0, positionHi: 0 } });
    for (const v of none.vLo) expect(v).toBeCloseTo(lowerBound(measured, 0.6245), 6);
  });
});
