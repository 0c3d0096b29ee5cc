/**
 * Baseline assignments of a mix run: other assignments at the same A/D + activation budget, each
 * fine-tuned (option baselineInit: like the all-digital
 * and all-analog networks, searchEpochs + finetuneEpochs from the pretrained weights; or like the
 * mixed network, finetuneEpochs from the weights the search ended with) and evaluated; the
 * heuristics' channel scores; the summary of the baselines against the searched assignment.
 */
import { stream } from '../core/rng.ts';
import type { Dataset } from '../data/index.ts';
import { softmaxCrossEntropy } from '../nn/loss.ts';
import type { ModelState } from '../nn/sequential.ts';
import { baselineKind, type RunContext } from './context.ts';
import { hardAssignment } from './energy.ts';
import type { Net } from './models.ts';
import { evaluateNetwork, finetunePhase, gatesOf, type Pretrained } from './phases.ts';
import type { NetworkEval, PhaseState } from './store.ts';
import type { MixOptions } from './options.ts';
import { mcnemar, meanSd } from './stats.ts';

export interface BaselineResult {
  name: string;
  kind: string;
  accuracy: number;
  /** A/D + activation energy per inference (J) */
  energy: number;
  saving: number;
  /** the analog channels of every site (as many per site as the searched assignment has) */
  analogChannels: number[][];
  /** mixed (searched) vs this baseline */
  comparison: ReturnType<typeof mcnemar>;
}
export interface BaselineSummary {
  runs: BaselineResult[];
  /** the per-site-count random draws (kind 'random'), pooled */
  random?: RandomSummary;
  /** the budget random draws (kind 'budget-random'), pooled */
  budgetRandom?: RandomSummary;
}
export interface RandomSummary {
  draws: number;
  accuracyMean: number;
  accuracySd: number;
  comparison: ReturnType<typeof mcnemar>;
}

/** Per-baseline McNemar tests against the searched network, and the random draws pooled. */
export function baselineSummary(runs: Array<Omit<BaselineResult, 'comparison'> & { mask: string }>, mixedMask: string): BaselineSummary {
  const out: BaselineSummary = { runs: runs.map(({ mask, ...r }) => ({ ...r, comparison: mcnemar(mixedMask, mask) })) };
  const pooled = (kind: string): RandomSummary | undefined => {
    const rnd = runs.filter((r) => r.kind === kind);
    if (rnd.length === 0) return undefined;
    const { mean, sd } = meanSd(rnd.map((r) => r.accuracy));
    return { draws: rnd.length, accuracyMean: mean, accuracySd: sd, comparison: mcnemar(rnd.map(() => mixedMask).join(''), rnd.map((r) => r.mask).join('')) };
  };
  const random = pooled('random');
  const budgetRandom = pooled('budget-random');
  if (random) out.random = random;
  if (budgetRandom) out.budgetRandom = budgetRandom;
  return out;
}

/**
 * The heuristics' channel scores (options HEURISTICS) on the first 2,000 training samples of the
 * pretrained network with calibrated scales, ideal weights (photonic model off):
 * sensitivity = sum over batches of 100 of |dL/dp_c| with every channel digital (p = 0, both paths
 * computed); variance = variance of f(z) over samples and positions.
 */
