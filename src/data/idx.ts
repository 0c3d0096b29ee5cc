/**
 * IDX files (the MNIST distribution format), plain or gzipped (detected by the gzip magic 1f 8b).
 * Header: two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32,
 * 0x0E float64), the number of dimensions, then each dimension as a big-endian uint32; the data follow
 * big-endian, row-major. The data length must match the header exactly.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../core/errors.ts';
import { countClasses, scaleToUnit, type Dataset } from './dataset.ts';

const TYPES: Record<number, { name: string; size: number; read: (dv: DataView, o: number) => number }> = {
  0x08: { name: 'ubyte', size: 1, read: (dv, o) => dv.getUint8(o) },
  0x09: { name: 'byte', size: 1, read: (dv, o) => dv.getInt8(o) },
  0x0b: { name: 'int16', size: 2, read: (dv, o) => dv.getInt16(o, false) },
  0x0c: { name: 'int32', size: 4, read: (dv, o) => dv.getInt32(o, false) },
  0x0d: { name: 'float32', size: 4, read: (dv, o) => dv.getFloat32(o, false) },
  0x0e: { name: 'float64', size: 8, read: (dv, o) => dv.getFloat64(o, false) },
};

export interface IdxArray {
  /** Element type name from the header. */
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (v) => v.toString(16).padStart(2, '0')).join(' ');
}

/** Parse IDX bytes (gunzipping first if gzipped); `file` names errors. */
export function parseIdx(raw: Uint8Array, file?: string): IdxArray {
  let bytes = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
    } catch (e) {
      throw new DataError(`corrupt or truncated gzip data: ${(e as Error).message}`, file);
    }
  }
  if (bytes.length < 4) throw new DataError(`truncated: ${bytes.length} bytes, too short for an IDX header`, file);
  const type = TYPES[bytes[2]!];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || bytes[3] === 0) {
    throw new DataError(`bad IDX magic number ${hex(bytes, 4)} (expected 00 00 <type 08|09|0b|0c|0d|0e> <ndim >= 1>)`, file);
  }
  const ndim = bytes[3]!;
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new DataError(`truncated: header declares ${ndim} dimensions but the file ends at byte ${bytes.length}`, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const v = dv.getUint32(4 + 4 * d, false);
    dims.push(v);
    count *= v;
  }
  const need = count * type.size;
  const have = bytes.length - headerLen;
  if (have < need) {
    throw new DataError(`truncated: header declares ${dims.join(' x ')} ${type.name} values (${need} bytes) but only ${have} data bytes follow`, file);
  }
  if (have > need) {
    throw new DataError(`${have - need} unexpected bytes after the ${dims.join(' x ')} ${type.name} values the header declares`, file);
  }
  const data = new Float64Array(count);
  if (type.size === 1 && type.name === 'ubyte') data.set(bytes.subarray(headerLen, headerLen + count));
  else for (let i = 0; i < count; i++) data[i] = type.read(dv, headerLen + i * type.size);
  return { type: type.name, dims, data };
}

/** Read one IDX file (plain or gzipped). */
export function readIdx(path: string): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return parseIdx(raw, path);
}

export interface IdxDatasetOptions {
  /** Number of classes (default max label + 1). */
  readonly classes?: number;
  /** Divide features by this instead of the automatic [0, 1] / 0..255 rule. */
  readonly scale?: number;
}

/**
 * A Dataset from an IDX image file (n x h x w, n x c x h x w, or n x features) and an IDX label file
 * (n integer labels). ubyte pixels are scaled by 1/255.
 */
export function loadIdx(imagesPath: string, labelsPath: string, opts: IdxDatasetOptions = {}): Dataset {
  const img = readIdx(imagesPath);
  const lab = readIdx(labelsPath);
  if (img.dims.length < 2 || img.dims.length > 4) {
    throw new DataError(`images must have 2 to 4 dimensions (n, features | h w | c h w), got ${img.dims.join(' x ')}`, imagesPath);
  }
  if (lab.dims.length !== 1) throw new DataError(`labels must be one-dimensional, got ${lab.dims.join(' x ')}`, labelsPath);
  const n = img.dims[0]!;
  if (lab.dims[0] !== n) {
    throw new DataError(`count mismatch: ${lab.dims[0]} labels for ${n} images in ${imagesPath}`, labelsPath);
  }
  const features = img.data.length / Math.max(n, 1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = lab.data[i]!;
    if (!(Number.isInteger(v) && v >= 0)) throw new DataError(`label ${v} at index ${i} is not a non-negative integer`, labelsPath);
    y[i] = v;
  }
  const x = img.data;
  if (img.type === 'ubyte' && opts.scale === undefined) for (let i = 0; i < x.length; i++) x[i] = x[i]! / 255;
  else scaleToUnit(x, imagesPath, opts.scale);
  const d = img.dims;
  const shape: [number, number, number] | undefined =
    d.length === 3 ? [1, d[1]!, d[2]!] : d.length === 4 ? [d[1]!, d[2]!, d[3]!] : undefined;
  return { x, y, n, features, classes: countClasses(y, labelsPath, opts.classes), ...(shape ? { shape } : {}), source: imagesPath };
}
