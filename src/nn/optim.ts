/**
 * Optimisers over a Param list (any module's params, built-in or not). Each keeps its per-parameter
 * state keyed by the parameter name, updates the values in place (for Matrix params the flat buffer
 * shared with the Matrix, see param.ts), and can export/import its state for checkpoints.
 */
import { getKernelBackend } from '../kernels/backend.ts';
import { type AdamSlot, type WasmArena, wasmArenaIfFaster } from '../kernels/wasm.ts';
import { decodeF64, encodeF64 } from './state.ts';
import { paramData, paramDecays, type Param } from './param.ts';

export interface Optimizer {
  /** Apply one update from the params' current `grad`s. */
  step(params: readonly Param[]): void;
  /** Learning rate (mutable, for schedules). */
  lr: number;
  /** JSON-safe state (exact Float64 round trip). */
  state(): OptimizerState;
  loadState(s: OptimizerState): void;
}

export interface OptimizerState {
  kind: string;
  t: number;
  slots: Record<string, string[]>;
}

export interface SGDOptions {
  lr: number;
  /** Heavy-ball momentum (default 0). */
  momentum?: number;
  /** L2 weight decay added to the gradient of decaying params (default 0). */
  weightDecay?: number;
  nesterov?: boolean;
}

/** SGD: v = mu v + (g + wd w); w -= lr v (Nesterov: w -= lr (g + wd w + mu v)). */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private t = 0;
  private readonly velocity = new Map<string, Float64Array>();

  constructor(opts: SGDOptions) {
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
  }

  step(params: readonly Param[]): void {
    this.t++;
    const lr = this.lr;
    const mu = this.momentum;
    for (const p of params) {
      const w = paramData(p);
      const g = p.grad;
      const wd = paramDecays(p) ? this.weightDecay : 0;
      const n = w.length;
      if (mu === 0) {
        if (wd === 0) for (let i = 0; i < n; i++) w[i] = w[i]! - lr * g[i]!;
        else for (let i = 0; i < n; i++) w[i] = w[i]! - lr * (g[i]! + wd * w[i]!);
        continue;
      }
      let v = this.velocity.get(p.name);
      if (!v) {
        v = new Float64Array(n);
        this.velocity.set(p.name, v);
      }
      if (this.nesterov) {
        for (let i = 0; i < n; i++) {
          const wi = w[i]!;
          const gi = g[i]! + wd * wi;
          const vi = mu * v[i]! + gi;
          v[i] = vi;
          w[i] = wi - lr * (gi + mu * vi);
        }
      } else {
        for (let i = 0; i < n; i++) {
          const wi = w[i]!;
          const vi = mu * v[i]! + (g[i]! + wd * wi);
          v[i] = vi;
          w[i] = wi - lr * vi;
        }
      }
    }
  }

  state(): OptimizerState {
    const slots: Record<string, string[]> = {};
    for (const [k, v] of this.velocity) slots[k] = [encodeF64(v)];
    return { kind: 'sgd', t: this.t, slots };
  }

  loadState(s: OptimizerState): void {
    if (s.kind !== 'sgd') throw new TypeError(`optimizer state is '${s.kind}', expected 'sgd'`);
    this.t = s.t;
    this.velocity.clear();
    for (const [k, [v]] of Object.entries(s.slots)) this.velocity.set(k, decodeF64(v!));
  }
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Weight decay of decaying params: L2 in the gradient, or decoupled (AdamW) if `decoupled`. */
  weightDecay?: number;
  decoupled?: boolean;
}

/**
 * Adam (Kingma & Ba) with bias correction; optional L2 or decoupled (AdamW) weight decay. Unless the
 * js kernels are active, the moments live in a WebAssembly WasmArena (src/kernels/wasm.ts) and the
 * update runs there, the same arithmetic as adamUpdate below and about twice as fast.
 */
