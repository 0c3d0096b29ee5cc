/**
 * fusemix runs either from its TypeScript sources (through tsx) or from the bundle that
 * scripts/bundle.mjs builds on `npm install` (build/js/*.mjs, one flat folder at the same depth as
 * src/<area>/, so paths relative to a module's URL such as PACKAGE_ROOT hold in both). bin/fusemix.js
 * picks the bundle when it is newer than every source file. Worker threads and the modules a worker
 * imports by URL must follow suit: `siblingModule` names the right file, `startWorker` starts it (a
 * .ts module gets tsx registered inside the new thread first: a thread does not inherit the loader).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Whether this code runs from the bundle (build/js) rather than from the TypeScript sources. */
export function runningFromBundle(): boolean {
  return !import.meta.url.endsWith('.ts');
}

/**
 * URL of module `name` (e.g. './worker-entry') beside the module whose URL is `from`: `name.ts` when
 * running from sources, `name.mjs` when running from the bundle (every entry point of the bundle is
 * a file of that name in build/js).
 */
export function siblingModule(from: string, name: string): URL {
  return new URL(`${name}${from.endsWith('.ts') ? '.ts' : '.mjs'}`, from);
}

export interface StartWorkerOptions {
  readonly workerData?: unknown;
  /** module URLs imported before tsx's hooks are in place (large plain-JS modules load much faster so) */
  readonly preload?: readonly string[];
  /** posted to the parent, with `message` set, when the TypeScript entry cannot be loaded */
  readonly bootError: Record<string, unknown>;
}

/** A worker thread running the module at `url` (a .ts module through tsx). */
export function startWorker(url: URL, opts: StartWorkerOptions): Worker {
  const data = opts.workerData === undefined ? {} : { workerData: opts.workerData };
  if (!fileURLToPath(url).endsWith('.ts')) return new Worker(url, data);
  // the ESM entry of tsx's API (the CommonJS one resolves its loader relative to the eval script)
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = [
    `const { parentPort } = require('node:worker_threads');`,
    `Promise.resolve()`,
    ...(opts.preload ?? []).map((m) => `  .then(() => import(${JSON.stringify(m)}))`),
    `  .then(() => import(${JSON.stringify(tsxApi)}))`,
    `  .then((tsx) => tsx.register())`,
    `  .then(() => import(${JSON.stringify(url.href)}))`,
    `  .catch((e) => parentPort.postMessage(Object.assign(${JSON.stringify(opts.bootError)}, { message: String((e && e.stack) || e) })));`,
  ].join('\n');
  return new Worker(boot, { eval: true, ...data });
}

/**
 * import() of a module URL that may be TypeScript while this thread runs from the bundle (a user's
 * job module for parallelMap): on Node's "unknown file extension" error, tsx is registered and the
 * import retried.
 */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    ((await import(tsxApi)) as { register: () => void }).register();
    return (await import(url)) as Record<string, unknown>;
  }
}
