/**
 * Calibrate the behavioral MOSFET (src/devices/mosfet.ts, SPICE level 1) to a SPICE model card:
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
 */
import { basename } from 'node:path';
import { DataError } from '../core/errors.ts';
import { formatSpice } from '../core/units.ts';
import { type MacamCell, loadMacamCell, lowerBound, upperBound } from '../devices/macam.ts';
import { type MosfetParams, mosfetCurrent } from '../devices/mosfet.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import { linePlot } from '../report/svg.ts';
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
  /** current floor of the relative weighting (A), default 100 nA */
  floor?: number;
}

export interface MosfetFit {
  kind: 'mosfet';
  polarity: Polarity;
  vto: FitParam;
  kp: FitParam;
  lambda: FitParam;
  w: number;
  l: number;
  floor: number;
  /** rms relative error of the points above the floor */
  relRms: number;
  stats: FitStats;
  lm: LmResult;
  sweep: IvSweep;
  params: MosfetParams;
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
    params,
  };
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

/** A level-1 mosfet preset with the fitted VTO, KP, LAMBDA at the sweep's W and L. */
export function mosfetPresetFile(f: MosfetFit, o: MosfetPresetOptions): PresetFile & { fit: FitMetadata } {
  const b = loadPreset(o.base ?? `${f.polarity}-level1`, 'mosfet');
  if (b.params.polarity !== f.polarity) throw new DataError(`base preset ${b.name} is ${String(b.params.polarity)}, the fit is ${f.polarity}`);
  const card = sourceName(o.src.file);
  const vmax = Math.max(...Array.from(f.sweep.vds, Math.abs));
  const from = `fitted to ${card} (${o.cardName}, ngspice DC sweeps V_GS, V_DS 0..${f.polarity === 'pmos' ? '-' : ''}${vmax} V, relative errors with a ${f.floor * 1e9} nA floor)`;
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  raw.params.model = { value: 'level1', source: 'SPICE level 1 (Shichman-Hodges) as the behavioral form of the fitted card' };
  raw.params.polarity = { value: f.polarity, source: `${card}: ${o.cardName} is a ${f.polarity} card` };
  raw.params.vto = { value: withUnit(f.vto.value, 'V', 'voltage'), source: from, note: uncertaintyNote(f.vto, 'V', 'voltage') };
  raw.params.kp = { value: withUnit(f.kp.value, 'uA/V^2', 'transconductance'), source: from, note: uncertaintyNote(f.kp, 'uA/V^2', 'transconductance') };
  raw.params.lambda = { value: withUnit(f.lambda.value, '', 'inverse-voltage'), source: from, note: uncertaintyNote(f.lambda, '', 'inverse-voltage') };
  raw.params.w = { value: withUnit(f.w, 'nm', 'length'), source: 'the channel width of the fitted sweeps' };
  raw.params.l = { value: withUnit(f.l, 'nm', 'length'), source: 'the channel length of the fitted sweeps' };
  const { $schema: _s, ...rest } = raw;
  return {
    ...rest,
    name: o.name,
    kind: 'mosfet',
    description: `Level-1 ${f.polarity.toUpperCase()} fitted to the ${o.cardName} card in ${basename(o.src.file)} (VTO ${Number(f.vto.value.toPrecision(4))} V, KP ${Number((f.kp.value * 1e6).toPrecision(4))} uA/V^2, LAMBDA ${Number(f.lambda.value.toPrecision(3))} 1/V)`,
    fit: fitMetadata(
      o.src,
      'SPICE level 1 (src/devices/mosfet.ts), residuals (I_fit - I_spice) / (|I_spice| + floor)',
      f.stats,
      { vto: f.vto, kp: f.kp, lambda: f.lambda },
      { engine: o.engine, card: o.cardName, floor: f.floor, relRms: f.relRms, ...(o.extra ?? {}) },
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
