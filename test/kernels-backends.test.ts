/**
 * Kernel backends (js, wasm, blas) against an independent naive triple loop and against the js
 * reference, on random shapes (including sizes that are not multiples of the SIMD width), sparse
 * inputs, subarray views, accumulate and bias; the fallback when a backend cannot load; and training
 * with each backend reaching the js accuracy within 0.2 points.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { loadMnist } from '../src/data/index.ts';
import {
  KERNEL_NAMES,
  SMALL_VECTOR,
  axpy,
  getKernelBackend,
  jsBackend,
  kernelBackends,
  loadBlasBackend,
  loadKernelBackend,
  loadWasmBackend,
  setKernelBackend,
  setKernelPrecision,
  type GemmOp,
  type KernelBackend,
  type KernelPrecision,
} from '../src/kernels/index.ts';
import { matmul, matmulTA, matmulTB, mlp, SGD, fit } from '../src/nn/index.ts';

/** Naive C = op(A) op(B) (+ C0 or bias) and the bound sum |a||b| per entry, in float64. */
function naive(op: GemmOp, A: Float64Array, B: Float64Array, m: number, k: number, n: number, C0?: Float64Array, bias?: Float64Array) {
  const C = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = C0 ? C0[i * n + j]! : bias ? bias[j]! : 0;
      let t = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const a = op === 'ta' ? A[p * m + i]! : A[i * k + p]!;
        const b = op === 'tb' ? B[j * k + p]! : B[p * n + j]!;
        s += a * b;
        t += Math.abs(a * b);
      }
      C[i * n + j] = s;
      scale[i * n + j] = t;
    }
  return { C, scale };
}

const available = (): KernelBackend[] =>
  KERNEL_NAMES.map((n) => loadKernelBackend(n)).flatMap((r) => (r.ok ? [r.backend] : []));

const rng = stream(7, 'test', 'kernels');
const rand = (len: number, zeroFrac = 0) => {
  const a = rng.fillUniform(new Float64Array(len), -1, 1);
  if (zeroFrac > 0) for (let i = 0; i < len; i++) if (rng.uniform() < zeroFrac) a[i] = 0;
  return a;
};

// sizes around the SIMD widths (2 f64 / 4 f32 lanes), the 2-row and 4-k blocks, and one larger shape
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 3, 5],
  [2, 4, 2],
  [3, 5, 7],
  [5, 9, 3],
  [7, 13, 17],
  [16, 8, 4],
  [17, 33, 31],
  [33, 6, 65],
  [64, 100, 30],
];
const TOL: Record<KernelPrecision, number> = { f64: 1e-13, f32: 2e-6 };

describe('kernel backends against a naive product', () => {
  for (const name of KERNEL_NAMES) {
    it(`${name}: every op, shape, precision, sparse A, accumulate and bias (or a stated reason it is unavailable)`, () => {
      const r = loadKernelBackend(name);
      if (!r.ok) {
        // an unavailable backend names why, and forcing it is a ConfigError that says so
        expect(r.reason.length).toBeGreaterThan(10);
        expect(() => setKernelBackend(name)).toThrow(ConfigError);
        return;
      }
      const be = r.backend;
      for (const precision of be.precisions) {
        for (const [m, k, n] of SHAPES) {
          for (const op of ['nn', 'ta', 'tb'] as const) {
            for (const mode of ['plain', 'sparse', 'accumulate', 'bias'] as const) {
              const A = rand(m * k, mode === 'sparse' ? 0.7 : 0);
              const B = rand(k * n);
              const C0 = rand(m * n);
              const bias = rand(n);
              const C = mode === 'accumulate' ? C0.slice() : rand(m * n); // garbage must be overwritten
              be.gemm(op, A, B, C, m, k, n, mode === 'accumulate', mode === 'bias' ? bias : undefined, precision);
              const ref = naive(op, A, B, m, k, n, mode === 'accumulate' ? C0 : undefined, mode === 'bias' ? bias : undefined);
              let worst = 0;
              for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(C[i]! - ref.C[i]!) / (ref.scale[i]! + 1e-300));
              expect(worst, `${name} ${precision} ${op} ${m}x${k}x${n} ${mode}`).toBeLessThan(TOL[precision]);
            }
          }
        }
      }
    });
  }

  it('each available backend matches the js reference on subarray views (byte offsets) and MNIST-like sparsity', () => {
    const m = 37;
    const k = 83;
    const n = 19;
    const buf = rand(3 + m * k + k * n + m * n, 0);
    for (let i = 3; i < 3 + m * k; i++) if (rng.uniform() < 0.8) buf[i] = 0;
    const A = buf.subarray(3, 3 + m * k);
    const B = buf.subarray(3 + m * k, 3 + m * k + k * n);
    const refC = jsBackend.gemm('nn', A, B, new Float64Array(m * n), m, k, n, false, undefined, 'f64');
    for (const be of available()) {
      const out = new Float64Array(m * n + 5);
      const C = out.subarray(5);
      be.gemm('nn', A, B, C, m, k, n, false, undefined, 'f64');
      for (let i = 0; i < m * n; i++) expect(Math.abs(C[i]! - refC[i]!)).toBeLessThan(1e-12);
      expect(Array.from(out.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]); // nothing written before C
    }
  });

  it('the src/nn kernels dispatch to the forced backend and keep their results', () => {
    const A = rand(40 * 30);
    const B = rand(30 * 20);
    const Bt = rand(20 * 30);
    const At = rand(30 * 40);
    const expectNN = naive('nn', A, B, 40, 30, 20).C;
    const expectTA = naive('ta', At, B, 40, 30, 20).C;
    const expectTB = naive('tb', A, Bt, 40, 30, 20).C;
    for (const be of available()) {
      setKernelBackend(be.name);
      expect(getKernelBackend().name).toBe(be.name);
      const C = new Float64Array(40 * 20);
      matmul(A, B, C, 40, 30, 20);
      C.forEach((v, i) => expect(Math.abs(v - expectNN[i]!)).toBeLessThan(1e-12));
      matmulTA(At, B, C, 40, 30, 20);
      C.forEach((v, i) => expect(Math.abs(v - expectTA[i]!)).toBeLessThan(1e-12));
      matmulTB(A, Bt, C, 40, 30, 20);
      C.forEach((v, i) => expect(Math.abs(v - expectTB[i]!)).toBeLessThan(1e-12));
    }
    setKernelBackend('auto');
  });
});

