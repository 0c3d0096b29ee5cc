/**
 * Calibrate the behavioral MOSFET (src/devices/mosfet.ts, level 1 or EKV) to a SPICE model card: the
 * fits to ngspice DC sweeps of the card (src/spice/mosfet-sweep.ts) over the MACAM operating region
 * V_GS, V_DS in [0, V_max] (V_max = 0.8 V = V_DD; PMOS: both negative), and the gate-voltage error
 * that judges them. The refinement against SPICE bounds is in mosfet-bounds.ts, the preset file and
 * the plot in mosfet-preset.ts.
 *
 * Level-1 fit: VTO, KP and LAMBDA by Levenberg-Marquardt on relative current errors with a current
 * floor:
 *     r_i = (I_model - I_spice) / (|I_spice| + I_floor)
 * so every point above I_floor (default 100 nA) counts by its relative error: the small currents
 * near threshold that set the MACAM bounds (the ML pull-down discharges 1 fF by 0.4 V in 1 ns at
 * ~0.4 uA) weigh as much as the large ones, while the sub-threshold tail the level-1 law cannot
 * represent (it is zero below VTO) is damped by the floor.
 *
 * Figure of merit for the bounds: the gate-voltage error at equal current. A bound is the data-line
 * voltage at which some transistor current reaches a given value, so the error in V_GS needed for a
 * current I* (0.2 .. 50 uA, at each V_DS >= 0.1 V) is the bound error each transistor contributes.
 *
 * EKV fit (realistic cards such as BSIM4, which level 1 cannot follow below and near threshold):
 * VTO, KP, LAMBDA, n, THETA, ETA on sweeps at every W/L the cell uses, with residuals that are that
 * same gate-voltage error, estimated point by point as
 *     r_i = (I_model - I_spice) / g_m,spice        (V),   g_m by central differences along V_GS
 * over the points above a current floor (default 5 nA), so subthreshold, the divider currents and
 * the strong-inversion drive all count in volts of gate error.
 */
import { DataError } from '../core/errors.ts';
import { type MosfetParams, mosfetCurrent } from '../devices/mosfet.ts';
import type { Polarity } from '../spice/model-cards.ts';
import type { IvSweep } from '../spice/mosfet-sweep.ts';
import { type FitParam, type FitStats, nonPhysical, param, requireGoodFit, statsOf } from './common.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';

export interface MosfetFitOptions {
  /** current floor (A): level 1, of the relative weighting (default 100 nA); EKV, below it points are left out (default 5 nA) */
  floor?: number;
}

export type FitModel = 'level1' | 'ekv';

export interface MosfetFit {
  kind: 'mosfet';
  model: FitModel;
  polarity: Polarity;
  vto: FitParam;
  kp: FitParam;
  lambda: FitParam;
  /** EKV only: slope factor, mobility degradation, DIBL */
  n?: FitParam;
  theta?: FitParam;
  eta?: FitParam;
  w: number;
  l: number;
  floor: number;
  /** rms relative error of the points above the floor */
  relRms: number;
  /** EKV: rms of the gate-voltage residuals (V) */
  gateRms?: number;
  stats: FitStats;
  lm: LmResult;
  /** the first (unit-width) sweep, and every sweep fitted */
  sweep: IvSweep;
  sweeps: IvSweep[];
  params: MosfetParams;
  /** set when the parameters were refined against SPICE bounds (refineToBounds) */
  refined?: { targets: number; boundSigma: number; ivSigma: number; iterations: number; reason: string; gateRmsDc: number; gateRmsAfter: number };
}

const level1 = (pol: Polarity, vto: number, kp: number, lambda: number, w: number, l: number): MosfetParams => ({
  model: 'level1',
  n: 1,
  theta: 0,
  eta: 0,
  temperature: 300.15,
  polarity: pol,
  vto,
  kp,
  lambda,
  w,
  l,
  cgate: 0,
});

/** Start values from the square law in saturation at the largest |V_DS|: sqrt(I) against |V_GS|. */
function startValues(s: IvSweep): [number, number] {
  let vdsMax = 0;
  for (const v of s.vds) vdsMax = Math.max(vdsMax, Math.abs(v));
  const pts: Array<[number, number]> = [];
  let imax = 0;
  for (let i = 0; i < s.id.length; i++) if (Math.abs(Math.abs(s.vds[i]!) - vdsMax) < 1e-9) imax = Math.max(imax, s.id[i]!);
  for (let i = 0; i < s.id.length; i++) {
    if (Math.abs(Math.abs(s.vds[i]!) - vdsMax) < 1e-9 && s.id[i]! > 0.2 * imax) pts.push([Math.abs(s.vgs[i]!), Math.sqrt(s.id[i]!)]);
  }
  if (pts.length < 2 || !(imax > 0)) throw new DataError(`the ${s.polarity} sweep carries no current (max ${imax} A): is the card a working ${s.polarity}?`);
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of pts) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const n = pts.length;
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const icpt = (sy - slope * sx) / n;
  const vt = Math.min(0.75, Math.max(0.05, -icpt / slope));
  return [vt, (2 * slope * slope * s.l) / s.w];
}

