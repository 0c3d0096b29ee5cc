/**
 * Shared pieces of every calibration: fit statistics, the `fit` metadata block of a preset, unit
 * formatting of fitted values, and writing a preset (validated first, then atomically).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, DataError } from '../core/errors.ts';
import { sha256, writeFileAtomic, writeJsonAtomic } from '../core/io.ts';
import { type Dimension, parseQuantity } from '../core/units.ts';
import { type PresetFile, PRESET_DIR, parsePreset } from '../devices/preset.ts';
import type { LmResult } from './lm.ts';

/** A fitted value in SI with its 1-sigma uncertainty. */
export interface FitParam {
  value: number;
  uncertainty: number;
  /** SI unit of value and uncertainty ('' for dimensionless) */
  unit: string;
}

export interface FitStats {
  points: number;
  /** root mean square of the unweighted residuals, in `rmsUnit` */
  rms: number;
  rmsUnit: string;
  /** coefficient of determination of the fitted quantity */
  r2: number;
  /** residual variance of the weighted residuals S / (m - n) */
  s2: number;
  iterations: number;
  converged: boolean;
}

/** A data file as read: its name (as given), text and sha256. */
export interface DataSource {
  file: string;
  text: string;
  sha256: string;
}

/** Read a data file; a missing file is a DataError naming it. */
export function readDataFile(file: string): DataSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read the data file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  return { file, text, sha256: sha256(text) };
}

/** A data source from text in memory (scripts, tests). */
export function dataFromText(text: string, file = '(inline)'): DataSource {
  return { file, text, sha256: sha256(text) };
}

