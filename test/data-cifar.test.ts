/** The CIFAR-10 binary loader: record layout, channel-major samples, typed errors, and a CNN run on [3, 32, 32]. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { loadCifar10, readCifarBatch } from '../src/data/index.ts';
import { loadMixData, runMix } from '../src/mixer/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusemix-cifar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n records in the distribution layout: label byte, then R, G, B planes of 32 x 32 bytes */
function batch(n: number, seed: number, labelOf = (i: number) => i % 10): Buffer {
  const rng = stream(seed, 'cifar-test');
  const b = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    b[i * 3073] = labelOf(i);
    for (let j = 1; j < 3073; j++) b[i * 3073 + j] = rng.int(256);
  }
  return b;
}

describe('CIFAR-10 binary batches', () => {
  const folder = join(dir, 'cifar');
  mkdirSync(folder);
  const parts = [batch(30, 1), batch(20, 2)];
  writeFileSync(join(folder, 'data_batch_1.bin'), parts[0]!);
  writeFileSync(join(folder, 'data_batch_2.bin'), parts[1]!);
  writeFileSync(join(folder, 'test_batch.bin'), batch(25, 3));

  it('reads labels and [3, 32, 32] channel-major pixels / 255, batches in order', () => {
    const { train, test } = loadCifar10(folder);
    expect([train.n, test.n, train.features, train.classes]).toEqual([50, 25, 3072, 10]);
    expect(train.shape).toEqual([3, 32, 32]);
    // sample 31 is record 1 of data_batch_2: green plane, row 5, column 7
    const rec = parts[1]!.subarray(3073, 2 * 3073);
    expect(train.y[31]).toBe(rec[0]);
    expect(train.x[31 * 3072 + 1024 + 5 * 32 + 7]).toBe(rec[1 + 1024 + 5 * 32 + 7]! / 255);
    expect(train.x[31 * 3072]).toBe(rec[1]! / 255);
  });

  it('refuses truncated files, bad labels and a missing test batch, naming the file', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'short.bin'), batch(2, 4).subarray(0, 3073 + 100));
    expect(() => readCifarBatch(join(bad, 'short.bin'))).toThrow(DataError);
    expect(() => readCifarBatch(join(bad, 'short.bin'))).toThrow(/short\.bin.*3073 bytes.*found 3173 bytes/s);
    writeFileSync(join(bad, 'label.bin'), batch(3, 5, (i) => (i === 2 ? 11 : 0)));
    expect(() => readCifarBatch(join(bad, 'label.bin'))).toThrow(/record 2: label byte 11/);
    writeFileSync(join(bad, 'data_batch_1.bin'), batch(2, 6));
    expect(() => loadCifar10(bad)).toThrow(/test_batch\.bin is missing/);
  });

  it('mix --data <cifar folder> runs the CNN on [3, 32, 32] samples', () => {
    const d = loadMixData(folder, 1, 10);
    expect(d.test.n).toBe(10);
    const r = runMix({ data: folder, model: 'cnn-small', nTest: 10, pretrainEpochs: 1, searchEpochs: 1, finetuneEpochs: 1, batchSize: 10, randomBaselines: 0, heuristics: [], photonicSamples: 1 }).result!;
    expect(r.data.features).toBe(3072);
    // 16 channels at 32x32, 16x16, 8x8; fc from 16 x 8 x 8
    expect(r.assignment.sites.map((s) => s.channels)).toEqual([16, 16, 16]);
    expect(Object.keys(r.systemEnergy.digital.items)).toContain('photonic.fc.modulator');
    expect(r.energy.digital.total / (10 * r.hardware.readoutPerConversion + 16 * (1024 + 256 + 64) * r.hardware.digitalPerActivation)).toBeCloseTo(1, 12);
  }, 60_000);
});
