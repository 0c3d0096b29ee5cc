/** A Sequential model: a chain of Layers with batch forward/backward, evaluation and checkpoints. */
import { DataError } from '../core/errors.ts';
import type { Seed } from '../core/rng.ts';
import { isActivationSite, type ActivationSite, type Layer, type LayerBuffer } from './layer.ts';
import { Activation, Dense, ReLU, type ActivationFn, type InitScheme, type WeightTransform } from './layers.ts';
import { softmaxCrossEntropy, type LossResult } from './loss.ts';
import type { Optimizer } from './optim.ts';
import { paramData, paramShape, type Param } from './param.ts';
import { decodeF64, encodeF64 } from './state.ts';

/** Labelled samples, batch-major (a data/Dataset satisfies this). */
export interface Samples {
  readonly x: Float64Array;
  readonly y: ArrayLike<number>;
  readonly n: number;
  readonly features: number;
}

/** Checkpoint of a model's parameters (JSON-safe, exact). */
export interface ModelState {
  format: 'fusemix-nn-state';
  version: 1;
  layers: Array<{ name: string; kind: string }>;
  params: Array<{ name: string; shape: number[]; f64: string }>;
  /** Non-trainable state (batch norm's running statistics); absent when the model has none. */
  buffers?: Array<{ name: string; f64: string }>;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  correct: number;
  n: number;
}

export class Sequential {
  readonly layers: Layer[];
  private lastBatch = 0;
  private gradBuf = new Float64Array(0);

  constructor(layers: Layer[]) {
    if (layers.length === 0) throw new RangeError('Sequential needs at least one layer');
    this.layers = [...layers];
    this.check();
  }

