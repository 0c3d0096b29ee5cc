/** Built-in layers: Dense, Conv2d, Flatten, ReLU and a generic element-wise Activation (pooling: pool.ts; batch norm: batchnorm.ts). */
import { stream, type Seed } from '../core/rng.ts';
import {
  col2im,
  colSums,
  convOutSize,
  im2col,
  matmul,
  matmulTA,
  matmulTB,
  type ConvGeometry,
} from './kernels.ts';
import { ElementwiseSite, Scratch, type BackwardOptions, type ForwardOptions, type Layer, type SiteShape } from './layer.ts';
import { flatMatrix, matrixData, type Param } from './param.ts';
import type { Matrix } from 'ml-matrix';

/**
 * Hook 1, effective weights: called once per forward evaluation with the ideal weights W (rows =
 * fan-in, cols = fan-out, row-major; read-only, do not modify) and returns the weights actually used
 * in the product (same length; a fresh array or one the transform owns). The photonic MZI model maps W
 * onto meshes and resamples its non-idealities here. Backward is straight-through: the product's
 * gradients are formed with the effective weights, and dL/dW_eff is applied to the ideal W as is.
 */
export type WeightTransform = (
  W: Float64Array,
  rows: number,
  cols: number,
  ctx: { readonly training: boolean; readonly layer: string },
) => Float64Array;

export type InitScheme = 'he' | 'glorot';

/**
 * Fill a fan-in x fan-out weight array from `stream(seed, 'init', name)`: He = normal(0, sqrt(2/fanIn)),
 * Glorot = uniform(+-sqrt(6/(fanIn + fanOut))).
 */
export function initWeights(w: Float64Array, fanIn: number, fanOut: number, scheme: InitScheme, seed: Seed, name: string): void {
  const rng = stream(seed, 'init', name);
  if (scheme === 'he') rng.fillNormal(w, 0, Math.sqrt(2 / fanIn));
  else {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    rng.fillUniform(w, -a, a);
  }
}

/** sum of a[o .. o + n) */
function rangeSum(a: Float64Array, o: number, n: number): number {
  let t = 0;
  for (let i = o; i < o + n; i++) t += a[i]!;
  return t;
}

function effectiveWeights(
  W: Float64Array,
  rows: number,
  cols: number,
  t: WeightTransform | undefined,
  training: boolean,
  layer: string,
): Float64Array {
  if (!t) return W;
  const e = t(W, rows, cols, { training, layer });
  if (e.length !== W.length) throw new RangeError(`${layer}: weightTransform returned ${e.length} values, expected ${W.length}`);
  return e;
}

export interface DenseOptions {
  readonly name: string;
  readonly seed: Seed;
  /** Weight init (default 'he'). */
  readonly init?: InitScheme;
  /** Include a bias (default true). */
  readonly bias?: boolean;
  readonly weightTransform?: WeightTransform;
}

/** y = x W + b with W a fan-in x fan-out Matrix (in x out), b of length out. */
export class Dense implements Layer {
  readonly kind = 'dense';
  readonly name: string;
  readonly outShape: readonly number[];
  readonly W: Matrix;
  readonly b: Float64Array | undefined;
  readonly dW: Float64Array;
  readonly db: Float64Array | undefined;
  weightTransform: WeightTransform | undefined;
  private readonly w: Float64Array;
  private x: Float64Array = new Float64Array(0);
  private wEff: Float64Array;
  private readonly yBuf = new Scratch();
  private readonly dxBuf = new Scratch();

  constructor(
    readonly inSize: number,
    readonly outSize: number,
    opts: DenseOptions,
  ) {
    this.name = opts.name;
    this.outShape = [outSize];
    this.w = new Float64Array(inSize * outSize);
    initWeights(this.w, inSize, outSize, opts.init ?? 'he', opts.seed, opts.name);
    this.W = flatMatrix(inSize, outSize, this.w);
    this.dW = new Float64Array(inSize * outSize);
    if (opts.bias ?? true) {
      this.b = new Float64Array(outSize);
      this.db = new Float64Array(outSize);
    }
    this.weightTransform = opts.weightTransform;
    this.wEff = this.w;
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const w = matrixData(this.W);
    const wEff = effectiveWeights(w, this.inSize, this.outSize, this.weightTransform, opts.training, this.name);
    const y = this.yBuf.get(batch * this.outSize);
    matmul(x, wEff, y, batch, this.inSize, this.outSize, false, this.b);
    if (opts.training) {
      this.x = x;
      this.wEff = wEff;
    }
    return y;
  }

  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array {
    matmulTA(this.x, dy, this.dW, this.inSize, batch, this.outSize);
    if (this.db) colSums(dy, batch, this.outSize, this.db);
    if (!opts.needInputGrad) return new Float64Array(0);
    const dx = this.dxBuf.get(batch * this.inSize);
    matmulTB(dy, this.wEff, dx, batch, this.outSize, this.inSize);
    return dx;
  }

