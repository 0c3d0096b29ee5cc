/**
 * The module interface every NN building block implements (built-in layers, SuperMixer's mixed
 * activation sites, photonic layers). Data is batch-major: a batch of `n` samples is one Float64Array
 * of n * inSize values, sample after sample; image samples are channel-major (C, H, W).
 */
import type { Param } from './param.ts';

export interface ForwardOptions {
  /** Training pass (caches for backward, resamples non-idealities) or inference. */
  readonly training: boolean;
}

export interface BackwardOptions {
  /** False for the first layer of a model: the layer may skip dL/dx and return an empty array. */
  readonly needInputGrad: boolean;
}

/**
 * A differentiable module. `forward` returns a buffer the layer owns (valid until its next forward);
 * `backward` receives dL/dy for the batch of the last training forward, overwrites each parameter's
 * `grad` with this batch's gradient and returns dL/dx. Extra loss terms (regularisers, energy budgets)
 * are added to `grad` after backward and before the optimiser step. Layers cache their training
 * inputs by reference, so a training forward must be followed by its backward before the next forward.
 */
export interface Layer {
  /** Unique within a model; parameter names are `${name}.${param}`. */
  readonly name: string;
  /** Short type tag, e.g. 'dense', 'conv2d', 'relu'. */
  readonly kind: string;
  /** Values per input sample. */
  readonly inSize: number;
  /** Values per output sample. */
  readonly outSize: number;
  /** Per-sample output shape ([features] or [channels, height, width]). */
  readonly outShape: readonly number[];
  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array;
  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array;
  params(): Param[];
  /** State that is not trained by gradients but belongs in checkpoints (batch norm's running statistics). */
  buffers?(): LayerBuffer[];
}

/** A named non-trainable state array of a layer (checkpointed with the parameters). */
export interface LayerBuffer {
  /** Unique within a model, e.g. `bn0.runningMean`. */
  readonly name: string;
  readonly value: Float64Array;
}

/**
 * Hook 2, activation sites: a layer placed where a nonlinearity acts on pre-activations. Input and
 * output are both [batch, channels, spatial] (channels = features and spatial = 1 after a Dense layer;
 * channels = C and spatial = H * W after a Conv2d). SuperMixer implements this interface (a per-channel
 * mixture of an analog MACAM path and an ADC + digital path with learnable logits, exposed through
 * `params()`), and `Sequential.replace` swaps it in for a built-in activation of the same geometry.
 */
export interface ActivationSite extends Layer {
  readonly site: { readonly channels: number; readonly spatial: number };
}

export function isActivationSite(layer: Layer): layer is ActivationSite {
  return typeof (layer as Partial<ActivationSite>).site === 'object' && (layer as ActivationSite).site !== null;
}

/** Product of a shape's entries. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A reusable buffer that grows to the requested length (returns a view of exactly `len` values). */
export class Scratch {
  private buf = new Float64Array(0);
  get(len: number): Float64Array {
    if (this.buf.length < len) this.buf = new Float64Array(len);
    return this.buf.length === len ? this.buf : this.buf.subarray(0, len);
  }
}

/** Geometry of an activation site: `features` alone (after Dense) or [channels, height, width]. */
export type SiteShape = number | readonly number[];

/**
 * What the parameter-free element-wise activation sites (ReLU, Activation, Quantize) share: the
 * geometry read from a SiteShape, the training input cached for backward, and the output and
 * input-gradient buffers.
 */
export abstract class ElementwiseSite implements ActivationSite {
  abstract readonly kind: string;
  readonly site: { channels: number; spatial: number };
  readonly inSize: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  protected x: Float64Array = new Float64Array(0);
  protected readonly yBuf = new Scratch();
  protected readonly dxBuf = new Scratch();

  constructor(
    readonly name: string,
    shape: SiteShape,
  ) {
    const s = typeof shape === 'number' ? [shape] : [...shape];
    this.site = { channels: s[0]!, spatial: shapeSize(s.slice(1)) };
    this.outShape = s;
    this.inSize = this.outSize = shapeSize(s);
  }

  abstract forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array;
  abstract backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array;

  params(): Param[] {
    return [];
  }
}
