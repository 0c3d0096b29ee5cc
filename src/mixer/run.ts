/**
 * The SuperMixer pipeline, phase by phase (each checkpointed after every epoch when an out dir is
 * given, so an interrupted run resumes to the same result):
 *
 *  pretrain  float MLP (plain activation, ideal weights), `pretrainEpochs`; then the per-site input
 *            scale g is calibrated so the `percentile` of the positive pre-activations on 2,000
 *            training samples maps to the top of the unit's input range.
 *  digital   baseline: all channels on ADC + digital activation, hardware (and photonic core) in
 *            the loop, fine-tuned searchEpochs + finetuneEpochs epochs from the pretrained weights.
 *  search    relaxed assignment (relax.ts): Gumbel-softmax gates per logit, annealed temperature,
 *            loss = CE + lambda * max(0, E_expected / E_digital - budget); weights and logits trained
 *            together for searchEpochs; then the hard assignment (energy.ts) that meets the budget.
 *  mixed     fine-tuning with the hard assignment, finetuneEpochs.
 *  analog    all channels on MACAM, fine-tuned searchEpochs + finetuneEpochs (the same epochs as
 *            search + mixed) from the pretrained weights.
 * Then every network is evaluated on the test set (photonic non-idealities re-sampled per batch).
 *
 * Random streams: shuffles stream(seed, phase, epoch, 'shuffle'); Gumbel noise stream(seed, 'search',
 * budget, epoch, 'gumbel'); photonic errors stream(seed, 'photonic', phase, epoch, layer, r) and
 * stream(seed, 'photonic-eval', network, layer); weight init stream(seed, 'init', layer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DataError } from '../core/errors.ts';
import { sha256, writeJsonAtomic } from '../core/io.ts';
import { stream } from '../core/rng.ts';
import type { Dataset } from '../data/index.ts';
import { Adam, type OptimizerState } from '../nn/optim.ts';
import { matrixData, type Param } from '../nn/param.ts';
import type { ModelState, Sequential } from '../nn/sequential.ts';
import { softmaxCrossEntropy } from '../nn/loss.ts';
import { gatherBatch } from '../nn/train.ts';
import { layoutForMapping, loadPhotonicCore, photonicEnergy, type PhotonicCore } from '../photonic/index.ts';
import { loadMixData, type MixData } from './data.ts';
import { energyModel, energyReport, expectedEnergy, expectedEnergyGrad, hardAssignment, type EnergyReport } from './energy.ts';
import { createActivationHardware, type ActivationHardware, type HardwareOptions } from './hardware.ts';
import { baselineSummary, type BaselineSummary, channelScores } from './baselines.ts';
import { buildNet, type Net } from './models.ts';
import { mcnemar } from './stats.ts';
import { budgetHash, budgetTag, type MixOptions, resolveMixOptions, sharedHash } from './options.ts';
import { analogProbabilities, relaxedGates, temperature } from './relax.ts';

export const PHASES = ['pretrain', 'digital', 'search', 'mixed', 'analog'] as const;
export type Phase = (typeof PHASES)[number];

export interface ProgressSink {
  update(done: number, extra?: string): void;
  done(extra?: string): void;
}

export interface RunHooks {
  /** checkpoints, results and manifest go here (none written without it) */
  readonly outDir?: string;
  /** stop (after checkpointing) once this phase is complete */
  readonly stopAfter?: Phase;
  /** a progress bar per phase */
  readonly progress?: (label: string, total: number) => ProgressSink;
  /** one human line per finished phase */
  readonly log?: (line: string) => void;
  /** warnings (a corrupt checkpoint being recomputed); default: stderr */
  readonly warn?: (line: string) => void;
  /** shared in-memory phase store (pareto reuses shared phases across budgets without an out dir) */
  readonly store?: PhaseStore;
  /**
   * Threads for the phase chains that follow pretraining (runMixParallel / runParetoParallel in
   * ./worker.ts; runMix itself is always sequential). Not an option of the run: results and
   * checkpoints are the same for every value. Default: the cores available; 1 = sequential.
   */
  readonly threads?: number;
}

