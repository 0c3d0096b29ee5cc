/**
 * A mixed activation site: every channel has two hardware paths, the fused MACAM column (analog) and
 * the ADC + digital activation (digital), and outputs
 *
 *   y = p_c * a(z) + (1 - p_c) * d(z),   a(z) = A_c(g z) / g,   d(z) = D(g z) / g
 *
 * where A_c is the decoded output of channel c's programmed column (device-limited, with its
 * variation instance), D the decoded digital path output, g the site's input scale and p_c the
 * channel's analog weight (0 or 1 for a hard assignment, relaxed in (0, 1) during the search; the
 * relaxation itself lives in relax.ts and sets p through `setGates`).
 *
 * Gradients (straight-through through both quantisers): dy/dz = f'(g z) inside the unit's input
 * range [xLo, xHi] and 0 outside (for relu: 1 on (0, xHi]); dL/dp_c = sum over the batch (and spatial
 * positions) of dL/dy * (a - d), held exactly (the quantised outputs do not depend on p).
 *
 * Mode 'float' is the plain activation f(z) (pretraining, before the scale is calibrated).
 */
import { Scratch, type ActivationSite, type BackwardOptions, type ForwardOptions } from '../nn/layer.ts';
import type { Param } from '../nn/param.ts';
import { type Activation, getActivation } from '../units/activations.ts';
import { lookupCode, type TransferLookup } from '../units/fused.ts';
import type { ActivationHardware } from './hardware.ts';

export type Granularity = 'channel' | 'layer';

/** the path outputs a hard forward keeps: none (backward then sums no gate gradient) */
const NO_PATHS = new Float64Array(0);
export type SiteMode = 'float' | 'mix';

export interface MixedSiteOptions {
  readonly name: string;
  readonly channels: number;
  /** positions per channel (1 after a Dense layer) */
  readonly spatial?: number;
  readonly hardware: ActivationHardware;
  /** one logit per channel (default) or one per site */
  readonly granularity?: Granularity;
}

export class MixedActivation implements ActivationSite {
  readonly kind = 'mixed-activation';
  readonly name: string;
  readonly site: { readonly channels: number; readonly spatial: number };
  readonly inSize: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  readonly granularity: Granularity;
  readonly hardware: ActivationHardware;
  readonly fn: Activation;
  /** pool column of every channel */
  readonly column: Int32Array;
  /** assignment logits (analog preference), one per channel or one per site */
  readonly logits: Float64Array;
  readonly logitGrad: Float64Array;
  /** analog weight p_c of every channel (1 = analog, 0 = digital) */
  readonly gates: Float64Array;
  /** dL/dp_c of the last backward (when gate gradients are on) */
  readonly gateGrad: Float64Array;
  mode: SiteMode = 'float';
  /** input scale g: the unit sees u = g z */
  scale = 1;
  /** the last input seen (for calibration) */
  lastInput: Float64Array = new Float64Array(0);
  private dpda: Float64Array | undefined;
  private readonly yBuf = new Scratch();
  private readonly aBuf = new Scratch();
  private readonly dBuf = new Scratch();
  private readonly derivBuf = new Scratch();
  private readonly dxBuf = new Scratch();
  private readonly gatherBuf = new Scratch();
  private lookups: TransferLookup[] | undefined;
  private a: Float64Array = new Float64Array(0);
  private d: Float64Array = new Float64Array(0);
  private deriv: Float64Array = new Float64Array(0);
  private dTab: Float64Array | undefined;
  private dTabInv = Number.NaN;
  private aTab: Float64Array | undefined;
  private aTabInv = Number.NaN;
  /** output codes of an analog column: 2^bits of the pool's units */
  private readonly analogCount: number;

  constructor(opts: MixedSiteOptions) {
    this.name = opts.name;
    const S = opts.spatial ?? 1;
    this.site = { channels: opts.channels, spatial: S };
    this.inSize = this.outSize = opts.channels * S;
    this.outShape = S === 1 ? [opts.channels] : [opts.channels, S];
    this.granularity = opts.granularity ?? 'channel';
    this.hardware = opts.hardware;
    this.fn = getActivation(opts.hardware.fn);
    this.column = opts.hardware.poolIndex(opts.name, opts.channels);
    this.logits = new Float64Array(this.granularity === 'layer' ? 1 : opts.channels);
    this.logitGrad = new Float64Array(this.logits.length);
    this.gates = new Float64Array(opts.channels);
    this.gateGrad = new Float64Array(opts.channels);
    this.analogCount = 2 ** Math.max(1, opts.hardware.analogBits);
  }

