import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import {
  col2im,
  colSums,
  convOutSize,
  im2col,
  matmul,
  MaxPool2d,
  matmulTA,
  matmulTB,
  transpose,
  type ConvGeometry,
} from '../src/nn/index.ts';

const rng = stream(7, 'test', 'kernels');
function rand(n: number, sparsity = 0): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() < sparsity ? 0 : rng.uniformIn(-1, 1);
  return a;
}
/** Naive triple loop, element access by explicit index functions. */
function naive(m: number, k: number, n: number, a: (i: number, p: number) => number, b: (p: number, j: number) => number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a(i, p) * b(p, j);
      c[i * n + j] = s;
    }
  return c;
}
function maxDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 5, 3],
  [2, 3, 1],
  [3, 7, 5],
  [5, 4, 9],
  [7, 13, 11],
  [16, 9, 6],
  [33, 17, 31],
  [64, 96, 10],
];

describe('matrix kernels vs a naive triple loop', () => {
  for (const [m, k, n] of shapes) {
    for (const sparsity of [0, 0.7]) {
      it(`${m}x${k}x${n} sparsity ${sparsity}`, () => {
        const A = rand(m * k, sparsity);
        const B = rand(k * n);
        const At = rand(k * m, sparsity); // k x m
        const Bt = rand(n * k); // n x k
        const bias = rand(n);
        const ref = naive(m, k, n, (i, p) => A[i * k + p]!, (p, j) => B[p * n + j]!);
        const refTA = naive(m, k, n, (i, p) => At[p * m + i]!, (p, j) => B[p * n + j]!);
        const refTB = naive(m, k, n, (i, p) => A[i * k + p]!, (p, j) => Bt[j * k + p]!);
        const C = new Float64Array(m * n).fill(NaN);
        expect(maxDiff(matmul(A, B, C, m, k, n), ref)).toBeLessThan(1e-12);
        expect(maxDiff(matmulTA(At, B, C.fill(NaN), m, k, n), refTA)).toBeLessThan(1e-12);
        expect(maxDiff(matmulTB(A, Bt, C.fill(NaN), m, k, n), refTB)).toBeLessThan(1e-12);
        // bias rows
        const withBias = ref.map((v, idx) => v + bias[idx % n]!);
        expect(maxDiff(matmul(A, B, C, m, k, n, false, bias), withBias)).toBeLessThan(1e-12);
        expect(maxDiff(matmulTA(At, B, C, m, k, n, false, bias), refTA.map((v, idx) => v + bias[idx % n]!))).toBeLessThan(1e-12);
        expect(maxDiff(matmulTB(A, Bt, C, m, k, n, false, bias), refTB.map((v, idx) => v + bias[idx % n]!))).toBeLessThan(1e-12);
        // accumulate: C0 + product
        const C0 = rand(m * n);
        expect(maxDiff(matmul(A, B, C0.slice(), m, k, n, true), ref.map((v, i) => v + C0[i]!))).toBeLessThan(1e-12);
        expect(maxDiff(matmulTA(At, B, C0.slice(), m, k, n, true), refTA.map((v, i) => v + C0[i]!))).toBeLessThan(1e-12);
        expect(maxDiff(matmulTB(A, Bt, C0.slice(), m, k, n, true), refTB.map((v, i) => v + C0[i]!))).toBeLessThan(1e-12);
      });
    }
  }

  it('colSums and transpose', () => {
    const A = rand(5 * 3);
    const s = colSums(A, 5, 3, new Float64Array(3));
    for (let j = 0; j < 3; j++) expect(s[j]).toBeCloseTo(A[j]! + A[3 + j]! + A[6 + j]! + A[9 + j]! + A[12 + j]!, 14);
    const T = transpose(A, 5, 3, new Float64Array(15));
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(T[j * 5 + i]).toBe(A[i * 3 + j]);
  });
});

/**
 * Every entry of a batch's im2col blocks, sample, channel, tap (ky, kx), then output row and column:
 * its index in the blocks (sample s's block, row (ch k + ky) k + kx, column oy OW + ox) and the index
 * of the input value it holds (-1 on the padding).
 */
function windowEntries(batch: number, g: ConvGeometry, visit: (xi: number, ci: number) => void): void {
  const { channels: C, height: H, width: W, kernel: K, stride: S, padding: P, outHeight: OH, outWidth: OW } = g;
  const npos = OH * OW;
  for (let s = 0; s < batch; s++)
    for (let ch = 0; ch < C; ch++)
      for (let ky = 0; ky < K; ky++)
        for (let kx = 0; kx < K; kx++)
          for (let oy = 0; oy < OH; oy++)
            for (let ox = 0; ox < OW; ox++) {
              const iy = oy * S - P + ky;
              const ix = ox * S - P + kx;
              const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
              visit(inside ? ((s * C + ch) * H + iy) * W + ix : -1, s * C * K * K * npos + ((ch * K + ky) * K + kx) * npos + oy * OW + ox);
            }
}

