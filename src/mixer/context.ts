/**
 * What every phase of a mix run shares: the hooks a caller passes (out dir, progress, log, store,
 * stop-after), the chains, and the run context built once per run (resolved options, hashes, data,
 * activation hardware, photonic core, a network factory, progress bars).
 */
import { loadPhotonicCore, type PhotonicCore } from '../photonic/index.ts';
import type { Dataset } from '../data/index.ts';
import { loadMixData, type MixData } from './data.ts';
import { createActivationHardware, type ActivationHardware, type HardwareOptions } from './hardware.ts';
import { buildNet, type Net } from './models.ts';
import { budgetHash, budgetTag, type MixOptions, type RandomKind, resolveMixOptions, sharedHash } from './options.ts';
import { PhaseStore } from './store.ts';

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

/** Name prefix of each random baseline kind: random-1..N (per-site counts), budget-random-1..N. */
export const RANDOM_PREFIX: Readonly<Record<RandomKind, string>> = { site: 'random-', budget: 'budget-random-' };

/** The baseline assignments of a run, in result order: the random draws of each kind, then the heuristics. */
export function baselineNames(o: MixOptions): string[] {
  const draws = o.randomKinds.flatMap((k) => Array.from({ length: o.randomBaselines }, (_v, r) => `${RANDOM_PREFIX[k]}${r + 1}`));
  return [...draws, ...o.heuristics];
}

/** The kind of a baseline by its name: 'random' (per-site counts), 'budget-random', or the heuristic's name. */
export function baselineKind(name: string): string {
  if (name.startsWith(RANDOM_PREFIX.budget)) return 'budget-random';
  if (name.startsWith(RANDOM_PREFIX.site)) return 'random';
  return name;
}

/** Whether a baseline kind is a random draw (not a heuristic). */
export const isRandomKind = (kind: string): boolean => kind === 'random' || kind === 'budget-random';

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

/** One run's shared state (built by createRunContext). */
export interface RunContext {
  readonly o: MixOptions;
  readonly hooks: RunHooks;
  readonly store: PhaseStore;
  readonly log: (line: string) => void;
  /** hash of the options shared by all budgets / of all options (checkpoints carry them) */
  readonly hs: string;
  readonly hb: string;
  /** the budget's file-name tag, e.g. b0.4 */
  readonly tag: string;
  readonly data: MixData;
  readonly train: Dataset;
  readonly test: Dataset;
  readonly hw: ActivationHardware;
  readonly core: PhotonicCore;
  readonly stepsPerEpoch: number;
  /**
   * Without files to resume from, a phase's intermediate epochs are never read back (only finished
   * phases are, from the in-memory store): the state is encoded once at the end of the phase instead
   * of after every epoch.
   */
  readonly persistEpochs: boolean;
  /** a fresh network of the run */
  newNet(): Net;
  /** a progress bar over `epochs` epochs with `done` already done (undefined without a progress hook) */
  bar(label: string, epochs: number, done: number): ProgressSink | undefined;
}

export function createRunContext(partial: Partial<MixOptions>, hooks: RunHooks, preloaded?: MixData): RunContext {
  const o = resolveMixOptions(partial);
  const store = hooks.store ?? new PhaseStore(hooks.outDir, hooks.warn);
  const data = preloaded ?? loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  const { train, test } = data;
  const hw = hardwareFor(o);
  const core = loadPhotonicCore(o.photonicPreset);
  return {
    o,
    hooks,
    store,
    log: hooks.log ?? (() => {}),
    hs: sharedHash(o),
    hb: budgetHash(o),
    tag: budgetTag(o.budget),
    data,
    train,
    test,
    hw,
    core,
    stepsPerEpoch: Math.ceil(train.n / o.batchSize),
    persistEpochs: store.dir !== undefined,
    newNet: () => buildNet(o, hw, train.features, train.classes, core, train.shape),
    bar: (label, epochs, done) => {
      const b = hooks.progress?.(label, epochs * train.n);
      b?.update(done * train.n);
      return b;
    },
  };
}
