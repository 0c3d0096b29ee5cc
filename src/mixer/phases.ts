/**
 * The phases of a mix run over its RunContext (context.ts), each checkpointed in the phase store
 * after every epoch when the run has an out dir, so an interrupted run resumes to the same result:
 *
 *  pretrain  float network (plain activation, ideal weights), `pretrainEpochs`; then the per-site
 *            input scale g is calibrated so the `percentile` of the positive pre-activations on 2,000
 *            training samples maps to the top of the unit's input range.
 *  finetune  a fixed assignment (all digital, all analog, the searched one, a baseline), hardware and
 *            photonic core in the loop, from a given state.
 *  search    relaxed assignment (relax.ts): Gumbel-softmax gates per logit, annealed temperature,
 *            loss = CE + lambda * max(0, E_expected / E_digital - budget); weights and logits trained
 *            together for searchEpochs; then the hard assignment (energy.ts) that meets the budget.
 *  evaluate  a network on the test set (photonic non-idealities re-sampled per batch), with its
 *            photonic energy per inference.
 * Baseline assignments and their chains: baselines.ts. The order of the phases: run.ts.
 *
 * Random streams: shuffles stream(seed, phase, epoch, 'shuffle'); Gumbel noise stream(seed, 'search',
 * budget, epoch, 'gumbel'); photonic errors stream(seed, 'photonic', phase, epoch, layer, r) and
 * stream(seed, 'photonic-eval', network, layer); weight init stream(seed, 'init', layer).
 */
import { stream } from '../core/rng.ts';
import type { Dataset } from '../data/index.ts';
import { softmaxCrossEntropy } from '../nn/loss.ts';
import { Adam } from '../nn/optim.ts';
import { matrixData, type Param } from '../nn/param.ts';
import type { ModelState, Sequential } from '../nn/sequential.ts';
import { gatherBatch } from '../nn/train.ts';
import { layoutForMapping, photonicEnergy } from '../photonic/index.ts';
import type { Chain, ProgressSink, RunContext } from './context.ts';
import { type EnergyModel, expectedEnergy, expectedEnergyGrad, hardAssignment } from './energy.ts';
import type { ActivationHardware } from './hardware.ts';
import type { Net } from './models.ts';
import type { MixOptions } from './options.ts';
import { analogProbabilities, relaxedGates, temperature } from './relax.ts';
import { mkState, type NetworkEval, type PhaseState } from './store.ts';

/** Gates of every channel of site k (C channels): 0 digital, 1 analog. */
export type Gates = (site: number, channels: number) => ArrayLike<number>;
export const allDigital: Gates = (_k, C) => new Float64Array(C);
export const allAnalog: Gates = (_k, C) => new Float64Array(C).fill(1);
/** The gates of a hard assignment (per site, per channel). */
export const gatesOf = (assignment: number[][]): Gates => (k) => Float64Array.from(assignment[k]!);

/** Loss, accuracy and the per-sample correctness of a model on `data` (batches of 500). */
function evaluateSamples(model: Sequential, data: Dataset): { loss: number; accuracy: number; correct: number; n: number; mask: string } {
  const F = data.features;
  const C = model.outSize;
  let loss = 0;
  let correct = 0;
  const mask: string[] = [];
  for (let s = 0; s < data.n; s += 500) {
    const b = Math.min(500, data.n - s);
    const z = model.forward(data.x.subarray(s * F, (s + b) * F));
    const labels = data.y.subarray(s, s + b);
    loss += softmaxCrossEntropy(z, labels, b, C).loss * b;
    for (let i = 0; i < b; i++) {
      let arg = 0;
      for (let j = 1; j < C; j++) if (z[i * C + j]! > z[i * C + arg]!) arg = j;
      const ok = arg === labels[i];
      if (ok) correct++;
      mask.push(ok ? '1' : '0');
    }
  }
  return { loss: loss / data.n, accuracy: correct / data.n, correct, n: data.n, mask: mask.join('') };
}

export function weightParams(model: Sequential): Param[] {
  return model.params().filter((p) => !p.name.endsWith('.logits'));
}

function logitParams(model: Sequential): Param[] {
  return model.params().filter((p) => p.name.endsWith('.logits'));
}

interface EpochHooks {
  beforeStep?: (step: number) => void;
  afterBackward?: () => void;
}

