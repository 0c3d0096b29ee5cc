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
 * A 'same' convolution with stride 1 (output the size of the input): an output offset oy OW + ox and
 * its window entry (oy + ky - P) W + ox + kx - P are a fixed shift apart, so one kernel tap's row of
 * columns is one contiguous run of the input plane, apart from the entries that wrap round a row edge.
 */
function isSameStride1(g: ConvGeometry): boolean {
  return g.stride === 1 && g.outHeight === g.height && g.outWidth === g.width;
}

/**
 * For kernel tap (ky, kx) of a same-stride-1 geometry: the offsets [a, b) within a row of columns from
 * its first to its last entry inside the image, the input shift (window entry = offset + shift), the
 * output rows [oyLo, oyHi) inside the image and the inside columns [lo, hi). Entries of rows inside
 * [a, b) with ox < lo or ox >= hi wrap round a row edge (they are padding).
 */
interface TapRun {
  readonly a: number;
  readonly b: number;
  readonly shift: number;
  readonly oyLo: number;
  readonly oyHi: number;
  readonly lo: number;
  readonly hi: number;
}
function tapRun(ky: number, kx: number, g: ConvGeometry): TapRun {
  const dy = ky - g.padding;
  const dx = kx - g.padding;
  const oyLo = Math.max(0, -dy);
  const oyHi = Math.min(g.outHeight, g.height - dy);
  const lo = firstInside(kx, g);
  const hi = endInside(kx, g);
  const empty = oyLo >= oyHi || lo >= hi;
  return {
    a: empty ? 0 : oyLo * g.outWidth + lo,
    b: empty ? 0 : (oyHi - 1) * g.outWidth + hi,
    shift: dy * g.width + dx,
    oyLo,
    oyHi,
    lo,
    hi,
  };
}

/** The k k taps' runs (tap t = ky k + kx) of a same-stride-1 geometry, or undefined for any other. */
function tapRuns(g: ConvGeometry): TapRun[] | undefined {
  if (!isSameStride1(g)) return undefined;
  return Array.from({ length: g.kernel * g.kernel }, (_v, t) => tapRun(Math.floor(t / g.kernel), t % g.kernel, g));
}

/** Zeroes the row-edge-wrapping entries of one tap's row of columns (at offset o) between a and b. */
function zeroWrapped(cols: Float64Array, o: number, r: TapRun, OW: number): void {
  for (let oy = r.oyLo; oy < r.oyHi; oy++) {
    const row = o + oy * OW;
    if (oy > r.oyLo) for (let ox = 0; ox < r.lo; ox++) cols[row + ox] = 0;
    if (oy < r.oyHi - 1) for (let ox = r.hi; ox < OW; ox++) cols[row + ox] = 0;
  }
}

/**
 * im2col for a batch, one [C k k, OH OW] matrix per sample, the samples one after another (entry
 * s C k k OH OW + ((c k + ky) k + kx) OH OW + oy OW + ox): the window entries of every output
 * position, zero outside the image. Sample s's convolution is then one product W^T (OC x C k k) times
 * its block, which lands directly in NCHW (OC x OH OW). Sample and channel are the outer loops, so
 * the k k rows written from one input plane follow each other and the plane stays in cache. A 'same'
 * stride-1 geometry (the cnn preset's) copies each tap's row as one run and then zeroes the entries
 * that wrap round a row edge (4x faster than row by row on 14 x 14 planes).
 */
