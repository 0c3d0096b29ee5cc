/**
 * SuperMixer on several threads. After pretraining, the chains (run.ts `Chain`: digital, analog,
 * and search -> mixed per budget, each with its evaluation) read only the pretrained state, the data
 * and the hardware, all rebuilt from the same seeded inputs in every thread, and draw only from their
 * own named streams; so they run at once, one lane per thread, and the results are the same bytes as
 * runMix's.
 *
 *  main thread   pretrain ── its lane's chains ──────────── wait ── runMix (assembles from the store)
 *  worker k      start-up (column pool, JIT warm-up) ── its lane's chains ── post store entries ─┘
 *
 * The main thread works one lane itself (a sync run cannot serve a job queue, so every lane gets its
 * jobs up front: plan()). A search and its mixed fine-tuning are separate jobs, so with one budget
 * the lanes run [digital, mixed] here and [search, analog, float evaluation] in the worker (the mixed
 * job waits for the search entry the worker posts; the main thread's lane starts slower, see
 * MAIN_COLD_START). Workers start before the data are loaded, so their start-up overlaps loading and
 * pretraining; while the main thread pretrains they warm up (warmUpChains in run.ts: the JIT
 * compiles the chains' code on a throwaway network). The npm digits each thread decodes itself
 * from the cached byte codes (~0.1 s, in a worker's idle time: plain arrays are faster to fill and
 * to gather batches from than SharedArrayBuffers); other data come with the jobs (a copy). With an
 * out dir each thread writes its phases' checkpoint files, so a killed
 * run resumes as before; chains complete in the store or the out dir are not rerun. A failing worker
 * is not fatal: its missing chains run afterwards in the main thread (which raises any error there
 * with its proper type).
 */
import type { Worker } from 'node:worker_threads';
import { ConfigError } from '../core/errors.ts';
import { siblingModule, startWorker } from '../core/modules.ts';
import { getKernelPrecision, kernelChoice } from '../kernels/backend.ts';
import { getDefaultThreads } from '../kernels/parallel.ts';
import { loadMixData, type MixData } from './data.ts';
import { budgetTag, type MixOptions, resolveMixOptions } from './options.ts';
import { type ColumnBounds } from '../units/fused.ts';
import { primeActivationHardware } from './hardware.ts';
import { baselineNames, type Chain, chainKey, hardwareOptions, PhaseStore, type RunHooks, type RunOutcome, runMix, runMixStage } from './run.ts';
import { type ParetoResult, runPareto } from './pareto.ts';

export interface ChainJob {
  chain: Chain;
  budget: number;
  /** a store entry (a search another lane runs) to wait for before starting */
  after?: string;
}
export interface MixWorkerSetup {
  kernels: string;
  precision: string;
  /** the run's options without the budget (each job names its own) */
  options: Partial<MixOptions>;
  outDir?: string;
  /** features and classes of the data, when known before loading them (the npm digits): the JIT warm-up's shape */
  warmShape?: [number, number];
  /**
   * the worker loads the data itself, after its warm-up (the npm digits: decoded from the cached
   * byte codes in ~0.1 s, the same numbers as the main thread's copy); else they come with the jobs
   */
  loadsData?: boolean;
}
export type ToMixWorker =
  /** the data (the main thread's copy, unless the worker loads its own), store entries (pretrain, ...), the lane's jobs */
  | { type: 'jobs'; id: number; data?: MixData; entries: Array<[string, unknown]>; jobs: ChainJob[] }
  /** entries another lane finished (a search) */
  | { type: 'entries'; entries: Array<[string, unknown]> }
  /** a lane failed: stop waiting for entries (a mixed chain then runs its search itself) */
  | { type: 'release' };
export type FromMixWorker =
  | { type: 'ready' }
  /** the programmed pool's column bounds (after the warm-up): the main thread builds its columns from them */
  | { type: 'columns'; bounds: ColumnBounds[] }
  | { type: 'chain'; id: number; job: ChainJob; entries: Array<[string, unknown]>; logs: string[] }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; name: string; message: string };

