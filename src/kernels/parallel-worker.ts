/** Worker side of WorkerPool / parallelMap (src/kernels/parallel.ts): modules imported once, jobs run as they come. */
import { parentPort, workerData } from 'node:worker_threads';
import { importModule } from '../core/modules.ts';
import { setKernelBackend, setKernelPrecision, type KernelName, type KernelPrecision } from './backend.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './parallel.ts';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker) => port.postMessage(m);
const modules = new Map<string, Promise<Record<string, unknown>>>();
const contexts = new Map<number, unknown>();

async function run(m: Extract<ToWorker, { type: 'job' }>): Promise<unknown> {
  let mod = modules.get(m.moduleUrl);
  if (!mod) {
    mod = importModule(m.moduleUrl);
    modules.set(m.moduleUrl, mod);
  }
  const fn = (await mod)[m.fnName];
  if (typeof fn !== 'function') throw new TypeError(`${m.moduleUrl} has no exported function '${m.fnName}'`);
  return (fn as (item: unknown, ctx: unknown) => unknown)(m.item, contexts.get(m.ctx));
}

try {
  setKernelBackend(setup.kernels as KernelName | 'auto');
  setKernelPrecision(setup.precision as KernelPrecision);
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'context') {
      if (m.value === undefined) contexts.delete(m.ctx);
      else contexts.set(m.ctx, m.value);
      return;
    }
    try {
      post({ type: 'result', id: m.id, value: await run(m) });
    } catch (e) {
      const err = e as Error;
      post({ type: 'error', id: m.id, name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack });
    }
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'fatal', message: String((e as Error)?.stack ?? e) });
}