export function channelScores(net: Net, model: ModelState, scales: readonly number[], data: Dataset, o: MixOptions): Record<string, number[][]> {
  net.model.loadState(model);
  net.sites.forEach((s, k) => (s.scale = scales[k]!));
  for (const p of net.photonic) p.mode = 'off';
  const n = Math.min(2000, data.n);
  const F = data.features;
  const out: Record<string, number[][]> = {};
  if (o.heuristics.includes('variance')) {
    const sum = net.sites.map((s) => new Float64Array(s.site.channels));
    const sq = net.sites.map((s) => new Float64Array(s.site.channels));
    for (const s of net.sites) s.mode = 'float';
    for (let s0 = 0; s0 < n; s0 += 500) {
      const b = Math.min(500, n - s0);
      net.model.forward(data.x.subarray(s0 * F, (s0 + b) * F));
      net.sites.forEach((site, k) => {
        const { channels: C, spatial: S } = site.site;
        const x = site.lastInput;
        for (let i = 0, q = 0; i < b; i++) {
          for (let c = 0; c < C; c++) {
            for (let j = 0; j < S; j++, q++) {
              const y = site.fn.f(x[q]!);
              sum[k]![c] += y;
              sq[k]![c] += y * y;
            }
          }
        }
      });
    }
    out.variance = net.sites.map((site, k) => {
      const m = n * site.site.spatial;
      return Array.from(sum[k]!, (v, c) => Math.max(0, sq[k]![c]! / m - (v / m) ** 2));
    });
  }
  if (o.heuristics.includes('sensitivity')) {
    const acc = net.sites.map((s) => new Float64Array(s.site.channels));
    for (const s of net.sites) {
      s.mode = 'mix';
      s.setGates(new Float64Array(s.site.channels), new Float64Array(s.site.channels).fill(1));
    }
    const C = net.model.outSize;
    let grad = new Float64Array(0);
    for (let s0 = 0; s0 < n; s0 += 100) {
      const b = Math.min(100, n - s0);
      const z = net.model.forward(data.x.subarray(s0 * F, (s0 + b) * F), { training: true });
      if (grad.length !== z.length) grad = new Float64Array(z.length);
      net.model.backward(softmaxCrossEntropy(z, data.y.subarray(s0, s0 + b), b, C, grad).grad);
      net.sites.forEach((site, k) => {
        for (let c = 0; c < site.site.channels; c++) acc[k]![c] += Math.abs(site.gateGrad[c]!);
      });
    }
    out.sensitivity = acc.map((a) => Array.from(a));
  }
  return out;
}

/** Heuristic channel scores of the pretrained network (lowest go analog), computed once per run (again when one is missing). */
function heuristicScores(ctx: RunContext, p: Pretrained): Record<string, number[][]> {
  const hit = ctx.store.get<{ hash: string; scores: Record<string, number[][]> }>('baseline-scores', ctx.hs);
  if (hit && ctx.o.heuristics.every((h) => hit.scores[h])) return hit.scores;
  const scores = channelScores(ctx.newNet(), p.pre.model, p.scales, ctx.train, ctx.o);
  ctx.store.put('baseline-scores', { hash: ctx.hs, scores });
  return scores;
}

/** Baseline `name`'s assignment (the kinds in this file's header). */
function baselineAssignment(ctx: RunContext, p: Pretrained, name: string, srch: PhaseState): number[][] {
  if (baselineKind(name) === 'budget-random') {
    // a uniform random preference per logit group of every site (one stream: a random order of all
    // groups), then the search's own rule: groups turn analog in preference order until the budget is met
    const rng = stream(ctx.o.seed, 'baseline', ctx.tag, name);
    const prefs = p.em.sites.map((s) => rng.fillUniform(new Float64Array(s.logits)));
    return hardAssignment(p.em, prefs, ctx.o.budget).assign.map((a) => Array.from(a));
  }
  return srch.assignment!.map((a, k) => {
    const C = a.length;
    const count = a.reduce((x, v) => x + v, 0);
    const order = Array.from({ length: C }, (_v, c) => c);
    if (baselineKind(name) === 'random') {
      const idx = Int32Array.from(order);
      stream(ctx.o.seed, 'baseline', ctx.tag, name, k).shuffle(idx);
      order.splice(0, C, ...idx);
    } else {
      const sc = heuristicScores(ctx, p)[name]![k]!;
      order.sort((x, y) => sc[x]! - sc[y]! || x - y);
    }
    const out = new Array<number>(C).fill(0);
    for (let i = 0; i < count; i++) out[order[i]!] = 1;
    return out;
  });
}

/**
 * A baseline fine-tuned and evaluated: from the pretrained weights for searchEpochs + finetuneEpochs
 * (baselineInit 'pretrained', like the analog and digital networks), or from the search's final
 * weights for finetuneEpochs (baselineInit 'search', like the mixed network).
 */
export function baselineChain(ctx: RunContext, p: Pretrained, name: string, srch: PhaseState): { assignment: number[][]; ev: NetworkEval } {
  const assignment = baselineAssignment(ctx, p, name, srch);
  const fromSearch = ctx.o.baselineInit === 'search';
  const phase = fromSearch ? `baseline-${name}-from-search-${ctx.tag}` : `baseline-${name}-${ctx.tag}`;
  const epochs = fromSearch ? ctx.o.finetuneEpochs : ctx.o.searchEpochs + ctx.o.finetuneEpochs;
  const st = finetunePhase(ctx, p, phase, ctx.hb, epochs, fromSearch ? srch.model : p.pre.model, gatesOf(assignment));
  return { assignment, ev: evaluateNetwork(ctx, p, phase, ctx.hb, st, gatesOf(assignment)) };
}
