/**
 * Calibrate the behavioral MOSFET (src/devices/mosfet.ts, level 1 or EKV) to a SPICE model card:
 * ngspice DC sweeps of the card (one transistor, source and bulk grounded) over the MACAM operating
 * region V_GS, V_DS in [0, V_max] (V_max = 0.8 V = V_DD; PMOS: both negative), then VTO, KP and
 * LAMBDA by Levenberg-Marquardt on relative current errors with a current floor:
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
 *
 * Bound refinement (SPICE in the loop): a DC fit leaves a few mV of gate error, and the transient
 * SPICE cell has what the static behavioral cell leaves out (junction and overlap capacitance on the
 * match line, Miller coupling into the pull-down gates), ~10 mV on the lower bounds with the BSIM4
 * card. `refineToBounds` therefore fits both devices jointly to bounds found in SPICE with the card
 * (`spiceBounds`, a grid of wall positions, not the cell's notches, so the notch bounds that
 * `fusemix verify` checks stay out of the fit), with the DC residuals kept as a prior:
 *     r = [ (V_bound,behavioral - V_bound,spice) / sigma_b ;  r_iv / (sigma_iv sqrt(N_iv / 4)) ]
 * The result is an effective device for bounds: its I-V error grows a little (reported), its bounds
 * follow the card's transient bounds.
 */
import { basename } from 'node:path';
import { DataError } from '../core/errors.ts';
import { formatSpice } from '../core/units.ts';
import { type MacamCell, loadMacamCell, lowerBound, upperBound } from '../devices/macam.ts';
import { type MosfetParams, mosfetCurrent } from '../devices/mosfet.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import { linePlot } from '../core/svg.ts';
import type { SpiceEngine } from '../spice/engine.ts';
import { vector } from '../spice/engine.ts';
import {
  type DataSource,
  type FitMetadata,
  type FitParam,
  type FitStats,
  fitMetadata,
  nonPhysical,
  param,
  requireGoodFit,
  sourceName,
  statsOf,
  uncertaintyNote,
  withUnit,
} from './common.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';

export type Polarity = 'nmos' | 'pmos';

export interface ModelCard {
  name: string;
  type: Polarity;
  level?: number;
  /** the whole .model statement (continuation lines joined) */
  text: string;
}

/**
 * The `.model` statements of a card file (a .lib, .cir or a handlebars .lib.hbs whose model lines
 * are plain text). Comment lines, inline comments and handlebars lines are skipped.
 */
export function parseModelCards(text: string, file?: string): ModelCard[] {
  const stmts: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s[;$].*$/, '').trimEnd();
    const t = line.trim();
    if (t === '' || t.startsWith('*') || t.includes('{{')) continue;
    if (t.startsWith('+') && stmts.length > 0) stmts[stmts.length - 1] += ` ${t.slice(1).trim()}`;
    else stmts.push(t);
  }
  const cards: ModelCard[] = [];
  for (const s of stmts) {
    const m = /^\.model\s+(\S+)\s+(nmos|pmos)\b(.*)$/i.exec(s);
    if (!m) continue;
    const lv = /\blevel\s*=\s*([\d.]+)/i.exec(m[3]!);
    cards.push({ name: m[1]!, type: m[2]!.toLowerCase() as Polarity, ...(lv ? { level: Number(lv[1]) } : {}), text: s });
  }
  if (cards.length === 0) throw new DataError('no .model card of type nmos or pmos found', file);
  return cards;
}

/** The card of the given polarity (and name, when several match). */
export function pickCard(cards: ModelCard[], type: Polarity, name?: string, file?: string): ModelCard {
  const hits = cards.filter((c) => c.type === type && (name === undefined || c.name.toLowerCase() === name.toLowerCase()));
  if (hits.length === 0) throw new DataError(`no ${type} .model card${name ? ` named ${name}` : ''} (cards: ${cards.map((c) => `${c.name} ${c.type}`).join(', ')})`, file);
  if (hits.length > 1) throw new DataError(`several ${type} cards (${hits.map((c) => c.name).join(', ')}); name one with --model-name`, file);
  return hits[0]!;
}