/** One epoch: seeded shuffle, forward, softmax-CE, backward, hooks, optimiser steps. */
function runEpoch(
  net: Net,
  data: Dataset,
  o: MixOptions,
  path: Array<string | number>,
  opt: Adam,
  logitOpt: Adam | undefined,
  hooks: EpochHooks,
  bar: ProgressSink | undefined,
  barBase: number,
): { loss: number; acc: number } {
  const n = data.n;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  stream(o.seed, ...path, 'shuffle').shuffle(idx);
  const bs = o.batchSize;
  const xb = new Float64Array(bs * data.features);
  const yb = new Int32Array(bs);
  const wp = weightParams(net.model);
  const lp = logitOpt ? logitParams(net.model) : [];
  let loss = 0;
  let correct = 0;
  let step = 0;
  let grad = new Float64Array(0);
  for (let s = 0; s < n; s += bs, step++) {
    const b = Math.min(bs, n - s);
    gatherBatch(data, idx, s, s + b, xb, yb);
    hooks.beforeStep?.(step);
    const x = b === bs ? xb : xb.subarray(0, b * data.features);
    const y = b === bs ? yb : yb.subarray(0, b);
    const logits = net.model.forward(x, { training: true });
    if (grad.length !== logits.length) grad = new Float64Array(logits.length);
    const r = softmaxCrossEntropy(logits, y, b, net.model.outSize, grad);
    net.model.backward(r.grad);
    hooks.afterBackward?.();
    opt.step(wp);
    if (logitOpt) logitOpt.step(lp);
    loss += r.loss * b;
    correct += r.correct;
    bar?.update(barBase + s + b);
  }
  return { loss: loss / n, acc: correct / n };
}

/** Input scale per site: g = xHi / percentile of the positive pre-activations (float mode). */
function calibrateScales(net: Net, data: Dataset, o: MixOptions, hw: ActivationHardware): number[] {
  const n = Math.min(2000, data.n);
  const F = data.features;
  // the positive pre-activations of each site, collected into a Float64Array (numeric native sort)
  const vals = net.sites.map((site) => new Float64Array(n * site.inSize));
  const counts = net.sites.map(() => 0);
  for (const s of net.sites) s.mode = 'float';
  for (const p of net.photonic) p.mode = 'off';
  for (let s = 0; s < n; s += 500) {
    const b = Math.min(500, n - s);
    net.model.forward(data.x.subarray(s * F, (s + b) * F));
    net.sites.forEach((site, k) => {
      const x = site.lastInput;
      const v = vals[k]!;
      let c = counts[k]!;
      for (let i = 0; i < b * site.inSize; i++) if (x[i]! > 0) v[c++] = x[i]!;
      counts[k] = c;
    });
  }
  const xHi = hw.inputRange[1];
  return vals.map((all, k) => {
    const v = all.subarray(0, counts[k]!);
    if (v.length === 0) return 1;
    v.sort();
    const clip = v[Math.min(v.length - 1, Math.floor((o.percentile / 100) * (v.length - 1)))]!;
    return clip > 0 ? xHi / clip : 1;
  });
}

export function setFixedGates(net: Net, gates: (site: number, channels: number) => ArrayLike<number>): void {
  net.sites.forEach((s, k) => {
    s.mode = 'mix';
    s.setGates(gates(k, s.site.channels));
  });
}


export function pct(v: number | undefined): string {
  return v === undefined ? '-' : `${(100 * v).toFixed(2)} %`;
}

/** Pretraining (resumed from the store), then the input scales; throws when `only` a chain is run and it is not complete. */
export function pretrainPhase(ctx: RunContext, only?: Chain): PhaseState {
  const { o, store, hs, train } = ctx;
  const net = ctx.newNet();
  let st = store.get<PhaseState>('pretrain', hs);
  const opt = new Adam({ lr: o.lr });
  if (st) {
    net.model.loadState(st.model);
    if (st.opt) opt.loadState(st.opt);
  }
  if (st?.done) return st;
  if (only) throw new Error(`runMixStage(${only}): pretraining is not complete in the phase store`);
  for (const s of net.sites) s.mode = 'float';
  const history = st?.history ?? [];
  const b = ctx.bar('pretrain', o.pretrainEpochs, st?.epochsDone ?? 0);
  for (let e = st?.epochsDone ?? 0; e < o.pretrainEpochs; e++) {
    const r = runEpoch(net, train, o, ['pretrain', e], opt, undefined, {}, b, e * train.n);
    history.push({ epoch: e, loss: r.loss, trainAccuracy: r.acc });
    if (!ctx.persistEpochs) continue;
    st = mkState('pretrain', hs, o.pretrainEpochs, e + 1, false, net, opt, undefined, history);
    store.put('pretrain', st);
  }
  b?.done();
  const scales = calibrateScales(net, train, o, ctx.hw);
  st = { ...mkState('pretrain', hs, o.pretrainEpochs, o.pretrainEpochs, true, net, opt, undefined, history), scales };
  store.put('pretrain', st);
  ctx.log(`pretrain: ${o.pretrainEpochs} epochs, train accuracy ${pct(history.at(-1)?.trainAccuracy)}, scales ${scales.map((s) => s.toFixed(3)).join(', ')}`);
  return st;
}

