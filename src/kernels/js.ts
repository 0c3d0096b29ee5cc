/**
 * The JavaScript reference kernels: always available, float64, and the yardstick the accelerated
 * backends are tested against. Row-major Float64Array operands with explicit sizes; `m x k` times
 * `k x n` gives `m x n`; `accumulate` adds into C, otherwise C is overwritten (each row starting from
 * `bias` when given).
 *
 * The products are i-k-j loops with a 2 x 4 register block: two rows of C stay hot while four rows of
 * B stream through per pass (each B load feeds two rows, each C load/store covers four k steps). Zero
 * entries of A are skipped (see ikj), which pays off on sparse inputs such as MNIST pixels.
 * A * B^T is a dot-product kernel with the same 2 x 4 blocking.
 */
import type { MatmulFn } from './types.ts';

/** Initialise the m x n matrix C from a row bias (or zero) unless accumulating. */
export function initRows(C: Float64Array, m: number, n: number, accumulate: boolean, bias?: Float64Array): void {
  if (accumulate) return;
  if (!bias) {
    C.fill(0, 0, m * n);
    return;
  }
  for (let i = 0; i < m; i++) C.set(bias.subarray(0, n), i * n);
}

let nzScratch = new Int32Array(0);

/**
 * The shared i-k-j core over pairs of C rows (2 x 4 register block: two C rows, four k steps per pass
 * over them). For each row pair the k positions where either A row is non-zero are gathered first and
 * only those rows of B are streamed, so sparse A (MNIST pixels are ~80 % zero, ReLU outputs ~50 %)
 * costs proportionally less; dense A pays only the gather (k reads per pair against k * n FMAs).
 * A element (i, p) is read at A[i * ars + p * acs], so the same loop serves A and A^T.
 * An odd last row has one-row copies of the loops: the two-row ones would do its work twice or carry
 * a second output row through the inner loop.
 */
function ikj(
  A: Float64Array,
  ars: number,
  acs: number,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  if (nzScratch.length < k) nzScratch = new Int32Array(k);
  const nz = nzScratch;
  for (let i = 0; i < m; i += 2) {
    const two = i + 1 < m;
    const ai = i * ars;
    const aj = two ? ai + ars : ai;
    const ci = i * n;
    const cj = two ? ci + n : ci;
    let cnt = 0;
    if (two) {
      for (let p = 0; p < k; p++) if (A[ai + p * acs] !== 0 || A[aj + p * acs] !== 0) nz[cnt++] = p;
    } else {
      for (let p = 0; p < k; p++) if (A[ai + p * acs] !== 0) nz[cnt++] = p;
    }
    const cnt4 = cnt - (cnt % 4);
    let q = 0;
    if (two) {
      for (; q < cnt4; q += 4) {
        const p0 = nz[q]!;
        const p1 = nz[q + 1]!;
        const p2 = nz[q + 2]!;
        const p3 = nz[q + 3]!;
        const a0 = A[ai + p0 * acs]!;
        const a1 = A[ai + p1 * acs]!;
        const a2 = A[ai + p2 * acs]!;
        const a3 = A[ai + p3 * acs]!;
        const e0 = A[aj + p0 * acs]!;
        const e1 = A[aj + p1 * acs]!;
        const e2 = A[aj + p2 * acs]!;
        const e3 = A[aj + p3 * acs]!;
        const b0 = p0 * n;
        const b1 = p1 * n;
        const b2 = p2 * n;
        const b3 = p3 * n;
        for (let j = 0; j < n; j++) {
          const x0 = B[b0 + j]!;
          const x1 = B[b1 + j]!;
          const x2 = B[b2 + j]!;
          const x3 = B[b3 + j]!;
          C[ci + j] = C[ci + j]! + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
          C[cj + j] = C[cj + j]! + e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
        }
      }
      for (; q < cnt; q++) {
        const p = nz[q]!;
        const a = A[ai + p * acs]!;
        const e = A[aj + p * acs]!;
        const b0 = p * n;
        for (let j = 0; j < n; j++) {
          const x = B[b0 + j]!;
          C[ci + j] = C[ci + j]! + a * x;
          C[cj + j] = C[cj + j]! + e * x;
        }
      }
    } else {
      // odd last row: 1 x 4 block
      for (; q < cnt4; q += 4) {
        const p0 = nz[q]!;
        const p1 = nz[q + 1]!;
        const p2 = nz[q + 2]!;
        const p3 = nz[q + 3]!;
        const a0 = A[ai + p0 * acs]!;
        const a1 = A[ai + p1 * acs]!;
        const a2 = A[ai + p2 * acs]!;
        const a3 = A[ai + p3 * acs]!;
        const b0 = p0 * n;
        const b1 = p1 * n;
        const b2 = p2 * n;
        const b3 = p3 * n;
        for (let j = 0; j < n; j++) {
          C[ci + j] = C[ci + j]! + a0 * B[b0 + j]! + a1 * B[b1 + j]! + a2 * B[b2 + j]! + a3 * B[b3 + j]!;
        }
      }
      for (; q < cnt; q++) {
        const p = nz[q]!;
        const a = A[ai + p * acs]!;
        const b0 = p * n;
        for (let j = 0; j < n; j++) C[ci + j] = C[ci + j]! + a * B[b0 + j]!;
      }
    }
  }
}

