/**
 * MOSFET fits against MACAM bounds: behavioral bounds of a cell with fitted transistors against bounds
 * found in SPICE (boundErrors), the joint refinement of both EKV fits to those bounds
 * (refineToBounds) and the shift of the bounds the fitted devices cause (boundShift).
 *
 * Bound refinement (SPICE in the loop): a DC fit (mosfet.ts) leaves a few mV of gate error, and the
 * transient SPICE cell has what the static behavioral cell leaves out (junction and overlap
 * capacitance on the match line, Miller coupling into the pull-down gates), ~10 mV on the lower
 * bounds with the BSIM4 card. `refineToBounds` therefore fits both devices jointly to bounds found in
 * SPICE with the card (`spiceBounds`, a grid of wall positions, not the cell's notches, so the notch
 * bounds that `fusemix verify` checks stay out of the fit), with the DC residuals kept as a prior:
 *     r = [ (V_bound,behavioral - V_bound,spice) / sigma_b ;  r_iv / (sigma_iv sqrt(N_iv / 4)) ]
 * The result is an effective device for bounds: its I-V error grows a little (reported), its bounds
 * follow the card's transient bounds.
 */
import { DataError } from '../core/errors.ts';
import { type MacamCell, loadMacamCell, lowerBound, upperBound } from '../devices/macam.ts';
import type { MosfetParams } from '../devices/mosfet.ts';
import type { Polarity } from '../spice/model-cards.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';
import { type GatePoint, type MosfetFit, EKV_SCALE, checkEkv, ekvFitOf, ekvParams, gatePoints, gateResiduals, rms } from './mosfet.ts';

/** A bound found in SPICE for one branch at one wall position (V; +-Infinity as lowerBound/upperBound). */
export interface SpiceBoundTarget {
  branch: 'lo' | 'hi';
  f: number;
  spice: number;
}

/** A cell with its transistors replaced (the behavioral side of a fit). */
export function withTransistors(cell: MacamCell, t: { nmos?: MosfetParams; pmos?: MosfetParams }): MacamCell {
  return { ...cell, ...(t.nmos ? { nmos: t.nmos } : {}), ...(t.pmos ? { pmos: t.pmos } : {}) };
}

const behavioralBound = (c: MacamCell, t: { branch: 'lo' | 'hi'; f: number }, tol = 1e-8) =>
  t.branch === 'lo' ? lowerBound(c, t.f, undefined, tol) : upperBound(c, t.f, undefined, tol);

/** |spice - behavioral| with lowerBound's infinities (the same infinity is no error). */
export function boundDiff(spice: number, behavioral: number): number {
  return spice === behavioral ? 0 : Math.abs(spice - behavioral);
}

export interface BoundErrorRow extends SpiceBoundTarget {
  behavioral: number;
  error: number;
}

export interface BoundErrorSummary {
  cell: string;
  rows: BoundErrorRow[];
  /** max and rms of the errors (V; Infinity when one side finds a bound in [0, V_DD] and the other none) */
  max: number;
  rms: number;
  /** max and rms over the rows where both sides find a bound (V) */
  maxFinite: number;
  rmsFinite: number;
  /** rows where one side finds a bound and the other none */
  unmatched: number;
}

/** Behavioral bounds of a cell against SPICE targets. */
export function boundErrors(cell: MacamCell, targets: readonly SpiceBoundTarget[]): BoundErrorSummary {
  const rows = targets.map((t) => {
    const behavioral = behavioralBound(cell, t, 1e-9);
    return { ...t, behavioral, error: boundDiff(t.spice, behavioral) };
  });
  const max = rows.reduce((m, r) => Math.max(m, r.error), 0);
  const fin = rows.filter((r) => Number.isFinite(r.spice) && Number.isFinite(r.behavioral)).map((r) => r.error);
  return {
    cell: cell.name,
    rows,
    max,
    rms: rms(rows.map((r) => r.error)),
    maxFinite: fin.reduce((m, e) => Math.max(m, e), 0),
    rmsFinite: rms(fin),
    unmatched: rows.filter((r) => Number.isFinite(r.error) === false).length,
  };
}

export interface RefineOptions {
  /** weight of a bound residual: 1 / sigma_b (V), default 0.5 mV */
  boundSigma?: number;
  /** weight of the DC prior: rms gate error sigma_iv (V) that costs as much as ~2 bound sigmas, default 5 mV */
  ivSigma?: number;
  maxIter?: number;
  file?: string;
}

/**
 * Refine EKV fits of both polarities jointly so that the behavioral bounds of `cell` (with these
 * devices) match bounds found in SPICE; the DC gate residuals stay in the objective as a prior.
 * Targets where SPICE found no crossing (+-Infinity) cost the distance by which the behavioral bound
 * is inside [0, V_DD]. Returns new fits (uncertainties from the joint covariance).
 */
