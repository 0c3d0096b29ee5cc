/**
 * SuperMixer on several threads. After pretraining, the chains (run.ts `Chain`: digital, analog,
 * and search -> mixed per budget, the baselines, each with its evaluation) read only the pretrained
 * state, the data and the hardware, all rebuilt from the same seeded inputs in every thread, and draw
 * only from their own named streams; so they run at once, and the results are the same bytes as
 * runMix's.
 *
 *  main thread   load data ── pretrain ── serve the job queue ──────────────── runMix (assembles from the store)
 *  worker k      start-up (column pool, data) ── job ── job ── ... (each posts its store entries) ─┘
 *
 * A job queue: the main thread pretrains, then hands each idle worker the next job whose inputs are
 * there (a mixed fine-tuning or a baseline once its budget's search has arrived), searches first.
 * The main thread computes no chain itself (its event loop serves the queue), so `threads` workers
 * run. Workers start before the data are loaded, so their start-up overlaps loading and pretraining;
 * the npm digits each thread decodes itself from the cached byte codes (quick; plain arrays are
 * faster to fill and to gather batches from than SharedArrayBuffers); other data come with a worker's
 * first job (a copy). With an out dir each thread writes its phases' checkpoint files, so a killed
 * run resumes as before; chains complete in the store or the out dir are not rerun. A failing worker
 * is not fatal: its job goes back to the queue for the others, and whatever is left when no worker
 * remains runs afterwards in the main thread (which raises any error there with its proper type).
 */
import type { Worker } from 'node:worker_threads';
import { ConfigError } from '../core/errors.ts';
import { siblingModule, startWorker } from '../core/modules.ts';
import { getKernelPrecision, kernelChoice } from '../kernels/backend.ts';
import { getDefaultThreads } from '../kernels/parallel.ts';
import { loadMixData, type MixData } from './data.ts';
import { type MixOptions, resolveMixOptions } from './options.ts';
import { type ColumnBounds } from '../units/fused.ts';
import { primeActivationHardware } from './hardware.ts';
import { baselineNames, type Chain, chainKey, hardwareOptions, PhaseStore, type RunHooks, type RunOutcome, runMix, runMixStage } from './run.ts';
import { type ParetoResult, runPareto } from './pareto.ts';

export interface ChainJob {
  chain: Chain;
  budget: number;
}
export interface MixWorkerSetup {
  kernels: string;
  precision: string;
  /** the run's options without the budget (each job names its own) */
  options: Partial<MixOptions>;
  outDir?: string;
  /**
   * the worker loads the data itself at start-up (the npm digits: decoded from the cached byte codes,
   * the same numbers as the main thread's copy); else they come with its first job
   */
  loadsData?: boolean;
}
/** One job: the data with a worker's first job (unless it loads its own), the store entries it has not seen yet (pretrain, a search, ...). */
export type ToMixWorker = { type: 'job'; id: number; data?: MixData; entries: Array<[string, unknown]>; job: ChainJob };
export type FromMixWorker =
  | { type: 'ready' }
  /** the programmed pool's column bounds (at start-up): the main thread builds its columns from them */
  | { type: 'columns'; bounds: ColumnBounds[] }
  /** a job finished: the store entries it made (phase states and evaluations) and its log lines */
  | { type: 'chain'; id: number; job: ChainJob; entries: Array<[string, unknown]>; logs: string[] }
  | { type: 'error'; id: number; name: string; message: string };

const ENTRY_URL = siblingModule(import.meta.url, './worker-entry');

function spawn(setup: MixWorkerSetup): Worker {
  return startWorker(ENTRY_URL, { workerData: setup, bootError: { type: 'error', id: -1, name: 'Error' } });
}

function checkThreads(threads: number): number {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new ConfigError(undefined, 'threads', 'a positive integer', threads);
  return threads;
}

/** Whether a chain's evaluation is already in the store (a checkpoint of other options counts as not: runMix reports it). */
function chainDone(store: PhaseStore, opts: Partial<MixOptions>, job: ChainJob): boolean {
  const { name, hash } = chainKey({ ...opts, budget: job.budget }, job.chain);
  try {
    const v = store.get<{ done?: boolean }>(name, hash);
    return v !== undefined && v.done !== false;
  } catch {
    return false;
  }
}

const needsSearch = (c: Chain) => c === 'mixed' || c.startsWith('baseline:');
/** Queue order: searches first (others wait for them), then the long fine-tunings, the float evaluation last. */
const RANK: Record<string, number> = { search: 0, digital: 1, analog: 1, mixed: 2, float: 4 };
const rank = (c: Chain) => RANK[c] ?? 3;

/** A worker thread serving jobs one at a time. */
interface QueueWorker {
  worker: Worker;
  /** store entries already sent to (or made by) this worker */
  seen: Set<string>;
  /** the job it runs, if any */
  job?: ChainJob;
  gotData: boolean;
  dead: boolean;
}

/**
 * Pretrain (this thread), then run the chains of `budgets` (digital, analog, and one search -> mixed
 * per budget, the baselines) on `threads` worker threads fed from a queue. Everything lands in
 * `store` (and checkpoint files with an out dir); runMix / runPareto on the same store then only
 * assembles the result (and computes in this thread whatever a failed worker left).
 */
