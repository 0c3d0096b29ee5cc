/**
 * Batch normalisation over the channels of [batch, channels, spatial] data (BatchNorm2d after a
 * convolution; spatial = 1 after a Dense layer).
 *
 * Training: each channel is normalised with the mean and (biased) variance of the batch over batch x
 * spatial values, then scaled by gamma and shifted by beta; the running mean and the running unbiased
 * variance follow with `momentum` (0.1, as PyTorch's default). Inference: the folded per-channel
 * affine y = s x + t with s = gamma / sqrt(runningVar + eps), t = beta - runningMean s (`folded()`).
 *
 * On the photonic accelerator the folded affine is the core's per-output-channel scaling: s joins the
 * output gain (the TIA / the singular-value scaling of each output) and t the bias, so batch norm costs
 * no extra device and no extra conversion at inference, and the mesh's phase non-idealities act on the
 * unscaled weights before it (fusemix applies it exactly after the noisy product). This mapping is a
 * reconstruction (the paper's abstract does not describe one).
 */
import { Scratch, type BackwardOptions, type ForwardOptions, type Layer, type LayerBuffer } from './layer.ts';
import type { Param } from './param.ts';

export interface BatchNormOptions {
  /** Weight of the newest batch in the running statistics (default 0.1). */
  readonly momentum?: number;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
}

export class BatchNorm2d implements Layer {
  readonly kind = 'batchnorm2d';
  readonly inSize: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  readonly channels: number;
  readonly spatial: number;
  readonly gamma: Float64Array;
  readonly beta: Float64Array;
  readonly runningMean: Float64Array;
  readonly runningVar: Float64Array;
  readonly momentum: number;
  readonly eps: number;
  private readonly dGamma: Float64Array;
  private readonly dBeta: Float64Array;
  private readonly invStd: Float64Array;
  private readonly yBuf = new Scratch();
  private readonly dxBuf = new Scratch();
  private readonly xhatBuf = new Scratch();
  private xhat: Float64Array = new Float64Array(0);

  /** `shape`: [channels] or [channels, height, width] per sample. */
  constructor(
    readonly name: string,
    shape: number | readonly number[],
    opts: BatchNormOptions = {},
  ) {
    const s = typeof shape === 'number' ? [shape] : [...shape];
    this.channels = s[0]!;
    this.spatial = s.slice(1).reduce((a, b) => a * b, 1);
    if (!Number.isInteger(this.channels) || this.channels < 1) throw new RangeError(`${name}: channels must be an integer >= 1 (got ${this.channels})`);
    this.outShape = s;
    this.inSize = this.outSize = this.channels * this.spatial;
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.momentum > 0 && this.momentum <= 1)) throw new RangeError(`${name}: momentum must be in (0, 1] (got ${this.momentum})`);
    if (!(this.eps > 0)) throw new RangeError(`${name}: eps must be > 0 (got ${this.eps})`);
    const C = this.channels;
    this.gamma = new Float64Array(C).fill(1);
    this.beta = new Float64Array(C);
    this.runningMean = new Float64Array(C);
    this.runningVar = new Float64Array(C).fill(1);
    this.dGamma = new Float64Array(C);
    this.dBeta = new Float64Array(C);
    this.invStd = new Float64Array(C);
  }

  /** The inference affine per channel: y = scale x + shift. */
  folded(): { scale: Float64Array; shift: Float64Array } {
    const C = this.channels;
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      scale[c] = this.gamma[c]! / Math.sqrt(this.runningVar[c]! + this.eps);
      shift[c] = this.beta[c]! - this.runningMean[c]! * scale[c]!;
    }
    return { scale, shift };
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const C = this.channels;
    const S = this.spatial;
    const y = this.yBuf.get(batch * this.outSize);
    if (!opts.training) {
      const { scale, shift } = this.folded();
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < C; c++) {
          const o = (b * C + c) * S;
          const sc = scale[c]!;
          const sh = shift[c]!;
          for (let i = o; i < o + S; i++) y[i] = sc * x[i]! + sh;
        }
      }
      return y;
    }
    const n = batch * S;
    const xhat = this.xhatBuf.get(batch * this.outSize);
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let i = o; i < o + S; i++) sum += x[i]!;
      }
      const mean = sum / n;
      let ss = 0;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let i = o; i < o + S; i++) ss += (x[i]! - mean) ** 2;
      }
      const variance = ss / n;
      const inv = 1 / Math.sqrt(variance + this.eps);
      this.invStd[c] = inv;
      const g = this.gamma[c]!;
      const bt = this.beta[c]!;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let i = o; i < o + S; i++) {
          const h = (x[i]! - mean) * inv;
          xhat[i] = h;
          y[i] = g * h + bt;
        }
      }
      const m = this.momentum;
      this.runningMean[c] = (1 - m) * this.runningMean[c]! + m * mean;
      this.runningVar[c] = (1 - m) * this.runningVar[c]! + m * (n > 1 ? ss / (n - 1) : variance);
    }
    this.xhat = xhat;
    return y;
  }

  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array {
    const C = this.channels;
    const S = this.spatial;
    const n = batch * S;
    const xhat = this.xhat;
    for (let c = 0; c < C; c++) {
      let dg = 0;
      let db = 0;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let i = o; i < o + S; i++) {
          dg += dy[i]! * xhat[i]!;
          db += dy[i]!;
        }
      }
      this.dGamma[c] = dg;
      this.dBeta[c] = db;
    }
    if (!opts.needInputGrad) return new Float64Array(0);
    const dx = this.dxBuf.get(batch * this.inSize);
    for (let c = 0; c < C; c++) {
      const k = (this.gamma[c]! * this.invStd[c]!) / n;
      const dg = this.dGamma[c]!;
      const db = this.dBeta[c]!;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let i = o; i < o + S; i++) dx[i] = k * (n * dy[i]! - db - xhat[i]! * dg);
      }
    }
    return dx;
  }

  params(): Param[] {
    return [
      { name: `${this.name}.gamma`, value: this.gamma, grad: this.dGamma, decay: false },
      { name: `${this.name}.beta`, value: this.beta, grad: this.dBeta, decay: false },
    ];
  }

  buffers(): LayerBuffer[] {
    return [
      { name: `${this.name}.runningMean`, value: this.runningMean },
      { name: `${this.name}.runningVar`, value: this.runningVar },
    ];
  }
}