  params(): Param[] {
    const p: Param[] = [{ name: `${this.name}.W`, value: this.W, grad: this.dW }];
    if (this.b && this.db) p.push({ name: `${this.name}.b`, value: this.b, grad: this.db });
    return p;
  }
}

export interface Conv2dOptions {
  readonly name: string;
  readonly seed: Seed;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  /** Square kernel size (default 3). */
  readonly kernel?: number;
  readonly stride?: number;
  /** Zero padding (default kernel >> 1, i.e. 'same' at stride 1). */
  readonly padding?: number;
  readonly init?: InitScheme;
  readonly bias?: boolean;
  readonly weightTransform?: WeightTransform;
}

/**
 * 2-D convolution on NCHW samples via im2col (a [C k k, positions] block per sample, kept for the
 * whole training batch, one at a time at inference) and one product per sample,
 * W^T times its block, written straight into the sample's NCHW output. W is a (C * k * k) x
 * outChannels Matrix (fan-in x fan-out, like Dense), so the same weightTransform hook applies.
 */
export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly name: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  readonly geometry: ConvGeometry;
  readonly outChannels: number;
  readonly W: Matrix;
  readonly b: Float64Array | undefined;
  readonly dW: Float64Array;
  readonly db: Float64Array | undefined;
  weightTransform: WeightTransform | undefined;
  private readonly fanIn: number;
  private wEff: Float64Array;
  private readonly colsBuf = new Scratch();
  private readonly yBuf = new Scratch();
  private readonly dcolsBuf = new Scratch();
  private readonly dxBuf = new Scratch();
  private cols: Float64Array = new Float64Array(0);

  constructor(opts: Conv2dOptions) {
    const k = opts.kernel ?? 3;
    const stride = opts.stride ?? 1;
    const padding = opts.padding ?? k >> 1;
    const oh = convOutSize(opts.height, k, stride, padding);
    const ow = convOutSize(opts.width, k, stride, padding);
    if (!(oh > 0 && ow > 0)) throw new RangeError(`${opts.name}: kernel ${k} does not fit ${opts.height} x ${opts.width}`);
    this.name = opts.name;
    this.geometry = {
      channels: opts.inChannels,
      height: opts.height,
      width: opts.width,
      kernel: k,
      stride,
      padding,
      outHeight: oh,
      outWidth: ow,
    };
    this.outChannels = opts.outChannels;
    this.inSize = opts.inChannels * opts.height * opts.width;
    this.outShape = [opts.outChannels, oh, ow];
    this.outSize = opts.outChannels * oh * ow;
    this.fanIn = opts.inChannels * k * k;
    const w = new Float64Array(this.fanIn * opts.outChannels);
    initWeights(w, this.fanIn, opts.outChannels * k * k, opts.init ?? 'he', opts.seed, opts.name);
    this.W = flatMatrix(this.fanIn, opts.outChannels, w);
    this.wEff = w;
    this.dW = new Float64Array(w.length);
    if (opts.bias ?? true) {
      this.b = new Float64Array(opts.outChannels);
      this.db = new Float64Array(opts.outChannels);
    }
    this.weightTransform = opts.weightTransform;
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const g = this.geometry;
    const P = g.outHeight * g.outWidth;
    const OC = this.outChannels;
    const w = matrixData(this.W);
    const wEff = effectiveWeights(w, this.fanIn, OC, this.weightTransform, opts.training, this.name);
    const F = this.fanIn;
    const out = this.outSize;
    // training keeps the batch's columns for backward; inference reuses one sample's block (an
    // evaluation batch of 500 digits would otherwise need 450 MB of columns for the second convolution
    // of the cnn preset). Each sample's block is built right before its product, which then reads it
    // from cache.
    const block = F * P;
    const cols = this.colsBuf.get(opts.training ? batch * block : block);
    const y = this.yBuf.get(batch * out);
    const bias = this.b;
    for (let s = 0; s < batch; s++) {
      const cs = opts.training ? cols.subarray(s * block, (s + 1) * block) : cols.subarray(0, block);
      im2col(x.subarray(s * this.inSize, (s + 1) * this.inSize), 1, g, cs);
      // y_s (OC x P, NCHW) = W^T (OC x F) cols_s (F x P), each channel's row starting from its bias
      const ys = y.subarray(s * out, (s + 1) * out);
      if (bias) for (let c = 0; c < OC; c++) ys.fill(bias[c]!, c * P, (c + 1) * P);
      matmulTA(wEff, cs, ys, OC, F, P, bias !== undefined);
    }
    if (opts.training) {
      this.cols = cols;
      this.wEff = wEff;
    }
    return y;
  }

  backward(dy: Float64Array, batch: number, opts: BackwardOptions): Float64Array {
    const g = this.geometry;
    const P = g.outHeight * g.outWidth;
    const OC = this.outChannels;
    const F = this.fanIn;
    const out = this.outSize;
    // per sample dy_s is OC x P (NCHW): dW (F x OC) = sum_s cols_s (F x P) dy_s^T; db_c = the sum of channel c
    for (let s = 0; s < batch; s++) {
      matmulTB(this.cols.subarray(s * F * P, (s + 1) * F * P), dy.subarray(s * out, (s + 1) * out), this.dW, F, P, OC, s > 0);
    }
    const db = this.db;
    if (db) {
      db.fill(0);
      for (let s = 0; s < batch; s++) for (let c = 0; c < OC; c++) db[c] = db[c]! + rangeSum(dy, s * out + c * P, P);
    }
    if (!opts.needInputGrad) return new Float64Array(0);
    // dcols_s (F x P) = W (F x OC) dy_s (OC x P), scattered into sample s's dx while still in cache
    const dcols = this.dcolsBuf.get(F * P);
    const dx = this.dxBuf.get(batch * this.inSize);
    for (let s = 0; s < batch; s++) {
      matmul(this.wEff, dy.subarray(s * out, (s + 1) * out), dcols, F, OC, P);
      col2im(dcols, 1, g, dx.subarray(s * this.inSize, (s + 1) * this.inSize));
    }
    return dx;
  }

  params(): Param[] {
    const p: Param[] = [{ name: `${this.name}.W`, value: this.W, grad: this.dW }];
    if (this.b && this.db) p.push({ name: `${this.name}.b`, value: this.b, grad: this.db });
    return p;
  }
}

