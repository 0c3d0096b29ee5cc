/**
 * Calibrate the two-state MTJ (src/devices/mtj.ts) to measured I-V or R-V data:
 *   R_P (bias independent), R_AP(V) = R_P (1 + TMR0 / (1 + (V/V_h)^2)).
 * Fits R_P, TMR0 and V_h by Levenberg-Marquardt in the domain the data are given in (resistance
 * residuals for a resistance column, current residuals for a current column, I = V / R(V)).
 * With the junction area, R_P becomes RA = R_P * area.
 */
import { DataError } from '../core/errors.ts';
import { linePlot } from '../core/svg.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import '../devices/mtj.ts';
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
import { findColumn, numericColumn, parseCsvTable, requireColumn, textColumn } from './csv.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';

export interface MtjData {
  file?: string;
  v: Float64Array;
  /** resistance (ohm) or current (A) per row */
  y: Float64Array;
  quantity: 'resistance' | 'current';
  /** 0 = P, 1 = AP */
  ap: Uint8Array;
  lines?: number[];
}

export interface MtjReadOptions {
  voltageUnit?: string;
  resistanceUnit?: string;
  currentUnit?: string;
  /** the state of every row when the file has no state column */
  state?: 'P' | 'AP';
}

/** Read `voltage` and `resistance` or `current` (and `state`) columns from CSV text. */
export function readMtjCsv(text: string, file?: string, opts: MtjReadOptions = {}): MtjData {
  const t = parseCsvTable(text, file);
  const vc = requireColumn(t, ['voltage', 'v', 'bias'], 'the bias voltage');
  const rc = findColumn(t, ['resistance', 'r']);
  const ic = findColumn(t, ['current', 'i']);
  if (!rc && !ic) requireColumn(t, ['resistance', 'current'], 'a resistance or a current column');
  const sc = findColumn(t, ['state']);
  if (!sc && !opts.state) {
    throw new DataError(`missing column: expected 'state' (P or AP per row), or give the state of all rows (--state P|AP)`, file);
  }
  if (t.rows.length === 0) throw new DataError('too few points: no data rows', file);
  const v = numericColumn(t, vc, 'voltage', opts.voltageUnit ? { unit: opts.voltageUnit } : {});
  const quantity = rc ? 'resistance' : 'current';
  const y = rc
    ? numericColumn(t, rc, 'resistance', { positive: true, ...(opts.resistanceUnit ? { unit: opts.resistanceUnit } : {}) })
    : numericColumn(t, ic!, 'current', opts.currentUnit ? { unit: opts.currentUnit } : {});
  if (!rc) {
    // a current against the bias must give a positive resistance V / I
    for (let i = 0; i < v.length; i++) {
      const bad = v[i] === 0 ? y[i] !== 0 : !(y[i]! / v[i]! > 0);
      if (bad) throw new DataError(`row ${t.lines[i]}, column '${ic!.raw}': current ${y[i]} A at ${v[i]} V gives a non-positive resistance (non-physical)`, file);
    }
  }
  const states = sc ? textColumn(t, sc, ['P', 'AP']) : t.rows.map(() => opts.state!);
  const ap = Uint8Array.from(states, (s) => (s === 'AP' ? 1 : 0));
  return { ...(file !== undefined ? { file } : {}), v, y, quantity, ap, lines: t.lines };
}

/** MTJ resistance with the fit's parameters (ohm). */
export function mtjModelResistance(rp: number, tmr0: number, vh: number, v: number, ap: boolean): number {
  if (!ap) return rp;
  const x = v / vh;
  return rp * (1 + tmr0 / (1 + x * x));
}

export interface MtjFit {
  kind: 'mtj';
  /** R_P (ohm), TMR0, V_h (V) */
  rp: FitParam;
  tmr0: FitParam;
  vh: FitParam;
  /** RA = R_P * area, when the area was given */
  ra?: FitParam;
  area?: number;
  stats: FitStats;
  lm: LmResult;
  data: MtjData;
}

