/**
 * The local runner: a sweep's points (or one shard of them) on this machine. With jobs = 1 the
 * points run one after another in this process; with jobs > 1, `jobs` child processes
 * (`fusemix sweep run --serve`) each take the next point over IPC when they finish one, so a crash or
 * a kill costs only the points that were running. Finished points are files, so a rerun computes only what is missing.
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

/** What the parent sends a `--serve` child: the next point's id, or the end. */
type ServeRequest = { id: string } | { end: true };
/** What the child answers once the point's file is written (or it failed). */
type ServeReply = { id: string; ok: true } | { id: string; ok: false; error: string };

/**
 * The child side of `jobs > 1` (`sweep run --serve`): runs each point the parent names over IPC and
 * answers; returns when the parent sends the end or goes away.
 */
export function servePoints(points: readonly SweepPoint[], out: string, runner: string): Promise<void> {
  if (!process.send) throw new FusemixError('sweep run --serve takes its points over an IPC channel: it is started by sweep run --jobs N, not by hand');
  const byId = new Map(points.map((p) => [p.id, p]));
  return new Promise((resolveDone) => {
    const stop = () => {
      process.off('message', onMessage);
      if (process.connected) process.disconnect();
      resolveDone();
    };
    const onMessage = (m: ServeRequest) => {
      if (!('id' in m)) return stop();
      const p = byId.get(m.id);
      let reply: ServeReply;
      try {
        if (!p) throw new FusemixError(`no point ${m.id} in this sweep`);
        runPoint(p, out, runner);
        reply = { id: m.id, ok: true };
      } catch (e) {
        reply = { id: m.id, ok: false, error: (e as Error).message };
      }
      process.send!(reply);
    };
    process.on('message', onMessage);
    process.once('disconnect', stop);
  });
}

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
  // jobs > 1: `jobs` child processes, each started once (`sweep run --serve`: one start-up, one data
  // load per child, not per point) and handed the next point over IPC when it reports the last one
  const running = new Set<ChildProcess>();
  let failure: Error | undefined;
  const onAbort = () => {
    for (const c of running) c.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', onAbort);
  try {
    let next = 0;
    const lane = async () => {
      const child = spawn(process.execPath, [CLI, 'sweep', 'run', o.specFile, '--out', out, '--serve', '--runner', o.runner ?? 'local', '--quiet'], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, FUSEMIX_SWEEP_CHILD: '1' },
      });
      running.add(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
      const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      const replies: Array<(m: ServeReply | null) => void> = [];
      child.on('message', (m: ServeReply) => replies.shift()?.(m));
      void exited.then(() => replies.splice(0).forEach((r) => r(null)));
      try {
        while (next < todo.length && !failure && !o.signal?.aborted) {
          const p = todo[next++]!;
          o.onEvent?.({ type: 'start', point: p, done, total });
          const t0 = performance.now();
          const reply = new Promise<ServeReply | null>((res) => replies.push(res));
          child.send({ id: p.id } satisfies ServeRequest);
          const m = await reply;
          if (o.signal?.aborted) return;
          if (!m?.ok || !readPoint(out, p.id)) {
            const why = m && !m.ok ? m.error : `its process exited (${await exited}): ${err.trim().split('\n').slice(-3).join(' | ')}`;
            failure ??= new FusemixError(`sweep point ${p.id} (#${p.index}) failed: ${why}`);
            return;
          }
          done++;
          o.onEvent?.({ type: 'done', point: p, done, total, ms: performance.now() - t0 });
        }
      } finally {
        if (child.connected) child.send({ end: true } satisfies ServeRequest);
        await exited;
        running.delete(child);
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