/** The file name to put in `fitted to <file>` sources: relative to the package root when inside it. */
export function sourceName(file: string): string {
  const abs = resolve(file);
  const rel = relative(join(PRESET_DIR, '..'), abs);
  return !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** RMS and R^2 of y against the fitted yf (unweighted). */
export function residualStats(y: ArrayLike<number>, yf: ArrayLike<number>): { rms: number; r2: number } {
  const m = y.length;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += y[i]!;
  mean /= m;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < m; i++) {
    ssr += (y[i]! - yf[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return { rms: Math.sqrt(ssr / m), r2: sst > 0 ? 1 - ssr / sst : Number.NaN };
}

export function statsOf(lm: LmResult, y: ArrayLike<number>, yf: ArrayLike<number>, rmsUnit: string): FitStats {
  const { rms, r2 } = residualStats(y, yf);
  return { points: y.length, rms, rmsUnit, r2, s2: lm.s2, iterations: lm.iterations, converged: lm.converged };
}

/** DataError unless the fit converged and every parameter is determined by the data. */
export function requireGoodFit(lm: LmResult, file: string | undefined, names: readonly string[]): void {
  if (!lm.converged) {
    throw new DataError(`the fit did not converge (${lm.reason} after ${lm.iterations} iterations); check the data and units`, file);
  }
  if (lm.singular || lm.params.some((x) => !Number.isFinite(x))) {
    throw new DataError(`the data do not determine all of ${names.join(', ')} (singular normal matrix); add points that vary them`, file);
  }
  for (let k = 0; k < names.length; k++) {
    if (!Number.isFinite(lm.sigma[k]!)) throw new DataError(`no finite uncertainty for ${names[k]}: the data do not determine it`, file);
  }
}

/** A DataError for a fitted value outside its physical range. */
export function nonPhysical(file: string | undefined, what: string, value: number, expected: string): never {
  throw new DataError(`non-physical fit result: ${what} = ${Number(value.toPrecision(6))}, expected ${expected}`, file);
}

/** SI value written with a display unit and `digits` significant digits ("4.987654321 kohm"). */
export function withUnit(x: number, unit: string, dim: Dimension, digits = 10): string | number {
  if (unit === '') return Number(x.toPrecision(digits));
  const f = parseQuantity(`1 ${unit}`, dim);
  return `${Number((x / f).toPrecision(digits))} ${unit}`;
}

/** "± 12.3 ohm (1 sigma, fit)" for a note. */
export function uncertaintyNote(p: FitParam, unit: string, dim: Dimension): string {
  return `fit uncertainty ${withUnit(p.uncertainty, unit, dim, 3)} (1 sigma)`;
}

export interface FitMetadata {
  method: string;
  model: string;
  data: string;
  sha256: string;
  date: string;
  points: number;
  rms: number;
  rmsUnit: string;
  r2: number;
  /** fitted values in SI, each with its 1-sigma uncertainty */
  params: Record<string, FitParam>;
  [extra: string]: unknown;
}

export function fitMetadata(
  src: DataSource,
  model: string,
  stats: FitStats,
  params: Record<string, FitParam>,
  extra: Record<string, unknown> = {},
  date = new Date().toISOString(),
): FitMetadata {
  return {
    method: 'levenberg-marquardt (scaled parameters; covariance s^2 (J^T J)^-1)',
    model,
    data: sourceName(src.file),
    sha256: src.sha256,
    date,
    points: stats.points,
    rms: stats.rms,
    rmsUnit: stats.rmsUnit,
    r2: stats.r2,
    iterations: stats.iterations,
    residualVariance: stats.s2,
    params,
    ...extra,
  };
}

/**
 * Where a preset goes: the --out file; `<name>.json` inside --out when it is a folder (an existing
 * one, or a path ending in "/"); else `<name>.json` in the working directory, the first folder of
 * the preset search path. Never the package's own devices/.
 */
export function presetPath(name: string, out?: string): string {
  if (out === undefined) return resolve(`${name}.json`);
  if (isFolder(out)) return resolve(out, `${name}.json`);
  return resolve(out);
}

/** --out names a folder: it ends with a separator or is an existing directory. */
export function isFolder(out: string): boolean {
  if (/[\\/]$/.test(out)) return true;
  try {
    return statSync(out).isDirectory();
  } catch {
    return false;
  }
}

/** A valid preset name (file-name safe). */
export function checkPresetName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(undefined, '--name', 'a preset name of letters, digits, ".", "_" and "-"', name);
  }
  return name;
}

/** A default preset name from the data file ("iv.csv" -> "<prefix>-iv"; "mtj-rv.csv" -> "mtj-rv" for prefix mtj). */
export function defaultName(prefix: string, file: string): string {
  const base = file.replace(/\\/g, '/').split('/').pop()!.split('.')[0]!;
  const clean = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '');
  if (!prefix) return clean || 'fit';
  // "mtj-rv.csv" -> "mtj-rv", not "mtj-mtj-rv"
  if (clean === prefix || clean.startsWith(`${prefix}-`)) return clean;
  return `${prefix}-${clean || 'fit'}`;
}

/**
 * Validate a preset object with the device library, then write it atomically. Refuses to replace an
 * existing file unless `force`. Returns the loaded preset's path.
 */
export function writePresetFile(path: string, preset: PresetFile, force = false): string {
  parsePreset(preset, path, preset.kind); // throws ConfigError before anything is written
  if (existsSync(path) && !force) {
    throw new ConfigError(undefined, '--out', 'a path that does not exist yet (or --force to replace it)', path);
  }
  writeJsonAtomic(path, preset);
  return path;
}

/** Write a plot (SVG text) atomically. */
export function writePlot(path: string, svg: string): void {
  writeFileAtomic(path, svg);
}

/** The uncertainty of g(p) for a linear(ised) g with gradient `grad` and covariance `cov`. */
export function propagate(grad: readonly number[], cov: readonly Float64Array[]): number {
  let v = 0;
  for (let i = 0; i < grad.length; i++) for (let k = 0; k < grad.length; k++) v += grad[i]! * cov[i]![k]! * grad[k]!;
  return Math.sqrt(Math.max(0, v));
}

export const param = (value: number, uncertainty: number, unit: string): FitParam => ({ value, uncertainty, unit });
