/**
 * `sweep merge`: every planned point must have a valid result (the missing ones are named); the
 * sweep table groups the repeats of each axis combination and gives each figure's mean and sample
 * standard deviation, in CSV and JSON, with plots: the Pareto front (accuracy vs A/D + activation
 * energy, error bars = 1 sd over repeats) for mix sweeps and the main figure vs each axis. The
 * table's bytes depend only on the points' results (no times, no paths), so it is the same however
 * the points were run.
 */
import { join } from 'node:path';
import { DataError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/io.ts';
import { linePlot, type Series } from '../core/svg.ts';
import { readPoint } from './point.ts';
import type { StoredPlan } from './store.ts';
import type { SweepKind } from './spec.ts';

/** One figure of the table: its column name carries its unit (SI; fractions are dimensionless). */
interface Metric {
  name: string;
  unit: string;
  doc: string;
}

type Getter = [Metric, (r: any) => unknown];

const m = (name: string, unit: string, doc: string, get: (r: any) => unknown): Getter => [{ name, unit, doc }, get];

/** The fixed figures of each kind of point, then the itemised energies found in the results. */
const FIXED: Record<SweepKind, Getter[]> = {
  mix: [
    m('accuracyFloat', 'fraction', 'test accuracy of the float network', (r) => r.accuracy?.float),
    m('accuracyDigital', 'fraction', 'all-digital (ADC + digital activation)', (r) => r.accuracy?.digital),
    m('accuracyAnalog', 'fraction', 'all-analog (MACAM)', (r) => r.accuracy?.analog),
    m('accuracyMixed', 'fraction', 'the searched mix', (r) => r.accuracy?.mixed),
    m('accuracyRandom', 'fraction', 'random assignments at the searched per-site counts (mean of the draws)', (r) => r.baselines?.random?.accuracyMean),
    m('accuracyBudgetRandom', 'fraction', 'random assignments filled to the budget across all sites (mean of the draws)', (r) => r.baselines?.budgetRandom?.accuracyMean),
    m('saving', 'fraction', '1 - E_mixed / E_digital (A/D + activation)', (r) => r.saving),
    m('savingAnalog', 'fraction', '1 - E_analog / E_digital', (r) => r.savingAnalog),
    m('energyRatio', 'fraction', 'E_mixed / E_digital (A/D + activation)', (r) => r.energy?.mixed?.ratio),
    m('energyMixedJ', 'J', 'A/D + activation energy per inference, mixed', (r) => r.energy?.mixed?.total),
    m('energyDigitalJ', 'J', 'A/D + activation energy per inference, all-digital', (r) => r.energy?.digital?.total),
    m('systemSaving', 'fraction', 'saving on the whole system (photonic core included)', (r) => r.systemSaving),
  ],
  unit: [
    m('macamMaxLsb', 'LSB', 'largest code error of the MACAM unit', (r) => r.error?.macam?.maxLsb),
    m('macamRmsLsb', 'LSB', 'rms code error of the MACAM unit', (r) => r.error?.macam?.rmsLsb),
    m('macamMismatch', 'fraction', 'inputs whose MACAM code differs from the ideal', (r) => r.error?.macam?.mismatchFraction),
    m('digitalMaxLsb', 'LSB', 'largest code error of the digital path', (r) => r.error?.digital?.maxLsb),
    m('energyMacamJ', 'J', 'energy per activation, MACAM', (r) => r.energy?.macam?.total),
    m('energyDigitalJ', 'J', 'energy per activation, ADC + digital', (r) => r.energy?.digital?.total),
    m('saving', 'fraction', '1 - E_macam / E_digital', (r) => r.saving),
  ],
  cell: [
    m('vLoV', 'V', 'lower bound', (r) => r.bounds?.vLo),
    m('vHiV', 'V', 'upper bound', (r) => r.bounds?.vHi),
    m('energyJ', 'J', 'energy per search', (r) => r.energy?.total),
    m('mcVLoMeanV', 'V', 'Monte Carlo mean of the lower bound', (r) => r.monteCarlo?.lo?.mean),
    m('mcVLoSdV', 'V', 'Monte Carlo sd of the lower bound', (r) => r.monteCarlo?.lo?.std),
    m('mcVHiMeanV', 'V', 'Monte Carlo mean of the upper bound', (r) => r.monteCarlo?.hi?.mean),
    m('mcVHiSdV', 'V', 'Monte Carlo sd of the upper bound', (r) => r.monteCarlo?.hi?.std),
  ],
};

/** Where the itemised energies are: prefix of the column, path to an { items } object. */
const ITEMS: Record<SweepKind, Array<[string, (r: any) => Record<string, number> | undefined]>> = {
  mix: [
    ['energyMixed', (r) => r.energy?.mixed?.items],
    ['energyDigital', (r) => r.energy?.digital?.items],
  ],
  unit: [
    ['energyMacam', (r) => r.energy?.macam?.items],
    ['energyDigital', (r) => r.energy?.digital?.items],
  ],
  cell: [['energy', (r) => r.energy?.items]],
};

/** The main figure of each kind (the y of "vs axis" plots). */
const MAIN: Record<SweepKind, string> = { mix: 'accuracyMixed', unit: 'macamRmsLsb', cell: 'vLoV' };

export interface SweepRow {
  axes: Record<string, unknown>;
  n: number;
  seeds: Array<number | string>;
  ids: string[];
  figures: Record<string, { mean: number; sd: number }>;
}

export interface SweepTable {
  format: 'fusemix-sweep-table/1';
  kind: SweepKind;
  axes: string[];
  figures: Metric[];
  rows: SweepRow[];
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Mean and sample standard deviation (0 for one value). */
function meanSd(v: number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd };
}

/** Check that every point has a valid result (DataError naming the missing ones) and build the table. */
export function sweepTable(out: string, plan: StoredPlan): SweepTable {
  const { points, axes, kind } = plan;
  if (points.length === 0) throw new DataError('the sweep has no points', out);
  const results = points.map((p) => readPoint(out, p.id));
  const missing = points.filter((_, i) => !results[i]);
  if (missing.length) {
    const list = missing.slice(0, 10).map((p) => `${p.id} (#${p.index}: ${JSON.stringify({ ...p.axes, seed: p.seed })})`);
    throw new DataError(
      `${missing.length} of ${points.length} points have no valid result in ${join(out, 'points')}: ${list.join(', ')}${missing.length > 10 ? ', ...' : ''}; run the sweep again to compute them`,
      out,
    );
  }
  // figures: the fixed ones present in any result, then every energy item found, sorted
  const getters: Getter[] = FIXED[kind].filter(([, g]) => results.some((r) => typeof g(r!.result) === 'number'));
  for (const [prefix, items] of ITEMS[kind]) {
    const names = [...new Set(results.flatMap((r) => Object.keys(items(r!.result) ?? {})))].sort();
    for (const k of names) getters.push(m(`${prefix}${cap(k)}J`, 'J', `${prefix} item ${k}`, (r) => items(r)?.[k]));
  }
  // group the repeats: rows in plan order of their first point
  const groups = new Map<string, number[]>();
  points.forEach((p, i) => {
    const key = JSON.stringify(axes.map((a) => p.axes[a]));
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const rows: SweepRow[] = [...groups.values()].map((idx) => {
    const figures: SweepRow['figures'] = {};
    for (const [metric, g] of getters) {
      const v = idx.map((i) => g(results[i]!.result)).filter((x): x is number => typeof x === 'number');
      if (v.length) figures[metric.name] = meanSd(v);
    }
    const first = points[idx[0]!]!;
    return { axes: { ...first.axes }, n: idx.length, seeds: idx.map((i) => points[i]!.seed), ids: idx.map((i) => points[i]!.id), figures };
  });
  return { format: 'fusemix-sweep-table/1', kind, axes: [...axes], figures: getters.map(([mm]) => mm), rows };
}

const csvCell = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The table as CSV: the axis values, n, then mean and sd of every figure. */
export function tableCsv(t: SweepTable): string {
  const head = [...t.axes, 'n', ...t.figures.flatMap((f) => [`${f.name}_mean`, `${f.name}_sd`])];
  const lines = t.rows.map((r) =>
    [...t.axes.map((a) => csvCell(r.axes[a])), String(r.n), ...t.figures.flatMap((f) => (r.figures[f.name] ? [String(r.figures[f.name]!.mean), String(r.figures[f.name]!.sd)] : ['', '']))].join(','),
  );
  return `${[head.map(csvCell).join(','), ...lines].join('\n')}\n`;
}

/** The plots of a table, by file name. */
export function tablePlots(t: SweepTable): Record<string, string> {
  const plots: Record<string, string> = {};
  const fig = (r: SweepRow, name: string) => r.figures[name] ?? { mean: Number.NaN, sd: Number.NaN };
  if (t.kind === 'mix') {
    const rows = [...t.rows].sort((a, b) => fig(a, 'energyRatio').mean - fig(b, 'energyRatio').mean);
    // the Pareto front: the rows no other row beats on both energy and accuracy
    const front = rows.filter((r) => !rows.some((o) => o !== r && fig(o, 'energyRatio').mean <= fig(r, 'energyRatio').mean && fig(o, 'accuracyMixed').mean > fig(r, 'accuracyMixed').mean));
    const series: Series[] = [
      { name: 'points (mean +- sd over repeats)', points: true, x: rows.map((r) => fig(r, 'energyRatio').mean), y: rows.map((r) => 100 * fig(r, 'accuracyMixed').mean), yErr: rows.map((r) => 100 * fig(r, 'accuracyMixed').sd) },
      { name: 'Pareto front', x: front.map((r) => fig(r, 'energyRatio').mean), y: front.map((r) => 100 * fig(r, 'accuracyMixed').mean) },
    ];
    plots['pareto.svg'] = linePlot({ title: 'Sweep: accuracy vs A/D + activation energy', xLabel: 'E_mixed / E_digital', yLabel: 'test accuracy (%)', series });
  }
  const main = MAIN[t.kind];
  const metric = t.figures.find((f) => f.name === main);
  if (!metric) return plots;
  const scale = metric.unit === 'fraction' ? 100 : 1;
  for (const a of t.axes) {
    const xs = t.rows.map((r) => r.axes[a]);
    if (!xs.every((x) => typeof x === 'number')) continue;
    // one line per combination of the other axes (at most 7; beyond that, the mean over them)
    const others = t.axes.filter((b) => b !== a);
    const byOther = new Map<string, SweepRow[]>();
    for (const r of t.rows) {
      const k = others.map((b) => `${b}=${JSON.stringify(r.axes[b])}`).join(', ');
      byOther.set(k, [...(byOther.get(k) ?? []), r]);
    }
    let series: Series[];
    if (byOther.size <= 7) {
      series = [...byOther.entries()].map(([k, rs]) => {
        const s = [...rs].sort((p, q) => (p.axes[a] as number) - (q.axes[a] as number));
        return { name: k || metric.doc, x: s.map((r) => r.axes[a] as number), y: s.map((r) => scale * fig(r, main).mean), yErr: s.map((r) => scale * fig(r, main).sd) };
      });
    } else {
      const vals = [...new Set(xs as number[])].sort((p, q) => p - q);
      series = [{ name: `mean over ${others.join(', ')}`, x: vals, y: vals.map((v) => scale * meanSd(t.rows.filter((r) => r.axes[a] === v).map((r) => fig(r, main).mean)).mean) }];
    }
    plots[`${main}-vs-${a}.svg`] = linePlot({ title: `${metric.doc} vs ${a}`, xLabel: a, yLabel: `${main}${scale === 100 ? ' (%)' : ` (${metric.unit})`}`, series });
  }
  return plots;
}

/** Write sweep.csv, sweep.json and the plots into `out`; returns the files written. */
export function writeSweepTable(out: string, t: SweepTable): string[] {
  const files: string[] = [];
  const put = (name: string, text: string) => {
    writeFileAtomic(join(out, name), text);
    files.push(join(out, name));
  };
  put('sweep.csv', tableCsv(t));
  put('sweep.json', `${JSON.stringify(t, null, 2)}\n`);
  for (const [name, svg] of Object.entries(tablePlots(t))) put(name, svg);
  return files;
}