export interface SweepOptions {
  /** channel width and length of the swept device (m), default 100 nm each (W/L = 1, as the presets) */
  w?: number;
  l?: number;
  /** sweep range 0 .. vmax (V), default 0.8 */
  vmax?: number;
  /** sweep step (V), default 0.02 */
  step?: number;
}

/** The ngspice netlist of the DC sweep (nested: V_DS inner, V_GS outer). */
export function sweepNetlist(card: ModelCard, opts: SweepOptions = {}): string {
  const w = opts.w ?? 100e-9;
  const l = opts.l ?? 100e-9;
  const vmax = opts.vmax ?? 0.8;
  const step = opts.step ?? 0.02;
  const s = card.type === 'nmos' ? 1 : -1;
  const lo = s > 0 ? 0 : -vmax;
  const hi = s > 0 ? vmax : 0;
  return [
    `* fusemix calibrate mosfet: DC sweep of ${card.name} (${card.type}), W ${formatSpice(w)} L ${formatSpice(l)}`,
    card.text,
    'Vd d 0 0',
    'Vg g 0 0',
    `M1 d g 0 0 ${card.name} w=${formatSpice(w)} l=${formatSpice(l)}`,
    '.options reltol=1e-6 abstol=1e-15',
    `.dc Vd ${formatSpice(lo)} ${formatSpice(hi)} ${formatSpice(step)} Vg ${formatSpice(lo)} ${formatSpice(hi)} ${formatSpice(step)}`,
    '.end',
    '',
  ].join('\n');
}

export interface IvSweep {
  polarity: Polarity;
  w: number;
  l: number;
  vgs: Float64Array;
  vds: Float64Array;
  /** drain current in the sign convention of mosfetCurrent (positive in normal operation) */
  id: Float64Array;
}

/** Run the sweep on an engine and return the I-V table. */
export async function spiceSweep(engine: SpiceEngine, card: ModelCard, opts: SweepOptions & { timeoutMs?: number } = {}): Promise<IvSweep> {
  const net = sweepNetlist(card, opts);
  const r = await engine.run(net, { timeoutMs: opts.timeoutMs ?? 60_000, name: `sweep of ${card.name}` });
  const vds = Float64Array.from(vector(r, 'v(d)', 'dc'));
  const vgs = Float64Array.from(vector(r, 'v(g)', 'dc'));
  const ivd = vector(r, 'i(vd)', 'dc');
  // i(vd) is the current into Vd's + terminal: NMOS drain current leaves it (negative), PMOS enters it
  const sgn = card.type === 'nmos' ? -1 : 1;
  const id = Float64Array.from(ivd, (x) => sgn * x);
  return { polarity: card.type, w: opts.w ?? 100e-9, l: opts.l ?? 100e-9, vgs, vds, id };
}

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
const EKV_SCALE = [0.3, 300e-6, 0.1, 1, 1, 0.1];

function rms(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return Math.sqrt(s / Math.max(1, r.length));
}

function checkEkv(file: string | undefined, pol: Polarity, q: ArrayLike<number>): void {
  const sg = pol === 'nmos' ? 1 : -1;
  const [vto, kp, lambda, n, theta, eta] = Array.from(q);
  if (!(sg * vto! > 0)) nonPhysical(file, 'VTO', vto!, `an enhancement ${pol} threshold (${sg > 0 ? '> 0' : '< 0'})`);
  if (!(kp! > 0)) nonPhysical(file, 'KP', kp!, 'a positive transconductance parameter');
  if (!(lambda! >= 0 && lambda! <= 10)) nonPhysical(file, 'LAMBDA', lambda!, 'a channel-length modulation in [0, 10] 1/V');
  if (!(n! >= 1 && n! <= 3)) nonPhysical(file, 'N', n!, 'a slope factor in [1, 3]');
  if (!(theta! >= 0 && theta! <= 10)) nonPhysical(file, 'THETA', theta!, 'a mobility degradation in [0, 10] 1/V');
  if (!(eta! >= 0 && eta! <= 1)) nonPhysical(file, 'ETA', eta!, 'a DIBL coefficient in [0, 1]');
}