const ENTRY_URL = siblingModule(import.meta.url, './worker-entry');

function spawn(setup: MixWorkerSetup): Worker {
  return startWorker(ENTRY_URL, { workerData: setup, bootError: { type: 'error', id: -1, name: 'Error' } });
}

interface Lane {
  worker: Worker;
  /** settles when the worker has finished its jobs or failed (never rejects) */
  finished: Promise<void>;
  send(msg: ToMixWorker): void;
}

function startLane(
  setup: MixWorkerSetup,
  onChain: (m: Extract<FromMixWorker, { type: 'chain' }>) => void,
  onFail: (message: string) => void,
  onColumns: (bounds: ColumnBounds[]) => void,
): Lane {
  const worker = spawn(setup);
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => (settle = resolve));
  let over = false;
  const fail = (message: string) => {
    if (over) return;
    over = true;
    onFail(message);
    settle();
  };
  worker.on('message', (m: FromMixWorker) => {
    if (m.type === 'chain') onChain(m);
    else if (m.type === 'columns') onColumns(m.bounds);
    else if (m.type === 'done') {
      over = true;
      settle();
    } else if (m.type === 'error') fail(`${m.name}: ${m.message.split('\n')[0]}`);
  });
  worker.on('error', (e) => fail(e.message));
  worker.on('exit', (code) => fail(`exited (code ${code})`));
  return { worker, finished, send: (msg) => worker.postMessage(msg) };
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

/** Epochs the main thread's first chain takes longer than a worker's (first photonic refreshes uncompiled; measured ~1.5). */
const MAIN_COLD_START = 1.5;

const isBaseline = (c: Chain) => c.startsWith('baseline:');

/**
 * Static plan (each lane gets its jobs up front; the main thread cannot serve a queue while it
 * computes): greedy list scheduling on the epoch counts (a search epoch counted 1.3 fine-tuning
 * epochs: it runs both activation paths), searches first (a mixed fine-tuning waits for its search,
 * possibly from another lane: `after`). Ties go to the main thread (lane 0), except for searches:
 * they go to the highest lane, a worker whose code is already compiled for them (warmUpChains runs
 * the search configuration while the main thread pretrains); the main thread starts with a chain
 * closer to what it just ran, MAIN_COLD_START epochs late. The float network's evaluation (no epochs)
 * goes to the lane that ends first.
 */
function plan(pending: readonly ChainJob[], lanes: number, o: MixOptions): ChainJob[][] {
  const ft = o.searchEpochs + o.finetuneEpochs;
  const searchCost = 1.3 * o.searchEpochs;
  const out: ChainJob[][] = Array.from({ length: lanes }, () => []);
  // the main thread starts its lane cold (it pretrained while the workers compiled the chains' code)
  const free = new Array<number>(lanes).fill(0);
  free[0] = MAIN_COLD_START;
  const searchAt = new Map<number, { lane: number; end: number }>();
  const rank = (c: Chain) => ({ search: 0, digital: 1, analog: 1, mixed: 2, float: 4 } as Record<string, number>)[c] ?? 3;
  const order = [...pending].sort((a, b) => rank(a.chain) - rank(b.chain));
  for (const job of order) {
    const needsSearch = job.chain === 'mixed' || isBaseline(job.chain);
    const s = needsSearch ? searchAt.get(job.budget) : undefined;
    const ready = s?.end ?? 0;
    const start = (k: number) => Math.max(free[k]!, ready);
    let best = job.chain === 'search' ? lanes - 1 : 0;
    for (let k = 0; k < lanes; k++) if (start(k) < start(best)) best = k;
    const cost = job.chain === 'float' ? 0 : job.chain === 'search' ? searchCost : job.chain === 'mixed' ? o.finetuneEpochs + (s ? 0 : searchCost) : ft + (needsSearch && !s ? searchCost : 0);
    free[best] = start(best) + cost + 0.5; // + evaluation, hand-over
    if (job.chain === 'search') searchAt.set(job.budget, { lane: best, end: free[best]! });
    out[best]!.push(s && s.lane !== best ? { ...job, after: `search-${budgetTag(job.budget)}` } : job);
  }
  return out;
}

