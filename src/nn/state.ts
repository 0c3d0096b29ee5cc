/**
 * Exact Float64 serialisation for checkpoints: values are stored as base64 of their IEEE-754
 * little-endian bytes (bit-exact, including NaN, -0 and infinities, and ~2x smaller than decimal).
 */
import { DataError } from '../core/errors.ts';

/** Whether this machine stores a Float64Array's values in little-endian byte order (then no conversion is needed). */
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/** base64 of the little-endian bytes of `a`. */
export function encodeF64(a: Float64Array): string {
  // little-endian hosts: the array's own bytes, copied once by Buffer (no per-value loop)
  if (LITTLE_ENDIAN) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const bytes = new Uint8Array(a.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat64(i * 8, a[i]!, true);
  return Buffer.from(bytes.buffer).toString('base64');
}

/** Inverse of encodeF64. */
export function decodeF64(s: string, what = 'value'): Float64Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.length % 8 !== 0) throw new DataError(`${what}: base64 payload of ${buf.length} bytes is not a whole number of float64 values`);
  const out = new Float64Array(buf.length / 8);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(buf);
    return out;
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}
