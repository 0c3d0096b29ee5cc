/** The in-memory labelled data set every loader returns, plus seeded subset/split helpers. */
import { DataError } from '../core/errors.ts';
import { stream, type Seed } from '../core/rng.ts';

export interface Dataset {
  /** n x features, row-major, scaled to [0, 1]. */
  readonly x: Float64Array;
  /** Class labels in [0, classes). */
  readonly y: Int32Array;
  readonly n: number;
  readonly features: number;
  readonly classes: number;
  /** Per-sample image shape [channels, height, width] when the data are images. */
  readonly shape?: readonly [number, number, number];
  /** Where the samples came from (file path or package). */
  readonly source?: string;
}

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const F = ds.features;
  const x = new Float64Array(indices.length * F);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i]!;
    if (!(s >= 0 && s < ds.n)) throw new RangeError(`subset index ${s} outside [0, ${ds.n})`);
    x.set(ds.x.subarray(s * F, (s + 1) * F), i * F);
    y[i] = ds.y[s]!;
  }
  return { ...ds, x, y, n: indices.length };
}

/** A seeded permutation of 0..n-1 from stream(seed, ...path). */
export function permutation(n: number, seed: Seed, ...path: Array<string | number>): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  stream(seed, ...path).shuffle(idx);
  return idx;
}

export interface SplitOptions {
  readonly seed: Seed;
  /** Fraction of samples for training (default 0.8); ignored when nTest is given. */
  readonly trainFraction?: number;
  /** Exact number of test samples. */
  readonly nTest?: number;
  /** Use only this many samples (a seeded random subset) before splitting. */
  readonly limit?: number;
  /** Stream name of the shuffle: stream(seed, name, 'split') (default 'data'). */
  readonly stream?: string;
}

/** Disjoint train/test split by a seeded shuffle (stream(seed, name, 'split')). */
export function splitDataset(ds: Dataset, opts: SplitOptions): { train: Dataset; test: Dataset } {
  const { nTest, total } = splitSizes(ds.n, opts, ds.source);
  const perm = permutation(ds.n, opts.seed, opts.stream ?? 'data', 'split');
  return { test: subset(ds, perm.subarray(0, nTest)), train: subset(ds, perm.subarray(nTest, total)) };
}

/** The test and total sample counts of a split of `n` samples (checked; DataError names `source`). */
export function splitSizes(n: number, opts: Omit<SplitOptions, 'seed' | 'stream'>, source: string | undefined): { nTest: number; total: number } {
  const total = opts.limit === undefined ? n : opts.limit;
  if (!(Number.isInteger(total) && total >= 2 && total <= n)) {
    throw new DataError(`limit must be an integer in [2, ${n}], got ${String(opts.limit)}`, source);
  }
  let nTest: number;
  if (opts.nTest !== undefined) nTest = opts.nTest;
  else {
    const f = opts.trainFraction ?? 0.8;
    if (!(f > 0 && f < 1)) throw new DataError(`trainFraction must be in (0, 1), got ${f}`, source);
    nTest = Math.round(total * (1 - f));
  }
  if (!(Number.isInteger(nTest) && nTest >= 1 && nTest < total)) {
    throw new DataError(`nTest must be an integer in [1, ${total - 1}], got ${nTest}`, source);
  }
  return { nTest, total };
}

/**
 * Bring raw values into [0, 1]: kept if already there, divided by 255 if they are 0..255 pixels,
 * divided by `scale` if one is given; anything else is a DataError.
 */
export function scaleToUnit(x: Float64Array, file: string | undefined, scale?: number): void {
  if (scale !== undefined) {
    for (let i = 0; i < x.length; i++) x[i] = x[i]! / scale;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (x.length === 0 || (lo >= 0 && hi <= 1)) return;
  if (scale === undefined && lo >= 0 && hi <= 255) {
    for (let i = 0; i < x.length; i++) x[i] = x[i]! / 255;
    return;
  }
  throw new DataError(`feature values span [${lo}, ${hi}]; expected [0, 1] or 0..255 pixels${scale ? ` after dividing by ${scale}` : ''}`, file);
}

/** Number of classes: max label + 1, or `declared` after checking every label is below it. */
export function countClasses(y: Int32Array, file: string | undefined, declared?: number): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) if (y[i]! > max) max = y[i]!;
  if (declared !== undefined) {
    if (max >= declared) throw new DataError(`label ${max} found but only ${declared} classes declared`, file);
    return declared;
  }
  return max + 1;
}
