/**
 * Pareto sweep: one mix run per budget, sharing the budget-independent phases (pretrain, digital,
 * analog and their evaluations) through one phase store; accuracy against A/D + activation energy.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/io.ts';
import { linePlot } from '../core/svg.ts';
import type { RandomSummary } from './baselines.ts';
import { isRandomKind } from './context.ts';
import { loadMixData, type MixData } from './data.ts';
import { type MixOptions, resolveMixOptions } from './options.ts';
import { type MixResult, PhaseStore, type RunHooks, runMixStage } from './run.ts';

export interface ParetoPoint {
  budget: number;
  accuracy: number;
  /** A/D + activation energy per inference (J) */
  energy: number;
  ratio: number;
  saving: number;
  analogChannels: number;
  digitalChannels: number;
  met: boolean;
  systemEnergy: number;
  /** the random assignments at this budget's per-site analog counts (pareto --baselines): mean +- sd accuracy, mean energy (J) */
  random?: RandomPoint;
  /** the random assignments filled to this budget across all sites (kind budget-random) */
  budgetRandom?: RandomPoint;
  /** heuristic assignments at the same count: accuracy, energy (J) */
  heuristics?: Record<string, { accuracy: number; energy: number; pValue: number }>;
}

export interface RandomPoint {
  draws: number;
  accuracyMean: number;
  accuracySd: number;
  energy: number;
  pValue: number;
  /** analog / digital channels, mean over the draws */
  analogChannels: number;
  digitalChannels: number;
}

export interface ParetoResult {
  seed: number | string;
  budgets: number[];
  points: ParetoPoint[];
  digital: { accuracy: number; energy: number; systemEnergy: number };
  analog: { accuracy: number; energy: number; systemEnergy: number };
  runs: MixResult[];
}

function pointOf(r: MixResult): ParetoPoint {
  const sites = r.assignment.sites;
  const p: ParetoPoint = {
    budget: r.budget,
    accuracy: r.accuracy.mixed,
    energy: r.energy.mixed.total,
    ratio: r.energy.mixed.ratio,
    saving: r.saving,
    analogChannels: sites.reduce((a, s) => a + s.analog, 0),
    digitalChannels: sites.reduce((a, s) => a + s.digital, 0),
    met: r.assignment.met,
    systemEnergy: r.systemEnergy.mixed.total,
  };
  const randomPoint = (kind: string, sum: RandomSummary | undefined): RandomPoint | undefined => {
    const rnd = r.baselines.runs.filter((b) => b.kind === kind);
    if (!sum || rnd.length === 0) return undefined;
    const mean = (f: (b: (typeof rnd)[number]) => number) => rnd.reduce((a, b) => a + f(b), 0) / rnd.length;
    const analog = mean((b) => b.analogChannels.reduce((a, c) => a + c.length, 0));
    const { draws, accuracyMean, accuracySd, comparison } = sum;
    return { draws, accuracyMean, accuracySd, energy: mean((b) => b.energy), pValue: comparison.pValue, analogChannels: analog, digitalChannels: p.analogChannels + p.digitalChannels - analog };
  };
  const random = randomPoint('random', r.baselines.random);
  const budgetRandom = randomPoint('budget-random', r.baselines.budgetRandom);
  if (random) p.random = random;
  if (budgetRandom) p.budgetRandom = budgetRandom;
  const heur = r.baselines.runs.filter((b) => !isRandomKind(b.kind));
  if (heur.length > 0) p.heuristics = Object.fromEntries(heur.map((b) => [b.name, { accuracy: b.accuracy, energy: b.energy, pValue: b.comparison.pValue }]));
  return p;
}

/**
 * Run every budget (in the order given); returns undefined if a stop-after option stopped a run.
 * The data are loaded once for all budgets (`data`: already loaded, exactly as loadMixData gives).
 */
export function runPareto(opts: Partial<MixOptions>, budgets: readonly number[], hooks: RunHooks = {}, data?: MixData): ParetoResult | undefined {
  const store = hooks.store ?? new PhaseStore(hooks.outDir, hooks.warn);
  const runs: MixResult[] = [];
  for (const b of budgets) {
    const o = resolveMixOptions({ ...opts, budget: b });
    data ??= loadMixData(o.data, o.seed, o.nTest, o.nTrain);
    const out = runMixStage({ ...opts, budget: b }, { ...hooks, store }, { data });
    if (!out.result) return undefined;
    runs.push(out.result);
  }
  const r0 = runs[0]!;
  return {
    seed: r0.seed,
    budgets: [...budgets],
    points: runs.map(pointOf),
    digital: { accuracy: r0.accuracy.digital, energy: r0.energy.digital.total, systemEnergy: r0.systemEnergy.digital.total },
    analog: { accuracy: r0.accuracy.analog, energy: r0.energy.analog.total, systemEnergy: r0.systemEnergy.analog.total },
    runs,
  };
}