/** Start values: R_P from the P rows, TMR0 and V_h from a line through 1/TMR against V^2. */
function startValues(d: MtjData): [number, number, number] {
  const r = (i: number) => (d.quantity === 'resistance' ? d.y[i]! : d.v[i]! / d.y[i]!);
  const ok = (i: number) => d.quantity === 'resistance' || d.v[i] !== 0;
  const pR: number[] = [];
  const ap: Array<[number, number]> = [];
  let vmax = 0;
  for (let i = 0; i < d.v.length; i++) {
    vmax = Math.max(vmax, Math.abs(d.v[i]!));
    if (!ok(i)) continue;
    if (d.ap[i]) ap.push([d.v[i]!, r(i)]);
    else pR.push(r(i));
  }
  const rp = pR.length > 0 ? pR.reduce((s, x) => s + x, 0) / pR.length : Math.min(...ap.map((a) => a[1])) / 2;
  // 1/TMR = 1/TMR0 + V^2 / (TMR0 V_h^2): least-squares line in V^2
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let n = 0;
  for (const [v, rr] of ap) {
    const tmr = rr / rp - 1;
    if (!(tmr > 0)) continue;
    const x = v * v;
    const y = 1 / tmr;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    n++;
  }
  let tmr0 = 1;
  let vh = Math.max(vmax, 0.1);
  if (n >= 2 && n * sxx - sx * sx > 0) {
    const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const icpt = (sy - slope * sx) / n;
    if (icpt > 0) tmr0 = 1 / icpt;
    if (slope > 0 && icpt > 0) vh = Math.sqrt(icpt / slope);
  } else if (n >= 1) tmr0 = sy > 0 ? n / sy : 1;
  return [rp, tmr0, vh];
}

export interface MtjFitOptions {
  /** junction area (m^2): also report RA */
  area?: number;
}

/** Fit R_P, TMR0 and V_h. DataError on too few points, no AP rows, no convergence or non-physical results. */
export function fitMtj(d: MtjData, opts: MtjFitOptions = {}): MtjFit {
  const m = d.v.length;
  const file = d.file;
  if (m < 5) throw new DataError(`too few points: ${m} data row(s), need at least 5 to fit R_P, TMR0 and V_h with an uncertainty`, file);
  const nAp = d.ap.reduce((s, x) => s + x, 0);
  if (nAp === 0) throw new DataError(`no AP rows: TMR0 and V_h need anti-parallel-state data (state = AP)`, file);
  const apBiases = new Set<number>();
  for (let i = 0; i < m; i++) if (d.ap[i]) apBiases.add(Math.abs(d.v[i]!));
  if (apBiases.size < 2 + (nAp === m ? 1 : 0)) {
    throw new DataError(`the AP rows need at least ${2 + (nAp === m ? 1 : 0)} different |bias| values to determine V_h`, file);
  }
  const model = (p: Float64Array, i: number): number => {
    const r = mtjModelResistance(p[0]!, p[1]!, p[2]!, d.v[i]!, d.ap[i] === 1);
    return d.quantity === 'resistance' ? r : d.v[i]! / r;
  };
  const res = (p: Float64Array): Float64Array => {
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) out[i] = model(p, i) - d.y[i]!;
    return out;
  };
  const p0 = startValues(d);
  const lm = levenbergMarquardt(res, p0, { scale: [Math.abs(p0[0]), Math.max(Math.abs(p0[1]), 0.1), Math.abs(p0[2])] });
  requireGoodFit(lm, file, ['R_P', 'TMR0', 'V_h']);
  const [rp, tmr0, vhs] = lm.params as unknown as [number, number, number];
  const vh = Math.abs(vhs); // the law depends on V_h^2 only
  if (!(rp > 0)) nonPhysical(file, 'R_P', rp, 'a positive resistance');
  if (!(tmr0 > 0 && tmr0 <= 10)) nonPhysical(file, 'TMR0', tmr0, 'a ratio in (0, 10]');
  if (!(vh > 0)) nonPhysical(file, 'V_h', vh, 'a positive voltage');
  const yf = Float64Array.from({ length: m }, (_, i) => model(lm.params, i));
  const fit: MtjFit = {
    kind: 'mtj',
    rp: param(rp, lm.sigma[0]!, 'ohm'),
    tmr0: param(tmr0, lm.sigma[1]!, ''),
    vh: param(vh, lm.sigma[2]!, 'V'),
    stats: statsOf(lm, d.y, yf, d.quantity === 'resistance' ? 'ohm' : 'A'),
    lm,
    data: d,
  };
  if (opts.area !== undefined) {
    fit.area = opts.area;
    fit.ra = param(rp * opts.area, lm.sigma[0]! * opts.area, 'ohm*m^2');
  }
  return fit;
}

