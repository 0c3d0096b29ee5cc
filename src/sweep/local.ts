/**
 * The local runner: a sweep's points (or one shard of them) on this machine. With jobs = 1 the
 * points run one after another in this process; with jobs > 1 each point runs in a child process
 * (`fusemix sweep run --only <id>`), at most `jobs` at a time, so a crash or a kill costs only the
 * points that were running. Finished points are files, so a rerun computes only what is missing.
 * An abort signal (Ctrl-C) stops the children and ends with Interrupted (exit 130).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { FusemixError, Interrupted } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/io.ts';
import type { SweepPoint } from './plan.ts';
import { readPoint, runPoint } from './point.ts';

export interface LocalRunOptions {
  readonly jobs?: number;
  /** a label of who ran the points, stored in their manifests */
  readonly runner?: string;
  readonly signal?: AbortSignal;
  /** the spec file the children read (the out folder's spec.json) */
  readonly specFile: string;
  readonly onEvent?: (e: { type: 'skip' | 'start' | 'done'; point: SweepPoint; done: number; total: number; ms?: number }) => void;
}

export interface LocalRunSummary {
  computed: number;
  skipped: number;
  total: number;
}

const CLI = resolve(PACKAGE_ROOT, 'bin', 'fusemix.js');

/** Run `points` into `out`. */
export async function runLocal(points: readonly SweepPoint[], out: string, o: LocalRunOptions): Promise<LocalRunSummary> {
  const jobs = o.jobs ?? 1;
  const total = points.length;
  const todo: SweepPoint[] = [];
  let done = 0;
  for (const p of points) {
    if (readPoint(out, p.id)) {
      done++;
      o.onEvent?.({ type: 'skip', point: p, done, total });
    } else todo.push(p);
  }
  const skipped = done;
  if (jobs <= 1) {
    for (const p of todo) {
      if (o.signal?.aborted) throw new Interrupted(`stopped: ${done} of ${total} points finished; rerun to compute the rest`);
      o.onEvent?.({ type: 'start', point: p, done, total });
      const t0 = performance.now();
      runPoint(p, out, o.runner ?? 'local');
      done++;
      o.onEvent?.({ type: 'done', point: p, done, total, ms: performance.now() - t0 });
      // let a pending SIGINT be delivered between points
      await new Promise((r) => setImmediate(r));
    }
    return { computed: todo.length, skipped, total };
  }
  const running = new Set<ChildProcess>();
  let failure: Error | undefined;
  const onAbort = () => {
    for (const c of running) c.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', onAbort);
  try {
    let next = 0;
    const lane = async () => {
      while (next < todo.length && !failure && !o.signal?.aborted) {
        const p = todo[next++]!;
        o.onEvent?.({ type: 'start', point: p, done, total });
        const t0 = performance.now();
        const child = spawn(process.execPath, [CLI, 'sweep', 'run', o.specFile, '--out', out, '--only', p.id, '--runner', o.runner ?? 'local', '--quiet'], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, FUSEMIX_SWEEP_CHILD: '1' },
        });
        running.add(child);
        let err = '';
        child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
        const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
        running.delete(child);
        if (o.signal?.aborted) return;
        if (code !== 0 || !readPoint(out, p.id)) {
          failure ??= new FusemixError(`sweep point ${p.id} (#${p.index}) failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
          return;
        }
        done++;
        o.onEvent?.({ type: 'done', point: p, done, total, ms: performance.now() - t0 });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, todo.length) }, lane));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (o.signal?.aborted) throw new Interrupted(`stopped: ${done} of ${total} points finished; rerun to compute the rest`);
  if (failure) throw failure;
  return { computed: todo.length, skipped, total };
}