  /**
   * Decoded digital output of every code divided by g, (yLo + k step) / g, for k = 0 .. 2^bits - 1
   * (the same arithmetic as decoding element by element; rebuilt when g changes).
   */
  private digitalLevels(inv: number): Float64Array {
    if (this.dTabInv === inv && this.dTab) return this.dTab;
    const dp = this.hardware.digital;
    const [yLo, yHi] = dp.outputRange;
    const levels = 2 ** dp.bits;
    const step = (yHi - yLo) / (levels - 1);
    const t = this.dTab && this.dTab.length === levels ? this.dTab : new Float64Array(levels);
    for (let k = 0; k < levels; k++) t[k] = (yLo + k * step) * inv;
    this.dTab = t;
    this.dTabInv = inv;
    return t;
  }

  /** unit.codeValue(code) / g of every pool column and code, column-major blocks of analogCount. */
  private analogLevels(inv: number): Float64Array {
    if (this.aTabInv === inv && this.aTab) return this.aTab;
    const pool = this.hardware.pool;
    const L = this.analogCount;
    const t = this.aTab ?? new Float64Array(pool.length * L);
    for (let k = 0; k < pool.length; k++) for (let c = 0; c < L; c++) t[k * L + c] = pool[k]!.codeValue(c) * inv;
    this.aTab = t;
    this.aTabInv = inv;
    return t;
  }

  /** The TransferLookup of every channel's pool column. */
  private columnLookups(): readonly TransferLookup[] {
    if (!this.lookups) {
      const pool = this.hardware.pool;
      this.lookups = Array.from(this.column, (k) => pool[k]!.lookup);
    }
    return this.lookups;
  }

  /** Logit index of channel c. */
  logitOf(c: number): number {
    return this.granularity === 'layer' ? 0 : c;
  }