/** pareto.csv: one row per budget plus the all-digital and all-analog references (energies in J). */
export function paretoCsv(p: ParetoResult): string {
  const rows = ['config,budget,accuracy,energy_J,ratio,saving,analog_channels,digital_channels,budget_met,system_energy_J'];
  const r0 = p.runs[0]!;
  const eD = r0.energy.digital.total;
  for (const q of p.points) {
    rows.push(['mixed', q.budget, q.accuracy, q.energy, q.ratio, q.saving, q.analogChannels, q.digitalChannels, q.met, q.systemEnergy].join(','));
    for (const [name, v] of [['random', q.random], ['budget-random', q.budgetRandom]] as const) {
      if (v) rows.push([`${name}-mean-of-${v.draws}`, q.budget, v.accuracyMean, v.energy, v.energy / eD, 1 - v.energy / eD, v.analogChannels, v.digitalChannels, '', ''].join(','));
    }
    for (const [h, v] of Object.entries(q.heuristics ?? {})) rows.push([h, q.budget, v.accuracy, v.energy, v.energy / eD, 1 - v.energy / eD, q.analogChannels, q.digitalChannels, '', ''].join(','));
  }
  const total = r0.assignment.sites.reduce((a, s) => a + s.channels, 0);
  rows.push(['digital', '', p.digital.accuracy, p.digital.energy, 1, 0, 0, total, '', p.digital.systemEnergy].join(','));
  rows.push(['analog', '', p.analog.accuracy, p.analog.energy, r0.energy.analog.ratio, r0.savingAnalog, total, 0, '', p.analog.systemEnergy].join(','));
  return `${rows.join('\n')}\n`;
}

/** pareto.svg: accuracy (%) against A/D + activation energy per inference (pJ). */
export function paretoSvg(p: ParetoResult): string {
  const pts = [...p.points].sort((a, b) => a.energy - b.energy);
  return linePlot({
    title: 'SuperMixer: accuracy vs A/D + activation energy per inference',
    xLabel: 'A/D + activation energy per inference (pJ)',
    yLabel: 'test accuracy (%)',
    series: [
      { name: 'mixed (budgets)', x: pts.map((q) => q.energy * 1e12), y: pts.map((q) => q.accuracy * 100) },
      ...([
        ['random', 'random assignment, same per-site counts'],
        ['budgetRandom', 'random assignment, same budget'],
      ] as const)
        .filter(([k]) => pts.every((q) => q[k]))
        .map(([k, label]) => ({
          name: `${label} (mean +- sd of ${pts[0]![k]!.draws})`,
          x: pts.map((q) => q[k]!.energy * 1e12),
          y: pts.map((q) => q[k]!.accuracyMean * 100),
          yErr: pts.map((q) => q[k]!.accuracySd * 100),
          dashed: true,
        })),
      ...Object.keys(pts[0]?.heuristics ?? {})
        .filter((h) => pts.every((q) => q.heuristics?.[h]))
        .map((h) => ({ name: `${h} heuristic`, x: pts.map((q) => q.heuristics![h]!.energy * 1e12), y: pts.map((q) => q.heuristics![h]!.accuracy * 100), dashed: true })),
      { name: 'all-digital', x: [p.digital.energy * 1e12], y: [p.digital.accuracy * 100], points: true },
      { name: 'all-analog', x: [p.analog.energy * 1e12], y: [p.analog.accuracy * 100], points: true },
    ],
    labels: pts.map((q) => ({ x: q.energy * 1e12, y: q.accuracy * 100, text: `${q.budget}` })),
  });
}

/** Write pareto.csv and pareto.svg into `dir`; returns their paths. */
export function writePareto(p: ParetoResult, dir: string): string[] {
  const csv = join(dir, 'pareto.csv');
  const svg = join(dir, 'pareto.svg');
  writeFileAtomic(csv, paretoCsv(p));
  writeFileAtomic(svg, paretoSvg(p));
  return [csv, svg];
}
