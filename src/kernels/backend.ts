/**
 * The kernel layer: one dispatch point for the hot matrix products, with interchangeable backends.
 *
 * - `js`: the reference (src/kernels/js.ts), float64, always available.
 * - `wasm`: AssemblyScript sources in asm/kernels.ts compiled with SIMD to asm/build/kernels.wasm (by
 *   the package's `prepare` script on npm install / npm ci, or `npm run build:wasm`). Operands are
 *   copied into the module's linear memory for each call.
 * - `blas`: OpenBLAS (`apt-get install libopenblas0-pthread`, or libopenblas0) called through koffi,
 *   zero-copy on the Float64Arrays, one BLAS thread (fusemix parallelises across worker threads).
 *
 * Which one runs: `setKernelBackend(name)`, else the environment variable FUSEMIX_KERNELS (js, wasm,
 * blas or auto), else auto = the first available in AUTO_ORDER (a fixed order chosen from
 * bench/kernels.ts; see there). A backend that is asked for by name but cannot load is an error
 * naming the reason; auto silently falls back, ending at js.
 *
 * Precision: every backend computes in float64 by default, so results match the reference to
 * rounding (summation order differs). `setKernelPrecision('f32')` (or FUSEMIX_KERNELS_PRECISION=f32)
 * lets wasm and blas compute the products in float32 (inputs rounded to float32, outputs widened
 * back): ~2x the arithmetic rate, relative error ~1e-6 of the row norm products. Fine for training
 * and evaluating networks (which PyTorch does in float32); not for finite-difference gradient checks,
 * calibration fits or unitary mesh reconstruction, which is why it is opt-in and global code paths
 * stay float64. The js backend always computes float64.
 */
import { ConfigError } from '../core/errors.ts';
import type { GemmFn, KernelBackend, KernelName, KernelPrecision, LoadResult } from './types.ts';
import { loadBlasBackend } from './blas.ts';
import { axpyJs, matmulJs, matmulTAJs, matmulTBJs } from './js.ts';
import { loadWasmBackend } from './wasm.ts';

export type { GemmOp, KernelBackend, KernelName, KernelPrecision, LoadResult } from './types.ts';

export const KERNEL_NAMES: readonly KernelName[] = ['js', 'wasm', 'blas'];

/**
 * Auto preference, fastest first as measured by bench/kernels.ts on the 2-core bench machine
 * (float64; the MLP epoch and 256^3 product rows of the README's "Measured figures"). A fixed order
 * (not a timing at start-up) keeps runs reproducible: the same machine always picks the same
 * backend, so the same seed gives the same bytes.
 */
export const AUTO_ORDER: readonly KernelName[] = ['blas', 'wasm', 'js'];


export const jsBackend: KernelBackend = {
  name: 'js',
  detail: 'pure JavaScript, float64, 2x4 register-blocked loops with zero skipping',
  precisions: ['f64'],
  gemm(op, A, B, C, m, k, n, accumulate, bias) {
    if (op === 'nn') return matmulJs(A, B, C, m, k, n, accumulate, bias);
    if (op === 'ta') return matmulTAJs(A, B, C, m, k, n, accumulate, bias);
    return matmulTBJs(A, B, C, m, k, n, accumulate, bias);
  },
};


const loaders = new Map<KernelName, () => LoadResult>([
  ['js', () => ({ ok: true, backend: jsBackend })],
  ['wasm', () => loadWasmBackend()],
  ['blas', () => loadBlasBackend()],
]);
const loaded = new Map<KernelName, LoadResult>();

/** Load (once) and return the backend, or why it is not available. */
export function loadKernelBackend(name: KernelName): LoadResult {
  let r = loaded.get(name);
  if (r) return r;
  try {
    r = loaders.get(name)!();
  } catch (e) {
    r = { ok: false, reason: (e as Error).message ?? String(e) };
  }
  loaded.set(name, r);
  return r;
}

export interface KernelStatus {
  name: KernelName;
  available: boolean;
  /** Library/version details when available, the reason otherwise. */
  detail: string;
  precisions: readonly KernelPrecision[];
}

/** Every backend with its availability (loads each once). */
export function kernelBackends(): KernelStatus[] {
  return KERNEL_NAMES.map((name) => {
    const r = loadKernelBackend(name);
    return r.ok
      ? { name, available: true, detail: r.backend.detail, precisions: r.backend.precisions }
      : { name, available: false, detail: r.reason, precisions: [] };
  });
}

