/**
 * The types every kernel backend (js, wasm, blas) implements; backend.ts chooses one. A file of its
 * own so that the backends need not import the module that loads them (no import cycle).
 */
export type KernelName = 'js' | 'wasm' | 'blas';
export type KernelPrecision = 'f64' | 'f32';
/** nn: C = A B (A m x k, B k x n); ta: C = A^T B (A stored k x m); tb: C = A B^T (B stored n x k). */
export type GemmOp = 'nn' | 'ta' | 'tb';

export interface KernelBackend {
  readonly name: KernelName;
  /** One line: library/version/build details. */
  readonly detail: string;
  /** Precisions this backend can compute in (js: f64 only). */
  readonly precisions: readonly KernelPrecision[];
  /** C (m x n) = (or +=, when accumulate) op(A) op(B) [+ bias row]; returns C. */
  gemm(
    op: GemmOp,
    A: Float64Array,
    B: Float64Array,
    C: Float64Array,
    m: number,
    k: number,
    n: number,
    accumulate: boolean,
    bias: Float64Array | undefined,
    precision: KernelPrecision,
  ): Float64Array;
  /** y += alpha x over the first n entries (float64); absent = the js loop is used. */
  axpy?(alpha: number, x: Float64Array, y: Float64Array, n: number): void;
}

/** A loader result: the backend, or why it is not available. */
export type LoadResult = { ok: true; backend: KernelBackend } | { ok: false; reason: string };