describe('axpy', () => {
  it('y += alpha x on each backend, long and short vectors, on views and a prefix only', () => {
    for (const be of available()) {
      setKernelBackend(be.name);
      for (const len of [3, SMALL_VECTOR + 5]) {
        const x = rand(len + 1).subarray(1);
        const y0 = rand(len + 2);
        const y = y0.slice().subarray(2);
        const n = len - 1; // the last entry must stay untouched
        axpy(-0.37, x, y, n);
        for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - (y0[i + 2]! - 0.37 * x[i]!))).toBeLessThan(1e-15);
        expect(y[n]).toBe(y0[n + 2]);
      }
    }
    setKernelBackend('auto');
  });
});

describe('backend choice and fallback', () => {
  it('lists every backend; the js one is always available', () => {
    const s = kernelBackends();
    expect(s.map((b) => b.name)).toEqual(['js', 'wasm', 'blas']);
    expect(s[0]!.available).toBe(true);
    for (const b of s) expect(b.detail.length).toBeGreaterThan(5);
  });

  it('a missing library or module is reported with the reason, not thrown', () => {
    const blas = loadBlasBackend(['/nonexistent/libopenblas.so.0']);
    expect(blas.ok).toBe(false);
    if (!blas.ok) expect(blas.reason).toMatch(/apt-get install libopenblas0/);
    const wasm = loadWasmBackend('/nonexistent/kernels.wasm');
    expect(wasm.ok).toBe(false);
    if (!wasm.ok) expect(wasm.reason).toMatch(/build:wasm/);
  });

  it('rejects unknown backend names and precisions with ConfigError', () => {
    expect(() => setKernelBackend('gpu' as 'js')).toThrow(ConfigError);
    expect(() => setKernelPrecision('f16' as 'f32')).toThrow(ConfigError);
  });
});

describe('training on each backend', () => {
  it('reaches the js accuracy within 0.2 points for a fixed seed', () => {
    const { train, test } = loadMnist({ seed: 3, nTest: 2000, limit: 4000 });
    const run = (name: 'js' | 'wasm' | 'blas', precision: KernelPrecision) => {
      setKernelBackend(name);
      setKernelPrecision(precision);
      const model = mlp([784, 32, 10], { seed: 5 });
      fit(model, train, { seed: 5, epochs: 1, batchSize: 32, optimizer: new SGD({ lr: 0.05 }) });
      return model.evaluate(test).accuracy;
    };
    try {
      const ref = run('js', 'f64');
      expect(ref).toBeGreaterThan(0.8); // it did learn
      for (const be of available()) {
        for (const p of be.precisions) {
          const acc = run(be.name, p);
          expect(Math.abs(acc - ref) * 100, `${be.name} ${p}: ${acc} vs js ${ref}`).toBeLessThanOrEqual(0.2);
        }
      }
    } finally {
      setKernelBackend('auto');
      setKernelPrecision('f64');
    }
  });
});

describe('OpenBLAS kernel family from the CPU flags', () => {
  const info = (flags: string) => `processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: ${flags}\n`;
  it('AVX-512 -> SkylakeX, AVX2 + FMA -> Haswell, older -> left to OpenBLAS; the user setting wins', async () => {
    const { blasCoreType } = await import('../src/kernels/blas.ts');
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      expect(blasCoreType({}, info('avx2 fma'))).toBeUndefined();
      return;
    }
    expect(blasCoreType({}, info('fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl'))).toBe('SkylakeX');
    expect(blasCoreType({}, info('fpu sse2 avx avx2 fma avx512f'))).toBe('Haswell');
    expect(blasCoreType({}, info('fpu sse2 avx avx2 fma'))).toBe('Haswell');
    expect(blasCoreType({}, info('fpu sse2 sse3 avx'))).toBeUndefined();
    expect(blasCoreType({}, 'no flags line here')).toBeUndefined();
    expect(blasCoreType({ OPENBLAS_CORETYPE: 'Zen' }, info('avx2 fma'))).toBeUndefined();
    expect(blasCoreType({ FUSEMIX_BLAS_CORETYPE: 'off' }, info('avx2 fma'))).toBeUndefined();
    expect(blasCoreType({ FUSEMIX_BLAS_CORETYPE: 'Sandybridge' }, info('avx2 fma'))).toBe('Sandybridge');
  });
  it('says when the environment pins narrower kernels than an AVX-512 CPU allows', async () => {
    const { coreTypeNote } = await import('../src/kernels/blas.ts');
    const avx512 = info('fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl');
    expect(coreTypeNote({ OPENBLAS_CORETYPE: 'Haswell' }, avx512)).toMatch(/OPENBLAS_CORETYPE=Haswell .*AVX-512/);
    expect(coreTypeNote({ OPENBLAS_CORETYPE: 'SkylakeX' }, avx512)).toBeUndefined();
    expect(coreTypeNote({ OPENBLAS_CORETYPE: 'Haswell' }, info('avx2 fma'))).toBeUndefined();
    expect(coreTypeNote({}, avx512)).toBeUndefined();
  });
});
