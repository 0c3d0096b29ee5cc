/**
 * Trainable parameters. A weight matrix is an ml-matrix `Matrix` whose rows are views (subarrays) of
 * one flat row-major Float64Array: the Matrix and the flat buffer share memory, so the hot kernels run
 * on the flat buffer with no copy, the optimiser updates it in place, and `Matrix` methods (SVD, norms,
 * printing, in-place edits) see the current values. (bench/train.ts measures this against copying the
 * Matrix into a Float64Array each forward and back after each step.)
 */
import { Matrix } from 'ml-matrix';

/** One trainable tensor: its value (Matrix for 2-D weights, Float64Array for vectors) and gradient. */
export interface Param {
  /** Unique within a model, e.g. `fc1.W`; keys checkpoints and optimiser state. */
  readonly name: string;
  readonly value: Matrix | Float64Array;
  /** Same length as the value, row-major; `backward` overwrites it for the current batch. */
  readonly grad: Float64Array;
  /** Whether weight decay applies (default true for matrices, false for vectors such as biases). */
  readonly decay?: boolean;
}

type RowStore = { data: Float64Array[] };

/** A rows x cols Matrix whose rows are views of `flat` (allocated if not given). */
export function flatMatrix(rows: number, cols: number, flat: Float64Array = new Float64Array(rows * cols)): Matrix {
  if (flat.length !== rows * cols) throw new RangeError(`flatMatrix: ${flat.length} values for ${rows} x ${cols}`);
  const m = new Matrix(rows, 0);
  // Matrix(rows, 0) gives empty rows; rebind them to views of the flat buffer.
  const store = m as unknown as RowStore & { columns: number };
  for (let i = 0; i < rows; i++) store.data[i] = flat.subarray(i * cols, (i + 1) * cols);
  store.columns = cols;
  return m;
}

const flatCache = new WeakMap<Matrix, { rows: Float64Array[]; first: Float64Array; last: Float64Array; flat: Float64Array }>();

/**
 * The flat row-major Float64Array behind a Matrix. Zero-copy when the rows are consecutive views of one
 * buffer (as `flatMatrix` makes them); otherwise the Matrix is re-homed in place onto a new flat buffer
 * (one copy), so later calls are zero-copy and writes to the returned array show in the Matrix. The
 * answer is cached per Matrix (O(1) on the hot path; revalidated if its row arrays are replaced).
 */
export function matrixData(m: Matrix): Float64Array {
  const rows = m.rows;
  const cols = m.columns;
  const data = (m as unknown as RowStore).data;
  if (rows === 0) return new Float64Array(0);
  const hit = flatCache.get(m);
  if (hit && hit.rows === data && hit.first === data[0] && hit.last === data[rows - 1] && hit.flat.length === rows * cols) {
    return hit.flat;
  }
  const r0 = data[0]!;
  let contiguous = r0 instanceof Float64Array;
  for (let i = 1; contiguous && i < rows; i++) {
    const r = data[i]!;
    contiguous = r instanceof Float64Array && r.buffer === r0.buffer && r.byteOffset === r0.byteOffset + i * cols * 8 && r.length === cols;
  }
  let flat: Float64Array;
  if (contiguous && r0.length === cols) flat = new Float64Array(r0.buffer, r0.byteOffset, rows * cols);
  else {
    flat = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      flat.set(data[i]!, i * cols);
      data[i] = flat.subarray(i * cols, (i + 1) * cols);
    }
  }
  flatCache.set(m, { rows: data, first: data[0]!, last: data[rows - 1]!, flat });
  return flat;
}

/** The flat values of a parameter (shared with its Matrix, never a copy once re-homed). */
export function paramData(p: Param): Float64Array {
  return p.value instanceof Float64Array ? p.value : matrixData(p.value);
}

/** Shape of a parameter value: [rows, cols] for a Matrix, [length] for a vector. */
export function paramShape(p: Param): number[] {
  return p.value instanceof Float64Array ? [p.value.length] : [p.value.rows, p.value.columns];
}

/** Whether weight decay applies to `p` (explicit flag, else matrices yes and vectors no). */
export function paramDecays(p: Param): boolean {
  return p.decay ?? !(p.value instanceof Float64Array);
}
