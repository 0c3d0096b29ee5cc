/**
 * Hot numeric kernels of the NN engine. Every matrix is row-major in a Float64Array; sizes are passed
 * explicitly (no shape objects). Layers call only these functions for their heavy loops.
 *
 * Naming: `m x k` times `k x n` gives `m x n`. `accumulate = true` adds into C (C += ...), otherwise C
 * is overwritten (and, when `bias` (length n) is given, every row of C starts from `bias`).
 *
 * The three products go through the kernel layer (src/kernels/backend.ts): the active backend (js,
 * wasm or blas; see setKernelBackend / FUSEMIX_KERNELS) computes them. The JavaScript reference
 * implementations live in src/kernels/js.ts (matmulJs, matmulTAJs, matmulTBJs) and stay the fallback.
 */
import { gemm } from '../kernels/backend.ts';
import type { MatmulFn } from '../kernels/types.ts';

/** C (m x n) = (or +=) A (m x k) * B (k x n) [+ bias row]. */
export const matmul: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  return gemm('nn', A, B, C, m, k, n, accumulate, bias);
};

/** C (m x n) = (or +=) A^T * B with A stored k x m and B stored k x n [+ bias row]. */
export const matmulTA: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  return gemm('ta', A, B, C, m, k, n, accumulate, bias);
};

/** C (m x n) = (or +=) A * B^T with A stored m x k and B stored n x k [+ bias row]. */
export const matmulTB: MatmulFn = (A, B, C, m, k, n, accumulate = false, bias) => {
  return gemm('tb', A, B, C, m, k, n, accumulate, bias);
};

/** out (length n) = (or +=) the column sums of the m x n matrix A (bias gradients). */
export function colSums(A: Float64Array, m: number, n: number, out: Float64Array, accumulate = false): Float64Array {
  if (!accumulate) out.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let j = 0; j < n; j++) out[j] = out[j]! + A[ai + j]!;
  }
  return out;
}

/** out (n x m) = transpose of A (m x n). */
export function transpose(A: Float64Array, m: number, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let j = 0; j < n; j++) out[j * m + i] = A[ai + j]!;
  }
  return out;
}

/** Geometry of a 2-D convolution window (square kernel, equal stride/padding on both axes). */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernel: number;
  stride: number;
  padding: number;
  outHeight: number;
  outWidth: number;
}

/** Output size of a convolution / pooling window along one axis. */
export function convOutSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** The output columns ox whose window column ox S - P + kx lies inside the image: [firstInside, endInside). */
function firstInside(kx: number, g: ConvGeometry): number {
  return Math.min(g.outWidth, Math.max(0, Math.ceil((g.padding - kx) / g.stride)));
}
function endInside(kx: number, g: ConvGeometry): number {
  return Math.max(firstInside(kx, g), Math.min(g.outWidth, Math.floor((g.width - 1 + g.padding - kx) / g.stride) + 1));
}

/**
 * im2col for a batch, one [C k k, OH OW] matrix per sample, the samples one after another (entry
 * s C k k OH OW + ((c k + ky) k + kx) OH OW + oy OW + ox): the window entries of every output
 * position, zero outside the image. Sample s's convolution is then one product W^T (OC x C k k) times
 * its block, which lands directly in NCHW (OC x OH OW). Sample and channel are the outer loops, so
 * the k k rows written from one input plane follow each other and the plane stays in cache.
 */
export function im2col(x: Float64Array, batch: number, g: ConvGeometry, cols: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const plane = H * W;
  const pos = OH * OW;
  for (let s = 0, o = 0; s < batch; s++) {
    for (let c = 0; c < C; c++) {
      const xc = (s * C + c) * plane;
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          const lo = firstInside(kx, g);
          const hi = endInside(kx, g);
          for (let oy = 0; oy < OH; oy++, o += OW) {
            const iy = oy * S - P + ky;
            // plain loops: the runs are a few dozen values, where subarray + set or fill cost more
            if (iy < 0 || iy >= H) {
              for (let ox = 0; ox < OW; ox++) cols[o + ox] = 0;
              continue;
            }
            const xr = xc + iy * W + kx - P;
            let ox = 0;
            for (; ox < lo; ox++) cols[o + ox] = 0;
            for (; ox < hi; ox++) cols[o + ox] = x[xr + ox * S]!;
            for (; ox < OW; ox++) cols[o + ox] = 0;
          }
        }
      }
    }
  }
  return cols;
}

