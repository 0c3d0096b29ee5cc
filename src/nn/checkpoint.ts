/** Checkpoint files: model parameters (+ optional optimiser state and epoch), written atomically. */
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/io.ts';
import type { Optimizer, OptimizerState } from './optim.ts';
import type { ModelState, Sequential } from './sequential.ts';

export interface Checkpoint {
  model: ModelState;
  optimizer?: OptimizerState;
  /** Number of epochs completed (resume with FitOptions.startEpoch = epoch). */
  epoch?: number;
}

/** Write a checkpoint of `model` (and `optimizer`) to `path` (temp file + rename). */
export function saveCheckpoint(path: string, model: Sequential, opts: { optimizer?: Optimizer; epoch?: number } = {}): void {
  const ck: Checkpoint = { model: model.state() };
  if (opts.optimizer) ck.optimizer = opts.optimizer.state();
  if (opts.epoch !== undefined) ck.epoch = opts.epoch;
  writeJsonAtomic(path, ck);
}

/** Load a checkpoint into `model` (and `optimizer`); returns the stored epoch. Bad files raise DataError. */
export function loadCheckpoint(path: string, model: Sequential, optimizer?: Optimizer): { epoch?: number } {
  let ck: Partial<Checkpoint>;
  try {
    ck = JSON.parse(readFileSync(path, 'utf8')) as Partial<Checkpoint>;
  } catch (e) {
    throw new DataError(`cannot read checkpoint: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  if (!ck || typeof ck !== 'object') throw new DataError('checkpoint is not a JSON object', path);
  model.loadState(ck.model, path);
  if (optimizer) {
    if (!ck.optimizer) throw new DataError('checkpoint holds no optimizer state', path);
    try {
      optimizer.loadState(ck.optimizer);
    } catch (e) {
      throw new DataError((e as Error).message, path);
    }
  }
  return ck.epoch === undefined ? {} : { epoch: ck.epoch };
}
