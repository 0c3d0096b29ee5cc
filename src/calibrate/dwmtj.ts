/**
 * Calibrate a domain-wall MTJ (src/devices/dwmtj.ts) to read resistance against wall position.
 * Parallel-area law: G(f) = (1 - f)/R_P + f/R_AP, R(f) = 1/G(f).
 *
 * Two kinds of data:
 *  - `position` (AP fraction f in [0, 1]) against `resistance`: fits R_P and R_AP.
 *  - `notch` (integer index, or P / AP for the saturated reference states) against `resistance`:
 *    fits R_P, R_AP and one position f_k per notch jointly, with R(P) = R_P, R(AP) = R_AP and
 *    R(notch k) = R(f_k). At the optimum f_k is the parallel-area law inverted at the fitted R_P,
 *    R_AP for notch k's mean resistance, and its uncertainty includes those of R_P and R_AP.
 *    Without P/AP rows, `ends` declares the lowest notch fully P (f = 0) and the highest fully AP (f = 1).
 *
 * TMR0 = (R_AP / R_P - 1) (1 + (V_read/V_h)^2): the data are read at bias V_read (default 0, i.e. a
 * low-bias read) and V_h comes from the base preset. The resistance is that of the MTJ pillar; with
 * `seriesResistance` the heavy-metal read path (base preset) is subtracted from every reading first.
 */
import { DataError } from '../core/errors.ts';
import { type DwmtjParams, readSeriesResistance } from '../devices/dwmtj.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import { linePlot } from '../core/svg.ts';
import {
  type DataSource,
  type FitMetadata,
  type FitParam,
  type FitStats,
  fitMetadata,
  nonPhysical,
  param,
  propagate,
  requireGoodFit,
  sourceName,
  statsOf,
  uncertaintyNote,
  withUnit,
} from './common.ts';
import { findColumn, numericColumn, parseCsvTable, requireColumn } from './csv.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';

/** Reference state label of a notch row: 'P', 'AP', or a notch index. */
export type NotchLabel = number | 'P' | 'AP';

export interface DwmtjData {
  file?: string;
  kind: 'position' | 'notch';
  /** AP fraction per row (position data) */
  f?: Float64Array;
  /** notch label per row (notch data) */
  notch?: NotchLabel[];
  /** MTJ resistance per row (ohm) */
  r: Float64Array;
  lines?: number[];
}

export interface DwmtjReadOptions {
  resistanceUnit?: string;
}

/** Read `position` or `notch` against `resistance` columns. */
export function readDwmtjCsv(text: string, file?: string, opts: DwmtjReadOptions = {}): DwmtjData {
  const t = parseCsvTable(text, file);
  const pc = findColumn(t, ['position', 'f', 'apfraction', 'fraction']);
  const nc = findColumn(t, ['notch', 'notchindex', 'index']);
  if (!pc && !nc) requireColumn(t, ['position', 'notch'], 'the wall position (AP fraction) or the notch index');
  const rc = requireColumn(t, ['resistance', 'r'], 'the read resistance');
  if (t.rows.length === 0) throw new DataError('too few points: no data rows', file);
  const r = numericColumn(t, rc, 'resistance', { positive: true, ...(opts.resistanceUnit ? { unit: opts.resistanceUnit } : {}) });
  const base = { ...(file !== undefined ? { file } : {}), r, lines: t.lines };
  if (pc) {
    const f = numericColumn(t, pc, 'dimensionless');
    f.forEach((x, i) => {
      if (x < 0 || x > 1) throw new DataError(`row ${t.lines[i]}, column '${pc.raw}': expected an AP fraction in [0, 1], got ${x}`, file);
    });
    return { kind: 'position', f, ...base };
  }
  const notch = t.rows.map((row, i): NotchLabel => {
    const cell = row[nc!.index]!.trim();
    if (/^p$/i.test(cell)) return 'P';
    if (/^ap$/i.test(cell)) return 'AP';
    if (/^\d+$/.test(cell)) return Number(cell);
    throw new DataError(`row ${t.lines[i]}, column '${nc!.raw}': expected a notch index (0, 1, 2, ...) or P / AP, got ${cell === '' ? 'an empty cell' : `"${cell}"`}`, file);
  });
  return { kind: 'notch', notch, ...base };
}

/** Read resistance from the parallel-area law. */
export function parallelAreaResistance(rp: number, rap: number, f: number): number {
  return 1 / ((1 - f) / rp + f / rap);
}

