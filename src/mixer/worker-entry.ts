/**
 * Worker side of runMixParallel / runParetoParallel (./worker.ts). While the main thread pretrains,
 * the thread programs the activation hardware (runMix's own call, same seeded inputs, so the same
 * columns) and loads the data (setup.loadsData; else they come with the jobs); then it receives the
 * finished pretraining state and a list of chains, runs them one after another with runMixStage and
 * posts back the store entries each made (phase states and evaluations; with an out dir it writes
 * their checkpoint files itself).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setKernelBackend, setKernelPrecision, type KernelName, type KernelPrecision } from '../kernels/backend.ts';
import { loadMixData, type MixData } from './data.ts';
import { resolveMixOptions } from './options.ts';
import { type Chain, hardwareFor, PhaseStore, runMixStage, warmUpChains } from './run.ts';
import type { FromMixWorker, MixWorkerSetup, ToMixWorker } from './worker.ts';

const port = parentPort!;
const setup = workerData as MixWorkerSetup;
const post = (m: FromMixWorker) => port.postMessage(m);

function warmUp(): void {
  // the programmed column pool, as runMix makes it (cached per option set), and the JIT warm-up of
  // the chains' code (run.ts warmUpChains) when the data's shape is known before they arrive
  if (setup.warmShape) warmUpChains(setup.options, ...setup.warmShape);
  else hardwareFor(resolveMixOptions(setup.options));
}

let own: MixData | undefined;
/** The data this thread loads itself (setup.loadsData): exactly the main thread's loadMixData. */
function ownData(): MixData {
  if (!own) {
    const o = resolveMixOptions(setup.options);
    own = loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  }
  return own;
}

const store = new PhaseStore(setup.outDir);
/** entries from the main thread (not reported back) and entries already reported */
const known = new Set<string>();
const waiting = new Map<string, () => void>();
let released = false;
const has = (name: string) => released || store.entries().some(([k]) => k === name);

function take(entries: Array<[string, unknown]>): void {
  for (const [name, value] of entries) {
    store.remember(name, value);
    known.add(name);
    waiting.get(name)?.();
  }
}

async function runJobs(m: Extract<ToMixWorker, { type: 'jobs' }>): Promise<void> {
  take(m.entries);
  for (const job of m.jobs) {
    if (job.after && !has(job.after)) await new Promise<void>((r) => waiting.set(job.after!, r));
    const logs: string[] = [];
    const hooks = { store, ...(setup.outDir ? { outDir: setup.outDir } : {}), log: (l: string) => logs.push(l) };
    runMixStage({ ...setup.options, budget: job.budget }, hooks, { data: m.data ?? ownData(), chain: job.chain as Chain });
    const fresh = store.entries().filter(([k]) => !known.has(k));
    for (const [k] of fresh) known.add(k);
    post({ type: 'chain', id: m.id, job, entries: fresh, logs });
  }
}

try {
  setKernelBackend(setup.kernels as KernelName | 'auto');
  setKernelPrecision(setup.precision as KernelPrecision);
  let warm: Error | undefined;
  try {
    warmUp();
    // while the main thread still pretrains: the column bounds (it then need not solve them) and the data
    post({ type: 'columns', bounds: hardwareFor(resolveMixOptions(setup.options)).poolBounds() });
    if (setup.loadsData) ownData();
  } catch (e) {
    // reported with the jobs (the main thread raises the same error itself)
    warm = e as Error;
  }
  port.on('message', (m: ToMixWorker) => {
    if (m.type === 'entries') return take(m.entries);
    if (m.type === 'release') {
      released = true;
      for (const r of waiting.values()) r();
      return;
    }
    const fail = (e: unknown) => {
      const err = e as Error;
      post({ type: 'error', id: m.id, name: err?.name ?? 'Error', message: err?.message ?? String(e) });
    };
    if (warm) return fail(warm);
    runJobs(m).then(() => post({ type: 'done', id: m.id }), fail);
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', id: -1, name: 'Error', message: String((e as Error)?.stack ?? e) });
}