/** Reinterprets a [C, H, W] sample as a flat feature vector (data are already contiguous: no copy). */
export class Flatten implements Layer {
  readonly kind = 'flatten';
  readonly outShape: readonly number[];
  readonly outSize: number;
  constructor(
    readonly name: string,
    readonly inSize: number,
  ) {
    this.outSize = inSize;
    this.outShape = [inSize];
  }
  forward(x: Float64Array): Float64Array {
    return x;
  }
  backward(dy: Float64Array): Float64Array {
    return dy;
  }
  params(): Param[] {
    return [];
  }
}

/** max(0, x), element-wise. */
export class ReLU extends ElementwiseSite {
  readonly kind: string = 'relu';

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const n = batch * this.inSize;
    const y = this.yBuf.get(n);
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      y[i] = v > 0 ? v : 0;
    }
    if (opts.training) this.x = x;
    return y;
  }

  backward(dy: Float64Array, batch: number, _opts: BackwardOptions): Float64Array {
    const n = batch * this.inSize;
    const dx = this.dxBuf.get(n);
    const x = this.x;
    for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
    return dx;
  }
}

/** An element-wise nonlinearity: f(x) and its derivative f'(x) (given x and y = f(x)). */
export interface ActivationFn {
  readonly name: string;
  readonly f: (x: number) => number;
  readonly df: (x: number, y: number) => number;
}

/** Common element-wise functions (for the generic Activation layer). */
export const activationFns = {
  identity: { name: 'identity', f: (x: number) => x, df: () => 1 },
  relu: { name: 'relu', f: (x: number) => (x > 0 ? x : 0), df: (x: number) => (x > 0 ? 1 : 0) },
  sigmoid: {
    name: 'sigmoid',
    f: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    df: (_x: number, y: number) => y * (1 - y),
  },
  tanh: { name: 'tanh', f: Math.tanh, df: (_x: number, y: number) => 1 - y * y },
  silu: {
    name: 'silu',
    f: (x: number) => x / (1 + Math.exp(-x)),
    df: (x: number) => {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    },
  },
  gelu: {
    // tanh approximation
    name: 'gelu',
    f: (x: number) => 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))),
    df: (x: number) => {
      const u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
      const t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
    },
  },
} as const satisfies Record<string, ActivationFn>;

/** Generic element-wise activation layer from a forward function and its derivative. */
export class Activation extends ElementwiseSite {
  readonly kind = 'activation';
  private y: Float64Array = new Float64Array(0);

  constructor(
    name: string,
    shape: SiteShape,
    readonly fn: ActivationFn,
  ) {
    super(name, shape);
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const n = batch * this.inSize;
    const y = this.yBuf.get(n);
    const f = this.fn.f;
    for (let i = 0; i < n; i++) y[i] = f(x[i]!);
    if (opts.training) {
      this.x = x;
      this.y = y;
    }
    return y;
  }

  backward(dy: Float64Array, batch: number, _opts: BackwardOptions): Float64Array {
    const n = batch * this.inSize;
    const dx = this.dxBuf.get(n);
    const df = this.fn.df;
    const x = this.x;
    const y = this.y;
    for (let i = 0; i < n; i++) dx[i] = dy[i]! * df(x[i]!, y[i]!);
    return dx;
  }
}
