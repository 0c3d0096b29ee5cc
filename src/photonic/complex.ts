/**
 * Complex matrices as split real/imaginary Float64Arrays (row-major). The photonic hot loops work on
 * these directly; there is no complex number object anywhere in a loop.
 */
import type { Rng } from '../core/rng.ts';

export interface CMatrix {
  readonly rows: number;
  readonly cols: number;
  /** real parts, row-major, rows * cols */
  readonly re: Float64Array;
  /** imaginary parts, row-major, rows * cols */
  readonly im: Float64Array;
}

export function czeros(rows: number, cols = rows): CMatrix {
  return { rows, cols, re: new Float64Array(rows * cols), im: new Float64Array(rows * cols) };
}

export function cidentity(n: number): CMatrix {
  const m = czeros(n, n);
  for (let i = 0; i < n; i++) m.re[i * n + i] = 1;
  return m;
}

export function ccopy(a: CMatrix): CMatrix {
  return { rows: a.rows, cols: a.cols, re: Float64Array.from(a.re), im: Float64Array.from(a.im) };
}

/** A complex matrix from a real one (row-major Float64Array or nested arrays). */
export function cfromReal(a: ArrayLike<number> | readonly (readonly number[])[], rows?: number, cols?: number): CMatrix {
  if (Array.isArray(a) && Array.isArray(a[0])) {
    const nested = a as readonly (readonly number[])[];
    const r = nested.length;
    const c = nested[0]!.length;
    const m = czeros(r, c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m.re[i * c + j] = nested[i]![j]!;
    return m;
  }
  const flat = a as ArrayLike<number>;
  const r = rows ?? Math.round(Math.sqrt(flat.length));
  const c = cols ?? flat.length / r;
  if (r * c !== flat.length) throw new RangeError(`cfromReal: ${flat.length} values do not make a ${r} x ${c} matrix`);
  const m = czeros(r, c);
  m.re.set(flat);
  return m;
}

/** C = A B. */
export function cmatmul(a: CMatrix, b: CMatrix): CMatrix {
  if (a.cols !== b.rows) throw new RangeError(`cmatmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const n = a.rows;
  const k = a.cols;
  const m = b.cols;
  const c = czeros(n, m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const ar = a.re[i * k + p]!;
      const ai = a.im[i * k + p]!;
      if (ar === 0 && ai === 0) continue;
      const bo = p * m;
      const co = i * m;
      for (let j = 0; j < m; j++) {
        const br = b.re[bo + j]!;
        const bi = b.im[bo + j]!;
        c.re[co + j]! += ar * br - ai * bi;
        c.im[co + j]! += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** Conjugate transpose A^H. */
export function cadjoint(a: CMatrix): CMatrix {
  const t = czeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      t.re[j * a.rows + i] = a.re[i * a.cols + j]!;
      t.im[j * a.rows + i] = -a.im[i * a.cols + j]!;
    }
  }
  return t;
}

/** Largest element-wise modulus of A - B. */
export function cmaxAbsDiff(a: CMatrix, b: CMatrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError('cmaxAbsDiff: shapes differ');
  let m = 0;
  for (let i = 0; i < a.re.length; i++) {
    const dr = a.re[i]! - b.re[i]!;
    const di = a.im[i]! - b.im[i]!;
    const d = Math.sqrt(dr * dr + di * di);
    if (d > m) m = d;
  }
  return m;
}

/** Frobenius norm of A - B. */
export function cfrobDiff(a: CMatrix, b: CMatrix): number {
  let s = 0;
  for (let i = 0; i < a.re.length; i++) {
    const dr = a.re[i]! - b.re[i]!;
    const di = a.im[i]! - b.im[i]!;
    s += dr * dr + di * di;
  }
  return Math.sqrt(s);
}

/** max |(A^H A - I)_ij|: 0 for a unitary matrix. */
export function unitarityError(a: CMatrix): number {
  return cmaxAbsDiff(cmatmul(cadjoint(a), a), cidentity(a.cols));
}

/**
 * A Haar-random N x N unitary: the Q of a QR factorisation of a complex Gaussian matrix. Gram-Schmidt
 * (modified, applied twice for orthogonality to machine precision) makes R's diagonal real positive,
 * which is the phase convention that makes Q Haar-distributed (Mezzadri 2007). With `real`, a
 * Haar-random orthogonal matrix instead.
 */
export function randomUnitary(n: number, rng: Rng, real = false): CMatrix {
  const q = czeros(n, n);
  for (let i = 0; i < n * n; i++) {
    q.re[i] = rng.normal();
    q.im[i] = real ? 0 : rng.normal();
  }
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        // r = <q_p, q_j> = sum conj(q_p) q_j
        let rr = 0;
        let ri = 0;
        for (let i = 0; i < n; i++) {
          const pr = q.re[i * n + p]!;
          const pi = q.im[i * n + p]!;
          const jr = q.re[i * n + j]!;
          const ji = q.im[i * n + j]!;
          rr += pr * jr + pi * ji;
          ri += pr * ji - pi * jr;
        }
        for (let i = 0; i < n; i++) {
          const pr = q.re[i * n + p]!;
          const pi = q.im[i * n + p]!;
          q.re[i * n + j]! -= rr * pr - ri * pi;
          q.im[i * n + j]! -= rr * pi + ri * pr;
        }
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += q.re[i * n + j]! ** 2 + q.im[i * n + j]! ** 2;
      nrm = Math.sqrt(nrm);
      for (let i = 0; i < n; i++) {
        q.re[i * n + j]! /= nrm;
        q.im[i * n + j]! /= nrm;
      }
    }
  }
  return q;
}