/** C (m x n) = (or +=) A (m x k) * B (k x n) [+ bias row]. */
export const matmulJs: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  initRows(C, m, n, accumulate, bias);
  ikj(A, k, 1, B, C, m, k, n);
  return C;
};

/** C (m x n) = (or +=) A^T * B with A stored k x m and B stored k x n [+ bias row]. */
export const matmulTAJs: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  initRows(C, m, n, accumulate, bias);
  ikj(A, 1, m, B, C, m, k, n);
  return C;
};

/**
 * C (m x n) = (or +=) A * B^T with A stored m x k and B stored n x k [+ bias row]. Dot-product form
 * with a 2 x 4 register block: two rows of A against four rows of B at once.
 */
export const matmulTBJs: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  initRows(C, m, n, accumulate, bias);
  const n4 = n - (n % 4);
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const ai = i * k;
    const aj = ai + k;
    const ci = i * n;
    const cj = ci + n;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[ai + p]!;
        const e = A[aj + p]!;
        const x0 = B[b0 + p]!;
        const x1 = B[b1 + p]!;
        const x2 = B[b2 + p]!;
        const x3 = B[b3 + p]!;
        s0 += a * x0;
        s1 += a * x1;
        s2 += a * x2;
        s3 += a * x3;
        t0 += e * x0;
        t1 += e * x1;
        t2 += e * x2;
        t3 += e * x3;
      }
      C[ci + j] = C[ci + j]! + s0;
      C[ci + j + 1] = C[ci + j + 1]! + s1;
      C[ci + j + 2] = C[ci + j + 2]! + s2;
      C[ci + j + 3] = C[ci + j + 3]! + s3;
      C[cj + j] = C[cj + j]! + t0;
      C[cj + j + 1] = C[cj + j + 1]! + t1;
      C[cj + j + 2] = C[cj + j + 2]! + t2;
      C[cj + j + 3] = C[cj + j + 3]! + t3;
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x = B[b0 + p]!;
        s += A[ai + p]! * x;
        t += A[aj + p]! * x;
      }
      C[ci + j] = C[ci + j]! + s;
      C[cj + j] = C[cj + j]! + t;
    }
  }
  if (i < m) {
    const ai = i * k;
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ai + p]! * B[b0 + p]!;
      C[ci + j] = C[ci + j]! + s;
    }
  }
  return C;
};


/** y += alpha x over the first n entries. */
export function axpyJs(alpha: number, x: Float64Array, y: Float64Array, n = y.length): Float64Array {
  for (let i = 0; i < n; i++) y[i] = y[i]! + alpha * x[i]!;
  return y;
}