/** Fit VTO, KP, LAMBDA of the level-1 law to a sweep. */
export function fitLevel1(s: IvSweep, opts: MosfetFitOptions & { file?: string } = {}): MosfetFit {
  const floor = opts.floor ?? 100e-9;
  const m = s.id.length;
  if (m < 10) throw new DataError(`too few points: ${m} sweep points`, opts.file);
  const sg = s.polarity === 'nmos' ? 1 : -1;
  const [vt0, kp0] = startValues(s);
  const wl = s.w / s.l;
  const weight = Float64Array.from(s.id, (i) => 1 / (Math.abs(i) + floor));
  const res = (p: Float64Array) => {
    const q = level1(s.polarity, p[0]!, p[1]!, p[2]!, s.w, s.l);
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) out[i] = (mosfetCurrent(q, s.vgs[i]!, s.vds[i]!, wl) - s.id[i]!) * weight[i]!;
    return out;
  };
  const lm = levenbergMarquardt(res, [sg * vt0, kp0, 0], { scale: [0.3, kp0, 0.1], maxIter: 400 });
  requireGoodFit(lm, opts.file, ['VTO', 'KP', 'LAMBDA']);
  const [vto, kp, lambda] = lm.params as unknown as [number, number, number];
  if (!(sg * vto > 0)) nonPhysical(opts.file, 'VTO', vto, `an enhancement ${s.polarity} threshold (${sg > 0 ? '> 0' : '< 0'})`);
  if (!(kp > 0)) nonPhysical(opts.file, 'KP', kp, 'a positive transconductance parameter');
  if (!(lambda >= 0 && lambda <= 10)) nonPhysical(opts.file, 'LAMBDA', lambda, 'a channel-length modulation in [0, 10] 1/V');
  const params = level1(s.polarity, vto, kp, lambda, s.w, s.l);
  const yf = Float64Array.from({ length: m }, (_, i) => mosfetCurrent(params, s.vgs[i]!, s.vds[i]!, wl));
  let se = 0;
  let ne = 0;
  for (let i = 0; i < m; i++) {
    if (Math.abs(s.id[i]!) < floor) continue;
    se += ((yf[i]! - s.id[i]!) / s.id[i]!) ** 2;
    ne++;
  }
  return {
    kind: 'mosfet',
    model: 'level1',
    polarity: s.polarity,
    vto: param(vto, lm.sigma[0]!, 'V'),
    kp: param(kp, lm.sigma[1]!, 'A/V^2'),
    lambda: param(lambda, lm.sigma[2]!, '1/V'),
    w: s.w,
    l: s.l,
    floor,
    relRms: ne > 0 ? Math.sqrt(se / ne) : Number.NaN,
    stats: statsOf(lm, s.id, yf, 'A'),
    lm,
    sweep: s,
    sweeps: [s],
    params,
  };
}

/** The EKV params of the behavioral model (unit device W x L; temperature of the SPICE runs). */
export function ekvParams(pol: Polarity, p: ArrayLike<number>, w: number, l: number, temperature = 300.15): MosfetParams {
  return { model: 'ekv', polarity: pol, vto: p[0]!, kp: p[1]!, lambda: p[2]!, n: p[3]!, theta: p[4]!, eta: p[5]!, temperature, w, l, cgate: 0 };
}

/** One I-V point with the SPICE transconductance at it (sign convention of mosfetCurrent). */
export interface GatePoint {
  vgs: number;
  vds: number;
  id: number;
  /** dI/d|V_GS| from the SPICE sweep (A/V) */
  gm: number;
  wl: number;
}

/**
 * Points of the sweeps above `floor` with g_m by central differences along |V_GS| at the same V_DS
 * (the sweep ends, V_DS = 0 and points with g_m <= 0 are left out).
 */
