/**
 * Checkpoint files: model parameters (+ optional optimiser state and epoch), written atomically with
 * a sha256 of the payload (`checksum`); a file whose checksum does not match is refused (DataError).
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { sha256, writeJsonAtomic } from '../core/io.ts';
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
  writeJsonAtomic(path, { ...ck, checksum: sha256(JSON.stringify(ck)) });
}

/** Load a checkpoint into `model` (and `optimizer`); returns the stored epoch. Bad files raise DataError. */
export function loadCheckpoint(path: string, model: Sequential, optimizer?: Optimizer): { epoch?: number } {
  let ck: Partial<Checkpoint>;
  try {
    ck = JSON.parse(readFileSync(path, 'utf8')) as Partial<Checkpoint>;
  } catch (e) {
    throw new DataError(`cannot read checkpoint: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  if (!ck || typeof ck !== 'object' || Array.isArray(ck)) throw new DataError('checkpoint is not a JSON object', path);
  const { checksum, ...payload } = ck as Partial<Checkpoint> & { checksum?: unknown };
  if (typeof checksum !== 'string' || checksum !== sha256(JSON.stringify(payload))) {
    throw new DataError(`checkpoint checksum ${typeof checksum === 'string' ? 'does not match its contents (corrupt or edited)' : 'is missing'}; not trusted`, path);
  }
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
