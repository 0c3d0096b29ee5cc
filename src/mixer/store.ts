/**
 * Phase checkpoints of a mix run: the state a phase saves after every epoch (PhaseState), and the
 * store that keeps them in memory and, with an out dir, in checksummed files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { sha256, writeJsonAtomic } from '../core/io.ts';
import type { Adam, OptimizerState } from '../nn/optim.ts';
import type { ModelState } from '../nn/sequential.ts';
import type { Net } from './models.ts';

export interface EpochLog {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  /** search only: temperature at the end of the epoch, expected energy ratio */
  tau?: number;
  expectedRatio?: number;
}

export interface PhaseState {
  format: 'fusemix-mix-phase';
  version: 1;
  phase: string;
  hash: string;
  epochs: number;
  epochsDone: number;
  done: boolean;
  model: ModelState;
  opt?: OptimizerState;
  logitOpt?: OptimizerState;
  scales?: number[];
  assignment?: number[][];
  assignmentInfo?: { energy: number; ratio: number; met: boolean; expectedRatio: number };
  history: EpochLog[];
}

export interface NetworkEval {
  accuracy: number;
  loss: number;
  correct: number;
  n: number;
  /** photonic energy per inference by layer (J) */
  photonic: Record<string, { total: number; items: Record<string, number> }>;
  /** per test sample: '1' classified correctly, '0' not */
  correctMask: string;
}

/**
 * Phase checkpoints: files in the out dir, or memory. Each file carries a sha256 of its payload
 * (`checksum`, over the payload's compact JSON); a file that is not valid JSON or whose checksum
 * does not match (a torn write, a bit flip, an edit) is never trusted: a warning, and the phase is
 * recomputed from the last good checkpoint before it (the file is overwritten when it is).
 */
export class PhaseStore {
  private readonly mem = new Map<string, unknown>();
  constructor(
    readonly dir?: string,
    private readonly warn: (msg: string) => void = (m) => process.stderr.write(`fusemix: warning: ${m}\n`),
  ) {}
  private file(name: string): string | undefined {
    return this.dir ? join(this.dir, `${name}.ckpt.json`) : undefined;
  }
  get<T>(name: string, hash: string): T | undefined {
    let v = this.mem.get(name) as { hash?: string } | undefined;
    const file = this.file(name);
    if (!v && file && existsSync(file)) v = readCheckpoint(file, this.warn);
    if (!v) return undefined;
    if (v.hash !== hash) {
      throw new ConfigError(
        file,
        'hash',
        `a checkpoint made with the same options (hash ${hash}); it was made with other options: use another --out or delete the file`,
        v.hash,
      );
    }
    this.mem.set(name, v);
    return v as T;
  }
  put<T extends { hash: string }>(name: string, value: T): void {
    this.mem.set(name, value);
    const file = this.file(name);
    if (file) writeJsonAtomic(file, withChecksum(value));
  }
  /** Hold an entry in memory only (already on disk, or computed by another thread that wrote it). */
  remember(name: string, value: unknown): void {
    this.mem.set(name, value);
  }
  /** The entries held in memory (name, value). */
  entries(): Array<[string, unknown]> {
    return [...this.mem.entries()];
  }
}

/** A checkpoint value with the sha256 of its compact JSON appended as `checksum`. */
export function withChecksum<T extends object>(value: T): T & { checksum: string } {
  const { checksum: _drop, ...payload } = value as T & { checksum?: string };
  return { ...(payload as T), checksum: sha256(JSON.stringify(payload)) };
}

/** A checkpoint file's payload, or undefined (with a warning) when it is unreadable or its checksum fails. */
export function readCheckpoint(file: string, warn: (msg: string) => void): { hash?: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    warn(`${file}: checkpoint is not valid JSON (${(e as Error).message}); recomputing that phase`);
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    warn(`${file}: checkpoint is not a JSON object; recomputing that phase`);
    return undefined;
  }
  const { checksum, ...payload } = v as { checksum?: unknown };
  if (typeof checksum !== 'string' || checksum !== sha256(JSON.stringify(payload))) {
    warn(`${file}: checkpoint checksum ${typeof checksum === 'string' ? 'does not match its contents' : 'is missing'}; not trusted, recomputing that phase`);
    return undefined;
  }
  return payload as { hash?: string };
}

/** A phase state after `epochsDone` of `epochs` epochs (the network, its optimisers and the history). */
export function mkState(
  phase: string,
  hash: string,
  epochs: number,
  epochsDone: number,
  done: boolean,
  net: Net,
  opt: Adam,
  logitOpt: Adam | undefined,
  history: EpochLog[],
): PhaseState {
  return {
    format: 'fusemix-mix-phase',
    version: 1,
    phase,
    hash,
    epochs,
    epochsDone,
    done,
    model: net.model.state(),
    opt: opt.state(),
    ...(logitOpt ? { logitOpt: logitOpt.state() } : {}),
    history: [...history],
  };
}
