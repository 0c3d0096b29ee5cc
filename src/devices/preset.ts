/**
 * Preset files: `<name>.json`, looked up in the working directory, then FUSEMIX_PRESETS, then the
 * shipped `devices/` (see presetSearchPath). Every parameter is `{ "value": ..., "source": "..." }`; the
 * value may carry a unit ("29 ohm*um^2") and the source names the paper or says "assumption".
 *
 *   { "name": "mtj-default", "kind": "mtj", "description": "...",
 *     "params": { "ra": { "value": "5 ohm*um^2", "source": "UMN MTJ compact model default" }, ... } }
 *
 * Each device kind declares a spec (field -> dimension, bounds, doc). Loading checks the envelope
 * with zod and every field against the spec, and converts values to SI. Anything wrong is a
 * ConfigError naming the file, the field, what was expected and what was found.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/io.ts';
import { checkPlainText, checkPresetName } from '../core/text.ts';
import { type Dimension, DIMENSIONS, parseQuantity } from '../core/units.ts';

interface Common {
  doc: string;
  optional?: boolean;
}
export interface QuantitySpec extends Common {
  kind: 'quantity';
  dim: Dimension;
  min?: number;
  max?: number;
  /** min is exclusive (value must be > min) */
  positive?: boolean;
  default?: number;
}
export interface ListSpec extends Common {
  kind: 'list';
  dim: Dimension;
  min?: number;
  max?: number;
  minLength?: number;
  sorted?: boolean;
  default?: readonly number[];
}
export interface ChoiceSpec<O extends string = string> extends Common {
  kind: 'choice';
  options: readonly O[];
  default?: O;
}
export interface IntegerSpec extends Common {
  kind: 'integer';
  min?: number;
  max?: number;
  default?: number;
}
export interface RefSpec extends Common {
  kind: 'ref';
  /** the kind of the referenced preset */
  presetKind: string;
  default?: string;
}
export type FieldSpec = QuantitySpec | ListSpec | ChoiceSpec | IntegerSpec | RefSpec;
export type PresetSpec = Record<string, FieldSpec>;

type FieldValue<F> = F extends ChoiceSpec<infer O>
  ? O
  : F extends ListSpec
    ? readonly number[]
    : F extends RefSpec
      ? string
      : number;
/** The typed, SI parameters a spec describes. */
export type ParamsOf<S extends PresetSpec> = { readonly [K in keyof S]: FieldValue<S[K]> };

export const q = (dim: Dimension, doc: string, extra: Partial<QuantitySpec> = {}): QuantitySpec => ({
  kind: 'quantity',
  dim,
  doc,
  ...extra,
});

/** One parameter as written in a preset file, with its source. */
export interface SourcedValue {
  value: unknown;
  source: string;
  note?: string;
}

const envelope = z.object({
  $schema: z.string().optional(),
  name: z.string().min(1),
  kind: z.string().min(1),
  description: z.string().optional(),
  params: z.record(
    z.string(),
    z.object({ value: z.unknown(), source: z.string().min(1), note: z.string().optional() }).strict(),
  ),
  fit: z.record(z.string(), z.unknown()).optional(),
});
export type PresetFile = z.infer<typeof envelope>;

export interface LoadedPreset<S extends PresetSpec = PresetSpec> {
  name: string;
  kind: string;
  description?: string;
  /** absolute path, or undefined for presets built in memory */
  file?: string;
  params: ParamsOf<S>;
  /** source string of each parameter (defaults filled from the spec say so) */
  sources: Record<string, string>;
  /** the raw values as written in the file */
  raw: PresetFile;
  fit?: Record<string, unknown>;
}

const registry = new Map<string, PresetSpec>();
/** Device modules register their spec under their kind. */
export function registerKind(kind: string, spec: PresetSpec): void {
  registry.set(kind, spec);
}
export function specOf(kind: string): PresetSpec | undefined {
  return registry.get(kind);
}
export function registeredKinds(): string[] {
  return [...registry.keys()].sort();
}