/**
 * Adjoint of im2col (the same per-sample [C k k, OH OW] blocks): scatter-add the column gradients into
 * an NCHW batch gradient `dx`, one input plane at a time (its k k rows of columns in turn, the plane in cache).
 */
export function col2im(cols: Float64Array, batch: number, g: ConvGeometry, dx: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const plane = H * W;
  dx.fill(0, 0, batch * C * plane);
  for (let s = 0, o = 0; s < batch; s++) {
    for (let c = 0; c < C; c++) {
      const xc = (s * C + c) * plane;
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          const lo = firstInside(kx, g);
          const hi = endInside(kx, g);
          for (let oy = 0; oy < OH; oy++, o += OW) {
            const iy = oy * S - P + ky;
            if (iy < 0 || iy >= H) continue;
            const xr = xc + iy * W + kx - P;
            for (let ox = lo; ox < hi; ox++) dx[xr + ox * S] = dx[xr + ox * S]! + cols[o + ox]!;
          }
        }
      }
    }
  }
  return dx;
}

/**
 * The windows of k x k pooling (stride, no padding) over an NCHW batch: per output element, in output
 * order, the flat input index of its window's top-left value. The pooling kernels below walk these.
 */
export function poolWindowStarts(batch: number, channels: number, height: number, width: number, kernel: number, stride: number): Int32Array {
  const OH = convOutSize(height, kernel, stride, 0);
  const OW = convOutSize(width, kernel, stride, 0);
  const starts = new Int32Array(batch * channels * OH * OW);
  let o = 0;
  for (let s = 0; s < batch * channels; s++) {
    const base = s * height * width;
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) starts[o++] = base + oy * stride * width + ox * stride;
  }
  return starts;
}

/**
 * Max pooling over the windows of poolWindowStarts (rows `width` apart). Writes the output and, per
 * output element, the flat input index of the chosen maximum (first one on ties).
 */
export function maxPoolForward(x: Float64Array, starts: Int32Array, width: number, kernel: number, out: Float64Array, argmax: Int32Array): void {
  for (let o = 0; o < starts.length; o++) {
    const start = starts[o]!;
    let best = -Infinity;
    let bi = start;
    for (let ky = 0; ky < kernel; ky++) {
      const row = start + ky * width;
      for (let kx = 0; kx < kernel; kx++) {
        const v = x[row + kx]!;
        if (v > best) {
          best = v;
          bi = row + kx;
        }
      }
    }
    out[o] = best;
    argmax[o] = bi;
  }
}

/** Route pooled-output gradients back to the argmax inputs (dx is zeroed first). */
export function maxPoolBackward(dy: Float64Array, argmax: Int32Array, count: number, dx: Float64Array, inSize: number): void {
  dx.fill(0, 0, inSize);
  for (let o = 0; o < count; o++) {
    const i = argmax[o]!;
    dx[i] = dx[i]! + dy[o]!;
  }
}

/** Average pooling over the windows of poolWindowStarts: each output is the mean of its window. */
export function avgPoolForward(x: Float64Array, starts: Int32Array, width: number, kernel: number, out: Float64Array): void {
  const inv = 1 / (kernel * kernel);
  for (let o = 0; o < starts.length; o++) {
    let t = 0;
    for (let ky = 0; ky < kernel; ky++) {
      const row = starts[o]! + ky * width;
      for (let kx = 0; kx < kernel; kx++) t += x[row + kx]!;
    }
    out[o] = t * inv;
  }
}

/** Gradient of avgPoolForward: each window's inputs get dy / kernel^2 (overlapping windows add; dx, inSize values, is zeroed first). */
export function avgPoolBackward(dy: Float64Array, starts: Int32Array, width: number, kernel: number, dx: Float64Array, inSize: number): void {
  const inv = 1 / (kernel * kernel);
  dx.fill(0, 0, inSize);
  for (let o = 0; o < starts.length; o++) {
    const g = dy[o]! * inv;
    for (let ky = 0; ky < kernel; ky++) {
      const row = starts[o]! + ky * width;
      for (let kx = 0; kx < kernel; kx++) dx[row + kx] = dx[row + kx]! + g;
    }
  }
}
