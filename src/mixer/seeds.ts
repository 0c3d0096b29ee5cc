/**
 * Repeats of a mix run over seeds (`mix --seeds 1..5`): every figure as mean +- sd over the seeds,
 * and the paired tests pooled. Each seed draws its own data split, initial weights, device variation
 * and photonic errors, so the test samples of different seeds are different draws; a pooled test
 * sums the discordant counts (samples only one network gets right) over the seeds and tests that
 * split (McNemar's exact test), which is how "p pooled over seeds" is meant here.
 */
import { ConfigError } from '../core/errors.ts';
import { isRandomKind } from './context.ts';
import type { MixResult } from './run.ts';
import { mcnemarCounts, meanSd } from './stats.ts';

export interface Spread {
  mean: number;
  sd: number;
  values: number[];
}

export interface SeedsSummary {
  seeds: Array<number | string>;
  /** test accuracy of every configuration (random: each seed's mean over its draws) */
  accuracy: Record<string, Spread>;
  saving: Spread;
  savingAnalog: Spread;
  /** digital - mixed and digital - analog (fraction; 0.01 = 1 point) */
  drop: { mixed: Spread; analog: Spread };
  /** mixed (searched) against each configuration, discordant counts summed over seeds (random: over seeds and draws) */
  comparison: Record<string, { onlyA: number; onlyB: number; pValue: number }>;
}

const spread = (v: number[]): Spread => ({ ...meanSd(v), values: v });

/** Seeds from '1..5', '1,2,7' or '3'. */
export function parseSeeds(text: string): Array<number | string> {
  const t = text.trim();
  const range = /^(-?\d+)\s*\.\.\s*(-?\d+)$/.exec(t);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a || b - a >= 1000) throw new ConfigError(undefined, 'seeds', 'a range a..b with a <= b and at most 1,000 seeds', text);
    return Array.from({ length: b - a + 1 }, (_v, i) => a + i);
  }
  const list = t.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => s === '')) throw new ConfigError(undefined, 'seeds', "seeds like 1..5 or 1,2,7", text);
  const seeds = list.map((s) => (/^-?\d+$/.test(s) ? Number(s) : s));
  if (new Set(seeds.map(String)).size !== seeds.length) throw new ConfigError(undefined, 'seeds', 'distinct seeds', text);
  return seeds;
}

/** Mean +- sd of every figure over the runs of several seeds, and the pooled paired tests. */
export function summariseSeeds(runs: readonly MixResult[]): SeedsSummary {
  if (runs.length === 0) throw new RangeError('summariseSeeds: no runs');
  const accuracy: Record<string, Spread> = {};
  for (const k of ['float', 'digital', 'analog', 'mixed'] as const) accuracy[k] = spread(runs.map((r) => r.accuracy[k]));
  const comparison: SeedsSummary['comparison'] = {};
  const pool = (name: string, pick: (r: MixResult) => Array<{ onlyA: number; onlyB: number }>) => {
    const all = runs.flatMap(pick);
    if (all.length === 0) return;
    comparison[name] = mcnemarCounts(
      all.reduce((a, c) => a + c.onlyA, 0),
      all.reduce((a, c) => a + c.onlyB, 0),
    );
  };
  pool('digital', (r) => [r.comparison.mixedVsDigital]);
  pool('analog', (r) => [r.comparison.mixedVsAnalog]);
  for (const [kind, of] of [
    ['random', (r: MixResult) => r.baselines.random],
    ['budget-random', (r: MixResult) => r.baselines.budgetRandom],
  ] as const) {
    if (!runs.every(of)) continue;
    accuracy[kind] = spread(runs.map((r) => of(r)!.accuracyMean));
    pool(kind, (r) => r.baselines.runs.filter((b) => b.kind === kind).map((b) => b.comparison));
  }
  const heuristics = [...new Set(runs.flatMap((r) => r.baselines.runs.filter((b) => !isRandomKind(b.kind)).map((b) => b.name)))];
  for (const h of heuristics) {
    const of = (r: MixResult) => r.baselines.runs.find((b) => b.name === h);
    if (!runs.every(of)) continue;
    accuracy[h] = spread(runs.map((r) => of(r)!.accuracy));
    pool(h, (r) => [of(r)!.comparison]);
  }
  return {
    seeds: runs.map((r) => r.seed),
    accuracy,
    saving: spread(runs.map((r) => r.saving)),
    savingAnalog: spread(runs.map((r) => r.savingAnalog)),
    drop: { mixed: spread(runs.map((r) => r.accuracy.digital - r.accuracy.mixed)), analog: spread(runs.map((r) => r.accuracy.digital - r.accuracy.analog)) },
    comparison,
  };
}