export class Adam implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private t = 0;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  /** undefined until the first step decides; null: the JavaScript loops */
  private arena: WasmArena | null | undefined;
  private readonly slots = new Map<string, AdamSlot>();

  constructor(opts: AdamOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupled ?? false;
  }

  step(params: readonly Param[]): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, lr } = this;
    const c1 = 1 / (1 - b1 ** this.t);
    const c2 = 1 / (1 - b2 ** this.t);
    if (this.arena === undefined) this.arena = wasmArenaIfFaster(getKernelBackend().name);
    for (const p of params) {
      const w = paramData(p);
      const g = p.grad;
      const n = w.length;
      const wd = paramDecays(p) ? this.weightDecay : 0;
      if (this.arena) {
        let slot = this.slots.get(p.name);
        if (!slot || slot.n !== n) {
          slot = this.arena.adamSlot(n);
          // moments loaded from a checkpoint (or of an earlier shape: then they start over, as below)
          const m0 = this.m.get(p.name);
          const v0 = this.v.get(p.name);
          if (m0 && v0 && m0.length === n) {
            slot.m.view.set(m0);
            slot.v.view.set(v0);
          }
          this.m.delete(p.name);
          this.v.delete(p.name);
          this.slots.set(p.name, slot);
        }
        this.arena.adam(slot, w, g, { b1, b2, c1, c2, eps, lr, wd, decoupled: this.decoupled });
        continue;
      }
      let m = this.m.get(p.name);
      let v = this.v.get(p.name);
      if (!m || !v) {
        m = new Float64Array(n);
        v = new Float64Array(n);
        this.m.set(p.name, m);
        this.v.set(p.name, v);
      }
      adamUpdate(w, g, m, v, n, b1, b2, c1, c2, eps, lr, this.decoupled ? 0 : wd, this.decoupled ? wd : 0);
    }
  }

  state(): OptimizerState {
    const slots: Record<string, string[]> = {};
    for (const [k, m] of this.m) slots[k] = [encodeF64(m), encodeF64(this.v.get(k)!)];
    for (const [k, s] of this.slots) slots[k] = [encodeF64(s.m.view), encodeF64(s.v.view)];
    return { kind: 'adam', t: this.t, slots };
  }

  loadState(s: OptimizerState): void {
    if (s.kind !== 'adam') throw new TypeError(`optimizer state is '${s.kind}', expected 'adam'`);
    this.t = s.t;
    this.m.clear();
    this.v.clear();
    // the arena's slots stay allocated: a loaded moment of the same length is copied into its slot
    const loaded = new Set<string>();
    for (const [k, [m, v]] of Object.entries(s.slots)) {
      const dm = decodeF64(m!);
      const dv = decodeF64(v!);
      const slot = this.slots.get(k);
      if (slot && slot.n === dm.length && slot.n === dv.length) {
        slot.m.view.set(dm);
        slot.v.view.set(dv);
        loaded.add(k);
        continue;
      }
      this.m.set(k, dm);
      this.v.set(k, dv);
    }
    for (const [k, slot] of this.slots) {
      if (loaded.has(k)) continue;
      if (this.m.has(k)) {
        this.slots.delete(k);
        continue;
      }
      // not in the checkpoint: start over from zero moments
      slot.m.view.fill(0);
      slot.v.view.fill(0);
    }
  }
}

/*
 * The Adam update of the JavaScript kernels (the WebAssembly arena runs the same update). Both
 * weight-decay flavours in one loop: L2 adds wdL2 * w to the gradient, decoupled (AdamW) adds
 * wdDec * w to the step; the other coefficient is 0. Every per-step constant is hoisted.
 */
function adamUpdate(
  w: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  n: number,
  b1: number,
  b2: number,
  c1: number,
  c2: number,
  eps: number,
  lr: number,
  wdL2: number,
  wdDec: number,
): void {
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    const gi = g[i]! + wdL2 * wi;
    const mi = b1 * m[i]! + a1 * gi;
    const vi = b2 * v[i]! + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - lr * ((mi * c1) / (Math.sqrt(vi * c2) + eps) + wdDec * wi);
  }
}
