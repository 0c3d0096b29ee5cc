/**
 * The 2x2 Mach-Zehnder interferometer in the Clements convention, acting on adjacent modes (m, m+1):
 *
 *   T(theta, phi) = [[e^{i phi} cos theta, -sin theta],
 *                    [e^{i phi} sin theta,  cos theta]]
 *
 * phi is the external phase shifter (on the top input), theta is half the internal (arm) phase
 * difference. With phi = 0 it is the real Givens rotation G(theta) = [[cos, -sin], [sin, cos]].
 * All functions here act in place on split real/imaginary row-major arrays.
 */
import { type CMatrix, czeros } from './complex.ts';

/** The 2x2 transfer matrix T(theta, phi). */
export function mziTransfer(theta: number, phi: number): CMatrix {
  const t = czeros(2, 2);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const er = Math.cos(phi);
  const ei = Math.sin(phi);
  t.re[0] = er * c;
  t.im[0] = ei * c;
  t.re[1] = -s;
  t.re[2] = er * s;
  t.im[2] = ei * s;
  t.re[3] = c;
  return t;
}

/** The real special case: the Givens rotation [[cos, -sin], [sin, cos]] (row-major, 4 values). */
export function givens(theta: number): Float64Array {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return Float64Array.of(c, -s, s, c);
}

/**
 * Rows m and m+1 of a (rows x cols) matrix <- amp * T(theta, phi) applied from the left:
 * M <- T_m M. `amp` is the field transmission of the MZI (10^(-IL_dB/20)).
 */
export function applyMziLeft(
  re: Float64Array,
  im: Float64Array,
  cols: number,
  m: number,
  theta: number,
  phi: number,
  amp = 1,
): void {
  const c = Math.cos(theta) * amp;
  const s = Math.sin(theta) * amp;
  mziRowsLeft(re, im, m * cols, cols, Math.cos(phi), Math.sin(phi), c, s);
}

/**
 * applyMziLeft with e^{i phi} = er + i ei, cos and sin (times amp) = c, s given: rows at offsets o0
 * and o0 + cols. Top row coefficients on (a, b): (e c) a - s b; bottom: (e s) a + c b.
 */
export function mziRowsLeft(re: Float64Array, im: Float64Array, o0: number, cols: number, er: number, ei: number, c: number, s: number): void {
  const tr = er * c;
  const ti = ei * c;
  const br = er * s;
  const bi = ei * s;
  const o1 = o0 + cols;
  for (let j = 0; j < cols; j++) {
    const ar = re[o0 + j]!;
    const ai = im[o0 + j]!;
    const xr = re[o1 + j]!;
    const xi = im[o1 + j]!;
    re[o0 + j] = tr * ar - ti * ai - s * xr;
    im[o0 + j] = tr * ai + ti * ar - s * xi;
    re[o1 + j] = br * ar - bi * ai + c * xr;
    im[o1 + j] = br * ai + bi * ar + c * xi;
  }
}

/** Columns m and m+1 of a (rows x cols) matrix <- M T_m(theta, phi)^H (the inverse MZI from the right). */
export function applyMziRightInverse(
  re: Float64Array,
  im: Float64Array,
  rows: number,
  cols: number,
  m: number,
  theta: number,
  phi: number,
): void {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // T^H = [[e^{-i phi} c, e^{-i phi} s], [-s, c]]
  const er = Math.cos(phi);
  const ei = -Math.sin(phi);
  for (let i = 0; i < rows; i++) {
    const k0 = i * cols + m;
    const k1 = k0 + 1;
    const ar = re[k0]!;
    const ai = im[k0]!;
    const br = re[k1]!;
    const bi = im[k1]!;
    // new_a = a e c - b s ; new_b = a e s + b c
    re[k0] = (ar * er - ai * ei) * c - br * s;
    im[k0] = (ar * ei + ai * er) * c - bi * s;
    re[k1] = (ar * er - ai * ei) * s + br * c;
    im[k1] = (ar * ei + ai * er) * s + bi * c;
  }
}
