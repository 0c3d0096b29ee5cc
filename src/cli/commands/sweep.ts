/** fusemix sweep plan | run | slurm | enqueue | worker | merge */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/io.ts';
import {
  enqueuePoints,
  loadSweepSpec,
  parseQueueUrl,
  planSweep,
  prepareOut,
  readPlan,
  resolveShard,
  runLocal,
  servePoints,
  runPoint,
  runWorker,
  shardPoints,
  slurmScript,
  specFile,
  submitSlurm,
  sweepTable,
  writeSweepTable,
} from '../../sweep/index.ts';
import { UsageArgError } from './errors.ts';
import { type GlobalArgs, Progress, printJson, say, table } from '../util.ts';

interface SweepArgs extends GlobalArgs {
  action?: string;
  target?: string;
  out?: string;
  jobs?: number;
  shard?: string;
  only?: string;
  serve?: boolean;
  runner?: string;
  tasks?: number;
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  submit?: boolean;
  script?: string;
  queue?: string;
  attempts?: number;
  concurrency?: number;
  timeout?: number;
  'lock-ms'?: number;
  'until-empty'?: boolean;
}

const posInt = (flag: string, v: number | undefined) => {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new UsageArgError(flag, 'a positive integer', v);
  return v;
};

/** Ctrl-C as an AbortSignal for the duration of `fn`. */
async function withSigint<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const on = () => ac.abort();
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  }
}