/** The fitted values for --json: rp, tmr0, vh (and ra) in SI, each { value, uncertainty }. */
export function mtjFitSummary(f: MtjFit): Record<string, FitParam> {
  return { rp: f.rp, tmr0: f.tmr0, vh: f.vh, ...(f.ra ? { ra: f.ra } : {}) };
}

export interface PresetOptions {
  name: string;
  src: DataSource;
  /** base preset for the parameters the fit does not set (mtj: the area when none was given) */
  base?: string;
  date?: string;
}

/** The preset file of a fit: ra, area, tmr0, vh; the area from --area or from the base preset. */
export function mtjPresetFile(f: MtjFit, o: PresetOptions): PresetFile & { fit: FitMetadata } {
  const from = `fitted to ${sourceName(o.src.file)}`;
  let area: { value: unknown; source: string };
  let areaSi: number;
  if (f.area !== undefined) {
    area = { value: withUnit(f.area, 'um^2', 'area'), source: `given with the data (--area) for ${sourceName(o.src.file)}` };
    areaSi = f.area;
  } else {
    const base = loadPreset(o.base ?? 'mtj-alamdar', 'mtj');
    areaSi = base.params.area as number;
    area = { ...(base.raw.params.area as { value: unknown; source: string }), source: `${base.sources.area} (from base preset ${base.name})` };
  }
  const ra = param(f.rp.value * areaSi, f.rp.uncertainty * areaSi, 'ohm*m^2');
  const fitParams = mtjFitSummary(f);
  return {
    name: o.name,
    kind: 'mtj',
    description: `Two-state MTJ fitted to ${sourceName(o.src.file)} (R_P ${Number(f.rp.value.toPrecision(5))} ohm, TMR0 ${Number(f.tmr0.value.toPrecision(4))}, V_h ${Number(f.vh.value.toPrecision(4))} V)`,
    params: {
      ra: {
        value: withUnit(ra.value, 'ohm*um^2', 'resistance-area'),
        source: f.area !== undefined ? from : `${from} (R_P times the area)`,
        note: uncertaintyNote(ra, 'ohm*um^2', 'resistance-area'),
      },
      area,
      tmr0: { value: withUnit(f.tmr0.value, '', 'dimensionless'), source: from, note: uncertaintyNote(f.tmr0, '', 'dimensionless') },
      vh: { value: withUnit(f.vh.value, 'V', 'voltage'), source: from, note: uncertaintyNote(f.vh, 'V', 'voltage') },
    },
    fit: fitMetadata(o.src, 'R_P, R_AP(V) = R_P (1 + TMR0 / (1 + (V/V_h)^2)) (src/devices/mtj.ts)', f.stats, { ...fitParams, ra }, {
      quantity: f.data.quantity,
    }, o.date),
  };
}

/** SVG of the data (both states) and the fitted curves. */
export function mtjPlot(f: MtjFit, title = 'MTJ fit'): string {
  const d = f.data;
  let vmin = Infinity;
  let vmax = -Infinity;
  for (const v of d.v) {
    vmin = Math.min(vmin, v);
    vmax = Math.max(vmax, v);
  }
  const grid = Float64Array.from({ length: 121 }, (_, i) => vmin + ((vmax - vmin) * i) / 120);
  const series = [];
  const scale = d.quantity === 'resistance' ? 1e-3 : 1e6;
  for (const [ap, name] of [
    [0, 'P'],
    [1, 'AP'],
  ] as const) {
    const idx = Array.from(d.v.keys()).filter((i) => d.ap[i] === ap);
    if (idx.length === 0) continue;
    series.push({ name: `${name} data`, x: idx.map((i) => d.v[i]!), y: idx.map((i) => d.y[i]! * scale), points: true });
    series.push({
      name: `${name} fit`,
      x: grid,
      y: Array.from(grid, (v) => {
        const r = mtjModelResistance(f.rp.value, f.tmr0.value, f.vh.value, v, ap === 1);
        return (d.quantity === 'resistance' ? r : v / r) * scale;
      }),
    });
  }
  return linePlot({
    title: `${title}: R_P ${(f.rp.value / 1e3).toPrecision(4)} kohm, TMR0 ${f.tmr0.value.toPrecision(3)}, V_h ${f.vh.value.toPrecision(3)} V`,
    xLabel: 'bias voltage (V)',
    yLabel: d.quantity === 'resistance' ? 'resistance (kohm)' : 'current (uA)',
    series,
  });
}