/** Validate a parsed JSON object as a preset of `expectKind` (or of whatever kind it declares). */
export function parsePreset<S extends PresetSpec>(obj: unknown, file?: string, expectKind?: string): LoadedPreset<S> {
  const env = envelope.safeParse(obj);
  if (!env.success) {
    const issue = env.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    const got = issue.path.reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k as string] : undefined),
      obj,
    );
    const expected =
      issue.code === 'unrecognized_keys'
        ? `only value, source and note (${issue.message})`
        : path.endsWith('source')
          ? 'a non-empty source string (the paper, or "assumption")'
          : issue.message.replace(/^Invalid input: /, '');
    throw new ConfigError(file, path || '(top level)', expected, got);
  }
  const data = env.data;
  checkPresetStrings(data, file);
  if (expectKind && data.kind !== expectKind) {
    throw new ConfigError(file, 'kind', `a preset of kind "${expectKind}"`, data.kind);
  }
  const spec = registry.get(data.kind);
  if (!spec) throw new ConfigError(file, 'kind', `one of ${registeredKinds().join(', ')}`, data.kind);
  for (const key of Object.keys(data.params)) {
    if (!(key in spec)) {
      throw new ConfigError(file, `params.${key}`, `a known parameter of "${data.kind}" (${Object.keys(spec).join(', ')})`, key);
    }
  }
  const params: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [key, fs] of Object.entries(spec)) {
    const entry = data.params[key];
    const field = `params.${key}.value`;
    if (!entry) {
      if (fs.default !== undefined) {
        params[key] = fs.default;
        sources[key] = 'fusemix default (assumption)';
        continue;
      }
      if (fs.optional) continue;
      throw new ConfigError(file, `params.${key}`, `a value for ${fs.doc}`, undefined);
    }
    params[key] = convertField(entry.value, fs, file, field);
    sources[key] = entry.source;
  }
  return {
    name: data.name,
    kind: data.kind,
    ...(data.description !== undefined ? { description: data.description } : {}),
    ...(file ? { file } : {}),
    params: params as ParamsOf<S>,
    sources,
    raw: data,
    ...(data.fit ? { fit: data.fit } : {}),
  };
}

/**
 * Strings of a preset may reach a netlist (names print in headers and comments, references pick
 * other presets): the name must be a preset name, and every other string one line without control
 * characters. A crafted preset with a newline in a field is refused here, before anything renders.
 */
function checkPresetStrings(data: PresetFile, file: string | undefined): void {
  checkPresetName(data.name, file, 'name');
  checkPlainText(data.kind, file, 'kind');
  if (data.description !== undefined) checkPlainText(data.description, file, 'description');
  for (const [key, e] of Object.entries(data.params)) {
    checkPlainText(key, file, `params.${key}`);
    checkPlainText(e.source, file, `params.${key}.source`);
    if (e.note !== undefined) checkPlainText(e.note, file, `params.${key}.note`);
    const strs = typeof e.value === 'string' ? [[`params.${key}.value`, e.value]] : Array.isArray(e.value) ? e.value.map((x, i) => [`params.${key}.value[${i}]`, x]) : [];
    for (const [field, v] of strs) if (typeof v === 'string') checkPlainText(v, file, field as string);
  }
}

function convertField(v: unknown, fs: FieldSpec, file: string | undefined, field: string): unknown {
  const ctx = { ...(file ? { file } : {}), field };
  switch (fs.kind) {
    case 'quantity': {
      const x = parseQuantity(v, fs.dim, ctx);
      checkRange(x, fs, file, field, v);
      return x;
    }
    case 'list': {
      if (!Array.isArray(v)) throw new ConfigError(file, field, `an array of ${DIMENSIONS[fs.dim] || 'numbers'}`, v);
      if (fs.minLength !== undefined && v.length < fs.minLength) {
        throw new ConfigError(file, field, `at least ${fs.minLength} entries`, v);
      }
      const xs = v.map((e, i) => {
        const x = parseQuantity(e, fs.dim, { ...ctx, field: `${field}[${i}]` });
        checkRange(x, fs, file, `${field}[${i}]`, e);
        return x;
      });
      if (fs.sorted) {
        for (let i = 1; i < xs.length; i++) {
          if (!(xs[i]! > xs[i - 1]!)) throw new ConfigError(file, `${field}[${i}]`, 'a strictly increasing list', v);
        }
      }
      return Object.freeze(xs);
    }
    case 'choice':
      if (typeof v !== 'string' || !fs.options.includes(v)) {
        throw new ConfigError(file, field, `one of ${fs.options.map((o) => `"${o}"`).join(', ')}`, v);
      }
      return v;
    case 'integer': {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(file, field, 'an integer', v);
      if ((fs.min !== undefined && v < fs.min) || (fs.max !== undefined && v > fs.max)) {
        throw new ConfigError(file, field, `an integer in [${fs.min ?? '-inf'}, ${fs.max ?? 'inf'}]`, v);
      }
      return v;
    }
    case 'ref':
      if (typeof v !== 'string' || v.length === 0) {
        throw new ConfigError(file, field, `the name of a "${fs.presetKind}" preset`, v);
      }
      return v;
  }
}

function checkRange(x: number, fs: QuantitySpec | ListSpec, file: string | undefined, field: string, raw: unknown): void {
  const unit = DIMENSIONS[fs.dim];
  const lo = fs.min;
  const hi = fs.max;
  const strict = fs.kind === 'quantity' && fs.positive;
  if ((lo !== undefined && (strict ? x <= lo : x < lo)) || (hi !== undefined && x > hi) || (strict && lo === undefined && x <= 0)) {
    const range = strict && lo === undefined ? '> 0' : `in ${strict ? '(' : '['}${lo ?? '-inf'}, ${hi ?? 'inf'}]`;
    throw new ConfigError(file, field, `a ${fs.dim} ${range}${unit ? ` ${unit}` : ''}`, raw);
  }
}