let forced: KernelName | 'auto' | undefined;
let active: KernelBackend | undefined;
let precision: KernelPrecision | undefined;

function parseName(v: string, field: string): KernelName | 'auto' {
  const s = v.trim().toLowerCase();
  if (s === 'auto' || s === '' || (KERNEL_NAMES as readonly string[]).includes(s)) return (s || 'auto') as KernelName | 'auto';
  throw new ConfigError(undefined, field, 'one of js, wasm, blas, auto', v);
}

function resolve(choice: KernelName | 'auto', field: string): KernelBackend {
  if (choice !== 'auto') {
    const r = loadKernelBackend(choice);
    if (!r.ok) throw new ConfigError(undefined, field, `an available kernel backend ('${choice}' is not: ${r.reason})`, choice);
    return r.backend;
  }
  for (const name of AUTO_ORDER) {
    const r = loadKernelBackend(name);
    if (r.ok) return r.backend;
  }
  return jsBackend;
}

/**
 * Force a backend ('auto' returns to automatic choice). Throws ConfigError when the named backend is
 * not available (the message says why). Returns the backend now active.
 */
export function setKernelBackend(name: KernelName | 'auto'): KernelBackend {
  const choice = parseName(String(name), 'kernels');
  active = resolve(choice, 'kernels');
  forced = choice;
  return active;
}

/** The active backend (first call: FUSEMIX_KERNELS or auto). */
export function getKernelBackend(): KernelBackend {
  if (active) return active;
  const env = process.env.FUSEMIX_KERNELS;
  const choice = env === undefined ? 'auto' : parseName(env, 'FUSEMIX_KERNELS');
  active = resolve(choice, 'FUSEMIX_KERNELS');
  forced = choice;
  return active;
}

/** How the active backend was chosen: a name when forced, 'auto' otherwise. */
export function kernelChoice(): KernelName | 'auto' {
  getKernelBackend();
  return forced ?? 'auto';
}

/** Set the product precision for the accelerated backends (js stays float64). */
export function setKernelPrecision(p: KernelPrecision): void {
  if (p !== 'f64' && p !== 'f32') throw new ConfigError(undefined, 'kernel-precision', 'f64 or f32', p);
  precision = p;
}

/** The requested precision (FUSEMIX_KERNELS_PRECISION or f64). */
export function getKernelPrecision(): KernelPrecision {
  if (precision) return precision;
  const env = process.env.FUSEMIX_KERNELS_PRECISION;
  if (env === undefined || env === '') precision = 'f64';
  else if (env === 'f64' || env === 'f32') precision = env;
  else throw new ConfigError(undefined, 'FUSEMIX_KERNELS_PRECISION', 'f64 or f32', env);
  return precision;
}

/**
 * Products with fewer multiply-adds (m k n) than this go to the js kernels whatever the backend: below
 * it the call and copy overhead of wasm/blas exceeds the work (figures in bench/kernels.ts's header).
 */
export const SMALL_PRODUCT = 256;

/** Dispatch one product to the active backend (small ones stay in JavaScript). */
export const gemm: GemmFn = (op, A, B, C, m, k, n, accumulate, bias) => {
  const be = active ?? getKernelBackend();
  if (be === jsBackend || m * k * n < SMALL_PRODUCT) return jsBackend.gemm(op, A, B, C, m, k, n, accumulate, bias, 'f64');
  return be.gemm(op, A, B, C, m, k, n, accumulate, bias, precision ?? getKernelPrecision());
};

/** Vectors shorter than this are updated by the js loop whatever the backend (call overhead). */
export const SMALL_VECTOR = 4096;

/**
 * y += alpha x (float64, element-wise; the optimiser update w -= lr g is axpy(-lr, g, w)). The blas
 * backend uses cblas_daxpy (faster than the js loop on large arrays: bench/kernels.ts's header);
 * the others use the js loop (copying into wasm memory would cost more than the update).
 */
export function axpy(alpha: number, x: Float64Array, y: Float64Array, n = y.length): Float64Array {
  const be = active ?? getKernelBackend();
  if (be.axpy && n >= SMALL_VECTOR) be.axpy(alpha, x, y, n);
  else axpyJs(alpha, x, y, n);
  return y;
}