describe('im2col / col2im', () => {
  const cases: Array<Omit<ConvGeometry, 'outHeight' | 'outWidth'>> = [
    { channels: 2, height: 5, width: 4, kernel: 3, stride: 1, padding: 1 },
    { channels: 1, height: 7, width: 6, kernel: 3, stride: 2, padding: 0 },
    { channels: 3, height: 4, width: 5, kernel: 2, stride: 1, padding: 1 },
    { channels: 2, height: 6, width: 7, kernel: 3, stride: 2, padding: 1 },
    { channels: 1, height: 5, width: 3, kernel: 5, stride: 1, padding: 2 },
    { channels: 2, height: 9, width: 8, kernel: 3, stride: 3, padding: 2 },
    // 'same' stride-1 geometries take the run-wise paths (the cnn preset's: 3 x 3, padding 1)
    { channels: 3, height: 7, width: 7, kernel: 3, stride: 1, padding: 1 },
    { channels: 1, height: 2, width: 6, kernel: 3, stride: 1, padding: 1 },
    { channels: 2, height: 4, width: 4, kernel: 1, stride: 1, padding: 0 },
  ];
  for (const c of cases) {
    const g: ConvGeometry = {
      ...c,
      outHeight: convOutSize(c.height, c.kernel, c.stride, c.padding),
      outWidth: convOutSize(c.width, c.kernel, c.stride, c.padding),
    };
    it(`entries match direct indexing and col2im is the adjoint (${JSON.stringify(c)})`, () => {
      const batch = 2;
      const x = rand(batch * c.channels * c.height * c.width);
      const rowLen = c.channels * c.kernel * c.kernel;
      const rows = batch * g.outHeight * g.outWidth;
      const cols = im2col(x, batch, g, new Float64Array(rows * rowLen));
      // im2col against direct indexing
      windowEntries(batch, g, (xi, ci) => expect(cols[ci]).toBe(xi >= 0 ? x[xi]! : 0));
      // <im2col(x), y> = <x, col2im(y)>
      const y = rand(rows * rowLen);
      // col2im against a direct scatter, in the same tap order (so the sums agree to the bit)
      const direct = new Float64Array(x.length);
      windowEntries(batch, g, (xi, ci) => {
        if (xi >= 0) direct[xi] = direct[xi]! + y[ci]!;
      });
      const back = col2im(y.slice(), batch, g, new Float64Array(x.length));
      expect(Array.from(back)).toEqual(Array.from(direct));
      let lhs = 0;
      let rhs = 0;
      for (let i = 0; i < y.length; i++) lhs += cols[i]! * y[i]!;
      for (let i = 0; i < x.length; i++) rhs += x[i]! * back[i]!;
      expect(lhs).toBeCloseTo(rhs, 10);
    });
  }
});

describe('max pooling', () => {
  // [channels, height, width, kernel, stride]: the 2 x 2 windows take their own path
  const cases: Array<[number, number, number, number, number]> = [
    [2, 4, 6, 2, 2],
    [1, 5, 5, 2, 1],
    [2, 7, 7, 3, 2],
    [1, 6, 6, 3, 3],
  ];
  for (const [C, H, W, k, st] of cases) {
    it(`${k} x ${k} stride ${st} on ${C} x ${H} x ${W}: the window maxima, gradients to the first maximum on ties`, () => {
      const batch = 2;
      // values on a coarse grid so that windows hold ties; one window gets -Infinity throughout
      const x = Float64Array.from(rand(batch * C * H * W), (v) => Math.round(v * 2) / 2);
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) x[ky * W + kx] = -Infinity;
      const pool = new MaxPool2d('p', [C, H, W], k, st);
      const y = pool.forward(x, batch, { training: true });
      const OH = convOutSize(H, k, st, 0);
      const OW = convOutSize(W, k, st, 0);
      const dy = rand(batch * C * OH * OW);
      const dx = pool.backward(dy, batch, { needInputGrad: true });
      const want = new Float64Array(x.length);
      for (let p = 0; p < batch * C; p++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            let best = -Infinity;
            let bi = p * H * W + oy * st * W + ox * st;
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const i = p * H * W + (oy * st + ky) * W + ox * st + kx;
                if (x[i]! > best) {
                  best = x[i]!;
                  bi = i;
                }
              }
            const o = (p * OH + oy) * OW + ox;
            expect(y[o]).toBe(best);
            want[bi] = want[bi]! + dy[o]!;
          }
      expect(Array.from(dx)).toEqual(Array.from(want));
    });
  }
});