/**
 * The phase chains that depend only on the pretrained state (and on nothing of each other):
 * 'digital' (digital fine-tuning + its evaluation), 'analog' (the same, all-analog) and 'mixed'
 * (search, mixed fine-tuning, evaluation of the mixed network; one per budget). 'search' is the
 * first part of 'mixed' alone ('mixed' after it only fine-tunes and evaluates). 'float' is the
 * test-set evaluation of the pretrained float network alone. 'baseline:<name>' is one baseline
 * assignment (baselineNames) fine-tuned and evaluated; it needs the search of its budget (the counts).
 */
export type Chain = 'digital' | 'analog' | 'search' | 'mixed' | 'float' | `baseline:${string}`;

/** The baseline assignments of a run, in result order: random-1..random-N, then the heuristics. */
export function baselineNames(o: MixOptions): string[] {
  return [...Array.from({ length: o.randomBaselines }, (_v, r) => `random-${r + 1}`), ...o.heuristics];
}

export interface EpochLog {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  /** search only: temperature at the end of the epoch, expected energy ratio */
  tau?: number;
  expectedRatio?: number;
}

interface PhaseState {
  format: 'fusemix-mix-phase';
  version: 1;
  phase: string;
  hash: string;
  epochs: number;
  epochsDone: number;
  done: boolean;
  model: ModelState;
  opt?: OptimizerState;
  logitOpt?: OptimizerState;
  scales?: number[];
  assignment?: number[][];
  assignmentInfo?: { energy: number; ratio: number; met: boolean; expectedRatio: number };
  history: EpochLog[];
}

export interface NetworkEval {
  accuracy: number;
  loss: number;
  correct: number;
  n: number;
  /** photonic energy per inference by layer (J) */
  photonic: Record<string, { total: number; items: Record<string, number> }>;
  /** per test sample: '1' classified correctly, '0' not */
  correctMask: string;
}

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

/**
 * Phase checkpoints: files in the out dir, or memory. Each file carries a sha256 of its payload
 * (`checksum`, over the payload's compact JSON); a file that is not valid JSON or whose checksum
 * does not match (a torn write, a bit flip, an edit) is never trusted: a warning, and the phase is
 * recomputed from the last good checkpoint before it (the file is overwritten when it is).
 */
export class PhaseStore {
  private readonly mem = new Map<string, unknown>();
  constructor(
    readonly dir?: string,
    private readonly warn: (msg: string) => void = (m) => process.stderr.write(`fusemix: warning: ${m}\n`),
  ) {}
  private file(name: string): string | undefined {
    return this.dir ? join(this.dir, `${name}.ckpt.json`) : undefined;
  }
  get<T>(name: string, hash: string): T | undefined {
    let v = this.mem.get(name) as { hash?: string } | undefined;
    const file = this.file(name);
    if (!v && file && existsSync(file)) v = readCheckpoint(file, this.warn);
    if (!v) return undefined;
    if (v.hash !== hash) {
      throw new ConfigError(
        file,
        'hash',
        `a checkpoint made with the same options (hash ${hash}); it was made with other options: use another --out or delete the file`,
        v.hash,
      );
    }
    this.mem.set(name, v);
    return v as T;
  }
  put<T extends { hash: string }>(name: string, value: T): void {
    this.mem.set(name, value);
    const file = this.file(name);
    if (file) writeJsonAtomic(file, withChecksum(value));
  }
  /** Hold an entry in memory only (already on disk, or computed by another thread that wrote it). */
  remember(name: string, value: unknown): void {
    this.mem.set(name, value);
  }
  /** The entries held in memory (name, value). */
  entries(): Array<[string, unknown]> {
    return [...this.mem.entries()];
  }
}

/** A checkpoint value with the sha256 of its compact JSON appended as `checksum`. */
export function withChecksum<T extends object>(value: T): T & { checksum: string } {
  const { checksum: _drop, ...payload } = value as T & { checksum?: string };
  return { ...(payload as T), checksum: sha256(JSON.stringify(payload)) };
}

