/**
 * Hook 3, straight-through quantisers. Uniform b-bit quantisation over [lo, hi]: 2^b levels
 * lo, lo + step, ..., hi with step = (hi - lo) / (2^b - 1); inputs are clamped to the range and rounded
 * to the nearest level (ties away from lo). The straight-through estimator passes the gradient
 * unchanged where lo <= x <= hi and blocks it (zero) outside.
 */
import { ElementwiseSite, type BackwardOptions, type ForwardOptions, type SiteShape } from './layer.ts';

function checkRange(bits: number, lo: number, hi: number): void {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 32)) throw new RangeError(`quantiser bits must be an integer in 1..32, got ${bits}`);
  if (!(hi > lo)) throw new RangeError(`quantiser range must have hi > lo, got [${lo}, ${hi}]`);
}

/** One value quantised to `bits` bits over [lo, hi]. */
export function quantizeValue(x: number, bits: number, lo: number, hi: number): number {
  const levels = 2 ** bits - 1;
  const step = (hi - lo) / levels;
  const c = x < lo ? lo : x > hi ? hi : x;
  return lo + Math.floor((c - lo) / step + 0.5) * step;
}

/** out[i] = quantizeValue(x[i], bits, lo, hi) for i < n (n defaults to x.length). */
export function quantizeUniform(
  x: Float64Array,
  bits: number,
  lo: number,
  hi: number,
  out: Float64Array = new Float64Array(x.length),
  n = x.length,
): Float64Array {
  checkRange(bits, lo, hi);
  const levels = 2 ** bits - 1;
  const step = (hi - lo) / levels;
  const inv = 1 / step;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const c = v < lo ? lo : v > hi ? hi : v;
    let k = Math.floor((c - lo) * inv + 0.5);
    if (k > levels) k = levels;
    out[i] = lo + k * step;
  }
  return out;
}

/** Straight-through gradient: dx[i] = dy[i] where lo <= x[i] <= hi, else 0. */
export function quantizeSTEGrad(
  x: Float64Array,
  dy: Float64Array,
  lo: number,
  hi: number,
  dx: Float64Array = new Float64Array(x.length),
  n = x.length,
): Float64Array {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    dx[i] = v >= lo && v <= hi ? dy[i]! : 0;
  }
  return dx;
}

/** A fixed-range uniform quantiser as an activation-site layer (forward quantises, backward is STE). */
export class Quantize extends ElementwiseSite {
  readonly kind = 'quantize';

  constructor(
    name: string,
    shape: SiteShape,
    readonly bits: number,
    readonly lo: number,
    readonly hi: number,
  ) {
    checkRange(bits, lo, hi);
    super(name, shape);
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const n = batch * this.inSize;
    const y = quantizeUniform(x, this.bits, this.lo, this.hi, this.yBuf.get(n), n);
    if (opts.training) this.x = x;
    return y;
  }

  backward(dy: Float64Array, batch: number, _opts: BackwardOptions): Float64Array {
    const n = batch * this.inSize;
    return quantizeSTEGrad(this.x, dy, this.lo, this.hi, this.dxBuf.get(n), n);
  }
}
