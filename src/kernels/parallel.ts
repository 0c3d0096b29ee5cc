/**
 * Worker threads for batches that split cleanly (test-set evaluation, Monte Carlo samples, Pareto
 * points): run an exported function of a module over independent items.
 *
 *   const out = await parallelMap(items, new URL('./my-jobs.ts', import.meta.url), 'score', { threads: 2 });
 *
 * Each worker imports the module once and calls `module[fnName](item, context)` (sync or async) for
 * each item it is handed; items go to whichever worker is free; results come back in input order.
 * Items, context and results cross threads by structured clone (typed arrays, plain objects: no
 * functions or class instances); `transfer` can move item buffers instead of copying them. The first
 * error rejects after the running jobs end, with the worker's message and error name. Workers use
 * the kernel backend and precision of the calling thread.
 *
 * Starting a worker is slow under tsx (registering the TypeScript loader, importing modules),
 * so parallelMap pays off for work of seconds. For repeated batches keep a WorkerPool open and call
 * pool.map (workers stay warm, modules stay imported). The worker module may be .ts: in a process
 * running TypeScript through tsx (bin/fusemix.js, npx tsx, vitest) a new thread has no loader, so it
 * starts from a bootstrap that registers tsx first (as src/spice/wasm.ts does). With threads = 1
 * parallelMap runs the function in this thread.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ConfigError } from '../core/errors.ts';
import { siblingModule, startWorker } from '../core/modules.ts';
import { getKernelPrecision, kernelChoice } from './backend.ts';

export interface ParallelOptions {
  /** Worker threads (default: getDefaultThreads(), at most the number of items). */
  threads?: number;
  /** Passed as the second argument of every call (cloned once per worker). */
  context?: unknown;
  /** Buffers of an item to move to the worker instead of copying (they become unusable here). */
  transfer?: (item: unknown, index: number) => ArrayBuffer[];
}

/** Messages between WorkerPool and src/kernels/parallel-worker.ts. */
export type ToWorker =
  | { type: 'context'; ctx: number; value: unknown }
  | { type: 'job'; id: number; ctx: number; moduleUrl: string; fnName: string; item: unknown };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; name: string; message: string; stack?: string }
  | { type: 'fatal'; message: string };
export interface WorkerSetup {
  kernels: string;
  precision: string;
}

const WORKER_URL = siblingModule(import.meta.url, './parallel-worker');

function spawn(setup: WorkerSetup): Worker {
  return startWorker(WORKER_URL, { workerData: setup, bootError: { type: 'fatal' } });
}

let threadDefault: number | undefined;

/** Set the default number of worker threads (a --threads flag); undefined = FUSEMIX_THREADS or the cores. */
export function setDefaultThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new ConfigError(undefined, 'threads', 'a positive integer', threads);
  }
  threadDefault = threads;
}

/** The default number of worker threads: setDefaultThreads, else FUSEMIX_THREADS, else the cores available. */
export function getDefaultThreads(): number {
  if (threadDefault !== undefined) return threadDefault;
  const env = process.env.FUSEMIX_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(undefined, 'FUSEMIX_THREADS', 'a positive integer', env);
    return n;
  }
  return availableParallelism();
}

/** Thread count for a batch: `threads` or the default, at most `items`, at least 1. */
export function defaultThreads(items: number, threads?: number): number {
  const t = threads ?? getDefaultThreads();
  if (!(Number.isInteger(t) && t >= 1)) throw new ConfigError(undefined, 'threads', 'a positive integer', threads);
  return Math.max(1, Math.min(t, items));
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** context ids this worker has received */
  contexts: Set<number>;
  onMessage?: (m: FromWorker) => void;
  onFail?: (e: Error) => void;
}

/** A set of warm worker threads; map() calls run one after another. Close it when done. */
export class WorkerPool {
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private nextCtx = 1;
  private closed = false;

  constructor(opts: { threads?: number } = {}) {
    this.threads = defaultThreads(Number.MAX_SAFE_INTEGER, opts.threads);
  }