/** The AP fraction at which the parallel-area law gives resistance r. */
export function positionForResistance(rp: number, rap: number, r: number): number {
  return (1 / rp - 1 / r) / (1 / rp - 1 / rap);
}

export interface DwmtjFit {
  kind: 'dwmtj';
  rp: FitParam;
  rap: FitParam;
  tmr0: FitParam;
  /** fitted notch positions, by ascending f (notch data) */
  notches?: FitParam[];
  /** notch index of each fitted position */
  notchIndex?: number[];
  readBias: number;
  vh: number;
  seriesResistance: number;
  stats: FitStats;
  lm: LmResult;
  data: DwmtjData;
}

export interface DwmtjFitOptions {
  /** read bias of the data (V); TMR0 is referred to zero bias with V_h (default 0) */
  readBias?: number;
  /** V_h for that referral (V), normally from the base preset */
  vh?: number;
  /** series resistance to subtract from every reading (ohm), default 0 */
  seriesResistance?: number;
  /** notch data without P/AP rows: the lowest notch is f = 0 and the highest f = 1 */
  ends?: boolean;
}

/** Fit R_P, R_AP (-> TMR0) and, for notch data, the notch positions. */
export function fitDwmtj(d: DwmtjData, opts: DwmtjFitOptions = {}): DwmtjFit {
  const file = d.file;
  const rs = opts.seriesResistance ?? 0;
  const r = Float64Array.from(d.r, (x) => x - rs);
  r.forEach((x, i) => {
    if (!(x > 0)) throw new DataError(`row ${d.lines?.[i] ?? i + 1}: resistance ${d.r[i]} ohm minus the series track (${rs} ohm) is not positive (non-physical)`, file);
  });
  const m = r.length;
  let labels: Array<{ kind: 'P' | 'AP' | 'f'; k: number; f?: number }>;
  let notchIds: number[] = [];
  /** with the option ends: the notches taken as fully P and fully AP */
  let endIds: [number, number] | undefined;
  if (d.kind === 'position') {
    labels = Array.from(d.f!, (f) => ({ kind: 'f' as const, k: -1, f }));
    const fs = new Set(d.f);
    if (fs.size < 2) throw new DataError('the positions need at least 2 different values to determine R_P and R_AP', file);
  } else {
    const notch = d.notch!;
    notchIds = [...new Set(notch.filter((x): x is number => typeof x === 'number'))].sort((a, b) => a - b);
    const hasRef = notch.includes('P') && notch.includes('AP');
    if (!hasRef && !opts.ends) {
      throw new DataError(`notch data need reference rows (notch = P and notch = AP, the saturated states) or the option ends (lowest notch f = 0, highest f = 1)`, file);
    }
    if (!hasRef && (notch.includes('P') || notch.includes('AP'))) {
      throw new DataError('notch data have only one of the P / AP reference states; give both, or neither with the option ends', file);
    }
    if (!hasRef) {
      if (notchIds.length < 2) throw new DataError('the option ends needs at least 2 notches', file);
      endIds = [notchIds[0]!, notchIds[notchIds.length - 1]!];
    }
    const free = notchIds.filter((id) => !endIds?.includes(id));
    labels = notch.map((x) =>
      x === 'P' || x === endIds?.[0]
        ? { kind: 'P' as const, k: -1 }
        : x === 'AP' || x === endIds?.[1]
          ? { kind: 'AP' as const, k: -1 }
          : { kind: 'f' as const, k: free.indexOf(x as number) },
    );
    notchIds = free;
  }
  const nFree = d.kind === 'notch' ? notchIds.length : 0;
  const nPar = 2 + nFree;
  if (m < nPar + 1) {
    throw new DataError(`too few points: ${m} reading(s) for ${nPar} parameters; need at least ${nPar + 1} (repeat reads give the noise estimate)`, file);
  }
  // start values
  let rp0: number;
  let rap0: number;
  if (d.kind === 'position') {
    // G = 1/R_P + f (1/R_AP - 1/R_P): a straight line in f
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    labels.forEach((l, i) => {
      const g = 1 / r[i]!;
      sx += l.f!;
      sy += g;
      sxx += l.f! * l.f!;
      sxy += l.f! * g;
    });
    const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
    const g0 = (sy - slope * sx) / m;
    rp0 = 1 / g0;
    rap0 = 1 / (g0 + slope);
    if (!(rp0 > 0 && rap0 > 0)) {
      rp0 = Math.min(...r);
      rap0 = Math.max(...r);
    }
  } else {
    const mean = (kind: 'P' | 'AP') => {
      const xs = labels.flatMap((l, i) => (l.kind === kind ? [r[i]!] : []));
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };
    rp0 = mean('P');
    rap0 = mean('AP');
  }
  const p0 = [rp0, rap0];
  for (let k = 0; k < nFree; k++) {
    const xs = labels.flatMap((l, i) => (l.kind === 'f' && l.k === k ? [r[i]!] : []));
    const rm = xs.reduce((s, x) => s + x, 0) / xs.length;
    p0.push(Math.min(1.2, Math.max(-0.2, positionForResistance(rp0, rap0, rm))));
  }
  const model = (p: Float64Array, i: number): number => {
    const l = labels[i]!;
    if (l.kind === 'P') return p[0]!;
    if (l.kind === 'AP') return p[1]!;
    return parallelAreaResistance(p[0]!, p[1]!, l.f ?? p[2 + l.k]!);
  };
  const res = (p: Float64Array) => Float64Array.from({ length: m }, (_, i) => model(p, i) - r[i]!);
  const scale = [Math.abs(rp0), Math.abs(rap0), ...Array.from({ length: nFree }, () => 0.5)];
  const lm = levenbergMarquardt(res, p0, { scale });
  const names = ['R_P', 'R_AP', ...notchIds.map((id) => `position of notch ${id}`)];
  requireGoodFit(lm, file, names);
  const rp = lm.params[0]!;
  const rap = lm.params[1]!;
  if (!(rp > 0)) nonPhysical(file, 'R_P', rp, 'a positive resistance');
  if (!(rap > rp)) nonPhysical(file, 'R_AP', rap, `a resistance above R_P = ${rp.toPrecision(6)} ohm (TMR > 0)`);
  const vr = opts.readBias ?? 0;
  const vh = opts.vh ?? Number.POSITIVE_INFINITY;
  const roll = 1 + (vr / vh) ** 2;
  const tmrRead = rap / rp - 1;
  const cov2 = [Float64Array.of(lm.covariance[0]![0]!, lm.covariance[0]![1]!), Float64Array.of(lm.covariance[1]![0]!, lm.covariance[1]![1]!)];
  const tmrSigma = propagate([-rap / (rp * rp), 1 / rp], cov2) * roll;
  const tmr0 = tmrRead * roll;
  if (!(tmr0 <= 10)) nonPhysical(file, 'TMR0', tmr0, 'a ratio in (0, 10]');
  const yf = Float64Array.from({ length: m }, (_, i) => model(lm.params, i));
  const fit: DwmtjFit = {
    kind: 'dwmtj',
    rp: param(rp, lm.sigma[0]!, 'ohm'),
    rap: param(rap, lm.sigma[1]!, 'ohm'),
    tmr0: param(tmr0, tmrSigma, ''),
    readBias: vr,
    vh: opts.vh ?? Number.NaN,
    seriesResistance: rs,
    stats: statsOf(lm, r, yf, 'ohm'),
    lm,
    data: d,
  };
  if (d.kind === 'notch') {
    const pos = notchIds.map((id, k) => ({ id, f: lm.params[2 + k]!, s: lm.sigma[2 + k]! }));
    if (endIds) {
      pos.unshift({ id: endIds[0], f: 0, s: 0 });
      pos.push({ id: endIds[1], f: 1, s: 0 });
    }
    for (const q of pos) {
      // a notch at the very end may come out just outside [0, 1] by noise: clamp within 3 sigma
      if (q.f < 0 && q.f > -3 * q.s - 1e-9) q.f = 0;
      if (q.f > 1 && q.f < 1 + 3 * q.s + 1e-9) q.f = 1;
      if (!(q.f >= 0 && q.f <= 1)) nonPhysical(file, `position of notch ${q.id}`, q.f, 'an AP fraction in [0, 1]');
    }
    pos.sort((a, b) => a.f - b.f);
    for (let k = 1; k < pos.length; k++) {
      if (!(pos[k]!.f > pos[k - 1]!.f)) {
        nonPhysical(file, `position of notch ${pos[k]!.id}`, pos[k]!.f, `a position distinct from notch ${pos[k - 1]!.id}'s`);
      }
    }
    fit.notches = pos.map((q) => param(q.f, q.s, ''));
    fit.notchIndex = pos.map((q) => q.id);
  }
  return fit;
}

