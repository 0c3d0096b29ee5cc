/**
 * Worker side of runMixParallel / runParetoParallel (./worker.ts). While the main thread pretrains,
 * the thread programs the activation hardware (runMix's own call, same seeded inputs, so the same
 * columns) and loads the data (setup.loadsData; else they come with its first job); then it runs the
 * jobs the main thread's queue hands it, one at a time, with runMixStage, and posts back the store
 * entries each made (phase states and evaluations; with an out dir it writes their checkpoint files
 * itself).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setKernelBackend, setKernelPrecision, type KernelName, type KernelPrecision } from '../kernels/backend.ts';
import { loadMixData, type MixData } from './data.ts';
import { resolveMixOptions } from './options.ts';
import { type Chain, hardwareFor, PhaseStore, runMixStage } from './run.ts';
import type { FromMixWorker, MixWorkerSetup, ToMixWorker } from './worker.ts';

const port = parentPort!;
const setup = workerData as MixWorkerSetup;
const post = (m: FromMixWorker) => port.postMessage(m);

let own: MixData | undefined;
/** The run's data: sent with the first job, or loaded here (setup.loadsData), exactly as the main thread's loadMixData. */
function ownData(): MixData {
  if (!own) {
    const o = resolveMixOptions(setup.options);
    own = loadMixData(o.data, o.seed, o.nTest, o.nTrain);
  }
  return own;
}

const store = new PhaseStore(setup.outDir);
/** entries this thread has (sent by the main thread, or made here and reported) */
const known = new Set<string>();

function runJob(m: ToMixWorker): void {
  for (const [name, value] of m.entries) {
    store.remember(name, value);
    known.add(name);
  }
  const logs: string[] = [];
  const hooks = { store, ...(setup.outDir ? { outDir: setup.outDir } : {}), log: (l: string) => logs.push(l) };
  if (m.data) own = m.data;
  runMixStage({ ...setup.options, budget: m.job.budget }, hooks, { data: ownData(), chain: m.job.chain as Chain });
  const fresh = store.entries().filter(([k]) => !known.has(k));
  for (const [k] of fresh) known.add(k);
  post({ type: 'chain', id: m.id, job: m.job, entries: fresh, logs });
}

try {
  setKernelBackend(setup.kernels as KernelName | 'auto');
  setKernelPrecision(setup.precision as KernelPrecision);
  let startup: Error | undefined;
  try {
    // while the main thread still pretrains: the column pool (cached per option set; the main thread
    // then need not solve its bounds) and the data
    post({ type: 'columns', bounds: hardwareFor(resolveMixOptions(setup.options)).poolBounds() });
    if (setup.loadsData) ownData();
  } catch (e) {
    // reported with the first job (the main thread raises the same error itself)
    startup = e as Error;
  }
  port.on('message', (m: ToMixWorker) => {
    try {
      if (startup) throw startup;
      runJob(m);
    } catch (e) {
      const err = e as Error;
      post({ type: 'error', id: m.id, name: err?.name ?? 'Error', message: err?.message ?? String(e) });
    }
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', id: -1, name: 'Error', message: String((e as Error)?.stack ?? e) });
}