  /**
   * Set the analog weights p_c; with `dpda` (dp_c / dlogit, per channel) backward also fills the
   * logits' gradient, without it the logit gradient stays zero (fixed assignment).
   */
  setGates(p: ArrayLike<number>, dpda?: Float64Array): void {
    for (let c = 0; c < this.gates.length; c++) {
      const v = p[c]!;
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${this.name}: gate ${c} = ${v} outside [0, 1]`);
      this.gates[c] = v;
    }
    this.dpda = dpda;
  }

  forward(x: Float64Array, batch: number, opts: ForwardOptions): Float64Array {
    const C = this.site.channels;
    const S = this.site.spatial;
    const n = batch * C * S;
    const y = this.yBuf.get(n);
    this.lastInput = x;
    const fn = this.fn;
    if (this.mode === 'float') {
      const deriv = this.derivBuf.get(n);
      for (let i = 0; i < n; i++) {
        y[i] = fn.f(x[i]!);
        deriv[i] = fn.df(x[i]!);
      }
      if (opts.training) {
        this.deriv = deriv;
        this.a = this.d = new Float64Array(0);
      }
      return y;
    }
    const g = this.scale;
    const inv = 1 / g;
    const [xLo, xHi] = this.hardware.inputRange;
    const gates = this.gates;
    const deriv = this.derivBuf.get(n);
    // the scaled input u = g z and the straight-through derivative
    const u = this.gatherBuf.get(n);
    const df = fn.df;
    for (let i = 0; i < n; i++) {
      const ui = g * x[i]!;
      u[i] = ui;
      deriv[i] = ui >= xLo && ui <= xHi ? df(ui) : 0;
    }
    if (!this.dpda && gates.every((p) => p === 0 || p === 1)) return this.forwardHard(u, y, batch, inv, deriv, opts);
    let anyDigital = false;
    let anyAnalog = false;
    for (let c = 0; c < C; c++) {
      if (gates[c]! < 1 || this.dpda) anyDigital = true;
      if (gates[c]! > 0 || this.dpda) anyAnalog = true;
    }
    const a = this.aBuf.get(n);
    const d = this.dBuf.get(n);
    // digital: the decoded output of every element's code, in one pass
    if (anyDigital) this.hardware.digital.lookupBatch(u, this.digitalLevels(inv), d);
    else d.fill(0);
    if (anyAnalog) {
      // analog: each element through its channel's column (lookupCode, as unit.evaluateBatch reads
      // it), decoded; channels with p = 0 (and no gate gradient) read 0
      const levels = this.analogLevels(inv);
      const L = this.analogCount;
      const lookups = this.columnLookups();
      const CS = C * S;
      for (let c = 0; c < C; c++) {
        const skip = gates[c]! === 0 && !this.dpda;
        const t = lookups[c]!;
        const base = this.column[c]! * L;
        if (S === 1) {
          if (skip) for (let o = c; o < n; o += C) a[o] = 0;
          else for (let o = c; o < n; o += C) a[o] = levels[base + lookupCode(t, u[o]!)]!;
          continue;
        }
        for (let b = 0; b < batch; b++) {
          const o = b * CS + c * S;
          if (skip) for (let s = 0; s < S; s++) a[o + s] = 0;
          else for (let s = 0; s < S; s++) a[o + s] = levels[base + lookupCode(t, u[o + s]!)]!;
        }
      }
    } else a.fill(0);
    if (S === 1) {
      for (let b = 0, o = 0; b < batch; b++) {
        for (let c = 0; c < C; c++, o++) {
          const p = gates[c]!;
          y[o] = p * a[o]! + (1 - p) * d[o]!;
        }
      }
    } else {
      for (let b = 0, o = 0; b < batch; b++) {
        for (let c = 0; c < C; c++) {
          const p = gates[c]!;
          for (let s = 0; s < S; s++, o++) y[o] = p * a[o]! + (1 - p) * d[o]!;
        }
      }
    }
    if (opts.training) {
      this.a = a;
      this.d = d;
      this.deriv = deriv;
    }
    return y;
  }

  /**
   * A hard assignment without gate gradients (fine-tuning, evaluation): every element goes through
   * its channel's path alone, straight into y (p a + (1 - p) d at p in {0, 1}, without computing the
   * other path); backward then has no gate gradient to sum.
   */
  private forwardHard(u: Float64Array, y: Float64Array, batch: number, inv: number, deriv: Float64Array, opts: ForwardOptions): Float64Array {
    const C = this.site.channels;
    const S = this.site.spatial;
    const n = batch * C * S;
    const gates = this.gates;
    const digital = this.hardware.digital;
    let analogChannels = 0;
    for (let c = 0; c < C; c++) analogChannels += gates[c]!;
    if (analogChannels < C) {
      const dl = this.digitalLevels(inv);
      // one pass over everything (S = 1: the channels interleave) or over each digital channel's run
      if (S === 1 || analogChannels === 0) digital.lookupBatch(u.subarray(0, n), dl, y);
      else {
        for (let b = 0; b < batch; b++) {
          for (let c = 0; c < C; c++) {
            if (gates[c] === 1) continue;
            const o = (b * C + c) * S;
            digital.lookupBatch(u.subarray(o, o + S), dl, y.subarray(o, o + S));
          }
        }
      }
    }
    if (analogChannels > 0) {
      const levels = this.analogLevels(inv);
      const L = this.analogCount;
      const lookups = this.columnLookups();
      for (let c = 0; c < C; c++) {
        if (gates[c] !== 1) continue;
        const t = lookups[c]!;
        const base = this.column[c]! * L;
        if (S === 1) for (let o = c; o < n; o += C) y[o] = levels[base + lookupCode(t, u[o]!)]!;
        else {
          for (let b = 0; b < batch; b++) {
            const o = (b * C + c) * S;
            for (let s = 0; s < S; s++) y[o + s] = levels[base + lookupCode(t, u[o + s]!)]!;
          }
        }
      }
    }
    if (opts.training) {
      this.a = this.d = NO_PATHS;
      this.deriv = deriv;
    }
    return y;
  }

  backward(dy: Float64Array, batch: number, _opts: BackwardOptions): Float64Array {
    const C = this.site.channels;
    const S = this.site.spatial;
    const n = batch * C * S;
    const dx = this.dxBuf.get(n);
    const deriv = this.deriv;
    for (let i = 0; i < n; i++) dx[i] = dy[i]! * deriv[i]!;
    this.gateGrad.fill(0);
    this.logitGrad.fill(0);
    // a hard forward (forwardHard) keeps no path outputs: no gate gradient to sum
    if (this.mode === 'mix' && this.a.length > 0) {
      const a = this.a;
      const d = this.d;
      const gg = this.gateGrad;
      if (S === 1) {
        // the same sums as below: gg_c + (0 + term), each term added in batch order
        for (let b = 0, o = 0; b < batch; b++) for (let c = 0; c < C; c++, o++) gg[c] = gg[c]! + (0 + dy[o]! * (a[o]! - d[o]!));
      } else {
        for (let b = 0, o = 0; b < batch; b++) {
          for (let c = 0; c < C; c++) {
            let s0 = 0;
            for (let s = 0; s < S; s++, o++) s0 += dy[o]! * (a[o]! - d[o]!);
            gg[c] = gg[c]! + s0;
          }
        }
      }
      const dpda = this.dpda;
      if (dpda) for (let c = 0; c < C; c++) this.logitGrad[this.logitOf(c)] = this.logitGrad[this.logitOf(c)]! + this.gateGrad[c]! * dpda[c]!;
    }
    return dx;
  }

  params(): Param[] {
    return [{ name: `${this.name}.logits`, value: this.logits, grad: this.logitGrad, decay: false }];
  }
}