export const sweepCommand: CommandModule<GlobalArgs, SweepArgs> = {
  command: 'sweep <action> [target]',
  describe: 'sweeps over axes and seeds: plan, run (local / Slurm shard), slurm (array script), enqueue + worker (BullMQ on Redis), merge',
  builder: (y) =>
    y
      .positional('action', { choices: ['plan', 'run', 'slurm', 'enqueue', 'worker', 'merge'] as const, describe: 'what to do' })
      .positional('target', { type: 'string', describe: 'the sweep spec (JSON); for merge, the sweep folder' })
      .option('out', { type: 'string', describe: 'the sweep folder: spec.json, plan.json, points/<id>.json, the table' })
      .option('jobs', { type: 'number', describe: 'run: points at once on this machine, each in its own process (default 1: in this process)' })
      .option('shard', { type: 'string', describe: 'run: only every n-th point, "i/n" (default inside a Slurm array task: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT; in a Kubernetes Indexed Job: JOB_COMPLETION_INDEX/JOB_COMPLETION_COUNT)' })
      .option('serve', { type: 'boolean', hidden: true, describe: 'run: take point ids over IPC (the child processes of --jobs N)' })
      .option('only', { type: 'string', describe: 'run: just the point with this id (what the runners start)' })
      .option('runner', { type: 'string', describe: 'run: label stored in the point manifests (local, slurm, bullmq)' })
      .option('tasks', { type: 'number', describe: 'slurm: array tasks (default: one per point, at most 1000)' })
      .option('partition', { type: 'string', describe: 'slurm: partition' })
      .option('time', { type: 'string', describe: 'slurm: time limit per task, e.g. 02:00:00' })
      .option('cpus', { type: 'number', describe: 'slurm: CPUs per task (default 1)' })
      .option('mem', { type: 'string', describe: 'slurm: memory per task, e.g. 4G' })
      .option('script', { type: 'string', describe: 'slurm: where to write the array script (default <out>/sweep.sbatch)' })
      .option('submit', { type: 'boolean', describe: 'slurm: submit the script with sbatch and print the job id' })
      .option('queue', { type: 'string', describe: 'enqueue, worker: redis://host:port/queue-name' })
      .option('attempts', { type: 'number', describe: 'enqueue: tries per point before it is marked failed (default 3)' })
      .option('concurrency', { type: 'number', describe: 'worker: points at once (default 1)' })
      .option('timeout', { type: 'number', describe: 'worker: seconds a point may run before it is killed and retried' })
      .option('lock-ms', { type: 'number', describe: "worker: job lock time (ms, default 30000): a dead worker's points go to another worker after about this" })
      .option('until-empty', { type: 'boolean', describe: 'worker: stop when nothing is left in the queue' })
      .example('$0 sweep plan examples/sweeps/unit-bits.json', 'the points and their ids')
      .example('$0 sweep run examples/sweeps/unit-bits.json --out runs/bits --jobs 2', 'on this machine; rerun to resume')
      .example('$0 sweep slurm examples/sweeps/unit-bits.json --out /shared/bits --tasks 8 --submit', 'a Slurm job array')
      .example('$0 sweep worker --queue redis://127.0.0.1:6379/fusemix', 'a BullMQ worker (start on any number of machines)')
      .example('$0 sweep merge runs/bits', 'sweep.csv, sweep.json and the plots'),
  handler: async (args) => {
    const needTarget = (what: string) => {
      if (!args.target) throw new UsageArgError('target', `${what} after "sweep ${args.action}"`);
      return args.target;
    };
    const needOut = () => {
      if (!args.out) throw new UsageArgError('out', `a sweep folder (--out dir) for "sweep ${args.action}"`);
      return resolve(args.out);
    };
    switch (args.action) {
      case 'plan': {
        const spec = loadSweepSpec(needTarget('a sweep spec (JSON)'));
        const points = planSweep(spec);
        if (args.json) return printJson({ kind: spec.kind, axes: spec.axes.map((a) => a.name), points: points.map((p) => ({ index: p.index, id: p.id, axes: p.axes, seed: p.seed })) });
        const names = spec.axes.map((a) => a.name);
        say(args, table(points.map((p) => [p.index, p.id, ...names.map((n) => JSON.stringify(p.axes[n])), String(p.seed)]), ['#', 'id', ...names, 'seed']));
        say(args, `${points.length} ${spec.kind} points`);
        return;
      }
      case 'run': {
        const spec = loadSweepSpec(needTarget('a sweep spec (JSON)'));
        const out = needOut();
        const jobs = posInt('jobs', args.jobs) ?? 1;
        const points = prepareOut(spec, out);
        if (args.only) {
          const p = points.find((x) => x.id === args.only);
          if (!p) throw new UsageArgError('only', `the id of a point of this sweep (see sweep plan)`, args.only);
          runPoint(p, out, args.runner ?? 'local');
          return;
        }
        if (args.serve) return servePoints(points, out, args.runner ?? 'local');
        const shard = resolveShard(args.shard);
        const mine = shard ? shardPoints(points, shard) : points;
        const bar = new Progress('sweep', mine.length, args.quiet || args.json);
        const running = new Set<string>();
        const t0 = performance.now();
        const summary = await withSigint((signal) =>
          runLocal(mine, out, {
            jobs,
            runner: args.runner ?? (shard?.from === 'Slurm array task' ? 'slurm' : 'local'),
            signal,
            specFile: specFile(out),
            onEvent: (e) => {
              if (e.type === 'start') running.add(`#${e.point.index}`);
              else running.delete(`#${e.point.index}`);
              if (e.type === 'done' && !process.stderr.isTTY) say({ ...args, json: true }, `point #${e.point.index} ${e.point.id} done in ${((e.ms ?? 0) / 1000).toFixed(1)} s (${e.done}/${e.total})`);
              bar.update(e.done, running.size ? `running ${[...running].join(' ')}` : '');
            },
          }),
        );
        bar.done();
        const s = { ...summary, shard: shard ? `${shard.index}/${shard.count}` : null, seconds: (performance.now() - t0) / 1000, out };
        if (args.json) return printJson({ computed: s.computed, skipped: s.skipped, total: s.total, shard: s.shard, elapsedS: s.seconds, out });
        say(args, `${s.computed} points computed, ${s.skipped} already done, of ${s.total}${s.shard ? ` (shard ${s.shard} of ${points.length} points)` : ''} in ${s.seconds.toFixed(1)} s; merge with: fusemix sweep merge ${out}`);
        return;
      }
      case 'slurm': {
        const spec = loadSweepSpec(needTarget('a sweep spec (JSON)'));
        const out = needOut();
        const points = prepareOut(spec, out);
        const tasks = posInt('tasks', args.tasks) ?? Math.min(points.length, 1000);
        const text = slurmScript(out, specFile(out), {
          tasks,
          ...(args.partition ? { partition: args.partition } : {}),
          ...(args.time ? { time: args.time } : {}),
          ...(posInt('cpus', args.cpus) ? { cpusPerTask: args.cpus! } : {}),
          ...(args.mem ? { memory: args.mem } : {}),
        });
        const script = resolve(args.script ?? join(out, 'sweep.sbatch'));
        mkdirSync(join(out, 'slurm'), { recursive: true });
        writeFileAtomic(script, text);
        const job = args.submit ? submitSlurm(script) : undefined;
        if (args.json) return printJson({ script, tasks, points: points.length, ...(job ? { jobId: job } : {}) });
        say(args, `wrote ${script}: ${tasks} array tasks over ${points.length} points${job ? `; submitted as job ${job}` : `; submit with: sbatch ${script}`}`);
        return;
      }
      case 'enqueue': {
        const spec = loadSweepSpec(needTarget('a sweep spec (JSON)'));
        const out = needOut();
        if (!args.queue) throw new UsageArgError('queue', 'redis://host:port/queue-name');
        const addr = parseQueueUrl(args.queue);
        const points = prepareOut(spec, out);
        const r = await enqueuePoints(addr, points, out, specFile(out), { attempts: posInt('attempts', args.attempts) ?? 3 });
        if (args.json) return printJson({ ...r, total: points.length, queue: args.queue });
        say(args, `queued ${r.added} points on ${args.queue} (${r.done} already done, of ${points.length}); start workers with: fusemix sweep worker --queue ${args.queue}`);
        return;
      }
      case 'worker': {
        if (!args.queue) throw new UsageArgError('queue', 'redis://host:port/queue-name');
        const addr = parseQueueUrl(args.queue);
        if (args.timeout !== undefined && !(args.timeout > 0)) throw new UsageArgError('timeout', 'seconds > 0', args.timeout);
        const lockMs = posInt('lock-ms', args['lock-ms']);
        const r = await withSigint((signal) =>
          runWorker(addr, {
            concurrency: posInt('concurrency', args.concurrency) ?? 1,
            ...(args.timeout ? { timeoutS: args.timeout } : {}),
            ...(lockMs ? { lockMs } : {}),
            untilEmpty: Boolean(args['until-empty']),
            signal,
            onEvent: (e) => say({ ...args, json: true }, `${e.type} point #${e.index} ${e.id}${e.ms !== undefined ? ` in ${(e.ms / 1000).toFixed(1)} s` : ''}${e.error ? `: ${e.error}` : ''}`),
          }),
        );
        if (args.json) return printJson(r);
        say(args, `worker stopped: ${r.processed} points done, ${r.failed} failures`);
        return;
      }
      case 'merge': {
        const out = resolve(args.target ?? args.out ?? '');
        if (!args.target && !args.out) throw new UsageArgError('target', 'the sweep folder after "sweep merge"');
        const plan = readPlan(out);
        const t = sweepTable(out, plan);
        const files = writeSweepTable(out, t);
        if (args.json) return printJson({ rows: t.rows.length, points: plan.points.length, files });
        say(args, `${plan.points.length} points in ${t.rows.length} rows: ${files.map((f) => f.slice(out.length + 1)).join(', ')} in ${out}`);
        return;
      }
      default:
        throw new ConfigError(undefined, 'action', 'plan, run, slurm, enqueue, worker or merge', args.action);
    }
  },
};