export function dwmtjFitSummary(f: DwmtjFit): Record<string, FitParam | FitParam[]> {
  return { rp: f.rp, rap: f.rap, tmr0: f.tmr0, ...(f.notches ? { notches: f.notches } : {}) };
}

export interface DwmtjPresetOptions {
  name: string;
  src: DataSource;
  /** base preset (default dwmtj-pt-projected): every other field is copied with its source */
  base?: string;
  date?: string;
}

/** The base preset's params (SI) and raw file, for V_h and the series track. */
export function dwmtjBase(base = 'dwmtj-pt-projected') {
  const b = loadPreset(base, 'dwmtj');
  const p = b.params as unknown as DwmtjParams;
  return { preset: b, params: p, seriesResistance: readSeriesResistance(p) };
}

/** A dwmtj preset: the base preset with ra (= R_P * base area), tmr0 and (notch data) notches fitted. */
export function dwmtjPresetFile(f: DwmtjFit, o: DwmtjPresetOptions): PresetFile & { fit: FitMetadata } {
  const { preset: b, params: bp } = dwmtjBase(o.base);
  const from = `fitted to ${sourceName(o.src.file)}`;
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  const ra = param(f.rp.value * bp.area, f.rp.uncertainty * bp.area, 'ohm*m^2');
  raw.params.ra = {
    value: withUnit(ra.value, 'ohm*um^2', 'resistance-area'),
    source: `${from} (R_P times the area of base preset ${b.name})`,
    note: uncertaintyNote(ra, 'ohm*um^2', 'resistance-area'),
  };
  const tmrSrc = f.readBias !== 0 ? `${from} (R_AP/R_P - 1 at the read bias ${f.readBias} V, referred to zero bias with V_h ${f.vh} V)` : `${from} (R_AP/R_P - 1)`;
  raw.params.tmr0 = { value: withUnit(f.tmr0.value, '', 'dimensionless'), source: tmrSrc, note: uncertaintyNote(f.tmr0, '', 'dimensionless') };
  if (f.notches) {
    raw.params.notches = {
      value: f.notches.map((n) => Number(n.value.toPrecision(8))),
      source: `${from} (parallel-area law inverted at the fitted R_P, R_AP; notch indices ${f.notchIndex!.join(', ')})`,
      note: `fit uncertainties ${f.notches.map((n) => Number(n.uncertainty.toPrecision(2))).join(', ')} (1 sigma)`,
    };
  }
  const { $schema: _s, ...rest } = raw;
  return {
    ...rest,
    name: o.name,
    kind: 'dwmtj',
    description: `DW-MTJ fitted to ${sourceName(o.src.file)} (R_P ${Number(f.rp.value.toPrecision(5))} ohm, R_AP ${Number(f.rap.value.toPrecision(5))} ohm${f.notches ? `, ${f.notches.length} notches` : ''}); other fields from ${b.name}`,
    fit: fitMetadata(o.src, 'parallel-area law G(f) = (1 - f)/R_P + f/R_AP (src/devices/dwmtj.ts)', f.stats, dwmtjFitSummary(f) as Record<string, FitParam>, {
      base: b.name,
      readBias: f.readBias,
      seriesResistanceSubtracted: f.seriesResistance,
    }, o.date),
  };
}