export function gatePoints(sweeps: readonly IvSweep[], floor = 5e-9): GatePoint[] {
  const pts: GatePoint[] = [];
  for (const s of sweeps) {
    const cols = new Map<number, number[]>();
    for (let i = 0; i < s.id.length; i++) {
      const k = Math.round(Math.abs(s.vds[i]!) * 1e6);
      if (k === 0) continue;
      if (!cols.has(k)) cols.set(k, []);
      cols.get(k)!.push(i);
    }
    for (const idx of cols.values()) {
      idx.sort((a, b) => Math.abs(s.vgs[a]!) - Math.abs(s.vgs[b]!));
      for (let k = 1; k + 1 < idx.length; k++) {
        const i = idx[k]!;
        const a = idx[k - 1]!;
        const b = idx[k + 1]!;
        const gm = (s.id[b]! - s.id[a]!) / (Math.abs(s.vgs[b]!) - Math.abs(s.vgs[a]!));
        if (!(s.id[i]! > floor) || !(gm > 0)) continue;
        pts.push({ vgs: s.vgs[i]!, vds: s.vds[i]!, id: s.id[i]!, gm, wl: s.w / s.l });
      }
    }
  }
  return pts;
}

/** Gate-voltage residuals (V) of a device against points: (I_model - I_spice) / g_m. */
export function gateResiduals(p: MosfetParams, pts: readonly GatePoint[], out = new Float64Array(pts.length)): Float64Array {
  for (let i = 0; i < pts.length; i++) {
    const x = pts[i]!;
    out[i] = (mosfetCurrent(p, x.vgs, x.vds, x.wl) - x.id) / x.gm;
  }
  return out;
}

const EKV_NAMES = ['VTO', 'KP', 'LAMBDA', 'N', 'THETA', 'ETA'] as const;
/** LM scales of the EKV parameters (KP's is replaced by the start or fitted KP). */
export const EKV_SCALE = [0.3, 300e-6, 0.1, 1, 1, 0.1];

/** Root mean square (0 for no values). */
export function rms(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return Math.sqrt(s / Math.max(1, r.length));
}

/** Throws a DataError when an EKV parameter vector (VTO, KP, LAMBDA, n, THETA, ETA) is not physical. */
export function checkEkv(file: string | undefined, pol: Polarity, q: ArrayLike<number>): void {
  const sg = pol === 'nmos' ? 1 : -1;
  const [vto, kp, lambda, n, theta, eta] = Array.from(q);
  if (!(sg * vto! > 0)) nonPhysical(file, 'VTO', vto!, `an enhancement ${pol} threshold (${sg > 0 ? '> 0' : '< 0'})`);
  if (!(kp! > 0)) nonPhysical(file, 'KP', kp!, 'a positive transconductance parameter');
  if (!(lambda! >= 0 && lambda! <= 10)) nonPhysical(file, 'LAMBDA', lambda!, 'a channel-length modulation in [0, 10] 1/V');
  if (!(n! >= 1 && n! <= 3)) nonPhysical(file, 'N', n!, 'a slope factor in [1, 3]');
  if (!(theta! >= 0 && theta! <= 10)) nonPhysical(file, 'THETA', theta!, 'a mobility degradation in [0, 10] 1/V');
  if (!(eta! >= 0 && eta! <= 1)) nonPhysical(file, 'ETA', eta!, 'a DIBL coefficient in [0, 1]');
}

/** The MosfetFit of EKV parameters q (with sigma) on the gate points of the sweeps. */
export function ekvFitOf(pol: Polarity, q: Float64Array, sigma: Float64Array, sweeps: IvSweep[], pts: GatePoint[], floor: number, lm: LmResult): MosfetFit {
  const s0 = sweeps[0]!;
  const params = ekvParams(pol, q, s0.w, s0.l);
  const r = gateResiduals(params, pts);
  const yf = Float64Array.from(pts, (x) => mosfetCurrent(params, x.vgs, x.vds, x.wl));
  const y = Float64Array.from(pts, (x) => x.id);
  let se = 0;
  for (let i = 0; i < pts.length; i++) se += ((yf[i]! - y[i]!) / y[i]!) ** 2;
  return {
    kind: 'mosfet',
    model: 'ekv',
    polarity: pol,
    vto: param(q[0]!, sigma[0]!, 'V'),
    kp: param(q[1]!, sigma[1]!, 'A/V^2'),
    lambda: param(q[2]!, sigma[2]!, '1/V'),
    n: param(q[3]!, sigma[3]!, ''),
    theta: param(q[4]!, sigma[4]!, '1/V'),
    eta: param(q[5]!, sigma[5]!, ''),
    w: s0.w,
    l: s0.l,
    floor,
    relRms: pts.length ? Math.sqrt(se / pts.length) : Number.NaN,
    gateRms: rms(r),
    stats: statsOf(lm, y, yf, 'A'),
    lm,
    sweep: s0,
    sweeps,
    params,
  };
}

