/** Pooling layers over NCHW samples: max and average (window k x k, stride, no padding). */
import { avgPoolBackward, avgPoolForward, convOutSize, maxPoolBackward, maxPoolForward, poolWindowStarts } from './kernels.ts';
import { Scratch, type BackwardOptions, type ForwardOptions, type Layer } from './layer.ts';
import type { Param } from './param.ts';

/** What both pooling layers share: the window, the shapes, the buffers; no parameters. */
abstract class Pool2d implements Layer {
  abstract readonly kind: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  protected readonly yBuf = new Scratch();
  protected readonly dxBuf = new Scratch();
  private starts: Int32Array = new Int32Array(0);
  private startsBatch = -1;

  constructor(
    readonly name: string,
    readonly inShape: readonly [number, number, number],
    readonly kernel = 2,
    readonly stride = kernel,
  ) {
    if (!Number.isInteger(kernel) || kernel < 1 || !Number.isInteger(stride) || stride < 1) {
      throw new RangeError(`${name}: kernel and stride must be integers >= 1 (got ${kernel}, ${stride})`);
    }
    const [c, h, w] = inShape;
    const oh = convOutSize(h, kernel, stride, 0);
    const ow = convOutSize(w, kernel, stride, 0);
    this.inSize = c * h * w;
    this.outShape = [c, oh, ow];
    this.outSize = c * oh * ow;
  }

  /** The window starts of a batch of this size (kept until the batch size changes). */
  protected windows(batch: number): Int32Array {
    if (batch !== this.startsBatch) {
      const [c, h, w] = this.inShape;
      this.starts = poolWindowStarts(batch, c, h, w, this.kernel, this.stride);
      this.startsBatch = batch;
    }
    return this.starts;
  }

  abstract forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array;
  abstract backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array;

  params(): Param[] {
    return [];
  }
}

/** Max pooling over NCHW samples (default 2 x 2, stride 2, no padding). */
export class MaxPool2d extends Pool2d {
  readonly kind = 'maxpool2d';
  private argmax = new Int32Array(0);

  forward(x: Float64Array, batch: number, _opts: ForwardOptions): Float64Array {
    const y = this.yBuf.get(batch * this.outSize);
    if (this.argmax.length < y.length) this.argmax = new Int32Array(y.length);
    maxPoolForward(x, this.windows(batch), this.inShape[2], this.kernel, y, this.argmax);
    return y;
  }

  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array {
    if (!opts.needInputGrad) return new Float64Array(0);
    const dx = this.dxBuf.get(batch * this.inSize);
    maxPoolBackward(dy, this.argmax, batch * this.outSize, dx, batch * this.inSize);
    return dx;
  }
}

/**
 * Average pooling over NCHW samples (default 2 x 2, stride 2, no padding). On the photonic
 * accelerator it is a fixed linear map, summed in the electrical domain before the next layer; it has
 * no parameters and adds no A/D conversion.
 */
export class AvgPool2d extends Pool2d {
  readonly kind = 'avgpool2d';

  forward(x: Float64Array, batch: number, _opts: ForwardOptions): Float64Array {
    const y = this.yBuf.get(batch * this.outSize);
    avgPoolForward(x, this.windows(batch), this.inShape[2], this.kernel, y);
    return y;
  }

  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array {
    if (!opts.needInputGrad) return new Float64Array(0);
    const dx = this.dxBuf.get(batch * this.inSize);
    avgPoolBackward(dy, this.windows(batch), this.inShape[2], this.kernel, dx, batch * this.inSize);
    return dx;
  }
}
