/**
 * Slurm job arrays: one array task per shard of the sweep. Each task runs `fusemix sweep run` with
 * the out folder; with no --shard it takes SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, so every
 * task runs every n-th point, and a task that was killed or requeued skips the points already done.
 * The out folder must be on a file system the nodes share.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError, FusemixError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/io.ts';
import { checkPlainText } from '../core/text.ts';

export interface SlurmOptions {
  /** array tasks (default: one per point, at most 1000) */
  readonly tasks: number;
  readonly partition?: string;
  /** wall-time limit per task, e.g. "02:00:00" */
  readonly time?: string;
  readonly cpusPerTask?: number;
  readonly memory?: string;
  readonly jobName?: string;
  /** the working directory of the tasks (preset names resolve against it); default: this one */
  readonly workdir?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The sbatch array script of a sweep folder (whose spec.json and plan.json are already written). */
export function slurmScript(out: string, specFile: string, o: SlurmOptions): string {
  if (!(Number.isInteger(o.tasks) && o.tasks >= 1)) throw new ConfigError(undefined, '--tasks', 'a positive integer', o.tasks);
  for (const [field, v] of [['--partition', o.partition], ['--time', o.time], ['--mem', o.memory], ['--job-name', o.jobName]] as const) {
    if (v === undefined) continue;
    checkPlainText(v, undefined, field);
    if (!/^[\w.:+-]+$/.test(v)) throw new ConfigError(undefined, field, 'letters, digits and . : + - _ only', v);
  }
  const dir = resolve(out);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${o.jobName ?? 'fusemix-sweep'}`,
    `#SBATCH --array=0-${o.tasks - 1}`,
    `#SBATCH --output=${dir}/slurm/%A_%a.out`,
    `#SBATCH --cpus-per-task=${o.cpusPerTask ?? 1}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.memory ? [`#SBATCH --mem=${o.memory}`] : []),
    '# written by `fusemix sweep slurm`: each array task runs every n-th point of the sweep',
    '# (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT); finished points are skipped on a rerun.',
    'set -euo pipefail',
    `cd ${quote(resolve(o.workdir ?? process.cwd()))}`,
    `exec ${quote(process.execPath)} ${quote(resolve(PACKAGE_ROOT, 'bin', 'fusemix.js'))} sweep run ${quote(resolve(specFile))} --out ${quote(dir)} --runner slurm --quiet`,
    '',
  ];
  return lines.join('\n');
}

/** Submit a script with sbatch; returns the job id. */
export function submitSlurm(scriptPath: string): string {
  const r = spawnSync('sbatch', ['--parsable', scriptPath], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new FusemixError(`cannot run sbatch (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): is Slurm installed here? The script is ${scriptPath}`);
  if (r.status !== 0) throw new FusemixError(`sbatch refused ${scriptPath}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim().split(';')[0]!;
}