/**
 * Fit the EKV model (VTO, KP, LAMBDA, n, THETA, ETA) to one or more sweeps of one polarity (each at
 * its own W/L; the preset's unit device is the first sweep's W x L). Residuals: gate-voltage errors.
 */
export function fitEkv(sweeps: readonly IvSweep[], opts: MosfetFitOptions & { file?: string; start?: readonly number[] } = {}): MosfetFit {
  if (sweeps.length === 0) throw new DataError('no sweep to fit', opts.file);
  const pol = sweeps[0]!.polarity;
  if (sweeps.some((s) => s.polarity !== pol)) throw new DataError('sweeps of both polarities given to one EKV fit', opts.file);
  const floor = opts.floor ?? 5e-9;
  const pts = gatePoints(sweeps, floor);
  if (pts.length < 20) throw new DataError(`too few points above the ${floor * 1e9} nA floor: ${pts.length}`, opts.file);
  const sg = pol === 'nmos' ? 1 : -1;
  let start = opts.start;
  if (!start) {
    const [vt0, kp0] = startValues(sweeps[0]!);
    // EKV's threshold sits below the square-law extrapolation; n > 1 lowers the drive: start KP higher
    start = [sg * Math.max(0.05, vt0 - 0.03), kp0 * 1.3, 0.1, 1.3, 0.5, 0.02];
  }
  const s0 = sweeps[0]!;
  const buf = new Float64Array(pts.length);
  const res = (q: Float64Array) => gateResiduals(ekvParams(pol, q, s0.w, s0.l), pts, buf).slice();
  const scale = EKV_SCALE.map((x, i) => (i === 1 ? Math.abs(start[1]!) : x));
  const lm = levenbergMarquardt(res, start, { scale, maxIter: 400 });
  requireGoodFit(lm, opts.file, EKV_NAMES);
  checkEkv(opts.file, pol, lm.params);
  return ekvFitOf(pol, lm.params, lm.sigma, [...sweeps], pts, floor, lm);
}

export interface GateError {
  /** max |V_GS(model) - V_GS(spice)| at equal current (V) */
  max: number;
  /** rms of the same (V) */
  rms: number;
  /** points compared */
  points: number;
  /** (I*, V_DS) pairs the model cannot reach at |V_GS| <= 2 V */
  unreachable: number;
}

/**
 * Gate-voltage error at equal current between a behavioral device (at the sweep's W/L) and the
 * SPICE sweep: for I* in 0.2 .. 50 uA and each |V_DS| >= 0.1 V, the |V_GS| giving I* in each.
 */
export function gateVoltageError(s: IvSweep, p: MosfetParams, currents = [0.2e-6, 0.5e-6, 1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6]): GateError {
  const sg = s.polarity === 'nmos' ? 1 : -1;
  const wl = s.w / s.l;
  const cols = new Map<number, Array<[number, number]>>();
  for (let i = 0; i < s.id.length; i++) {
    const d = Math.round(Math.abs(s.vds[i]!) * 1e6) / 1e6;
    if (d < 0.1 - 1e-9) continue;
    if (!cols.has(d)) cols.set(d, []);
    cols.get(d)!.push([Math.abs(s.vgs[i]!), s.id[i]!]);
  }
  let max = 0;
  let ss = 0;
  let n = 0;
  let unreachable = 0;
  for (const [vds, pts] of cols) {
    pts.sort((a, b) => a[0] - b[0]);
    for (const target of currents) {
      let vs: number | undefined;
      for (let k = 1; k < pts.length; k++) {
        const [g0, i0] = pts[k - 1]!;
        const [g1, i1] = pts[k]!;
        if (i0 < target && i1 >= target) {
          vs = g0 + ((target - i0) / (i1 - i0)) * (g1 - g0);
          break;
        }
      }
      if (vs === undefined) continue;
      const cur = (g: number) => mosfetCurrent(p, sg * g, sg * vds, wl);
      if (cur(2) < target) {
        unreachable++;
        continue;
      }
      let lo = 0;
      let hi = 2;
      for (let it = 0; it < 60; it++) {
        const mid = 0.5 * (lo + hi);
        if (cur(mid) < target) lo = mid;
        else hi = mid;
      }
      const e = 0.5 * (lo + hi) - vs;
      max = Math.max(max, Math.abs(e));
      ss += e * e;
      n++;
    }
  }
  return { max, rms: n > 0 ? Math.sqrt(ss / n) : Number.NaN, points: n, unreachable };
}
