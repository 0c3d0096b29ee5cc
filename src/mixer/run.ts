/**
 * The SuperMixer pipeline for one budget: pretraining, then the chains that depend only on it, then
 * the result (the phases: phases.ts; baselines: baselines.ts; the shared run state: context.ts;
 * checkpoints: store.ts; the result: result.ts; the chains on worker threads: worker.ts):
 *
 *  pretrain  float network, then the sites' input scales.
 *  digital   all channels on ADC + digital activation, fine-tuned searchEpochs + finetuneEpochs from
 *            the pretrained weights, hardware (and photonic core) in the loop.
 *  search    the relaxed assignment under the budget, searchEpochs; then its hard assignment.
 *  mixed     fine-tuning with the hard assignment, finetuneEpochs.
 *  analog    all channels on MACAM, fine-tuned searchEpochs + finetuneEpochs.
 * Then every network is evaluated on the test set, and the baselines at the searched analog-channel
 * count are fine-tuned and evaluated.
 */
import { resolveMixOptions, budgetHash, budgetTag, sharedHash, type MixOptions } from './options.ts';
import { baselineChain } from './baselines.ts';
import { baselineNames, type Chain, createRunContext, type Phase, type RunHooks } from './context.ts';
import type { MixData } from './data.ts';
import { energyModel } from './energy.ts';
import { allAnalog, allDigital, evaluateNetwork, finetunePhase, gatesOf, pct, pretrainPhase, searchPhase, type Pretrained } from './phases.ts';
import { assembleResult, type MixResult } from './result.ts';

export * from './context.ts';
export * from './store.ts';
export * from './result.ts';

export type RunOutcome = { stopped: Phase; result?: undefined } | { stopped?: undefined; result: MixResult };

/** Run (or resume) the whole pipeline for one budget, in this thread. */
export function runMix(partial: Partial<MixOptions>, hooks: RunHooks = {}): RunOutcome {
  return runMixStage(partial, hooks);
}

export interface MixStage {
  /** the data, already loaded: exactly loadMixData(o.data, o.seed, o.nTest, o.nTrain) (default: loaded here) */
  readonly data?: MixData;
  /**
   * Run (or resume) only this chain after pretraining (which must be complete in the store or the
   * out dir): its phases and evaluation end up in the store (and checkpoint files), exactly as runMix
   * makes them; returns { stopped: 'pretrain' }.
   */
  readonly chain?: Chain;
}

/** runMix, or a stage of it (for ./worker.ts and ./pareto.ts). */
export function runMixStage(partial: Partial<MixOptions>, hooks: RunHooks = {}, stage: MixStage = {}): RunOutcome {
  const ctx = createRunContext(partial, hooks, stage.data);
  const { o, hs, hb, tag } = ctx;
  const only = stage.chain;
  const pre = pretrainPhase(ctx, only);
  if (hooks.stopAfter === 'pretrain') return { stopped: 'pretrain' };
  const emNet = ctx.newNet();
  const p: Pretrained = { pre, scales: pre.scales!, em: energyModel(emNet.sites, ctx.hw, emNet.model.outSize) };

  const ftEpochs = o.searchEpochs + o.finetuneEpochs;
  const mixName = `mixed-${tag}`;
  const digitalPhase = () => finetunePhase(ctx, p, 'digital', hs, ftEpochs, pre.model, allDigital);
  const analogPhase = () => finetunePhase(ctx, p, 'analog', hs, ftEpochs, pre.model, allAnalog);
  const mixedPhase = (srch: ReturnType<typeof searchPhase>) => finetunePhase(ctx, p, mixName, hb, o.finetuneEpochs, srch.model, gatesOf(srch.assignment!));

  // ---- one chain only (a worker thread's job; see ./worker.ts) -------------------------------------
  if (only) {
    if (only === 'digital') evaluateNetwork(ctx, p, 'digital', hs, digitalPhase(), allDigital);
    else if (only === 'analog') evaluateNetwork(ctx, p, 'analog', hs, analogPhase(), allAnalog);
    else if (only === 'search') searchPhase(ctx, p);
    else if (only === 'float') evaluateNetwork(ctx, p, 'float', hs, pre, allDigital, true);
    else if (only.startsWith('baseline:')) baselineChain(ctx, p, only.slice(9), searchPhase(ctx, p));
    else {
      const s = searchPhase(ctx, p);
      evaluateNetwork(ctx, p, mixName, hb, mixedPhase(s), gatesOf(s.assignment!));
    }
    return { stopped: 'pretrain' };
  }

  // ---- the whole pipeline, in order (phases a worker completed come from the store) ----------------
  const dig = digitalPhase();
  if (hooks.stopAfter === 'digital') return { stopped: 'digital' };
  const srch = searchPhase(ctx, p);
  if (hooks.stopAfter === 'search') return { stopped: 'search' };
  const mix = mixedPhase(srch);
  if (hooks.stopAfter === 'mixed') return { stopped: 'mixed' };
  const ana = analogPhase();
  if (hooks.stopAfter === 'analog') return { stopped: 'analog' };

  const evF = evaluateNetwork(ctx, p, 'float', hs, pre, allDigital, true);
  const evD = evaluateNetwork(ctx, p, 'digital', hs, dig, allDigital);
  const evA = evaluateNetwork(ctx, p, 'analog', hs, ana, allAnalog);
  const evM = evaluateNetwork(ctx, p, mixName, hb, mix, gatesOf(srch.assignment!));
  ctx.log(`accuracy: float ${pct(evF.accuracy)}, digital ${pct(evD.accuracy)}, analog ${pct(evA.accuracy)}, mixed ${pct(evM.accuracy)}`);
  const bases = baselineNames(o).map((name) => ({ name, ...baselineChain(ctx, p, name, srch) }));
  if (bases.length > 0) ctx.log(`baselines: ${bases.map((b) => `${b.name} ${pct(b.ev.accuracy)}`).join(', ')}`);
  return { result: assembleResult(ctx, p, { dig, srch, mix, ana, evF, evD, evA, evM, bases }) };
}

/** Store entry that marks a chain complete (its evaluation; the search state with done = true for 'search'). */
export function chainKey(partial: Partial<MixOptions>, chain: Chain): { name: string; hash: string } {
  const o = resolveMixOptions(partial);
  if (chain === 'mixed') return { name: `eval-mixed-${budgetTag(o.budget)}`, hash: budgetHash(o) };
  if (chain === 'search') return { name: `search-${budgetTag(o.budget)}`, hash: budgetHash(o) };
  if (chain === 'float') return { name: 'eval-float', hash: sharedHash(o) };
  if (chain.startsWith('baseline:')) return { name: `eval-baseline-${chain.slice(9)}-${budgetTag(o.budget)}`, hash: budgetHash(o) };
  return { name: `eval-${chain}`, hash: sharedHash(o) };
}