/**
 * Pretrain (this thread), then run the chains of `budgets` (digital, analog, and one search -> mixed
 * per budget) over `threads` lanes. Everything lands in `store` (and checkpoint files with an out
 * dir); runMix / runPareto on the same store then only assembles the result.
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
  const dependents = (b: number) => jobs.filter((j) => j.budget === b && (j.chain === 'mixed' || isBaseline(j.chain)));
  const todo = () =>
    jobs.filter((j) => !chainDone(store, opts, j) && !(j.chain === 'search' && dependents(j.budget).every((d) => chainDone(store, opts, d))));
  // searches and the float evaluation are short: they do not count as a lane's work of their own
  const laneWork = (j: ChainJob) => j.chain !== 'search' && j.chain !== 'float';
  const maxLanes = Math.min(threads, todo().filter(laneWork).length);
  const log = hooks.log ?? (() => {});
  const failures: string[] = [];
  const { budget: _b, ...shared } = opts;
  const setup: MixWorkerSetup = {
    kernels: kernelChoice(),
    precision: getKernelPrecision(),
    options: shared,
    ...(hooks.outDir ? { outDir: hooks.outDir } : {}),
    // the warm-up trains a throwaway MLP for a few steps: for a CNN that would cost seconds, not ms
    ...(o.data === 'mnist' ? { loadsData: true, ...(o.model === 'mlp' ? { warmShape: [784, 10] as [number, number] } : {}) } : {}),
  };
  const workers: Lane[] = [];
  // entries this thread waits for (a search in a worker's lane); all released when a worker fails
  const waiting = new Map<string, () => void>();
  const arrived = (name: string) =>
    failures.length > 0 || store.entries().some(([k]) => k === name) ? Promise.resolve() : new Promise<void>((r) => waiting.set(name, r));
  // started before pretraining: their start-up overlaps it
  for (let k = 1; k < maxLanes; k++) {
    workers.push(
      startLane(
        setup,
        (m) => {
          for (const [name, value] of m.entries) {
            store.remember(name, value);
            waiting.get(name)?.();
            // another worker's lane may wait for it too
            if (m.job.chain === 'search') workers.forEach((w, i) => i !== k - 1 && w.send({ type: 'entries', entries: [[name, value]] }));
          }
          for (const l of m.logs) log(l);
        },
        (message) => {
          failures.push(message);
          for (const r of waiting.values()) r();
          workers.forEach((w, i) => i !== k - 1 && w.send({ type: 'release' }));
        },
        // taken whenever this thread next waits (before a mixed chain): then it need not program them
        (bounds) => primeActivationHardware(hardwareOptions(o), bounds),
      ),
    );
  }
  // loaded after the workers started, so their start-up overlaps it too
  const data = loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  try {
    runMixStage(first, { ...hooks, stopAfter: 'pretrain' }, { data });
    const pending = todo();
    const lanes = Math.min(maxLanes, pending.filter(laneWork).length);
    if (lanes <= 1) return data;
    const lanePlan = plan(pending, lanes, o);
    const entries = store.entries();
    lanePlan.slice(1).forEach((laneJobs, k) => workers[k]!.send({ type: 'jobs', id: k, ...(setup.loadsData ? {} : { data }), entries, jobs: laneJobs }));
    for (const job of lanePlan[0]!) {
      if (job.after) await arrived(job.after);
      runMixStage({ ...opts, budget: job.budget }, hooks, { data, chain: job.chain });
      if (job.chain !== 'search') continue;
      const name = chainKey({ ...opts, budget: job.budget }, 'search').name;
      const done = store.entries().filter(([k]) => k === name);
      for (const w of workers) w.send({ type: 'entries', entries: done });
    }
    await Promise.all(workers.slice(0, lanes - 1).map((w) => w.finished));
    for (const f of failures) log(`a worker thread failed (${f}); its remaining phases run in this thread`);
    return data;
  } finally {
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