/** A run after pretraining: its pretrained state, the sites' input scales and the energy model. */
export interface Pretrained {
  readonly pre: PhaseState;
  readonly scales: number[];
  readonly em: EnergyModel;
}

/** Load a state into a network and set its sites' input scales. */
export function initFrom(net: Net, model: ModelState, scales: readonly number[]): void {
  net.model.loadState(model);
  net.sites.forEach((s, k) => (s.scale = scales[k]!));
}

/** A fine-tuning phase with a fixed assignment, from `init` (resumed from the store). */
export function finetunePhase(ctx: RunContext, p: Pretrained, phase: string, hash: string, epochs: number, init: ModelState, gates: Gates): PhaseState {
  const { o, store, train } = ctx;
  const net = ctx.newNet();
  let st = store.get<PhaseState>(phase, hash);
  const opt = new Adam({ lr: o.finetuneLr });
  initFrom(net, st ? st.model : init, p.scales);
  if (st?.opt) opt.loadState(st.opt);
  if (st?.done) return st;
  setFixedGates(net, gates);
  const history = st?.history ?? [];
  const b = ctx.bar(phase, epochs, st?.epochsDone ?? 0);
  for (let e = st?.epochsDone ?? 0; e < epochs; e++) {
    if (o.photonic) net.photonic.forEach((pl, i) => pl.refresh(matrixData(net.weighted[i]!.W), o.seed, 'photonic', phase, e));
    const r = runEpoch(net, train, o, [phase, e], opt, undefined, {}, b, e * train.n);
    history.push({ epoch: e, loss: r.loss, trainAccuracy: r.acc });
    if (!ctx.persistEpochs && e + 1 < epochs) continue;
    st = mkState(phase, hash, epochs, e + 1, e + 1 === epochs, net, opt, undefined, history);
    store.put(phase, st);
  }
  if (!st) {
    st = mkState(phase, hash, epochs, 0, true, net, opt, undefined, history);
    store.put(phase, st);
  }
  b?.done();
  ctx.log(`${phase}: ${epochs} epochs, train accuracy ${pct(history.at(-1)?.trainAccuracy)}`);
  return st;
}