export function refineToBounds(
  cell: MacamCell,
  fits: { nmos: MosfetFit; pmos: MosfetFit },
  targets: readonly SpiceBoundTarget[],
  opts: RefineOptions = {},
): { nmos: MosfetFit; pmos: MosfetFit; lm: LmResult } {
  if (fits.nmos.model !== 'ekv' || fits.pmos.model !== 'ekv') throw new DataError('bound refinement needs EKV fits of both polarities', opts.file);
  const sb = opts.boundSigma ?? 0.5e-3;
  const siv = opts.ivSigma ?? 5e-3;
  const vdd = cell.params.vdd;
  const ptsN = gatePoints(fits.nmos.sweeps, fits.nmos.floor);
  const ptsP = gatePoints(fits.pmos.sweeps, fits.pmos.floor);
  const nIv = ptsN.length + ptsP.length;
  const kIv = 2 / (siv * Math.sqrt(nIv));
  const nB = targets.length;
  const m = nB + nIv;
  const devs = (x: Float64Array) => ({
    nmos: ekvParams('nmos', x.subarray(0, 6), fits.nmos.w, fits.nmos.l),
    pmos: ekvParams('pmos', x.subarray(6, 12), fits.pmos.w, fits.pmos.l),
  });
  const boundRes = (c: MacamCell, t: SpiceBoundTarget): number => {
    const b = behavioralBound(c, t);
    if (Number.isFinite(t.spice)) return Number.isFinite(b) ? (b - t.spice) / sb : (b > 0 ? 1 : -1) * (vdd / sb);
    if (b === t.spice) return 0;
    // SPICE: no crossing in [0, V_DD]; behavioral: b inside it (or the other infinity)
    if (!Number.isFinite(b)) return vdd / sb;
    return (t.spice > 0 ? Math.max(0, vdd - b) : Math.max(0, b)) / sb;
  };
  // which residuals a parameter moves: nmos params move all bounds; pmos params only the upper ones
  const res = (x: Float64Array, which: 'all' | 'nmos' | 'pmos' = 'all', out = new Float64Array(m)): Float64Array => {
    const d = devs(x);
    const c = withTransistors(cell, d);
    targets.forEach((t, i) => {
      if (which === 'pmos' && t.branch === 'lo') return;
      out[i] = boundRes(c, t);
    });
    if (which !== 'pmos') gateResiduals(d.nmos, ptsN).forEach((r, i) => (out[nB + i] = r * kIv));
    if (which !== 'nmos') gateResiduals(d.pmos, ptsP).forEach((r, i) => (out[nB + ptsN.length + i] = r * kIv));
    return out;
  };
  const scale = [...EKV_SCALE, ...EKV_SCALE];
  scale[1] = Math.abs(fits.nmos.kp.value);
  scale[7] = Math.abs(fits.pmos.kp.value);
  const h = 1e-4;
  const jacobian = (x: Float64Array): Float64Array[] => {
    const r0 = res(x);
    const J = Array.from({ length: m }, () => new Float64Array(12));
    for (let k = 0; k < 12; k++) {
      const which = k < 6 ? 'nmos' : 'pmos';
      const xp = Float64Array.from(x);
      const step = h * scale[k]!;
      xp[k] = x[k]! + step;
      const rp = res(xp, which, Float64Array.from(r0));
      for (let i = 0; i < m; i++) J[i]![k] = (rp[i]! - r0[i]!) / step;
    }
    return J;
  };
  const x0 = [...fits.nmos.lm.params, ...fits.pmos.lm.params];
  const lm = levenbergMarquardt((x) => res(x), x0, { scale, maxIter: opts.maxIter ?? 60, jacobian, ftol: 1e-8, xtol: 1e-8 });
  checkEkv(opts.file, 'nmos', lm.params.subarray(0, 6));
  checkEkv(opts.file, 'pmos', lm.params.subarray(6, 12));
  const out = (pol: Polarity, off: number, f: MosfetFit, pts: GatePoint[]): MosfetFit => {
    const q = lm.params.slice(off, off + 6);
    const nf = ekvFitOf(pol, q, lm.sigma.slice(off, off + 6), f.sweeps, pts, f.floor, lm);
    // the statistics of the DC part stay those of the DC fit; the refinement is recorded beside them
    return {
      ...nf,
      stats: { ...nf.stats, s2: lm.s2, iterations: f.stats.iterations + lm.iterations, converged: f.stats.converged },
      refined: { targets: nB, boundSigma: sb, ivSigma: siv, iterations: lm.iterations, reason: lm.reason, gateRmsDc: f.gateRms!, gateRmsAfter: nf.gateRms! },
    };
  };
  return { nmos: out('nmos', 0, fits.nmos, ptsN), pmos: out('pmos', 6, fits.pmos, ptsP), lm };
}

export interface BoundRow {
  branch: 'lo' | 'hi';
  f: number;
  /** bound with the reference (level-1 preset) devices (V) */
  before: number;
  /** bound with the fitted devices (V) */
  after: number;
  /** after - before (V) */
  shift: number;
}

/**
 * MACAM bounds computed behaviorally with the cell's level-1 presets and with the fitted devices in
 * their place (lower bound at f = 0, 0.5, 1 of M1, upper bound likewise of M2).
 */
export function boundShift(fits: { nmos?: MosfetParams; pmos?: MosfetParams }, cellName = 'macam-measured'): { cell: string; rows: BoundRow[] } {
  const c0 = loadMacamCell(cellName);
  const c1: MacamCell = { ...c0, ...(fits.nmos ? { nmos: fits.nmos } : {}), ...(fits.pmos ? { pmos: fits.pmos } : {}) };
  const rows: BoundRow[] = [];
  for (const branch of ['lo', 'hi'] as const) {
    for (const f of [0, 0.5, 1]) {
      const b = (c: MacamCell) => (branch === 'lo' ? lowerBound(c, f, undefined, 1e-7) : upperBound(c, f, undefined, 1e-7));
      const before = b(c0);
      const after = b(c1);
      rows.push({ branch, f, before, after, shift: after - before });
    }
  }
  return { cell: c0.name, rows };
}
