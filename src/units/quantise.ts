/**
 * Output quantisation, the one convention of both paths (the fused MACAM unit and the ADC + digital
 * path): b bits give 2^b uniform levels over [yLo, yHi],
 *   level(c) = yLo + c * step,  step = (yHi - yLo) / (2^b - 1),  c = 0 .. 2^b - 1,
 * and y is rounded to the nearest level (ties go up), clamped to [0, 2^b - 1]. The code changes at the
 * midpoints B_k = yLo + (k + 1/2) * step, k = 0 .. 2^b - 2 (`levelBoundaries`): code(y) is the number
 * of boundaries B_k <= y, decided against exactly these doubles. The MACAM unit programs its
 * thresholds at f^-1(B_k) on each monotone piece of the activation (activations.ts).
 */
import { ConfigError } from '../core/errors.ts';

function checkQuant(bits: number, yLo: number, yHi: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new ConfigError(undefined, 'bits', 'an integer in [1, 24]', bits);
  if (!Number.isFinite(yLo) || !Number.isFinite(yHi) || !(yHi > yLo)) {
    throw new ConfigError(undefined, 'outputRange', 'finite [yLo, yHi] with yHi > yLo', [yLo, yHi]);
  }
}

/** The y value of boundary k (between levels k and k+1): yLo + (k + 1/2) * step. */
function boundary(yLo: number, step: number, k: number): number {
  return yLo + (k + 0.5) * step;
}

/** Code 0 .. 2^bits - 1 of y: nearest of the uniform levels over [yLo, yHi] (ties up), clamped. NaN gives NaN. */
export function quantiseOutput(y: number, bits: number, yLo: number, yHi: number): number {
  checkQuant(bits, yLo, yHi);
  const maxCode = 2 ** bits - 1;
  return quantiseWith(y, yLo, (yHi - yLo) / maxCode, maxCode);
}

function quantiseWith(y: number, yLo: number, step: number, maxCode: number): number {
  if (y !== y) return Number.NaN;
  let c = Math.floor((y - yLo) / step + 0.5);
  if (c <= 0) c = 0;
  else if (c > maxCode) return maxCode;
  // agree exactly with the boundary doubles: code = number of boundaries <= y
  if (c > 0 && y < boundary(yLo, step, c - 1)) c -= 1;
  else if (c < maxCode && y >= boundary(yLo, step, c)) c += 1;
  return c;
}

/** `quantiseOutput` with bits and range checked once: returns y -> code. */
export function outputQuantiser(bits: number, yLo: number, yHi: number): (y: number) => number {
  checkQuant(bits, yLo, yHi);
  const maxCode = 2 ** bits - 1;
  const step = (yHi - yLo) / maxCode;
  return (y: number) => quantiseWith(y, yLo, step, maxCode);
}

/** Batch form of `quantiseOutput` into `out` (new Int32Array when omitted). */
export function quantiseOutputBatch<T extends Int32Array | Float64Array = Int32Array>(
  ys: Float64Array,
  bits: number,
  yLo: number,
  yHi: number,
  out?: T,
): T {
  checkQuant(bits, yLo, yHi);
  const o = (out ?? new Int32Array(ys.length)) as T;
  const maxCode = 2 ** bits - 1;
  const step = (yHi - yLo) / maxCode;
  for (let i = 0; i < ys.length; i++) o[i] = quantiseWith(ys[i]!, yLo, step, maxCode);
  return o;
}

/** The level of a code: yLo + code * (yHi - yLo) / (2^bits - 1). */
export function codeToValue(code: number, bits: number, yLo: number, yHi: number): number {
  checkQuant(bits, yLo, yHi);
  return yLo + code * ((yHi - yLo) / (2 ** bits - 1));
}

/** The 2^bits - 1 y values where the code changes (midpoints between levels), increasing. */
export function levelBoundaries(bits: number, yLo: number, yHi: number): Float64Array {
  checkQuant(bits, yLo, yHi);
  const maxCode = 2 ** bits - 1;
  const step = (yHi - yLo) / maxCode;
  const out = new Float64Array(maxCode);
  for (let k = 0; k < maxCode; k++) out[k] = boundary(yLo, step, k);
  return out;
}