  private slot(i: number): Slot {
    let s = this.slots[i];
    if (s) return s;
    const worker = spawn({ kernels: kernelChoice(), precision: getKernelPrecision() });
    worker.unref();
    const slot: Slot = { worker, contexts: new Set(), ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          resolve();
        } else if (m.type === 'fatal') {
          const e = new Error(`worker failed to start: ${m.message.split('\n')[0]}`);
          if (!started) reject(e);
          slot.onFail?.(e);
        } else slot.onMessage?.(m);
      });
      const die = (e: Error) => {
        if (this.slots[i] === slot) this.slots[i] = undefined as unknown as Slot;
        if (!started) reject(e);
        slot.onFail?.(e);
      };
      worker.on('error', die);
      worker.on('exit', (code) => die(new Error(`worker exited (code ${code})`)));
    });
    slot.ready.catch(() => undefined);
    this.slots[i] = s = slot;
    return s;
  }

  /** Run module[fnName](item, context) over items on the pool; results in input order. */
  map<T, R>(items: readonly T[], workerModuleUrl: URL | string, fnName: string, opts: Omit<ParallelOptions, 'threads'> = {}): Promise<R[]> {
    const run = this.chain.then(() => this.run<T, R>(items, workerModuleUrl, fnName, opts));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async run<T, R>(items: readonly T[], workerModuleUrl: URL | string, fnName: string, opts: Omit<ParallelOptions, 'threads'>): Promise<R[]> {
    if (this.closed) throw new Error('WorkerPool is closed');
    if (items.length === 0) return [];
    const moduleUrl = workerModuleUrl instanceof URL ? workerModuleUrl.href : workerModuleUrl;
    const ctx = this.nextCtx++;
    const results = new Array<R>(items.length);
    let next = 0;
    let failure: Error | undefined;
    const lanes = Math.min(this.threads, items.length);
    const lane = async (i: number) => {
      const slot = this.slot(i);
      try {
        await slot.ready;
      } catch (e) {
        failure ??= e as Error;
        return;
      }
      await new Promise<void>((resolve) => {
        const feed = () => {
          if (failure || next >= items.length) {
            slot.onMessage = undefined;
            slot.onFail = undefined;
            return resolve();
          }
          const id = next++;
          if (!slot.contexts.has(ctx)) {
            slot.worker.postMessage({ type: 'context', ctx, value: opts.context } satisfies ToWorker);
            slot.contexts.add(ctx);
          }
          const item = items[id];
          slot.worker.postMessage({ type: 'job', id, ctx, moduleUrl, fnName, item } satisfies ToWorker, opts.transfer?.(item, id) ?? []);
        };
        slot.onMessage = (m) => {
          if (m.type === 'result') results[m.id] = m.value as R;
          else if (m.type === 'error') {
            const e = new Error(m.message);
            e.name = m.name;
            if (m.stack) e.stack = m.stack;
            failure ??= e;
          }
          feed();
        };
        slot.onFail = (e) => {
          failure ??= e;
          slot.onMessage = undefined;
          slot.onFail = undefined;
          resolve();
        };
        feed();
      });
    };
    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
    // forget this call's context in the workers
    for (const s of this.slots) {
      if (s?.contexts.delete(ctx)) s.worker.postMessage({ type: 'context', ctx, value: undefined } satisfies ToWorker);
    }
    if (failure) throw failure;
    return results;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    const slots = this.slots.splice(0).filter(Boolean);
    await Promise.all(
      slots.map((s) => {
        s.onFail = undefined;
        s.worker.removeAllListeners('exit');
        return s.worker.terminate();
      }),
    );
  }
}

/** Run `fnName` of the module at `workerModuleUrl` over `items` on worker threads; results in input order. */
export async function parallelMap<T, R>(
  items: readonly T[],
  workerModuleUrl: URL | string,
  fnName: string,
  opts: ParallelOptions = {},
): Promise<R[]> {
  if (items.length === 0) return [];
  const threads = defaultThreads(items.length, opts.threads);
  if (threads === 1) {
    const url = workerModuleUrl instanceof URL ? workerModuleUrl.href : workerModuleUrl;
    const mod = (await import(url)) as Record<string, unknown>;
    const fn = mod[fnName];
    if (typeof fn !== 'function') throw new TypeError(`${url} has no exported function '${fnName}'`);
    const out: R[] = [];
    for (const item of items) out.push((await (fn as (i: T, c: unknown) => R | Promise<R>)(item, opts.context)) as R);
    return out;
  }
  const pool = new WorkerPool({ threads });
  try {
    return await pool.map<T, R>(items, workerModuleUrl, fnName, opts);
  } finally {
    await pool.close();
  }
}