export function im2col(x: Float64Array, batch: number, g: ConvGeometry, cols: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const plane = H * W;
  const pos = OH * OW;
  const runs = tapRuns(g);
  for (let s = 0, o = 0; s < batch; s++) {
    for (let c = 0; c < C; c++) {
      const xc = (s * C + c) * plane;
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          if (runs) {
            // native copy and fill: 3x faster than a loop on runs of ~200 values
            const r = runs[ky * K + kx]!;
            const src = xc + r.shift;
            cols.fill(0, o, o + r.a);
            if (r.b > r.a) cols.set(x.subarray(src + r.a, src + r.b), o + r.a);
            cols.fill(0, o + r.b, o + pos);
            zeroWrapped(cols, o, r, OW);
            o += pos;
            continue;
          }
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
 * an NCHW batch gradient `dx`, one input plane at a time (its k k rows of columns in turn, the plane in
 * cache). On a 'same' stride-1 geometry the entries of `cols` that wrap round a row edge (padding, no
 * gradient) are first set to zero; then every pixel the k k taps all reach sums them in one pass (tap
 * order, as the scatter adds them) and only the plane's border goes tap by tap (3x faster on 14 x 14).
 */
export function col2im(cols: Float64Array, batch: number, g: ConvGeometry, dx: Float64Array): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const plane = H * W;
  const pos = OH * OW;
  const taps = K * K;
  // same-stride-1: per tap, its run [a, b) shifted into the plane, and the pixels all taps reach
  const runs = tapRuns(g);
  let inLo = 0;
  let inHi = plane;
  for (const r of runs ?? []) {
    inLo = Math.max(inLo, r.a + r.shift);
    inHi = Math.min(inHi, r.b + r.shift);
  }
  if (inHi < inLo) inHi = inLo;
  const tapBase = new Int32Array(taps);
  dx.fill(0, 0, batch * C * plane);
  for (let s = 0, o = 0; s < batch; s++) {
    for (let c = 0; c < C; c++) {
      const xc = (s * C + c) * plane;
      if (runs) {
        for (let t = 0; t < taps; t++) {
          zeroWrapped(cols, o + t * pos, runs[t]!, OW);
          tapBase[t] = o + t * pos - runs[t]!.shift;
        }
        // the border, tap by tap (pixel i takes entry i - shift of tap t's row)
        for (let t = 0; t < taps; t++) {
          const r = runs[t]!;
          const base = tapBase[t]!;
          const e1 = Math.min(r.b + r.shift, inLo);
          for (let i = r.a + r.shift; i < e1; i++) dx[xc + i] = dx[xc + i]! + cols[base + i]!;
          for (let i = Math.max(r.a + r.shift, inHi); i < r.b + r.shift; i++) dx[xc + i] = dx[xc + i]! + cols[base + i]!;
        }
        // the interior: all taps, summed in tap order from zero (3 x 3 kernels spelled out)
        if (taps === 9) {
          const b0 = tapBase[0]!, b1 = tapBase[1]!, b2 = tapBase[2]!, b3 = tapBase[3]!, b4 = tapBase[4]!;
          const b5 = tapBase[5]!, b6 = tapBase[6]!, b7 = tapBase[7]!, b8 = tapBase[8]!;
          for (let i = inLo; i < inHi; i++) {
            dx[xc + i] =
              0 + cols[b0 + i]! + cols[b1 + i]! + cols[b2 + i]! + cols[b3 + i]! + cols[b4 + i]! + cols[b5 + i]! + cols[b6 + i]! + cols[b7 + i]! + cols[b8 + i]!;
          }
        } else {
          for (let i = inLo; i < inHi; i++) {
            let acc = 0;
            for (let t = 0; t < taps; t++) acc += cols[tapBase[t]! + i]!;
            dx[xc + i] = acc;
          }
        }
        o += taps * pos;
        continue;
      }
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
  if (kernel === 2) {
    // the common 2 x 2 window spelled out: the same comparisons in the same order, no inner loops
    for (let o = 0; o < starts.length; o++) {
      const i0 = starts[o]!;
      const i2 = i0 + width;
      let best = -Infinity;
      let bi = i0;
      const v0 = x[i0]!;
      if (v0 > best) best = v0;
      const v1 = x[i0 + 1]!;
      if (v1 > best) {
        best = v1;
        bi = i0 + 1;
      }
      const v2 = x[i2]!;
      if (v2 > best) {
        best = v2;
        bi = i2;
      }
      const v3 = x[i2 + 1]!;
      if (v3 > best) {
        best = v3;
        bi = i2 + 1;
      }
      out[o] = best;
      argmax[o] = bi;
    }
    return;
  }
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