/** Folder of the shipped presets. */
export const PRESET_DIR = join(PACKAGE_ROOT, 'devices');

/** Where a preset folder on the search path comes from. */
export type PresetOrigin = 'working directory' | 'FUSEMIX_PRESETS' | 'shipped';

export interface PresetFolder {
  dir: string;
  origin: PresetOrigin;
}

/**
 * The folders a preset name is looked up in, first match wins: the working directory, then each
 * folder of `FUSEMIX_PRESETS` (separated like PATH, relative ones resolved against the working
 * directory), then the presets shipped in the package's `devices/`.
 */
export function presetSearchPath(): PresetFolder[] {
  const out: PresetFolder[] = [];
  const add = (dir: string, origin: PresetOrigin) => {
    const d = resolve(dir);
    if (out.some((f) => f.dir === d)) return;
    out.push({ dir: d, origin: d === resolve(PRESET_DIR) ? 'shipped' : origin });
  };
  add(process.cwd(), 'working directory');
  for (const d of (process.env.FUSEMIX_PRESETS ?? '').split(delimiter)) if (d.trim()) add(d.trim(), 'FUSEMIX_PRESETS');
  add(PRESET_DIR, 'shipped');
  return out;
}

/** A preset file found on the search path. */
export interface PresetEntry {
  name: string;
  file: string;
  origin: PresetOrigin;
}

/** Whether a JSON file looks like a preset (an object with a string kind and a params object). */
function looksLikePreset(file: string): boolean {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return Boolean(o) && typeof o === 'object' && typeof o.kind === 'string' && typeof o.params === 'object' && o.params !== null;
  } catch {
    return false;
  }
}

/** Every preset on the search path, by name (a name found earlier on the path hides later ones). */
export function listPresets(): PresetEntry[] {
  const seen = new Map<string, PresetEntry>();
  for (const { dir, origin } of presetSearchPath()) {
    if (!existsSync(dir)) continue;
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files.filter((x) => x.endsWith('.json') && !x.endsWith('.schema.json')).sort()) {
      const name = f.slice(0, -5);
      if (seen.has(name)) continue;
      const file = join(dir, f);
      if (origin !== 'shipped' && !looksLikePreset(file)) continue;
      seen.set(name, { name, file, origin });
    }
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Read and validate a preset by name (looked up on the search path) or by path. */
export function loadPreset<S extends PresetSpec = PresetSpec>(nameOrPath: string, expectKind?: string): LoadedPreset<S> {
  const file = resolvePresetPath(nameOrPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '(file)', 'a readable JSON file', (e as NodeJS.ErrnoException).code ?? String(e));
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, '(file)', 'valid JSON', (e as Error).message);
  }
  return parsePreset<S>(obj, file, expectKind);
}

/** The file of a preset: a path as given (resolved against the working directory), or a name on the search path. */
export function resolvePresetPath(nameOrPath: string): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\')) {
    const p = resolve(nameOrPath);
    if (!existsSync(p)) throw new ConfigError(p, '(file)', 'an existing preset file', 'no such file');
    return p;
  }
  for (const { dir, origin } of presetSearchPath()) {
    const p = join(dir, `${nameOrPath}.json`);
    if (existsSync(p) && (origin === 'shipped' || looksLikePreset(p))) return p;
  }
  throw new ConfigError(
    undefined,
    'preset',
    `a preset name (${listPresetNames().join(', ')}; looked up in ${presetSearchPath().map((f) => f.dir).join(', ')}) or a path to a JSON file`,
    nameOrPath,
  );
}

/** The names of every preset on the search path. */
export function listPresetNames(): string[] {
  return listPresets().map((e) => e.name);
}

/** Build a preset in memory from SI values (for scripts and tests); sources default to "script". */
export function presetFromValues<S extends PresetSpec>(
  kind: string,
  values: Record<string, unknown>,
  source = 'given by script',
  name = `${kind}-inline`,
): LoadedPreset<S> {
  const params: Record<string, SourcedValue> = {};
  for (const [k, v] of Object.entries(values)) params[k] = { value: v, source };
  return parsePreset<S>({ name, kind, params }, undefined, kind);
}

/** A copy of a loaded preset with some parameters replaced (SI values). */
export function withParams<S extends PresetSpec>(p: LoadedPreset<S>, changes: Partial<Record<keyof S, unknown>>, source = 'override'): LoadedPreset<S> {
  const raw: PresetFile = JSON.parse(JSON.stringify(p.raw)) as PresetFile;
  for (const [k, v] of Object.entries(changes)) raw.params[k] = { value: v, source };
  return parsePreset<S>(raw, p.file, p.kind);
}
