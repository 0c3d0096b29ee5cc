/**
 * The sweep spec: a base configuration of one kind of run (mix, unit or cell), axes whose values are
 * lists or ranges, and repeat seeds. Read from JSON and checked with zod; a bad field is a
 * ConfigError naming the spec file and the field (e.g. `axes.budget.step`). The JSON Schema of the
 * spec (docs/sweep.schema.json) is generated from the same zod definition.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

export const SWEEP_KINDS = ['mix', 'unit', 'cell'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

/** The options a point of each kind takes (the library's option names; flags are the CLI's business). */
export const KIND_FIELDS: Record<SweepKind, readonly string[]> = {
  // every MixOptions field but the seed, which comes from `repeat`
  mix: [
    'data', 'nTest', 'hidden', 'budget', 'granularity', 'fn', 'analogBits', 'digitalBits', 'readoutBits', 'cell', 'adc',
    'digital', 'variation', 'poolSize', 'photonic', 'photonicPreset', 'phaseBits', 'phaseNoise', 'gammaError',
    'photonicSamples', 'pretrainEpochs', 'searchEpochs', 'finetuneEpochs', 'batchSize', 'lr', 'finetuneLr', 'logitLr',
    'lambda', 'tauStart', 'tauEnd', 'logitInit', 'percentile', 'model', 'nTrain', 'randomBaselines', 'randomKinds', 'heuristics', 'baselineInit',
    'batchNorm', 'pooling',
  ],
  // compareUnit's options; the repeat seed draws the column's device-variation instance when variation is on
  unit: ['fn', 'bits', 'inputRange', 'outputRange', 'cell', 'adc', 'digital', 'adcBits', 'driveMargin', 'overlap', 'variation'],
  // one cell's bounds and search energy at the AP fractions (fLo, fHi); a Monte Carlo of mcSamples when > 0
  cell: ['cell', 'fLo', 'fHi', 'mcSamples'],
};

const scalar = z.union([z.number(), z.string(), z.boolean(), z.array(z.number()), z.array(z.string())]);
const range = z
  .object({
    from: z.number(),
    to: z.number(),
    step: z.number().positive(),
  })
  .strict();
const axis = z.union([z.array(scalar).min(1), range]);
const repeat = z.union([
  z.number().int().min(1).max(1000),
  z.object({ seeds: z.array(z.union([z.number(), z.string()])).min(1) }).strict(),
]);

export const sweepSpecSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    kind: z.enum(SWEEP_KINDS),
    base: z.record(z.string(), scalar).default({}),
    axes: z.record(z.string(), axis).default({}),
    repeat: repeat.default(1),
  })
  .strict();

export type SweepSpecInput = z.input<typeof sweepSpecSchema>;

/** A checked spec: axes expanded to value lists, in the order the file gives them. */
export interface SweepSpec {
  readonly kind: SweepKind;
  readonly description?: string;
  readonly base: Readonly<Record<string, unknown>>;
  readonly axes: ReadonlyArray<{ readonly name: string; readonly values: readonly unknown[] }>;
  readonly seeds: ReadonlyArray<number | string>;
  /** the file it came from (for messages), if any */
  readonly file?: string;
}

/** At most this many points per sweep: a spec beyond it is almost always a typo in a range. */
export const MAX_POINTS = 100_000;

function rangeValues(r: { from: number; to: number; step: number }, field: string, file?: string): number[] {
  const n = Math.floor((r.to - r.from) / r.step + 1e-9) + 1;
  if (!(n >= 1)) throw new ConfigError(file, field, 'a range with from <= to', r);
  if (n > MAX_POINTS) throw new ConfigError(file, field, `a range of at most ${MAX_POINTS} values`, `${n} values`);
  // values printed to 12 significant digits, so 0.1 + 0.2 steps give 0.3, not 0.30000000000000004
  return Array.from({ length: n }, (_, i) => Number((r.from + i * r.step).toPrecision(12)));
}

/** Check a parsed spec object; `file` names it in errors. */
export function parseSweepSpec(obj: unknown, file?: string): SweepSpec {
  const r = sweepSpecSchema.safeParse(obj);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(spec)';
    let got: unknown = obj;
    for (const p of issue.path) got = got && typeof got === 'object' ? (got as Record<string | number, unknown>)[p as string] : undefined;
    throw new ConfigError(file, field, issue.message.replace(/^Invalid input: /, ''), got);
  }
  const s = r.data;
  const allowed = new Set(KIND_FIELDS[s.kind]);
  for (const k of Object.keys(s.base)) {
    if (k === 'seed') throw new ConfigError(file, 'base.seed', "no seed in base: seeds come from 'repeat' (a count, or { seeds: [...] })", s.base[k]);
    if (!allowed.has(k)) throw new ConfigError(file, `base.${k}`, `an option of a ${s.kind} point (${[...allowed].join(', ')})`, k);
  }
  const axes = Object.entries(s.axes).map(([name, a]) => {
    if (name === 'seed') throw new ConfigError(file, 'axes.seed', "no seed axis: seeds come from 'repeat'", a);
    if (!allowed.has(name)) throw new ConfigError(file, `axes.${name}`, `an option of a ${s.kind} point (${[...allowed].join(', ')})`, name);
    return { name, values: Array.isArray(a) ? a : rangeValues(a, `axes.${name}`, file) };
  });
  const seeds = typeof s.repeat === 'number' ? Array.from({ length: s.repeat }, (_, i) => i + 1) : s.repeat.seeds;
  if (new Set(seeds.map(String)).size !== seeds.length) throw new ConfigError(file, 'repeat.seeds', 'distinct seeds', seeds);
  const count = axes.reduce((n, a) => n * a.values.length, seeds.length);
  if (count > MAX_POINTS) throw new ConfigError(file, 'axes', `at most ${MAX_POINTS} points`, `${count} points`);
  return { kind: s.kind, ...(s.description ? { description: s.description } : {}), base: s.base, axes, seeds, ...(file ? { file } : {}) };
}

/** A spec as plain JSON input that plans to the same points (axes as lists, seeds listed). */
export function specToJson(s: SweepSpec): SweepSpecInput {
  return {
    kind: s.kind,
    ...(s.description ? { description: s.description } : {}),
    base: s.base as Record<string, never>,
    axes: Object.fromEntries(s.axes.map((a) => [a.name, a.values as never[]])),
    repeat: { seeds: [...s.seeds] },
  };
}

/** Read and check a spec file. */
export function loadSweepSpec(path: string): SweepSpec {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '(file)', 'a readable sweep spec (JSON)', (e as NodeJS.ErrnoException).code ?? String(e));
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, '(file)', 'valid JSON', (e as Error).message);
  }
  return parseSweepSpec(obj, file);
}

/** The JSON Schema of a spec file (for editors; written to docs/sweep.schema.json). */
export function sweepSpecJsonSchema(): unknown {
  return z.toJSONSchema(sweepSpecSchema, { io: 'input' });
}
