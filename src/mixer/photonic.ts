/**
 * Dense layers on the photonic core: a Dense layer computes y = x W (W fan-in x fan-out), which the
 * hardware runs as the matrix-vector product W^T x, so W^T (out x in) is mapped onto k x k MZI blocks
 * (mapWeights) and the weights actually applied are effectiveWeights(map, nonIdealities, rng)^T.
 *
 * Two regimes, because mapping a 128 x 784 matrix takes tens of ms while one training step takes ms:
 *  - 'train': at `refresh` (the trainer calls it at the start of every epoch) the current W is
 *    mapped and `samples` effective matrices are drawn; each keeps its error D_r = W_eff,r - W. Every
 *    forward then uses W + D_r for the current W, cycling r over the steps (straight-through: the
 *    gradient goes to W as is). The error of a block depends on the block's weights, which change
 *    little within one fine-tuning epoch; this is the approximation.
 *  - 'eval': exact. Each forward maps W if it changed since the last mapping and draws a fresh
 *    effective matrix (non-idealities re-sampled per evaluation batch) from the layer's eval stream.
 * Non-idealities are the torchonn set of src/photonic/nonideal.ts; the mixer's defaults (8-bit heater
 * DACs, 0.01 rad phase noise) are assumptions: the photonic-core preset names no non-idealities.
 */
import { stream, type Rng, type Seed } from '../core/rng.ts';
import type { WeightTransform } from '../nn/layers.ts';
import { getKernelBackend } from '../kernels/backend.ts';
import { type WasmArena, type WasmVector, wasmArenaIfFaster } from '../kernels/wasm.ts';
import { releaseMapping } from '../photonic/effective.ts';
import { effectiveWeights, mapWeights, type NonIdealities, type WeightMapping } from '../photonic/index.ts';

export interface PhotonicModelOptions {
  readonly nonIdealities: NonIdealities;
  /** block size k (default 8) */
  readonly block?: number;
  /** error samples drawn per refresh in 'train' mode (default 4) */
  readonly samples?: number;
}

function transpose(a: Float64Array, rows: number, cols: number, out: Float64Array): Float64Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/** The photonic model of one Dense layer (stateful: its mapping, error samples and eval stream). */
export class PhotonicLayer {
  mode: 'off' | 'train' | 'eval' = 'off';
  /** the mapping of the weights last mapped (hardware matrix W^T) */
  map: WeightMapping | undefined;
  private mapped: Float64Array | undefined;
  private deltas: Float64Array[] = [];
  /** the error samples resident in WebAssembly memory (W + D_r runs there, f64x2), or null: the js loop */
  private arena: WasmArena | null | undefined;
  private resident: WasmVector[] = [];
  private next = 0;
  private evalRng: Rng | undefined;
  private readonly out: Float64Array;
  private readonly wt: Float64Array;

  constructor(
    readonly layer: string,
    readonly rows: number,
    readonly cols: number,
    readonly opts: PhotonicModelOptions,
  ) {
    this.out = new Float64Array(rows * cols);
    this.wt = new Float64Array(rows * cols);
  }

  /** Map W (fan-in x fan-out) onto the blocks; no-op when W equals what was mapped last. */
  ensureMapped(W: Float64Array): WeightMapping {
    if (this.map && this.mapped && sameValues(this.mapped, W)) return this.map;
    transpose(W, this.rows, this.cols, this.wt);
    // the previous mapping will not be resampled by this layer again: recycle its resampling caches
    if (this.map) releaseMapping(this.map);
    this.map = mapWeights(this.wt, this.cols, this.rows, { block: this.opts.block ?? 8 });
    if (this.mapped && this.mapped.length === W.length) this.mapped.set(W);
    else this.mapped = W.slice();
    return this.map;
  }

  /**
   * One effective W (fan-in x fan-out) of the current mapping, drawn from `rng`, minus `minus` when
   * given: effectiveWeights writes W_eff^T - minus directly (the same numbers as transposing the
   * hardware matrix and subtracting afterwards).
   */
  private sample(rng: Rng | undefined, out: Float64Array, minus?: Float64Array): Float64Array {
    return effectiveWeights(this.map!, this.opts.nonIdealities, rng, out, { transposed: true, minus });
  }

  /** 'train' mode: map W and draw the error samples from stream(seed, ...path, layer, r). */
  refresh(W: Float64Array, seed: Seed, ...path: Array<string | number>): void {
    this.mode = 'train';
    this.ensureMapped(W);
    const n = this.opts.samples ?? 4;
    // the error samples overwrite the previous refresh's arrays (private to this layer)
    const old = this.deltas;
    this.deltas = [];
    for (let r = 0; r < n; r++) {
      const d = old[r]?.length === W.length ? old[r]! : new Float64Array(W.length);
      this.deltas.push(this.sample(stream(seed, ...path, this.layer, r), d, W));
    }
    if (this.arena === undefined) this.arena = wasmArenaIfFaster(getKernelBackend().name);
    if (this.arena) {
      for (let r = 0; r < n; r++) {
        const v = this.resident[r]?.n === W.length ? this.resident[r]! : (this.resident[r] = this.arena.vector(W.length));
        v.view.set(this.deltas[r]!);
      }
    }
    this.next = 0;
  }

  /** 'eval' mode: exact mapping, fresh non-idealities per forward from stream(seed, ...path, layer). */
  beginEval(seed: Seed, ...path: Array<string | number>): void {
    this.mode = 'eval';
    this.evalRng = stream(seed, ...path, this.layer);
  }

  readonly transform: WeightTransform = (W) => {
    if (this.mode === 'off') return W;
    if (this.mode === 'eval') {
      this.ensureMapped(W);
      return this.sample(this.evalRng, this.out);
    }
    if (this.deltas.length === 0) throw new Error(`${this.layer}: photonic 'train' mode without refresh`);
    const r = this.next;
    this.next = (r + 1) % this.deltas.length;
    if (this.arena) return this.arena.add(W, this.resident[r]!, this.out);
    const d = this.deltas[r]!;
    const o = this.out;
    for (let i = 0; i < o.length; i++) o[i] = W[i]! + d[i]!;
    return o;
  };
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
