/**
 * CIFAR-10 in its binary distribution format (cifar-10-binary.tar.gz, extracted): data_batch_1.bin ..
 * data_batch_5.bin and test_batch.bin, each a sequence of 3,073-byte records: one label byte (0..9),
 * then 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image, row-major. Samples come out as
 * [3, 32, 32] (channel-major, like every image Dataset), scaled by 1/255.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';

const RECORD = 1 + 3 * 32 * 32;

/** One CIFAR-10 .bin file (every record checked: whole records, labels 0..9). */
export function readCifarBatch(file: string): Dataset {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  if (raw.length === 0 || raw.length % RECORD !== 0) {
    throw new DataError(`expected whole CIFAR-10 records of ${RECORD} bytes (1 label + 3 x 32 x 32 pixels), found ${raw.length} bytes (${(raw.length / RECORD).toFixed(2)} records)`, file);
  }
  const n = raw.length / RECORD;
  const F = RECORD - 1;
  const x = new Float64Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * RECORD;
    const label = raw[o]!;
    if (label > 9) throw new DataError(`record ${i}: label byte ${label}, expected 0..9`, file);
    y[i] = label;
    for (let j = 0; j < F; j++) x[i * F + j] = raw[o + 1 + j]! / 255;
  }
  return { x, y, n, features: F, classes: 10, shape: [3, 32, 32], source: file };
}

function concat(parts: Dataset[], source: string): Dataset {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const F = parts[0]!.features;
  const x = new Float64Array(n * F);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * F);
    y.set(p.y, at);
    at += p.n;
  }
  return { x, y, n, features: F, classes: 10, shape: [3, 32, 32], source };
}

/** Whether `dir` holds CIFAR-10 binary batches. */
export function isCifarFolder(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => /^data_batch_\d+\.bin$/.test(f));
}

/** The CIFAR-10 folder: every data_batch_<k>.bin (in k order) as the training set, test_batch.bin as the test set. */
export function loadCifar10(dir: string): { train: Dataset; test: Dataset } {
  const batches = readdirSync(dir)
    .map((f) => /^data_batch_(\d+)\.bin$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => join(dir, m[0]));
  if (batches.length === 0) throw new DataError('no data_batch_<k>.bin files (CIFAR-10 binary format)', dir);
  const testFile = join(dir, 'test_batch.bin');
  if (!existsSync(testFile)) throw new DataError('test_batch.bin is missing next to the data_batch files', dir);
  return { train: concat(batches.map(readCifarBatch), dir), test: readCifarBatch(testFile) };
}
