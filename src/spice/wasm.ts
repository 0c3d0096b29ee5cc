/**
 * The wasm engine: eecircuit-engine (ngspice 45 compiled to WebAssembly) in a worker thread, so a
 * run that hangs can be stopped (the interpreter cannot be interrupted from inside). An instance is
 * slow to start and holds a lot of memory, a run on it is cheap (bench/engines.ts).
 *
 * Quirks handled here: one instance per thread; every run has a timeout, after which the worker is
 * terminated and a fresh one starts on the next run (EngineTimeout); include files are written into
 * the engine's in-memory file system; after a netlist error the package would hand back the
 * previous run's vectors, so its error list is checked first and our own raw file is deleted before
 * each run (NetlistError carries ngspice's message).
 *
 * The worker is a .ts file. In a process that runs TypeScript through tsx (bin/fusemix.js,
 * `npx tsx`, vitest), a new thread has no TypeScript loader, so the worker is started from a small
 * bootstrap that registers tsx inside the thread first and then imports the worker module.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { EngineNotFound, EngineOutputTooLarge, EngineTimeout, NetlistError, SpiceError } from '../core/errors.ts';
import { siblingModule, startWorker } from '../core/modules.ts';
import type { RunOptions, SpiceEngine, SpiceResult } from './types.ts';
import { DEFAULT_TIMEOUT_MS, LOG_LIMIT_BYTES, checkIncludeName, preflight, prepareNetlist, readHostIncludes, scanLog, throwIfFailed } from './ngspice.ts';
import { parseRaw } from './raw.ts';
import type { WorkerReply, WorkerRun } from './wasm-worker.ts';

export interface WasmEngineOptions {
  /** default time limit per run in ms */
  timeoutMs?: number;
  /** default output limit per run in bytes (see RunOptions.maxOutputBytes) */
  maxOutputBytes?: number;
  /** time limit for starting the engine (loading the WebAssembly module), ms; default 60 s */
  startTimeoutMs?: number;
}

const WORKER_URL = siblingModule(import.meta.url, './wasm-worker');