/** SVG: resistance against AP fraction, data (notch data at their fitted positions) and the law. */
export function dwmtjPlot(f: DwmtjFit, title = 'DW-MTJ fit'): string {
  const d = f.data;
  const xs: number[] = [];
  const ys: number[] = [];
  const r = (i: number) => d.r[i]! - f.seriesResistance;
  if (d.kind === 'position') {
    d.f!.forEach((x, i) => {
      xs.push(x);
      ys.push(r(i) / 1e3);
    });
  } else {
    const posOf = new Map<NotchLabel, number>([
      ['P', 0],
      ['AP', 1],
    ]);
    f.notchIndex!.forEach((id, k) => posOf.set(id, f.notches![k]!.value));
    d.notch!.forEach((lab, i) => {
      xs.push(posOf.get(lab)!);
      ys.push(r(i) / 1e3);
    });
  }
  const grid = Array.from({ length: 101 }, (_, i) => i / 100);
  return linePlot({
    title: `${title}: R_P ${(f.rp.value / 1e3).toPrecision(4)} kohm, R_AP ${(f.rap.value / 1e3).toPrecision(4)} kohm`,
    xLabel: 'AP fraction f',
    yLabel: 'MTJ read resistance (kohm)',
    series: [
      { name: 'data', x: xs, y: ys, points: true },
      { name: 'parallel-area fit', x: grid, y: grid.map((g) => parallelAreaResistance(f.rp.value, f.rap.value, g) / 1e3) },
    ],
  });
}