/** The search of the run's budget (resumed from the store); its state carries the hard assignment. */
export function searchPhase(ctx: RunContext, p: Pretrained): PhaseState {
  const { o, store, hb, tag, train, stepsPerEpoch } = ctx;
  const em = p.em;
  const searchName = `search-${tag}`;
  const net = ctx.newNet();
  let st = store.get<PhaseState>(searchName, hb);
  const opt = new Adam({ lr: o.finetuneLr });
  const logitOpt = new Adam({ lr: o.logitLr });
  initFrom(net, st ? st.model : p.pre.model, p.scales);
  if (!st) for (const s of net.sites) s.logits.fill(o.logitInit);
  if (st?.opt) opt.loadState(st.opt);
  if (st?.logitOpt) logitOpt.loadState(st.logitOpt);
  const probsOf = () => net.sites.map((s) => analogProbabilities(s.logits));
  const finish = (state: PhaseState): PhaseState => {
    const logits = net.sites.map((s) => Array.from(s.logits));
    const ha = hardAssignment(em, logits, o.budget);
    return {
      ...state,
      assignment: ha.assign.map((a) => Array.from(a)),
      assignmentInfo: { energy: ha.energy, ratio: ha.ratio, met: ha.met, expectedRatio: expectedEnergy(em, probsOf()) / em.allDigital },
    };
  };
  if (st?.done) return st;
  for (const s of net.sites) s.mode = 'mix';
  const total = o.searchEpochs * stepsPerEpoch;
  const pBuf = net.sites.map((s) => new Float64Array(s.logits.length));
  const dBuf = net.sites.map((s) => new Float64Array(s.logits.length));
  const gChan = net.sites.map((s) => new Float64Array(s.site.channels));
  const dChan = net.sites.map((s) => new Float64Array(s.site.channels));
  const eGrad = expectedEnergyGrad(em);
  const history = st?.history ?? [];
  const b = ctx.bar('search', o.searchEpochs, st?.epochsDone ?? 0);
  let tau = o.tauStart;
  for (let e = st?.epochsDone ?? 0; e < o.searchEpochs; e++) {
    if (o.photonic) net.photonic.forEach((pl, i) => pl.refresh(matrixData(net.weighted[i]!.W), o.seed, 'photonic', searchName, e));
    const gum = stream(o.seed, 'search', tag, e, 'gumbel');
    const hooksE: EpochHooks = {
      beforeStep: (step) => {
        tau = temperature(e * stepsPerEpoch + step, total, o.tauStart, o.tauEnd);
        net.sites.forEach((s, k) => {
          relaxedGates(s.logits, tau, gum, pBuf[k]!, dBuf[k]!);
          for (let c = 0; c < s.site.channels; c++) {
            gChan[k]![c] = pBuf[k]![s.logitOf(c)]!;
            dChan[k]![c] = dBuf[k]![s.logitOf(c)]!;
          }
          s.setGates(gChan[k]!, dChan[k]!);
        });
      },
      afterBackward: () => {
        // budget penalty lambda * max(0, E(pi)/E_digital - budget), pi = sigmoid(alpha)
        const probs = probsOf();
        const ratio = expectedEnergy(em, probs) / em.allDigital;
        if (ratio <= o.budget || o.lambda === 0) return;
        net.sites.forEach((s, k) => {
          for (let j = 0; j < s.logits.length; j++) {
            const pi = probs[k]![j]!;
            s.logitGrad[j] = s.logitGrad[j]! + (o.lambda * eGrad[k]![j]! * pi * (1 - pi)) / em.allDigital;
          }
        });
      },
    };
    const r = runEpoch(net, train, o, [searchName, e], opt, logitOpt, hooksE, b, e * train.n);
    history.push({ epoch: e, loss: r.loss, trainAccuracy: r.acc, tau, expectedRatio: expectedEnergy(em, probsOf()) / em.allDigital });
    if (!ctx.persistEpochs && e + 1 < o.searchEpochs) continue;
    st = mkState(searchName, hb, o.searchEpochs, e + 1, false, net, opt, logitOpt, history);
    if (e + 1 === o.searchEpochs) st = finish({ ...st, done: true });
    store.put(searchName, st);
  }
  if (!st) {
    st = finish(mkState(searchName, hb, o.searchEpochs, 0, true, net, opt, logitOpt, history));
    store.put(searchName, st);
  }
  b?.done();
  const a = st.assignmentInfo!;
  ctx.log(`search: ${o.searchEpochs} epochs, expected energy ${pct(a.expectedRatio)} of all-digital; hard assignment ${pct(a.ratio)} (budget ${pct(o.budget)}${a.met ? '' : ', NOT met'})`);
  return st;
}

/** Test-set evaluation of a phase's network with `gates` (or as the float network), stored as eval-<name>. */
export function evaluateNetwork(ctx: RunContext, p: Pretrained, name: string, hash: string, st: PhaseState, gates: Gates, float = false): NetworkEval {
  const { o, store, core } = ctx;
  const key = `eval-${name}`;
  const hit = store.get<{ hash: string; result: NetworkEval }>(key, hash);
  if (hit) return hit.result;
  const net = ctx.newNet();
  initFrom(net, st.model, p.scales);
  if (float) for (const s of net.sites) s.mode = 'float';
  else setFixedGates(net, gates);
  net.photonic.forEach((pl) => (float || !o.photonic ? (pl.mode = 'off') : pl.beginEval(o.seed, 'photonic-eval', name)));
  const ev = evaluateSamples(net.model, ctx.test);
  const photonic: NetworkEval['photonic'] = {};
  net.photonic.forEach((pl, i) => {
    const map = pl.ensureMapped(matrixData(net.weighted[i]!.W));
    const pe = photonicEnergy(core, layoutForMapping(map));
    // one matrix-vector product per inference for a Dense layer, one per output position for a Conv2d
    const n = net.products[i]!;
    const items = Object.fromEntries(Object.entries(pe.items).map(([k, v]) => [k, v * n]));
    photonic[pl.layer] = { total: pe.total * n, items };
  });
  const result: NetworkEval = { accuracy: ev.accuracy, loss: ev.loss, correct: ev.correct, n: ev.n, photonic, correctMask: ev.mask };
  store.put(key, { hash, result });
  return result;
}