  private check(): void {
    const names = new Set<string>();
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      if (names.has(l.name)) throw new RangeError(`duplicate layer name '${l.name}'`);
      names.add(l.name);
      const next = this.layers[i + 1];
      if (next && l.outSize !== next.inSize) {
        throw new RangeError(`layer '${l.name}' gives ${l.outSize} values per sample but '${next.name}' takes ${next.inSize}`);
      }
    }
  }

  get inSize(): number {
    return this.layers[0]!.inSize;
  }

  get outSize(): number {
    return this.layers[this.layers.length - 1]!.outSize;
  }

  /** Batch size of x (throws unless x holds a whole number of samples). */
  batchOf(x: Float64Array): number {
    const n = x.length / this.inSize;
    if (!Number.isInteger(n)) throw new RangeError(`input of ${x.length} values is not a whole number of ${this.inSize}-value samples`);
    return n;
  }

  /** Logits (or outputs) for a batch; `training` caches what backward needs. Returns a model-owned buffer. */
  forward(x: Float64Array, opts: { training?: boolean } = {}): Float64Array {
    const batch = this.batchOf(x);
    const fo = { training: opts.training ?? false };
    let h = x;
    for (const l of this.layers) h = l.forward(h, batch, fo);
    if (fo.training) this.lastBatch = batch;
    return h;
  }

  /**
   * Back-propagate dL/doutput of the last training forward; sets every param grad. Returns dL/dx
   * when `inputGrad` (otherwise the first layer skips it and an empty array is returned).
   */
  backward(dout: Float64Array, opts: { inputGrad?: boolean } = {}): Float64Array {
    const batch = this.lastBatch;
    if (batch === 0) throw new Error('backward called before a training forward');
    let g = dout;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      g = this.layers[i]!.backward(g, batch, { needInputGrad: i > 0 || (opts.inputGrad ?? false) });
    }
    return g;
  }

  /** All trainable parameters, in layer order (names are unique). */
  params(): Param[] {
    const out: Param[] = [];
    const seen = new Set<string>();
    for (const l of this.layers) {
      for (const p of l.params()) {
        if (seen.has(p.name)) throw new RangeError(`duplicate parameter name '${p.name}'`);
        seen.add(p.name);
        out.push(p);
      }
    }
    return out;
  }

  /** All non-trainable state arrays (batch norm's running statistics), in layer order. */
  buffers(): LayerBuffer[] {
    const out: LayerBuffer[] = [];
    const seen = new Set<string>();
    for (const l of this.layers) {
      for (const b of l.buffers?.() ?? []) {
        if (seen.has(b.name)) throw new RangeError(`duplicate buffer name '${b.name}'`);
        seen.add(b.name);
        out.push(b);
      }
    }
    return out;
  }

  /** Alias of params(). */
  parameters(): Param[] {
    return this.params();
  }

  /** The activation sites (hook 2) with their positions. */
  sites(): Array<{ index: number; layer: ActivationSite }> {
    const out: Array<{ index: number; layer: ActivationSite }> = [];
    this.layers.forEach((layer, index) => {
      if (isActivationSite(layer)) out.push({ index, layer });
    });
    return out;
  }

  /** Replace the layer at `index` (or named) by one with the same per-sample sizes; returns the old one. */
  replace(at: number | string, layer: Layer): Layer {
    const i = typeof at === 'number' ? at : this.layers.findIndex((l) => l.name === at);
    const old = this.layers[i];
    if (!old) throw new RangeError(`no layer ${String(at)} to replace`);
    if (old.inSize !== layer.inSize || old.outSize !== layer.outSize) {
      throw new RangeError(`replacement '${layer.name}' is ${layer.inSize} -> ${layer.outSize}, expected ${old.inSize} -> ${old.outSize}`);
    }
    this.layers[i] = layer;
    try {
      this.check();
    } catch (e) {
      this.layers[i] = old;
      throw e;
    }
    return old;
  }

  /** One training step on a batch: forward, softmax-CE, backward, optimiser step. */
  trainStep(x: Float64Array, y: ArrayLike<number>, optimizer: Optimizer, params = this.params()): LossResult {
    const batch = this.batchOf(x);
    const logits = this.forward(x, { training: true });
    if (this.gradBuf.length !== logits.length) this.gradBuf = new Float64Array(logits.length);
    const res = softmaxCrossEntropy(logits, y, batch, this.outSize, this.gradBuf);
    this.backward(res.grad);
    optimizer.step(params);
    return res;
  }

  /** Mean softmax-CE loss and accuracy over `data`, in inference mode, `batchSize` samples at a time. */
  evaluate(data: Samples, opts: { batchSize?: number } = {}): Evaluation {
    const bs = opts.batchSize ?? 500;
    let loss = 0;
    let correct = 0;
    const F = data.features;
    for (let s = 0; s < data.n; s += bs) {
      const b = Math.min(bs, data.n - s);
      const x = data.x.subarray(s * F, (s + b) * F);
      const labels = Array.from({ length: b }, (_, i) => data.y[s + i]!);
      const r = softmaxCrossEntropy(this.forward(x), labels, b, this.outSize);
      loss += r.loss * b;
      correct += r.correct;
    }
    return { loss: loss / data.n, accuracy: correct / data.n, correct, n: data.n };
  }

  /** Arg-max class of each sample. */
  predict(x: Float64Array, batchSize = 500): Int32Array {
    const n = this.batchOf(x);
    const C = this.outSize;
    const out = new Int32Array(n);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const z = this.forward(x.subarray(s * this.inSize, (s + b) * this.inSize));
      for (let i = 0; i < b; i++) {
        let arg = 0;
        for (let j = 1; j < C; j++) if (z[i * C + j]! > z[i * C + arg]!) arg = j;
        out[s + i] = arg;
      }
    }
    return out;
  }

  /** Checkpoint of all parameters (bit-exact Float64). */
  state(): ModelState {
    const buffers = this.buffers();
    return {
      format: 'fusemix-nn-state',
      version: 1,
      layers: this.layers.map((l) => ({ name: l.name, kind: l.kind })),
      params: this.params().map((p) => ({ name: p.name, shape: paramShape(p), f64: encodeF64(paramData(p)) })),
      ...(buffers.length ? { buffers: buffers.map((b) => ({ name: b.name, f64: encodeF64(b.value) })) } : {}),
    };
  }

  /** Load a checkpoint made by `state()` of a model with the same parameters. `file` names errors. */
  loadState(state: unknown, file?: string): void {
    const s = state as Partial<ModelState> | null;
    if (!s || s.format !== 'fusemix-nn-state' || s.version !== 1 || !Array.isArray(s.params)) {
      throw new DataError('not a fusemix-nn-state version 1 checkpoint', file);
    }
    const byName = new Map(s.params.map((p) => [p.name, p]));
    const params = this.params();
    const decoded: Float64Array[] = [];
    for (const p of params) {
      const e = byName.get(p.name);
      if (!e) throw new DataError(`checkpoint has no parameter '${p.name}'`, file);
      const shape = paramShape(p);
      if (!Array.isArray(e.shape) || e.shape.join('x') !== shape.join('x')) {
        throw new DataError(`parameter '${p.name}' has shape ${String(e.shape?.join?.('x'))}, model expects ${shape.join('x')}`, file);
      }
      const v = decodeF64(e.f64, p.name);
      if (v.length !== paramData(p).length) throw new DataError(`parameter '${p.name}' holds ${v.length} values, expected ${paramData(p).length}`, file);
      decoded.push(v);
    }
    if (byName.size !== params.length) {
      const extra = [...byName.keys()].filter((k) => !params.some((p) => p.name === k));
      throw new DataError(`checkpoint has parameters the model lacks: ${extra.join(', ')}`, file);
    }
    const buffers = this.buffers();
    const stored = Array.isArray(s.buffers) ? s.buffers : [];
    const bufByName = new Map(stored.map((b) => [b.name, b]));
    const bufDecoded = buffers.map((b) => {
      const e = bufByName.get(b.name);
      if (!e) throw new DataError(`checkpoint has no buffer '${b.name}' (running statistics)`, file);
      const v = decodeF64(e.f64, b.name);
      if (v.length !== b.value.length) throw new DataError(`buffer '${b.name}' holds ${v.length} values, expected ${b.value.length}`, file);
      return v;
    });
    if (bufByName.size !== buffers.length) {
      const extra = [...bufByName.keys()].filter((k) => !buffers.some((b) => b.name === k));
      throw new DataError(`checkpoint has buffers the model lacks: ${extra.join(', ')}`, file);
    }
    params.forEach((p, i) => paramData(p).set(decoded[i]!));
    buffers.forEach((b, i) => b.value.set(bufDecoded[i]!));
  }
}

export interface MlpOptions {
  readonly seed: Seed;
  /** Hidden activation: 'relu' (default) or any element-wise function. */
  readonly activation?: 'relu' | ActivationFn;
  readonly init?: InitScheme;
  /** Optional effective-weight hook applied to every Dense layer. */
  readonly weightTransform?: WeightTransform;
}

/** A multilayer perceptron, e.g. mlp([784, 128, 10]): layers fc0, act0, fc1, ... (no activation after the last). */
export function mlp(sizes: readonly number[], opts: MlpOptions): Sequential {
  if (sizes.length < 2) throw new RangeError('mlp needs at least input and output sizes');
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(
      new Dense(sizes[i]!, sizes[i + 1]!, {
        name: `fc${i}`,
        seed: opts.seed,
        init: opts.init,
        weightTransform: opts.weightTransform,
      }),
    );
    if (i + 2 < sizes.length) {
      const a = opts.activation ?? 'relu';
      layers.push(a === 'relu' ? new ReLU(`act${i}`, sizes[i + 1]!) : new Activation(`act${i}`, sizes[i + 1]!, a));
    }
  }
  return new Sequential(layers);
}
