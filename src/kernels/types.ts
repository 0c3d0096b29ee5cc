/**
 * The types every kernel backend (js, wasm, blas) implements; backend.ts chooses one. A file of its
 * own so that the backends need not import the module that loads them (no import cycle).
 */
export type KernelName = 'js' | 'wasm' | 'blas';
export type KernelPrecision = 'f64' | 'f32';
/** nn: C = A B (A m x k, B k x n); ta: C = A^T B (A stored k x m); tb: C = A B^T (B stored n x k). */
export type GemmOp = 'nn' | 'ta' | 'tb';

/** C (m x n) = (or +=, when accumulate) op(A) op(B) [+ bias row]; returns C (backend.ts's dispatch). */
export type GemmFn = (
  op: GemmOp,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
  bias: Float64Array | undefined,
) => Float64Array;

/** A GemmFn computing in the given precision: the product every backend implements. */
export type BackendGemmFn = (...args: [...Parameters<GemmFn>, precision: KernelPrecision]) => Float64Array;

/** One product of a fixed op: nn/kernels.ts's matmul / matmulTA / matmulTB and their js references. */
export type MatmulFn = (A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number, accumulate?: boolean, bias?: Float64Array) => Float64Array;

export interface KernelBackend {
  readonly name: KernelName;
  /** One line: library/version/build details. */
  readonly detail: string;
  /** Precisions this backend can compute in (js: f64 only). */
  readonly precisions: readonly KernelPrecision[];
  gemm: BackendGemmFn;
  /** y += alpha x over the first n entries (float64); absent = the js loop is used. */
  axpy?(alpha: number, x: Float64Array, y: Float64Array, n: number): void;
}

/** A loader result: the backend, or why it is not available. */
export type LoadResult = { ok: true; backend: KernelBackend } | { ok: false; reason: string };
