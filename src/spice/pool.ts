/**
 * Parallel independent runs: netlists are spread over N engines (wasm worker threads or ngspice
 * processes; default one per core) and the results come back in input order.
 *
 * Prefer fewer, bigger netlists where the circuit allows (a `.dc` sweep over a source, many
 * subcircuit instances in one netlist, a control-block `foreach`/`alterparam` loop; see the note in
 * ./engine.ts): one call then carries many points. Use runMany for what cannot share a netlist
 * (different topologies, transient runs with different stimuli, Monte Carlo samples with their own
 * models).
 */
import { availableParallelism } from 'node:os';
import { createEngine, type EngineKind, type EngineOptions, type RunOptions, type SpiceEngine, type SpiceResult } from './engine.ts';

/** One job: a netlist, or a netlist with its include files and a name for messages. */
export type RunItem = string | ({ netlist: string } & Pick<RunOptions, 'includes' | 'name'>);

export interface RunManyOptions {
  /** engine kind (default 'wasm') */
  engine?: EngineKind;
  /** number of engines working at once (default: number of cores, at most the number of jobs) */
  threads?: number;
  /** time limit per run, ms */
  timeoutMs?: number;
  /** options for each engine (binary path, ...) */
  engineOptions?: EngineOptions;
  /** called as each job finishes (in completion order) */
  onResult?: (index: number, result: SpiceResult) => void;
}

/** A set of engines kept warm between batches (a wasm worker is slow to start: bench/engines.ts). */
export class EnginePool {
  readonly engines: SpiceEngine[];
  constructor(
    readonly kind: EngineKind = 'wasm',
    threads = availableParallelism(),
    engineOptions: EngineOptions = {},
  ) {
    const n = Math.max(1, Math.floor(threads));
    this.engines = Array.from({ length: n }, () => createEngine(kind, engineOptions));
  }

  /** Run every job; results in input order. The first failure rejects (after running jobs end). */
  async runMany(items: readonly RunItem[], opts: Omit<RunManyOptions, 'engine' | 'threads' | 'engineOptions'> = {}): Promise<SpiceResult[]> {
    const results = new Array<SpiceResult>(items.length);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async (engine: SpiceEngine) => {
      while (!failure && next < items.length) {
        const i = next++;
        const item = items[i]!;
        const job = typeof item === 'string' ? { netlist: item } : item;
        try {
          const r = await engine.run(job.netlist, {
            includes: job.includes,
            name: job.name ?? `netlist #${i}`,
            ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
          });
          results[i] = r;
          opts.onResult?.(i, r);
        } catch (e) {
          failure ??= { error: e };
        }
      }
    };
    await Promise.all(this.engines.slice(0, Math.max(1, items.length)).map(lane));
    if (failure) throw failure.error;
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.close()));
  }
}

/** Run independent netlists on `threads` engines in parallel; results in input order. */
export async function runMany(items: readonly RunItem[], opts: RunManyOptions = {}): Promise<SpiceResult[]> {
  if (items.length === 0) return [];
  const threads = Math.min(opts.threads ?? availableParallelism(), items.length);
  const pool = new EnginePool(opts.engine ?? 'wasm', threads, opts.engineOptions);
  try {
    return await pool.runMany(items, opts);
  } finally {
    await pool.close();
  }
}