/** File URL of eecircuit-engine's ES module entry, found from this file's location. */
function engineModuleUrl(): string {
  const req = createRequire(import.meta.url);
  for (const dir of req.resolve.paths('eecircuit-engine') ?? []) {
    const pkgFile = join(dir, 'eecircuit-engine', 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { module?: string; exports?: { '.'?: { import?: string } } };
    const entry = pkg.exports?.['.']?.import ?? pkg.module ?? 'index.js';
    return pathToFileURL(join(dir, 'eecircuit-engine', entry)).href;
  }
  throw new EngineNotFound('the eecircuit-engine package is not installed (npm install eecircuit-engine), or use --engine ngspice');
}

/** Start the worker thread (from sources: the engine module is loaded before tsx, through whose hooks it costs seconds). */
function spawnWorker(): Worker {
  const preload = WORKER_URL.href.endsWith('.ts') ? [engineModuleUrl()] : [];
  return startWorker(WORKER_URL, { preload, bootError: { type: 'fatal' } });
}

interface Pending {
  resolve: (r: Extract<WorkerReply, { type: 'result' }>) => void;
  reject: (e: Error) => void;
}

export class WasmEngine implements SpiceEngine {
  readonly kind = 'wasm' as const;
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private closed = false;
  /** how long the last worker took to start, ms */
  lastStartMs = Number.NaN;
  /** ngspice version reported by the engine, once started */
  banner = '';

  constructor(private readonly opts: WasmEngineOptions = {}) {}

  /** Start the worker now (otherwise the first run does). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new EngineNotFound('the wasm engine was closed'));
    if (this.ready) return this.ready;
    const t0 = performance.now();
    const w = spawnWorker();
    this.worker = w;
    const startTimeout = this.opts.startTimeoutMs ?? 60_000;
    this.ready = new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        this.discard(w);
        reject(new EngineNotFound(`the wasm engine (eecircuit-engine) did not start within ${startTimeout} ms`));
      }, startTimeout);
      w.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          started = true;
          clearTimeout(timer);
          this.lastStartMs = performance.now() - t0;
          this.banner = m.banner;
          w.unref();
          resolve();
        } else if (m.type === 'result') {
          const p = this.pending;
          this.pending = undefined;
          p?.resolve(m);
        } else if (m.type === 'fatal') {
          const err = started
            ? new SpiceError(`the wasm engine failed: ${m.message.split('\n')[0]}`)
            : new EngineNotFound(`cannot start the wasm engine (eecircuit-engine): ${m.message.split('\n')[0]}`);
          clearTimeout(timer);
          this.discard(w);
          if (!started) reject(err);
          const p = this.pending;
          this.pending = undefined;
          p?.reject(err);
        }
      });
      w.on('error', (e) => {
        clearTimeout(timer);
        this.discard(w);
        const err = new EngineNotFound(`the wasm engine worker failed: ${e.message}`);
        if (!started) reject(err);
        const p = this.pending;
        this.pending = undefined;
        p?.reject(err);
      });
      w.on('exit', (code) => {
        if (this.worker !== w) return; // terminated on purpose
        clearTimeout(timer);
        this.discard(w);
        const err = new SpiceError(`the wasm engine worker exited unexpectedly (code ${code})`);
        if (!started) reject(err);
        const p = this.pending;
        this.pending = undefined;
        p?.reject(err);
      });
    });
    return this.ready;
  }

  /** Forget a worker (and stop it); the next run starts a fresh one. */
  private discard(w: Worker): void {
    if (this.worker === w) {
      this.worker = undefined;
      this.ready = undefined;
    }
    void w.terminate();
  }

  run(netlist: string, opts: RunOptions = {}): Promise<SpiceResult> {
    const next = this.chain.then(() => this.runNow(netlist, opts));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runNow(netlist: string, opts: RunOptions): Promise<SpiceResult> {
    const name = opts.name ?? 'netlist';
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = preflight(netlist, name, opts, this.opts.maxOutputBytes);
    const files: Record<string, string> = {};
    for (const [p, content] of Object.entries(readHostIncludes(netlist, process.cwd()))) {
      if (posix.isAbsolute(p)) files[p] = content; // absolute includes: copied from the host as is
    }
    for (const [p, content] of Object.entries(opts.includes ?? {})) files[`/${checkIncludeName(p)}`] = content;
    const prepared = prepareNetlist(netlist, 'wasm', '/fusemix.raw');
    await this.start();
    const w = this.worker!;
    w.ref();
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await new Promise<Extract<WorkerReply, { type: 'result' }>>((resolve, reject) => {
        this.pending = { resolve, reject };
        timer = setTimeout(() => {
          this.pending = undefined;
          this.discard(w);
          reject(new EngineTimeout(timeoutMs, `wasm engine on ${name} was stopped; the next run starts a fresh one`));
        }, timeoutMs);
        const msg: WorkerRun = { type: 'run', id: this.nextId++, netlist: prepared, files };
        w.postMessage(msg);
      });
      const elapsedMs = performance.now() - t0;
      if (reply.raw && reply.raw.length > maxBytes) throw new EngineOutputTooLarge(maxBytes, `the raw output of ${name} (${reply.raw.length} bytes)`);
      if (reply.info.length > Math.min(maxBytes, LOG_LIMIT_BYTES)) throw new EngineOutputTooLarge(Math.min(maxBytes, LOG_LIMIT_BYTES), `the log of ${name}`);
      const stderr = reply.errors.join('\n');
      const scan = scanLog(stderr);
      throwIfFailed(scan, name);
      const plots = reply.raw ? parseRaw(reply.raw, `${name} (raw output)`) : [];
      if (plots.length === 0) {
        const tail = stderr.trim().split('\n').slice(-3).join('; ');
        throw new NetlistError(`no analysis produced output${tail ? ` (${tail})` : ''}`, name);
      }
      return { engine: 'wasm', plots, log: reply.info, warnings: scan.warnings, elapsedMs };
    } finally {
      clearTimeout(timer);
      if (this.worker === w) w.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (w) await w.terminate();
  }
}
