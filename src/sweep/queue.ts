/**
 * A worker pool on Redis through BullMQ. `enqueue` adds one job per unfinished point (job id = point
 * id, so enqueueing twice adds nothing); `worker` processes jobs on any number of machines that see
 * the same out folder. Each job runs its point in a child process (`fusemix sweep run --only`), so
 * the worker's event loop keeps renewing the job's lock, a per-point timeout can kill it, and a dead
 * worker's lock runs out: BullMQ's stalled-job check then hands the point to another worker.
 * Failed points are retried (attempts, exponential backoff). bullmq is imported only here, lazily.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError, FusemixError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/io.ts';
import type { SweepPoint } from './plan.ts';
import { readPoint } from './point.ts';

export interface QueueAddress {
  host: string;
  port: number;
  password?: string;
  username?: string;
  db: number;
  name: string;
}

/** `redis://[user:pass@]host[:port][/db]/name` (db optional). */
export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(undefined, '--queue', 'redis://host:port/queue-name', url);
  }
  if (u.protocol !== 'redis:') throw new ConfigError(undefined, '--queue', 'a redis:// address (redis://host:port/queue-name)', url);
  const parts = u.pathname.split('/').filter(Boolean);
  const db = parts.length === 2 ? Number(parts[0]) : 0;
  const name = parts[parts.length - 1];
  if (!name || parts.length > 2 || !Number.isInteger(db) || !/^[\w.-]+$/.test(name)) {
    throw new ConfigError(undefined, '--queue', 'redis://host:port/queue-name (or .../db/queue-name), the name of letters, digits, _ . -', url);
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    db,
    name,
  };
}

interface JobData {
  id: string;
  index: number;
  out: string;
  spec: string;
  cwd: string;
}

async function bull() {
  return import('bullmq');
}

const connectionOf = (a: QueueAddress) => ({
  host: a.host,
  port: a.port,
  db: a.db,
  ...(a.password ? { password: a.password } : {}),
  ...(a.username ? { username: a.username } : {}),
  maxRetriesPerRequest: null,
});

export interface EnqueueOptions {
  attempts?: number;
}

/** Add the unfinished points of a sweep folder; returns how many were added and how many were done. */
export async function enqueuePoints(addr: QueueAddress, points: readonly SweepPoint[], out: string, specFile: string, o: EnqueueOptions = {}): Promise<{ added: number; done: number }> {
  const { Queue } = await bull();
  const queue = new Queue<JobData>(addr.name, { connection: connectionOf(addr) });
  try {
    const todo = points.filter((p) => !readPoint(out, p.id));
    await queue.addBulk(
      todo.map((p) => ({
        name: 'point',
        data: { id: p.id, index: p.index, out: resolve(out), spec: resolve(specFile), cwd: process.cwd() },
        opts: { jobId: p.id, attempts: o.attempts ?? 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true, removeOnFail: false },
      })),
    );
    return { added: todo.length, done: points.length - todo.length };
  } finally {
    await queue.close();
  }
}

export interface WorkerOptions {
  concurrency?: number;
  /** per-point time limit (s): the point's process is killed and the job fails (and is retried) */
  timeoutS?: number;
  /** how long a job's lock lasts without renewal (ms): a dead worker's points go back after about this */
  lockMs?: number;
  /** stop when the queue has nothing waiting, delayed or active */
  untilEmpty?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: { type: 'start' | 'done' | 'failed'; id: string; index: number; ms?: number; error?: string }) => void;
}

const CLI = resolve(PACKAGE_ROOT, 'bin', 'fusemix.js');

/** Run one queued point in a child process; rejects on failure or timeout. */
function runJobPoint(d: JobData, timeoutS: number | undefined): Promise<void> {
  return new Promise((res, rej) => {
    if (readPoint(d.out, d.id)) return res();
    const child = spawn(process.execPath, [CLI, 'sweep', 'run', d.spec, '--out', d.out, '--only', d.id, '--runner', 'bullmq', '--quiet'], {
      cwd: d.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FUSEMIX_SWEEP_CHILD: '1' },
    });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    const timer = timeoutS ? setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000) : undefined;
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      if (code === 0 && readPoint(d.out, d.id)) res();
      else rej(new Error(sig === 'SIGKILL' && timeoutS ? `point ${d.id} passed its ${timeoutS} s limit` : `point ${d.id} failed (exit ${code ?? sig}): ${err.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

/** Process points until stopped (or until the queue is empty with untilEmpty). */
export async function runWorker(addr: QueueAddress, o: WorkerOptions = {}): Promise<{ processed: number; failed: number }> {
  const { Worker, Queue } = await bull();
  let processed = 0;
  let failed = 0;
  const lockDuration = o.lockMs ?? 30_000;
  const worker = new Worker<JobData>(
    addr.name,
    async (job) => {
      const t0 = performance.now();
      o.onEvent?.({ type: 'start', id: job.data.id, index: job.data.index });
      await runJobPoint(job.data, o.timeoutS);
      o.onEvent?.({ type: 'done', id: job.data.id, index: job.data.index, ms: performance.now() - t0 });
    },
    { connection: connectionOf(addr), concurrency: o.concurrency ?? 1, lockDuration, stalledInterval: Math.max(1000, Math.round(lockDuration / 2)), maxStalledCount: 3, autorun: false },
  );
  worker.on('completed', () => processed++);
  worker.on('failed', (job, e) => {
    failed++;
    if (job) o.onEvent?.({ type: 'failed', id: job.data.id, index: job.data.index, error: e.message });
  });
  worker.on('error', () => {});
  const queue = new Queue<JobData>(addr.name, { connection: connectionOf(addr) });
  const stop = () => void worker.close();
  o.signal?.addEventListener('abort', stop);
  let poll: NodeJS.Timeout | undefined;
  if (o.untilEmpty) {
    poll = setInterval(async () => {
      try {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        if (Object.values(c).every((n) => n === 0)) void worker.close();
      } catch {
        /* redis went away: the worker's own error handling reports it */
      }
    }, Math.max(500, Math.min(5000, lockDuration / 4)));
  }
  try {
    await worker.run();
  } catch (e) {
    throw new FusemixError(`queue worker on redis://${addr.host}:${addr.port}/${addr.name} stopped: ${(e as Error).message}`);
  } finally {
    if (poll) clearInterval(poll);
    o.signal?.removeEventListener('abort', stop);
    await queue.close();
  }
  return { processed, failed };
}
