/** Mini-batch training with per-epoch seeded shuffles. */
import { stream, type Seed } from '../core/rng.ts';
import type { Optimizer } from './optim.ts';
import type { Evaluation, Samples, Sequential } from './sequential.ts';

export interface FitOptions {
  readonly seed: Seed;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: Optimizer;
  /** Evaluated after each epoch when given. */
  readonly test?: Samples;
  /** First epoch index (to resume from a checkpoint; the shuffle of epoch e is stream(seed, 'epoch', e)). */
  readonly startEpoch?: number;
  /** Called after each epoch (e.g. to checkpoint or report). */
  readonly onEpoch?: (r: EpochResult) => void;
}

export interface EpochResult {
  epoch: number;
  /** Mean training loss and accuracy over the epoch's batches (weights changing along the way). */
  trainLoss: number;
  trainAccuracy: number;
  test?: Evaluation;
  seconds: number;
}

/** Copy samples `idx[from..to)` of `data` into batch buffers (x: rows, y: labels). */
export function gatherBatch(data: Samples, idx: ArrayLike<number>, from: number, to: number, x: Float64Array, y: Int32Array): void {
  const F = data.features;
  for (let i = from; i < to; i++) {
    const s = idx[i]!;
    x.set(data.x.subarray(s * F, (s + 1) * F), (i - from) * F);
    y[i - from] = data.y[s]!;
  }
}

/** One epoch: shuffle with stream(seed, 'epoch', epoch), then one optimiser step per batch (last batch may be short). */
export function trainEpoch(model: Sequential, data: Samples, opts: Omit<FitOptions, 'epochs' | 'onEpoch' | 'startEpoch'> & { epoch: number }): EpochResult {
  const t0 = performance.now();
  const idx = new Int32Array(data.n);
  for (let i = 0; i < data.n; i++) idx[i] = i;
  stream(opts.seed, 'epoch', opts.epoch).shuffle(idx);
  const bs = opts.batchSize;
  const xb = new Float64Array(bs * data.features);
  const yb = new Int32Array(bs);
  const params = model.params();
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < data.n; s += bs) {
    const b = Math.min(bs, data.n - s);
    gatherBatch(data, idx, s, s + b, xb, yb);
    const r = model.trainStep(b === bs ? xb : xb.subarray(0, b * data.features), b === bs ? yb : yb.subarray(0, b), opts.optimizer, params);
    loss += r.loss * b;
    correct += r.correct;
  }
  const res: EpochResult = {
    epoch: opts.epoch,
    trainLoss: loss / data.n,
    trainAccuracy: correct / data.n,
    seconds: (performance.now() - t0) / 1000,
  };
  if (opts.test) res.test = model.evaluate(opts.test);
  return res;
}

/** Train for `epochs` epochs; returns the per-epoch results. */
export function fit(model: Sequential, data: Samples, opts: FitOptions): EpochResult[] {
  const out: EpochResult[] = [];
  const start = opts.startEpoch ?? 0;
  for (let e = start; e < start + opts.epochs; e++) {
    const r = trainEpoch(model, data, { ...opts, epoch: e });
    out.push(r);
    opts.onEpoch?.(r);
  }
  return out;
}
