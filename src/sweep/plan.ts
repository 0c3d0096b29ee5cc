/**
 * A sweep's points: the cartesian product of its axes (first axis outermost, in the file's order),
 * with the repeat seeds innermost. Each point's configuration is fully resolved (library defaults
 * filled in) and its id is a hash of that configuration, of the content of every preset it uses
 * (followed through the presets it references) and of the fusemix version: the same id means the
 * same computation, so a finished point is never computed again, whoever runs it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { fusemixVersion, sha256 } from '../core/io.ts';
import { resolvePresetPath, specOf } from '../devices/preset.ts';
import { resolveMixOptions } from '../mixer/options.ts';
import type { SweepKind, SweepSpec } from './spec.ts';

export interface PresetDigest {
  readonly name: string;
  /** sha256 of the file's bytes */
  readonly sha256: string;
}

export interface SweepPoint {
  /** position in the plan (0-based) */
  readonly index: number;
  /** 16 hex digits of sha256(kind, resolved config, preset contents, fusemix version) */
  readonly id: string;
  readonly kind: SweepKind;
  /** this point's value of each axis */
  readonly axes: Readonly<Record<string, unknown>>;
  readonly seed: number | string;
  /** everything the run takes, defaults filled in (seed included) */
  readonly config: Readonly<Record<string, unknown>>;
  /** every preset the run reads, by role ('cell', 'cell.lo', 'adc', ...) */
  readonly presets: Readonly<Record<string, PresetDigest>>;
}

/** Defaults of unit and cell points (mix points take the mixer's own, DEFAULT_MIX_OPTIONS). */
export const UNIT_DEFAULTS = { fn: 'relu', bits: 4, cell: 'macam-measured', adc: 'adc-sar-default', digital: 'digital-45nm', variation: false };
export const CELL_DEFAULTS = { cell: 'macam-measured', fLo: 1, fHi: 0, mcSamples: 0 };

/** JSON with object keys sorted, so equal configurations hash equally whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The digest of a preset and of every preset it references (ref fields), keyed by role. */
function digestPresets(role: string, name: string, out: Record<string, PresetDigest>, file?: string, field?: string): void {
  let path: string;
  try {
    path = resolvePresetPath(name);
  } catch (e) {
    if (e instanceof ConfigError && file) throw new ConfigError(file, field ?? role, `a preset name or file (${e.expected})`, name);
    throw e;
  }
  const bytes = readFileSync(path);
  const raw = JSON.parse(bytes.toString('utf8')) as { name?: string; kind?: string; params?: Record<string, { value?: unknown }> };
  out[role] = { name: raw.name ?? name, sha256: sha256(bytes) };
  const spec = raw.kind ? specOf(raw.kind) : undefined;
  if (!spec) return;
  for (const [key, fs] of Object.entries(spec)) {
    if (fs.kind !== 'ref') continue;
    const ref = raw.params?.[key]?.value ?? fs.default;
    if (typeof ref === 'string') digestPresets(`${role}.${key}`, ref, out, file, field);
  }
}

/** Where a point's option came from, for messages: the axis or the base field. */
function fieldOf(spec: SweepSpec, key: string): string {
  return spec.axes.some((a) => a.name === key) ? `axes.${key}` : key === 'seed' ? 'repeat' : `base.${key}`;
}

function resolveConfig(spec: SweepSpec, values: Record<string, unknown>, seed: number | string): Record<string, unknown> {
  const merged = { ...spec.base, ...values };
  switch (spec.kind) {
    case 'mix':
      try {
        return { ...resolveMixOptions({ ...merged, seed }) };
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(spec.file, fieldOf(spec, e.field), e.expected, e.got);
        throw e;
      }
    case 'unit':
      return { ...UNIT_DEFAULTS, ...merged, seed };
    case 'cell':
      return { ...CELL_DEFAULTS, ...merged, seed };
  }
}

const PRESET_ROLES: Record<SweepKind, readonly string[]> = {
  mix: ['cell', 'adc', 'digital', 'photonicPreset'],
  unit: ['cell', 'adc', 'digital'],
  cell: ['cell'],
};

/** Every point of a spec, in plan order. */
export function planSweep(spec: SweepSpec): SweepPoint[] {
  const combos: Array<Record<string, unknown>> = [{}];
  for (const a of spec.axes) {
    const next: Array<Record<string, unknown>> = [];
    for (const c of combos) for (const v of a.values) next.push({ ...c, [a.name]: v });
    combos.splice(0, combos.length, ...next);
  }
  const version = fusemixVersion();
  const digests = new Map<string, Record<string, PresetDigest>>();
  const points: SweepPoint[] = [];
  for (const axes of combos) {
    for (const seed of spec.seeds) {
      const config = resolveConfig(spec, axes, seed);
      const presets: Record<string, PresetDigest> = {};
      for (const role of PRESET_ROLES[spec.kind]) {
        const name = config[role];
        if (typeof name !== 'string') throw new ConfigError(spec.file, fieldOf(spec, role), 'a preset name or file', name);
        if (!digests.has(`${role}\0${name}`)) {
          const d: Record<string, PresetDigest> = {};
          digestPresets(role, name, d, spec.file, fieldOf(spec, role));
          digests.set(`${role}\0${name}`, d);
        }
        Object.assign(presets, digests.get(`${role}\0${name}`));
      }
      const id = sha256(canonicalJson({ format: 'fusemix-sweep-point/1', version, kind: spec.kind, config, presets })).slice(0, 16);
      points.push({ index: points.length, id, kind: spec.kind, axes, seed, config, presets });
    }
  }
  const ids = new Set(points.map((p) => p.id));
  if (ids.size !== points.length) throw new ConfigError(spec.file, 'axes', 'axes whose values give distinct points', 'repeated values');
  return points;
}

/** The points shard `i` of `n` runs: every n-th point, starting at i. */
export function shardPoints(points: readonly SweepPoint[], shard: { index: number; count: number }): SweepPoint[] {
  return points.filter((p) => p.index % shard.count === shard.index);
}

/** `--shard i/n`, or the array-task index of Slurm (SLURM_ARRAY_TASK_ID / _COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX / JOB_COMPLETION_COUNT). */
export function resolveShard(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { index: number; count: number; from: string } | undefined {
  const parse = (i: string, n: string, from: string, field: string) => {
    const index = Number(i);
    const count = Number(n);
    if (!(Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 0 && index < count)) {
      throw new ConfigError(undefined, field, 'a shard i/n with 0 <= i < n', `${i}/${n}`);
    }
    return { index, count, from };
  };
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new ConfigError(undefined, '--shard', 'i/n, e.g. 0/4', flag);
    return parse(m[1]!, m[2]!, '--shard', '--shard');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    // array indices may start anywhere (--array=1-4): count from SLURM_ARRAY_TASK_MIN
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    const count = env.SLURM_ARRAY_TASK_COUNT ?? '';
    return parse(String(Number(env.SLURM_ARRAY_TASK_ID) - min), count, 'Slurm array task', 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT');
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    return parse(env.JOB_COMPLETION_INDEX, env.JOB_COMPLETION_COUNT ?? env.FUSEMIX_SHARD_COUNT ?? '', 'Kubernetes indexed job', 'JOB_COMPLETION_INDEX/JOB_COMPLETION_COUNT');
  }
  return undefined;
}
