/**
 * The BLAS backend: OpenBLAS's cblas_dgemm / cblas_sgemm called through koffi. float64 runs on the
 * caller's Float64Arrays without copies; float32 converts into cached Float32Arrays and back.
 * OpenBLAS is limited to one thread here (fusemix splits batches over worker threads instead, and the
 * PyTorch comparison in bench/kernels.ts is one-threaded too); FUSEMIX_BLAS_THREADS overrides it.
 *
 * Install: `apt-get install libopenblas0-pthread` (Debian; libopenblas0 or libopenblas0-openmp work
 * too). FUSEMIX_BLAS_LIB names another library file exporting cblas_dgemm.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BackendGemmFn, KernelBackend, LoadResult } from './types.ts';

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Library names tried in order (the Debian alternatives link first, then the flavour paths). */
export const BLAS_CANDIDATES = [
  'libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0',
  'libopenblas.so',
  'libopenblas.dylib',
];

type Gemm = (
  order: number,
  ta: number,
  tb: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array | Float32Array,
  lda: number,
  B: Float64Array | Float32Array,
  ldb: number,
  beta: number,
  C: Float64Array | Float32Array,
  ldc: number,
) => void;

interface KoffiLib {
  func(decl: string): (...args: unknown[]) => unknown;
}

function loadKoffi(): { load(path: string): KoffiLib; version?: string } {
  try {
    const req = createRequire(import.meta.url);
    return req('koffi') as { load(path: string): KoffiLib; version?: string };
  } catch (e) {
    throw new Error(`koffi (the FFI package) does not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * The OpenBLAS kernel family for this CPU, from the instruction sets /proc/cpuinfo lists:
 * OpenBLAS's DYNAMIC_ARCH picks its kernels by CPU model number, and a model it does not know (a
 * VM's generic "Intel Xeon Processor") falls back to Prescott (SSE3) kernels, slower than the
 * family the CPU allows (the OpenBLAS row of the README's "Measured figures", bench/cnn.ts). The
 * same kernel family OpenBLAS picks itself on a CPU it knows, so setting it changes nothing there.
 * OPENBLAS_CORETYPE set by the user is kept; FUSEMIX_BLAS_CORETYPE names another family, or 'off'
 * leaves the choice to OpenBLAS.
 */
export function blasCoreType(env: NodeJS.ProcessEnv = process.env, cpuinfo?: string): string | undefined {
  if (env.OPENBLAS_CORETYPE) return undefined;
  const forced = env.FUSEMIX_BLAS_CORETYPE;
  if (forced === 'off') return undefined;
  if (forced) return forced;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  return cpuCoreFamily(cpuinfo);
}

/** The widest OpenBLAS kernel family the CPU's instruction sets allow (SkylakeX, Haswell), or undefined. */
export function cpuCoreFamily(cpuinfo?: string): string | undefined {
  if (cpuinfo === undefined && process.platform !== 'linux') return undefined;
  let info = cpuinfo;
  try {
    info ??= readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const line = /^flags\s*:(.*)$/m.exec(info);
  if (!line) return undefined;
  const flags = new Set(line[1]!.trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

/**
 * A note when the environment's OPENBLAS_CORETYPE names narrower kernels than the CPU allows (a
 * machine image that exports OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU): the conv product of
 * bench/cnn.ts runs slower with the narrower kernels than with OpenBLAS's own choice (the OpenBLAS
 * row of the README's "Measured figures").
 */
export function coreTypeNote(env: NodeJS.ProcessEnv = process.env, cpuinfo?: string): string | undefined {
  const set = env.OPENBLAS_CORETYPE;
  if (!set) return undefined;
  const best = cpuCoreFamily(cpuinfo);
  if (best === 'SkylakeX' && /^(haswell|zen|sandybridge|nehalem|core2|prescott|atom)$/i.test(set)) {
    return `OPENBLAS_CORETYPE=${set} from the environment, but this CPU has AVX-512: unset it (or set SkylakeX) for the wider kernels`;
  }
  return undefined;
}

/** Load OpenBLAS from the first of `names` that loads (default FUSEMIX_BLAS_LIB, else BLAS_CANDIDATES). */
export function loadBlasBackend(names: readonly string[] = process.env.FUSEMIX_BLAS_LIB ? [process.env.FUSEMIX_BLAS_LIB] : BLAS_CANDIDATES): LoadResult {
  let koffi: ReturnType<typeof loadKoffi>;
  try {
    koffi = loadKoffi();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  // read by OpenBLAS when it loads (its constructor picks the kernels): so set before koffi.load
  const core = blasCoreType();
  if (core) process.env.OPENBLAS_CORETYPE = core;
  const tried: string[] = [];
  let lib: KoffiLib | undefined;
  let libName = '';
  for (const name of names) {
    try {
      lib = koffi.load(name);
      libName = name;
      break;
    } catch (e) {
      tried.push(name);
    }
  }
  if (!lib) return { ok: false, reason: `no OpenBLAS library found (tried ${tried.join(', ')}; apt-get install libopenblas0-pthread)` };
  let dgemm: Gemm;
  let sgemm: Gemm;
  let daxpy: (n: number, alpha: number, x: Float64Array, incx: number, y: Float64Array, incy: number) => void;
  let config = 'OpenBLAS';
  let threads = 1;
  try {
    dgemm = lib.func(
      'void cblas_dgemm(int, int, int, int, int, int, double, const double *, int, const double *, int, double, _Inout_ double *, int)',
    ) as Gemm;
    sgemm = lib.func(
      'void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, _Inout_ float *, int)',
    ) as Gemm;
    daxpy = lib.func('void cblas_daxpy(int, double, const double *, int, _Inout_ double *, int)') as typeof daxpy;
  } catch (e) {
    return { ok: false, reason: `${libName} has no cblas_dgemm/cblas_sgemm/cblas_daxpy: ${(e as Error).message}` };
  }
  try {
    config = String(lib.func('const char *openblas_get_config()')());
    if (core) config += ` (OPENBLAS_CORETYPE=${core} from the CPU flags)`;
    const note = coreTypeNote();
    if (note) config += ` (${note})`;
    const want = Number(process.env.FUSEMIX_BLAS_THREADS ?? 1);
    threads = Number.isInteger(want) && want >= 1 ? want : 1;
    lib.func('void openblas_set_num_threads(int)')(threads);
  } catch {
    // not OpenBLAS (another CBLAS): leave its threading alone
    config = `CBLAS (${libName})`;
  }

  let fA: Float32Array = new Float32Array(0);
  let fB: Float32Array = new Float32Array(0);
  let fC: Float32Array = new Float32Array(0);
  const grow = (a: Float32Array, n: number): Float32Array => (a.length >= n ? a : new Float32Array(Math.max(n, a.length * 2)));

  const gemm: BackendGemmFn = (op, A, B, C, m, k, n, accumulate, bias, precision) => {
    if (!accumulate && bias) for (let i = 0; i < m; i++) C.set(bias.subarray(0, n), i * n);
    const beta = accumulate || bias ? 1 : 0;
    const ta = op === 'ta' ? TRANS : NO_TRANS;
    const tb = op === 'tb' ? TRANS : NO_TRANS;
    const lda = op === 'ta' ? m : k;
    const ldb = op === 'tb' ? k : n;
    if (precision === 'f64') {
      dgemm(ROW_MAJOR, ta, tb, m, n, k, 1, A, lda, B, ldb, beta, C, n);
      return C;
    }
    fA = grow(fA, m * k);
    fB = grow(fB, k * n);
    fC = grow(fC, m * n);
    fA.set(A.subarray(0, m * k));
    fB.set(B.subarray(0, k * n));
    const c = fC.subarray(0, m * n);
    if (beta) c.set(C.subarray(0, m * n));
    sgemm(ROW_MAJOR, ta, tb, m, n, k, 1, fA, lda, fB, ldb, beta, c, n);
    C.set(c);
    return C;
  };

  const be: KernelBackend = {
    name: 'blas',
    detail: `${config.trim()} via koffi ${koffi.version ?? ''} (${libName}, ${threads} thread${threads === 1 ? '' : 's'})`.replace(/\s+/g, ' '),
    precisions: ['f64', 'f32'],
    gemm,
    axpy(alpha, x, y, n) {
      daxpy(n, alpha, x, 1, y, 1);
    },
  };
  // self-check, also of koffi passing a subarray with a byte offset
  const buf = new Float64Array([9, 1, 2, 3, 4, 0]);
  be.gemm('nn', buf.subarray(1, 3), buf.subarray(3, 5), buf.subarray(5, 6), 1, 2, 1, false, undefined, 'f64');
  if (buf[5] !== 11) return { ok: false, reason: `${libName}: self-check failed (1*3 + 2*4 gave ${buf[5]})` };
  return { ok: true, backend: be };
}
