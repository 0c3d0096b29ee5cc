/**
 * The WebAssembly backend: asm/kernels.ts (AssemblyScript, SIMD) compiled to asm/build/kernels.wasm.
 * The module has no imports and allocates nothing; this file lays the operands out in its linear
 * memory (16-byte aligned regions: A, B, C, B^T scratch, non-zero index scratch), grows it as needed,
 * calls the product and copies C back. float64 uses f64x2 lanes; float32 uses f32x4 lanes with the
 * inputs rounded by Float32Array.set and C widened back on the way out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GemmOp, KernelBackend, KernelPrecision, LoadResult } from './backend.ts';

/** Where `npm run build:wasm` (and the prepare script) writes the module; FUSEMIX_WASM overrides it. */
export const WASM_PATH = process.env.FUSEMIX_WASM || fileURLToPath(new URL('../../asm/build/kernels.wasm', import.meta.url));

/** The little of the WebAssembly JS API used here (the project's tsconfig has no DOM/wasm lib). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object, imports: object) => { exports: unknown };
}

interface Exports {
  memory: WasmMemory;
  gemmF64(m: number, k: number, n: number, a: number, ars: number, acs: number, b: number, c: number, nz: number): void;
  gemmF32(m: number, k: number, n: number, a: number, ars: number, acs: number, b: number, c: number, nz: number): void;
  transposeF64(src: number, rows: number, cols: number, dst: number): void;
  transposeF32(src: number, rows: number, cols: number, dst: number): void;
}

const BASE = 65536; // leave the first page to the module's own (empty) data
const align = (x: number) => (x + 15) & ~15;

/** Instantiate the module (throws with a readable reason when it is missing or cannot compile). */
export function instantiateKernels(path = WASM_PATH): Exports {
  if (!existsSync(path)) throw new Error(`${path} not built (run npm run build:wasm; needs the assemblyscript devDependency)`);
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new Error('this JavaScript engine has no WebAssembly');
  const mod = new wa.Module(readFileSync(path));
  return new wa.Instance(mod, {}).exports as Exports;
}

export function makeWasmBackend(ex: Exports): KernelBackend {
  const mem = ex.memory;
  let f64 = new Float64Array(mem.buffer);
  let f32 = new Float32Array(mem.buffer);
  const ensure = (bytes: number) => {
    const need = BASE + bytes;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    if (f64.buffer !== mem.buffer) {
      f64 = new Float64Array(mem.buffer);
      f32 = new Float32Array(mem.buffer);
    }
  };

  function gemm(
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
  ): Float64Array {
    const es = precision === 'f32' ? 4 : 8;
    const oA = BASE;
    const oB = align(oA + m * k * es);
    const oC = align(oB + k * n * es);
    const oT = align(oC + m * n * es);
    const oNz = align(oT + (op === 'tb' ? k * n * es : 0));
    ensure(oNz + 4 * k - BASE + 16);
    const view = es === 8 ? f64 : f32;
    const sh = es === 8 ? 3 : 2;
    view.set(A.subarray(0, m * k), oA >> sh);
    // B: for tb it arrives n x k and is transposed into k x n inside the module
    view.set(B.subarray(0, k * n), (op === 'tb' ? oT : oB) >> sh);
    const c0 = oC >> sh;
    if (accumulate) view.set(C.subarray(0, m * n), c0);
    else if (bias) for (let i = 0; i < m; i++) view.set(bias.subarray(0, n), c0 + i * n);
    else view.fill(0, c0, c0 + m * n);
    if (es === 8) {
      if (op === 'tb') ex.transposeF64(oT, n, k, oB);
      ex.gemmF64(m, k, n, oA, op === 'ta' ? 1 : k, op === 'ta' ? m : 1, oB, oC, oNz);
    } else {
      if (op === 'tb') ex.transposeF32(oT, n, k, oB);
      ex.gemmF32(m, k, n, oA, op === 'ta' ? 1 : k, op === 'ta' ? m : 1, oB, oC, oNz);
    }
    C.set(view.subarray(c0, c0 + m * n));
    return C;
  }

  return {
    name: 'wasm',
    detail: `WebAssembly SIMD (AssemblyScript build of asm/kernels.ts), f64x2 / f32x4 lanes, zero skipping`,
    precisions: ['f64', 'f32'],
    gemm,
  };
}

export function loadWasmBackend(path = WASM_PATH): LoadResult {
  try {
    const be = makeWasmBackend(instantiateKernels(path));
    // one tiny product checks that SIMD compiled and runs here
    const C = new Float64Array(1);
    be.gemm('nn', new Float64Array([1, 2]), new Float64Array([3, 4]), C, 1, 2, 1, false, undefined, 'f64');
    if (C[0] !== 11) throw new Error(`self-check failed (1*3 + 2*4 gave ${C[0]})`);
    return { ok: true, backend: be };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
