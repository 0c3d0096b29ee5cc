/**
 * The WebAssembly backend: asm/kernels.ts (AssemblyScript, SIMD) compiled to asm/build/kernels.wasm.
 * The module has no imports and allocates nothing; this file lays the operands out in its linear
 * memory (16-byte aligned regions: A, B, C, B^T scratch, non-zero index scratch), grows it as needed,
 * calls the product and copies C back. float64 uses f64x2 lanes; float32 uses f32x4 lanes with the
 * inputs rounded by Float32Array.set and C widened back on the way out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendGemmFn, KernelBackend, KernelPrecision, LoadResult } from './types.ts';

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
  adamF64(n: number, w: number, g: number, m: number, v: number, b1: number, b2: number, c1: number, c2: number, eps: number, lr: number, wd: number, decoupled: number): void;
  addF64(n: number, a: number, b: number, out: number): void;
}

const BASE = 65536; // leave the first page to the module's own (empty) data
const align = (x: number) => (x + 15) & ~15;

const compiled = new Map<string, object>();

/** Instantiate the module (compiled once per path; throws with a readable reason when it is missing or cannot compile). */
export function instantiateKernels(path = WASM_PATH): Exports {
  if (!existsSync(path)) throw new Error(`${path} not built (run npm run build:wasm; needs the assemblyscript devDependency)`);
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new Error('this JavaScript engine has no WebAssembly');
  let mod = compiled.get(path);
  if (!mod) {
    mod = new wa.Module(readFileSync(path));
    compiled.set(path, mod);
  }
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

  const gemm: BackendGemmFn = (op, A, B, C, m, k, n, accumulate, bias, precision) => {
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
  };

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

/** A float64 vector resident in a WasmArena's memory; `view` is renewed whenever the memory grows. */
export interface WasmVector {
  readonly n: number;
  readonly offset: number;
  view: Float64Array;
}

/** The first and second moments of one parameter, resident in a WasmArena. */
export interface AdamSlot {
  readonly n: number;
  readonly m: WasmVector;
  readonly v: WasmVector;
}

export interface AdamHyper {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  eps: number;
  lr: number;
  wd: number;
  decoupled: boolean;
}

/**
 * Vectors resident in a WebAssembly instance of their own (one per owner, freed with it), for the
 * element-wise passes that run every training step over ~100k parameters: Adam (moments resident,
 * adamF64) and adding a resident vector (the photonic error samples, addF64). Per call only the
 * operands that change are copied in and the result out (memcpy speed); the arithmetic runs on f64x2
 * lanes and gives the same bits as the JavaScript loops (correctly rounded adds, multiplies, divides
 * and square roots, nothing fused). Slots are zero-initialised and never freed before the arena.
 */
export class WasmArena {
  private readonly ex: Exports;
  private readonly vectors: WasmVector[] = [];
  private end = BASE;
  private f64: Float64Array;

  constructor(path = WASM_PATH) {
    this.ex = instantiateKernels(path);
    this.f64 = new Float64Array(this.ex.memory.buffer);
  }

  /** Room up to byte `bytes`; renews the views after growth. */
  private ensure(bytes: number): void {
    const mem = this.ex.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (this.f64.buffer !== mem.buffer) {
      this.f64 = new Float64Array(mem.buffer);
      for (const v of this.vectors) v.view = this.f64.subarray(v.offset >> 3, (v.offset >> 3) + v.n);
    }
  }

  /** A new zeroed resident vector of n values. */
  vector(n: number): WasmVector {
    const offset = this.end;
    this.end = align(offset + 8 * n);
    this.ensure(this.end);
    const v: WasmVector = { n, offset, view: this.f64.subarray(offset >> 3, (offset >> 3) + n) };
    v.view.fill(0);
    this.vectors.push(v);
    return v;
  }

  /** Scratch after the resident vectors: `count` regions of n values (byte offsets). */
  private scratch(n: number, count: number): number[] {
    const out: number[] = [];
    let at = this.end;
    for (let k = 0; k < count; k++) {
      out.push(at);
      at = align(at + 8 * n);
    }
    this.ensure(at);
    return out;
  }

  /** Zeroed moments for a parameter of n values. */
  adamSlot(n: number): AdamSlot {
    return { n, m: this.vector(n), v: this.vector(n) };
  }

  /** One Adam step of w (updated in place) from g with the moments of `s`. */
  adam(s: AdamSlot, w: Float64Array, g: Float64Array, h: AdamHyper): void {
    const n = s.n;
    const [ow, og] = this.scratch(n, 2) as [number, number];
    const f = this.f64;
    f.set(w.subarray(0, n), ow >> 3);
    f.set(g.subarray(0, n), og >> 3);
    this.ex.adamF64(n, ow, og, s.m.offset, s.v.offset, h.b1, h.b2, h.c1, h.c2, h.eps, h.lr, h.wd, h.decoupled ? 1 : 0);
    w.set(f.subarray(ow >> 3, (ow >> 3) + n));
  }

  /** out = x + r (r resident), element by element. */
  add(x: Float64Array, r: WasmVector, out: Float64Array): Float64Array {
    const n = r.n;
    const [ox, oo] = this.scratch(n, 2) as [number, number];
    const f = this.f64;
    f.set(x.subarray(0, n), ox >> 3);
    this.ex.addF64(n, ox, r.offset, oo);
    out.set(f.subarray(oo >> 3, (oo >> 3) + n));
    return out;
  }
}

/** A WasmArena when the active kernels are not js and the WebAssembly module loads; else null. */
export function wasmArenaIfFaster(kernels: string): WasmArena | null {
  if (kernels === 'js') return null;
  try {
    return new WasmArena();
  } catch {
    return null;
  }
}