function ekvFitOf(pol: Polarity, q: Float64Array, sigma: Float64Array, sweeps: IvSweep[], pts: GatePoint[], floor: number, lm: LmResult): MosfetFit {
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

// ---------------------------------------------------------------------------------------------
// Bounds against SPICE

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

/**
 * A transistor library for the cell netlists from a card file's nmos and pmos cards: the cards
 * renamed to fm_nch / fm_pch, then the fm_nfet / fm_pfet wrappers (the same as every library's).
 */
export function cardLibrary(nmos: ModelCard, pmos: ModelCard, wrappers: string): string {
  const rename = (c: ModelCard, to: string) => c.text.replace(/^\.model\s+\S+/i, `.model ${to}`);
  return [`* transistor library from the cards ${nmos.name} (nmos) and ${pmos.name} (pmos)`, rename(nmos, 'fm_nch'), rename(pmos, 'fm_pch'), wrappers].join('\n');
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

export interface MosfetPresetOptions {
  name: string;
  /** the card file as a data source */
  src: DataSource;
  /** base preset for cgate (default nmos-level1 / pmos-level1) */
  base?: string;
  engine: string;
  cardName: string;
  date?: string;
  extra?: Record<string, unknown>;
}

/** A mosfet preset with the fitted values (level 1: VTO, KP, LAMBDA; EKV: also n, THETA, ETA) at the sweep's W and L. */
export function mosfetPresetFile(f: MosfetFit, o: MosfetPresetOptions): PresetFile & { fit: FitMetadata } {
  const b = loadPreset(o.base ?? `${f.polarity}-level1`, 'mosfet');
  if (b.params.polarity !== f.polarity) throw new DataError(`base preset ${b.name} is ${String(b.params.polarity)}, the fit is ${f.polarity}`);
  const card = sourceName(o.src.file);
  const vmax = Number(Math.max(...Array.from(f.sweep.vds, Math.abs)).toPrecision(6));
  const wls = [...new Set(f.sweeps.map((s) => Number((s.w / s.l).toPrecision(6))))].join(', ');
  const ekv = f.model === 'ekv';
  const weighting = ekv ? `gate-voltage residuals above ${f.floor * 1e9} nA, W/L ${wls}` : `relative errors with a ${f.floor * 1e9} nA floor`;
  const refined = f.refined ? `; refined jointly with the other polarity to ${f.refined.targets} MACAM bounds found in SPICE with the card` : '';
  const from = `fitted to ${card} by fusemix calibrate mosfet (${o.cardName}, ngspice DC sweeps V_GS, V_DS 0..${f.polarity === 'pmos' ? '-' : ''}${vmax} V, ${weighting}${refined})`;
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  raw.params.model = ekv
    ? { value: 'ekv', source: 'EKV-style smooth model (src/devices/mosfet.ts) as the behavioral form of the fitted card' }
    : { value: 'level1', source: 'SPICE level 1 (Shichman-Hodges) as the behavioral form of the fitted card' };
  raw.params.polarity = { value: f.polarity, source: `${card}: ${o.cardName} is a${f.polarity === 'nmos' ? 'n' : ''} ${f.polarity} card` };
  raw.params.vto = { value: withUnit(f.vto.value, 'V', 'voltage'), source: from, note: uncertaintyNote(f.vto, 'V', 'voltage') };
  raw.params.kp = { value: withUnit(f.kp.value, 'uA/V^2', 'transconductance'), source: from, note: uncertaintyNote(f.kp, 'uA/V^2', 'transconductance') };
  raw.params.lambda = { value: withUnit(f.lambda.value, '', 'inverse-voltage'), source: from, note: uncertaintyNote(f.lambda, '', 'inverse-voltage') };
  if (ekv) {
    raw.params.n = { value: withUnit(f.n!.value, '', 'dimensionless'), source: from, note: uncertaintyNote(f.n!, '', 'dimensionless') };
    raw.params.theta = { value: withUnit(f.theta!.value, '', 'inverse-voltage'), source: from, note: uncertaintyNote(f.theta!, '', 'inverse-voltage') };
    raw.params.eta = { value: withUnit(f.eta!.value, '', 'dimensionless'), source: from, note: uncertaintyNote(f.eta!, '', 'dimensionless') };
    raw.params.temperature = { value: '300.15 K', source: 'ngspice default temperature (27 C) of the fitted sweeps' };
  } else {
    for (const k of ['n', 'theta', 'eta', 'temperature']) delete raw.params[k];
  }
  raw.params.w = { value: withUnit(f.w, 'nm', 'length'), source: 'the channel width of the fitted unit-device sweep' };
  raw.params.l = { value: withUnit(f.l, 'nm', 'length'), source: 'the channel length of the fitted sweeps' };
  const { $schema: _s, ...rest } = raw;
  const values: Record<string, FitParam> = { vto: f.vto, kp: f.kp, lambda: f.lambda, ...(ekv ? { n: f.n!, theta: f.theta!, eta: f.eta! } : {}) };
  const fmt = (x: number, d = 4) => Number(x.toPrecision(d));
  const desc = ekv
    ? `EKV ${f.polarity.toUpperCase()} fitted to the ${o.cardName} card in ${basename(o.src.file)}${f.refined ? ' and refined to its MACAM bounds' : ''} (VTO ${fmt(f.vto.value)} V, KP ${fmt(f.kp.value * 1e6)} uA/V^2, LAMBDA ${fmt(f.lambda.value, 3)} 1/V, n ${fmt(f.n!.value, 3)}, THETA ${fmt(f.theta!.value, 3)} 1/V, ETA ${fmt(f.eta!.value, 3)})`
    : `Level-1 ${f.polarity.toUpperCase()} fitted to the ${o.cardName} card in ${basename(o.src.file)} (VTO ${fmt(f.vto.value)} V, KP ${fmt(f.kp.value * 1e6)} uA/V^2, LAMBDA ${fmt(f.lambda.value, 3)} 1/V)`;
  return {
    ...rest,
    name: o.name,
    kind: 'mosfet',
    description: desc,
    fit: fitMetadata(
      o.src,
      ekv
        ? `EKV (src/devices/mosfet.ts), residuals (I_fit - I_spice) / g_m,spice (gate-voltage error)${f.refined ? ', then refined jointly with the other polarity to MACAM bounds found in SPICE (bound residuals / sigma_b plus the DC residuals as a prior)' : ''}`
        : 'SPICE level 1 (src/devices/mosfet.ts), residuals (I_fit - I_spice) / (|I_spice| + floor)',
      f.stats,
      values,
      { engine: o.engine, card: o.cardName, floor: f.floor, relRms: f.relRms, ...(f.gateRms !== undefined ? { gateRms: f.gateRms } : {}), ...(f.refined ? { refined: f.refined } : {}), ...(o.extra ?? {}) },
      o.date,
    ),
  };
}

/** SVG: I_D against V_GS at a few V_DS, SPICE points and the fitted law. */
export function mosfetPlot(f: MosfetFit, title = 'MOSFET fit'): string {
  const s = f.sweep;
  const sg = s.polarity === 'nmos' ? 1 : -1;
  const dsVals = [...new Set(Array.from(s.vds, (v) => Math.round(Math.abs(v) * 1e6) / 1e6))].sort((a, b) => a - b);
  const pick = [dsVals[Math.round(dsVals.length * 0.25)]!, dsVals[Math.round(dsVals.length * 0.5)]!, dsVals[dsVals.length - 1]!];
  const series = [];
  for (const d of pick) {
    const idx = Array.from(s.vds.keys()).filter((i) => Math.abs(Math.abs(s.vds[i]!) - d) < 1e-6);
    series.push({ name: `SPICE |V_DS| ${d} V`, x: idx.map((i) => Math.abs(s.vgs[i]!)), y: idx.map((i) => s.id[i]! * 1e6), points: true });
    const grid = Array.from({ length: 81 }, (_, i) => (i / 80) * Math.max(...idx.map((k) => Math.abs(s.vgs[k]!))));
    series.push({ name: `fit |V_DS| ${d} V`, x: grid, y: grid.map((g) => mosfetCurrent(f.params, sg * g, sg * d, s.w / s.l) * 1e6) });
  }
  return linePlot({
    title: `${title} (${s.polarity}): VTO ${f.vto.value.toPrecision(3)} V, KP ${(f.kp.value * 1e6).toPrecision(3)} uA/V^2, LAMBDA ${f.lambda.value.toPrecision(3)}`,
    xLabel: '|V_GS| (V)',
    yLabel: 'drain current (uA)',
    series,
  });
}