export async function runChainsParallel(
  opts: Partial<MixOptions>,
  budgets: readonly number[],
  hooks: RunHooks & { store: PhaseStore },
  threads: number,
): Promise<MixData> {
  const store = hooks.store;
  const first = { ...opts, budget: budgets[0] };
  const o = resolveMixOptions(first); // a bad option fails here, before any thread starts
  const jobs: ChainJob[] = [
    { chain: 'digital', budget: budgets[0]! },
    { chain: 'analog', budget: budgets[0]! },
    ...[...new Set(budgets)].flatMap((b): ChainJob[] => [
      { chain: 'search', budget: b },
      { chain: 'mixed', budget: b },
      ...baselineNames(o).map((name): ChainJob => ({ chain: `baseline:${name}`, budget: b })),
    ]),
    { chain: 'float', budget: budgets[0]! },
  ];
  // a search done (or its mixed chain and baselines done) needs no job
  const dependents = (b: number) => jobs.filter((j) => j.budget === b && needsSearch(j.chain));
  const todo = () =>
    jobs.filter((j) => !chainDone(store, opts, j) && !(j.chain === 'search' && dependents(j.budget).every((d) => chainDone(store, opts, d))));
  // searches and the float evaluation are short: they do not count as work for a thread of their own
  const threadWork = (j: ChainJob) => j.chain !== 'search' && j.chain !== 'float';
  const nWorkers = Math.min(threads, todo().filter(threadWork).length);
  const log = hooks.log ?? (() => {});
  // nothing to share out: the caller's runMix runs the rest in this thread
  if (nWorkers <= 1) return loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  let loaded: MixData | undefined;
  const { budget: _b, ...shared } = opts;
  const setup: MixWorkerSetup = {
    kernels: kernelChoice(),
    precision: getKernelPrecision(),
    options: shared,
    ...(hooks.outDir ? { outDir: hooks.outDir } : {}),
    ...(o.data === 'mnist' ? { loadsData: true } : {}),
  };
  const workers: QueueWorker[] = [];
  let pending: ChainJob[] = [];
  let serving = false;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  let nextId = 0;
  const searchName = (b: number) => chainKey({ ...opts, budget: b }, 'search').name;
  const ready = (j: ChainJob) => !needsSearch(j.chain) || store.entries().some(([k]) => k === searchName(j.budget));
  const settleIfIdle = () => {
    if (serving && workers.every((w) => w.dead || !w.job) && (pending.length === 0 || workers.every((w) => w.dead) || !pending.some(ready))) finish();
  };
  /** hand each idle worker the next job whose inputs are in the store */
  const dispatch = () => {
    if (!serving) return;
    for (const w of workers) {
      if (w.dead || w.job) continue;
      const i = pending.findIndex(ready);
      if (i < 0) break;
      const job = pending.splice(i, 1)[0]!;
      w.job = job;
      const entries = store.entries().filter(([k]) => !w.seen.has(k));
      for (const [k] of entries) w.seen.add(k);
      const withData = !setup.loadsData && !w.gotData;
      w.gotData = true;
      w.worker.postMessage({ type: 'job', id: nextId++, ...(withData ? { data: loaded! } : {}), entries, job } satisfies ToMixWorker);
    }
    settleIfIdle();
  };
  let closing = false;
  const failed = (w: QueueWorker, message: string) => {
    if (w.dead || closing) return;
    w.dead = true;
    log(`a worker thread failed (${message}); its job goes to the others, or runs in this thread`);
    if (w.job) pending.unshift(w.job);
    w.job = undefined;
    dispatch();
  };
  // started before the data are loaded and the pretraining: their start-up overlaps both
  for (let k = 0; k < nWorkers; k++) {
    const w: QueueWorker = { worker: spawn(setup), seen: new Set(), gotData: false, dead: false };
    w.worker.on('message', (m: FromMixWorker) => {
      if (m.type === 'columns') primeActivationHardware(hardwareOptions(o), m.bounds);
      else if (m.type === 'chain') {
        for (const [name, value] of m.entries) {
          store.remember(name, value);
          w.seen.add(name);
        }
        for (const l of m.logs) log(l);
        w.job = undefined;
        dispatch();
      } else if (m.type === 'error') failed(w, `${m.name}: ${m.message.split('\n')[0]}`);
    });
    w.worker.on('error', (e) => failed(w, e.message));
    w.worker.on('exit', (code) => failed(w, `exited (code ${code})`));
    workers.push(w);
  }
  try {
    loaded = loadMixData(o.data, o.seed, o.nTest, o.nTrain);
    runMixStage(first, { ...hooks, stopAfter: 'pretrain' }, { data: loaded });
    pending = todo().sort((a, b) => rank(a.chain) - rank(b.chain));
    serving = true;
    dispatch();
    await allDone;
    return loaded;
  } finally {
    serving = false;
    closing = true;
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

/** runMix with the chains after pretraining on `hooks.threads` threads (default: the cores); the same result. */
export async function runMixParallel(partial: Partial<MixOptions>, hooks: RunHooks = {}): Promise<RunOutcome> {
  const threads = checkThreads(hooks.threads ?? getDefaultThreads());
  if (threads === 1 || hooks.stopAfter) return runMix(partial, hooks);
  const h = { ...hooks, store: hooks.store ?? new PhaseStore(hooks.outDir, hooks.warn) };
  const data = await runChainsParallel(partial, [resolveMixOptions(partial).budget], h, threads);
  return runMixStage(partial, h, { data });
}

/** runPareto with the shared chains and every budget's search -> mixed chain spread over threads; the same result. */
export async function runParetoParallel(opts: Partial<MixOptions>, budgets: readonly number[], hooks: RunHooks = {}): Promise<ParetoResult | undefined> {
  const threads = checkThreads(hooks.threads ?? getDefaultThreads());
  if (threads === 1 || hooks.stopAfter || budgets.length === 0) return runPareto(opts, budgets, hooks);
  const h = { ...hooks, store: hooks.store ?? new PhaseStore(hooks.outDir, hooks.warn) };
  const data = await runChainsParallel(opts, budgets, h, threads);
  return runPareto(opts, budgets, h, data);
}
