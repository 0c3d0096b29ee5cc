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

/** C (m x n) = (or +=) A (m x k) * B (k x n) [+ bias row]. */
export function matmul(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  bias?: Float64Array,
): Float64Array {
  return gemm('nn', A, B, C, m, k, n, accumulate, bias);
}

/** C (m x n) = (or +=) A^T * B with A stored k x m and B stored k x n [+ bias row]. */
export function matmulTA(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  bias?: Float64Array,
): Float64Array {
  return gemm('ta', A, B, C, m, k, n, accumulate, bias);
}

/** C (m x n) = (or +=) A * B^T with A stored m x k and B stored n x k [+ bias row]. */
export function matmulTB(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  bias?: Float64Array,
): Float64Array {
  return gemm('tb', A, B, C, m, k, n, accumulate, bias);
}

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

/**
 * Batched 3-D transpose used by convolutions: A is `b` blocks of r x c, out gets `b` blocks of c x r.
 * (NCHW sample (C x P) <-> rows of an im2col product (P x C).)
 */
export function transposeBatched(A: Float64Array, b: number, r: number, c: number, out: Float64Array): Float64Array {
  const sz = r * c;
  for (let s = 0; s < b; s++) {
    const o = s * sz;
    for (let i = 0; i < r; i++) {
      const ai = o + i * c;
      for (let j = 0; j < c; j++) out[o + j * r + i] = A[ai + j]!;
    }
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

/**
 * im2row for a batch of NCHW samples: `cols` gets (batch * outH * outW) rows of (C * kh * kw) values,
 * row (s, oy, ox) holding the receptive field of output pixel (oy, ox) of sample s, channel-major then
 * kernel row then kernel column. Padding reads as zero.
 */
export function im2col(x: Float64Array, batch: number, g: ConvGeometry, cols: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const rowLen = C * K * K;
  const sampleIn = C * H * W;
  let r = 0;
  for (let s = 0; s < batch; s++) {
    const xs = s * sampleIn;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let o = r * rowLen;
        const iy0 = oy * S - P;
        const ix0 = ox * S - P;
        for (let c = 0; c < C; c++) {
          const xc = xs + c * H * W;
          for (let ky = 0; ky < K; ky++) {
            const iy = iy0 + ky;
            if (iy < 0 || iy >= H) {
              for (let kx = 0; kx < K; kx++) cols[o++] = 0;
              continue;
            }
            const xr = xc + iy * W;
            for (let kx = 0; kx < K; kx++) {
              const ix = ix0 + kx;
              cols[o++] = ix < 0 || ix >= W ? 0 : x[xr + ix]!;
            }
          }
        }
        r++;
      }
    }
  }
  return cols;
}

/** Adjoint of im2col: scatter-add the column gradients back into an NCHW batch gradient `dx`. */
export function col2im(cols: Float64Array, batch: number, g: ConvGeometry, dx: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const rowLen = C * K * K;
  const sampleIn = C * H * W;
  dx.fill(0, 0, batch * sampleIn);
  let r = 0;
  for (let s = 0; s < batch; s++) {
    const xs = s * sampleIn;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let o = r * rowLen;
        const iy0 = oy * S - P;
        const ix0 = ox * S - P;
        for (let c = 0; c < C; c++) {
          const xc = xs + c * H * W;
          for (let ky = 0; ky < K; ky++) {
            const iy = iy0 + ky;
            if (iy < 0 || iy >= H) {
              o += K;
              continue;
            }
            const xr = xc + iy * W;
            for (let kx = 0; kx < K; kx++, o++) {
              const ix = ix0 + kx;
              if (ix >= 0 && ix < W) dx[xr + ix] = dx[xr + ix]! + cols[o]!;
            }
          }
        }
        r++;
      }
    }
  }
  return dx;
}

/**
 * Max pooling of an NCHW batch (window `kernel`, stride `stride`, no padding). Writes the output and,
 * per output element, the flat input index of the chosen maximum (first one on ties).
 */
export function maxPoolForward(
  x: Float64Array,
  batch: number,
  channels: number,
  height: number,
  width: number,
  kernel: number,
  stride: number,
  out: Float64Array,
  argmax: Int32Array,
): void {
  const OH = convOutSize(height, kernel, stride, 0);
  const OW = convOutSize(width, kernel, stride, 0);
  let o = 0;
  for (let s = 0; s < batch * channels; s++) {
    const base = s * height * width;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = -Infinity;
        let bi = base + oy * stride * width + ox * stride;
        for (let ky = 0; ky < kernel; ky++) {
          const row = base + (oy * stride + ky) * width + ox * stride;
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
        o++;
      }
    }
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