/** A checkpoint file's payload, or undefined (with a warning) when it is unreadable or its checksum fails. */
export function readCheckpoint(file: string, warn: (msg: string) => void): { hash?: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    warn(`${file}: checkpoint is not valid JSON (${(e as Error).message}); recomputing that phase`);
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    warn(`${file}: checkpoint is not a JSON object; recomputing that phase`);
    return undefined;
  }
  const { checksum, ...payload } = v as { checksum?: unknown };
  if (typeof checksum !== 'string' || checksum !== sha256(JSON.stringify(payload))) {
    warn(`${file}: checkpoint checksum ${typeof checksum === 'string' ? 'does not match its contents' : 'is missing'}; not trusted, recomputing that phase`);
    return undefined;
  }
  return payload as { hash?: string };
}

function weightParams(model: Sequential): Param[] {
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

/** The activation-hardware options of a run. */
export function hardwareOptions(o: MixOptions): HardwareOptions {
  return {
    seed: o.seed,
    fn: o.fn,
    analogBits: o.analogBits,
    digitalBits: o.digitalBits,
    readoutBits: o.readoutBits,
    cell: o.cell,
    adc: o.adc,
    digital: o.digital,
    variation: o.variation,
    poolSize: o.poolSize,
  };
}

/** The run's activation hardware (programmed column pool; createActivationHardware caches it per option set). */
export function hardwareFor(o: MixOptions): ActivationHardware {
  return createActivationHardware(hardwareOptions(o));
}

function setFixedGates(net: Net, gates: (site: number, channels: number) => ArrayLike<number>): void {
  net.sites.forEach((s, k) => {
    s.mode = 'mix';
    s.setGates(gates(k, s.site.channels));
  });
}

export interface MixResult {
  seed: number | string;
  budget: number;
  config: MixOptions;
  data: { source: string; train: number; test: number; features: number; classes: number };
  accuracy: { float: number; digital: number; analog: number; mixed: number };
  /** digital - mixed accuracy (fraction; 0.01 = 1 point) */
  accuracyDrop: number;
  /** paired test-set comparisons (McNemar): mixed vs all-analog, mixed vs all-digital */
  comparison: { mixedVsAnalog: ReturnType<typeof mcnemar>; mixedVsDigital: ReturnType<typeof mcnemar> };
  energy: { digital: EnergyReport; mixed: EnergyReport; analog: EnergyReport };
  /**
   * Other assignments with the searched analog-channel count per site, each fine-tuned like the
   * all-digital and all-analog networks and evaluated on the same test samples: seeded random draws
   * and the heuristics (options HEURISTICS); `comparison` is McNemar's test of the searched (mixed)
   * network against it. `random` pools the draws (mean and sd of accuracy; discordant samples summed
   * over the draws for the test).
   */
  baselines: BaselineSummary;
  /** 1 - E_mixed / E_digital (A/D + activation) */
  saving: number;
  savingAnalog: number;
  systemEnergy: Record<'digital' | 'mixed' | 'analog', { total: number; items: Record<string, number> }>;
  systemSaving: number;
  assignment: {
    granularity: string;
    met: boolean;
    ratio: number;
    expectedRatio: number;
    sites: Array<{ site: string; channels: number; analog: number; digital: number; analogChannels: number[]; digitalChannels: number[] }>;
  };
  hardware: {
    presets: Record<string, string>;
    /** J per activation */
    analogPerActivation: number;
    digitalPerActivation: number;
    readoutPerConversion: number;
    scales: number[];
    columns: Array<{ column: number; thresholds: number[]; codes: number[] }>;
    photonic: { enabled: boolean; preset: string; nonIdealities: Record<string, number>; note: string };
  };
  history: Record<string, EpochLog[]>;
}

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
  return pipeline(partial, hooks, stage.chain, stage.data);
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

function pipeline(partial: Partial<MixOptions>, hooks: RunHooks, only?: Chain, preloaded?: MixData): RunOutcome {
  const o = resolveMixOptions(partial);
  const store = hooks.store ?? new PhaseStore(hooks.outDir, hooks.warn);
  const log = hooks.log ?? (() => {});
  const hs = sharedHash(o);
  const hb = budgetHash(o);
  const tag = budgetTag(o.budget);
  const data = preloaded ?? loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  const { train, test } = data;
  const hw = hardwareFor(o);
  const core = loadPhotonicCore(o.photonicPreset);
  const newNet = () => buildNet(o, hw, train.features, train.classes, core, train.shape);
  const stepsPerEpoch = Math.ceil(train.n / o.batchSize);
  // Without files to resume from, a phase's intermediate epochs are never read back (only finished
  // phases are, from the in-memory store): encode the state once at the end of the phase instead of
  // after every epoch.
  const persistEpochs = store.dir !== undefined;
  const bar = (label: string, epochs: number, done: number) => {
    const b = hooks.progress?.(label, epochs * train.n);
    b?.update(done * train.n);
    return b;
  };

  // ---- pretrain ------------------------------------------------------------------------------
  const pre = (() => {
    const net = newNet();
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
    const b = bar('pretrain', o.pretrainEpochs, st?.epochsDone ?? 0);
    for (let e = st?.epochsDone ?? 0; e < o.pretrainEpochs; e++) {
      const r = runEpoch(net, train, o, ['pretrain', e], opt, undefined, {}, b, e * train.n);
      history.push({ epoch: e, loss: r.loss, trainAccuracy: r.acc });
      if (!persistEpochs) continue;
      st = mkState('pretrain', hs, o.pretrainEpochs, e + 1, false, net, opt, undefined, history);
      store.put('pretrain', st);
    }
    b?.done();
    const scales = calibrateScales(net, train, o, hw);
    st = { ...mkState('pretrain', hs, o.pretrainEpochs, o.pretrainEpochs, true, net, opt, undefined, history), scales };
    store.put('pretrain', st);
    log(`pretrain: ${o.pretrainEpochs} epochs, train accuracy ${pct(history.at(-1)?.trainAccuracy)}, scales ${scales.map((s) => s.toFixed(3)).join(', ')}`);
    return st;
  })();
  if (hooks.stopAfter === 'pretrain') return { stopped: 'pretrain' };
  const scales = pre.scales!;

  const initFrom = (net: Net, model: ModelState) => {
    net.model.loadState(model);
    net.sites.forEach((s, k) => (s.scale = scales[k]!));
  };

  /** A fine-tuning phase with a fixed assignment. */
  const finetune = (phase: string, hash: string, epochs: number, init: ModelState, gates: (site: number, channels: number) => ArrayLike<number>): PhaseState => {
    const net = newNet();
    let st = store.get<PhaseState>(phase, hash);
    const opt = new Adam({ lr: o.finetuneLr });
    initFrom(net, st ? st.model : init);
    if (st?.opt) opt.loadState(st.opt);
    if (st?.done) return st;
    setFixedGates(net, gates);
    const history = st?.history ?? [];
    const b = bar(phase, epochs, st?.epochsDone ?? 0);
    for (let e = st?.epochsDone ?? 0; e < epochs; e++) {
      if (o.photonic) net.photonic.forEach((p, i) => p.refresh(matrixData(net.weighted[i]!.W), o.seed, 'photonic', phase, e));
      const r = runEpoch(net, train, o, [phase, e], opt, undefined, {}, b, e * train.n);
      history.push({ epoch: e, loss: r.loss, trainAccuracy: r.acc });
      if (!persistEpochs && e + 1 < epochs) continue;
      st = mkState(phase, hash, epochs, e + 1, e + 1 === epochs, net, opt, undefined, history);
      store.put(phase, st);
    }
    if (!st) {
      st = mkState(phase, hash, epochs, 0, true, net, opt, undefined, history);
      store.put(phase, st);
    }
    b?.done();
    log(`${phase}: ${epochs} epochs, train accuracy ${pct(history.at(-1)?.trainAccuracy)}`);
    return st;
  };

  const ftEpochs = o.searchEpochs + o.finetuneEpochs;
  // ---- digital baseline ------------------------------------------------------------------------
  const digitalPhase = () => finetune('digital', hs, ftEpochs, pre.model, (_k, C) => new Float64Array(C));

  // ---- search ------------------------------------------------------------------------------------
  const emNet = newNet();
  const em = energyModel(emNet.sites, hw, emNet.model.outSize);
  const searchName = `search-${tag}`;
  const searchPhase = () => {
    const net = newNet();
    let st = store.get<PhaseState>(searchName, hb);
    const opt = new Adam({ lr: o.finetuneLr });
    const logitOpt = new Adam({ lr: o.logitLr });
    initFrom(net, st ? st.model : pre.model);
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
    const b = bar('search', o.searchEpochs, st?.epochsDone ?? 0);
    let tau = o.tauStart;
    for (let e = st?.epochsDone ?? 0; e < o.searchEpochs; e++) {
      if (o.photonic) net.photonic.forEach((p, i) => p.refresh(matrixData(net.weighted[i]!.W), o.seed, 'photonic', searchName, e));
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
      if (!persistEpochs && e + 1 < o.searchEpochs) continue;
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
    log(`search: ${o.searchEpochs} epochs, expected energy ${pct(a.expectedRatio)} of all-digital; hard assignment ${pct(a.ratio)} (budget ${pct(o.budget)}${a.met ? '' : ', NOT met'})`);
    return st;
  };

  // ---- mixed fine-tuning ---------------------------------------------------------------------------
  const mixName = `mixed-${tag}`;
  const gatesOf = (assignment: number[][]) => (k: number) => Float64Array.from(assignment[k]!);
  const mixedPhase = (srch: PhaseState) => finetune(mixName, hb, o.finetuneEpochs, srch.model, gatesOf(srch.assignment!));

  // ---- all-analog ---------------------------------------------------------------------------------
  const analogPhase = () => finetune('analog', hs, ftEpochs, pre.model, (_k, C) => new Float64Array(C).fill(1));

  // ---- evaluation ---------------------------------------------------------------------------------
  const evaluate = (name: string, hash: string, st: PhaseState, gates: (k: number, C: number) => ArrayLike<number>, float = false): NetworkEval => {
    const key = `eval-${name}`;
    const hit = store.get<{ hash: string; result: NetworkEval }>(key, hash);
    if (hit) return hit.result;
    const net = newNet();
    initFrom(net, st.model);
    if (float) for (const s of net.sites) s.mode = 'float';
    else setFixedGates(net, gates);
    net.photonic.forEach((p) => (float || !o.photonic ? (p.mode = 'off') : p.beginEval(o.seed, 'photonic-eval', name)));
    const ev = evaluateSamples(net.model, test);
    const photonic: NetworkEval['photonic'] = {};
    net.photonic.forEach((p, i) => {
      const map = p.ensureMapped(matrixData(net.weighted[i]!.W));
      const pe = photonicEnergy(core, layoutForMapping(map));
      // one matrix-vector product per inference for a Dense layer, one per output position for a Conv2d
      const n = net.products[i]!;
      const items = Object.fromEntries(Object.entries(pe.items).map(([k, v]) => [k, v * n]));
      photonic[p.layer] = { total: pe.total * n, items };
    });
    const result: NetworkEval = { accuracy: ev.accuracy, loss: ev.loss, correct: ev.correct, n: ev.n, photonic, correctMask: ev.mask };
    store.put(key, { hash, result });
    return result;
  };
  const allD = (_k: number, C: number) => new Float64Array(C);
  const allA = (_k: number, C: number) => new Float64Array(C).fill(1);

  // ---- baselines: other assignments with the searched analog-channel count per site ----------------
  /** Heuristic channel scores of the pretrained network (lowest go analog), computed once per run. */
  const heuristicScores = (): Record<string, number[][]> => {
    const hit = store.get<{ hash: string; scores: Record<string, number[][]> }>('baseline-scores', hs);
    if (hit) return hit.scores;
    const scores = channelScores(newNet(), pre.model, scales, train, o);
    store.put('baseline-scores', { hash: hs, scores });
    return scores;
  };
  const baselineAssignment = (name: string, srch: PhaseState): number[][] =>
    srch.assignment!.map((a, k) => {
      const C = a.length;
      const count = a.reduce((x, v) => x + v, 0);
      const order = Array.from({ length: C }, (_v, c) => c);
      if (name.startsWith('random-')) {
        const idx = Int32Array.from(order);
        stream(o.seed, 'baseline', tag, name, k).shuffle(idx);
        order.splice(0, C, ...idx);
      } else {
        const sc = heuristicScores()[name]![k]!;
        order.sort((x, y) => sc[x]! - sc[y]! || x - y);
      }
      const out = new Array<number>(C).fill(0);
      for (let i = 0; i < count; i++) out[order[i]!] = 1;
      return out;
    });
  /** A baseline fine-tuned like the analog and digital networks (searchEpochs + finetuneEpochs from the pretrained weights) and evaluated. */
  const baselineChain = (name: string, srch: PhaseState): { assignment: number[][]; ev: NetworkEval } => {
    const assignment = baselineAssignment(name, srch);
    const phase = `baseline-${name}-${tag}`;
    const st = finetune(phase, hb, ftEpochs, pre.model, gatesOf(assignment));
    return { assignment, ev: evaluate(phase, hb, st, gatesOf(assignment)) };
  };

  // ---- one chain only (a worker thread's job; see ./worker.ts) -------------------------------------
  if (only) {
    if (only === 'digital') evaluate('digital', hs, digitalPhase(), allD);
    else if (only === 'analog') evaluate('analog', hs, analogPhase(), allA);
    else if (only === 'search') searchPhase();
    else if (only === 'float') evaluate('float', hs, pre, allD, true);
    else if (only.startsWith('baseline:')) baselineChain(only.slice(9), searchPhase());
    else {
      const s = searchPhase();
      evaluate(mixName, hb, mixedPhase(s), gatesOf(s.assignment!));
    }
    return { stopped: 'pretrain' };
  }

  // ---- the whole pipeline, in order (phases a worker completed come from the store) ----------------
  const dig = digitalPhase();
  if (hooks.stopAfter === 'digital') return { stopped: 'digital' };
  const srch = searchPhase();
  if (hooks.stopAfter === 'search') return { stopped: 'search' };
  const assignment = srch.assignment!;
  const mix = mixedPhase(srch);
  if (hooks.stopAfter === 'mixed') return { stopped: 'mixed' };
  const ana = analogPhase();
  if (hooks.stopAfter === 'analog') return { stopped: 'analog' };

  const evF = evaluate('float', hs, pre, allD, true);
  const evD = evaluate('digital', hs, dig, allD);
  const evA = evaluate('analog', hs, ana, allA);
  const evM = evaluate(mixName, hb, mix, gatesOf(assignment));
  log(`accuracy: float ${pct(evF.accuracy)}, digital ${pct(evD.accuracy)}, analog ${pct(evA.accuracy)}, mixed ${pct(evM.accuracy)}`);
  const bases = baselineNames(o).map((name) => ({ name, ...baselineChain(name, srch) }));
  if (bases.length > 0) log(`baselines: ${bases.map((b) => `${b.name} ${pct(b.ev.accuracy)}`).join(', ')}`);

  const zeros = em.sites.map((s) => new Uint8Array(s.channels));
  const ones = em.sites.map((s) => new Uint8Array(s.channels).fill(1));
  const eD = energyReport(em, hw, zeros);
  const eA = energyReport(em, hw, ones);
  const eM = energyReport(em, hw, assignment);
  const system = (e: EnergyReport, ev: NetworkEval) => {
    const items: Record<string, number> = { adActivation: e.total };
    let total = e.total;
    for (const [layer, pe] of Object.entries(ev.photonic)) {
      for (const [k, v] of Object.entries(pe.items)) items[`photonic.${layer}.${k}`] = v;
      total += pe.total;
    }
    return { total, items };
  };
  const sysD = system(eD, evD);
  const sysM = system(eM, evM);
  const result: MixResult = {
    seed: o.seed,
    budget: o.budget,
    config: o,
    data: { source: data.source, train: train.n, test: test.n, features: train.features, classes: train.classes },
    accuracy: { float: evF.accuracy, digital: evD.accuracy, analog: evA.accuracy, mixed: evM.accuracy },
    accuracyDrop: evD.accuracy - evM.accuracy,
    comparison: { mixedVsAnalog: mcnemar(evM.correctMask, evA.correctMask), mixedVsDigital: mcnemar(evM.correctMask, evD.correctMask) },
    energy: { digital: eD, mixed: eM, analog: eA },
    baselines: baselineSummary(
      bases.map((b) => {
        const e = energyReport(em, hw, b.assignment);
        const analogChannels = b.assignment.map((a) => a.flatMap((v, c) => (v ? [c] : [])));
        const kind = b.name.startsWith('random-') ? 'random' : b.name;
        return { name: b.name, kind, accuracy: b.ev.accuracy, energy: e.total, saving: 1 - e.total / eD.total, analogChannels, mask: b.ev.correctMask };
      }),
      evM.correctMask,
    ),
    saving: 1 - eM.total / eD.total,
    savingAnalog: 1 - eA.total / eD.total,
    systemEnergy: { digital: sysD, mixed: sysM, analog: system(eA, evA) },
    systemSaving: 1 - sysM.total / sysD.total,
    assignment: {
      granularity: o.granularity,
      met: srch.assignmentInfo!.met,
      ratio: srch.assignmentInfo!.ratio,
      expectedRatio: srch.assignmentInfo!.expectedRatio,
      sites: em.sites.map((s, k) => {
        const a = assignment[k]!;
        const analogChannels: number[] = [];
        const digitalChannels: number[] = [];
        a.forEach((v, c) => (v ? analogChannels : digitalChannels).push(c));
        return { site: s.name, channels: s.channels, analog: analogChannels.length, digital: digitalChannels.length, analogChannels, digitalChannels };
      }),
    },
    hardware: {
      presets: { ...hw.presets, photonicCore: o.photonicPreset },
      analogPerActivation: hw.analogEnergy[0]!.total,
      digitalPerActivation: hw.digitalEnergy.total,
      readoutPerConversion: hw.readoutEnergy.total,
      scales,
      columns: hw.pool.map((u, k) => ({ column: k, thresholds: Array.from(u.actual.breakpoints), codes: Array.from(u.actual.codes) })),
      photonic: {
        enabled: o.photonic,
        preset: o.photonicPreset,
        nonIdealities: { phaseBits: o.phaseBits, phaseNoise: o.phaseNoise, gammaError: o.gammaError },
        note: 'non-idealities are assumptions (the photonic-core preset names none): 8-bit heater DACs and 0.01 rad phase noise by default; energy per matrix-vector product from photonicEnergy(layoutForMapping) of each Dense layer, one product per Dense layer and one per output position of a Conv2d per inference',
      },
    },
    history: { pretrain: pre.history, digital: dig.history, search: srch.history, mixed: mix.history, analog: ana.history },
  };
  return { result };
}

function mkState(
  phase: string,
  hash: string,
  epochs: number,
  epochsDone: number,
  done: boolean,
  net: Net,
  opt: Adam,
  logitOpt: Adam | undefined,
  history: EpochLog[],
): PhaseState {
  return {
    format: 'fusemix-mix-phase',
    version: 1,
    phase,
    hash,
    epochs,
    epochsDone,
    done,
    model: net.model.state(),
    opt: opt.state(),
    ...(logitOpt ? { logitOpt: logitOpt.state() } : {}),
    history: [...history],
  };
}

function pct(v: number | undefined): string {
  return v === undefined ? '-' : `${(100 * v).toFixed(2)} %`;
}
