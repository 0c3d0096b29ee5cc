import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, loadMnistAll, mnistDigitsDir } from '../src/data/index.ts';
import { DataError } from '../src/core/errors.ts';

const same = (a: Float64Array, b: Float64Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const key = (x: Float64Array, i: number) =>
  createHash('sha1').update(new Uint8Array(x.buffer, x.byteOffset + i * 784 * 8, 784 * 8)).digest('base64');

describe('mnist package loader', () => {
  it('reads all 10,000 digits in [0, 1] with labels 0..9', () => {
    const all = loadMnistAll();
    expect(all.n).toBe(10000);
    expect(all.features).toBe(784);
    expect(all.shape).toEqual([1, 28, 28]);
    expect(all.classes).toBe(10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of all.x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(0.9);
    expect(hi).toBeLessThanOrEqual(1);
    const counts = new Array(10).fill(0);
    for (const c of all.y) counts[c]++;
    expect(counts.every((c) => c > 800 && c < 1200)).toBe(true);
    // the fast scanner gives exactly JSON.parse's doubles (digit 7's block, in file order)
    const ref = (JSON.parse(readFileSync(join(mnistDigitsDir(), '7.json'), 'utf8')) as { data: number[] }).data;
    const start = all.y.indexOf(7) * 784;
    expect(ref.length).toBe(counts[7] * 784);
    const block = all.x.subarray(start, start + ref.length);
    expect(same(block, Float64Array.from(ref))).toBe(true);
  });

  it('split is deterministic per seed, disjoint, and covers the samples exactly', () => {
    const all = loadMnistAll();
    const a = loadMnist({ seed: 3, nTest: 2000 });
    const b = loadMnist({ seed: 3, nTest: 2000 });
    const c = loadMnist({ seed: 4, nTest: 2000 });
    expect(a.train.n + a.test.n).toBe(10000);
    expect(same(a.test.x, b.test.x)).toBe(true);
    expect(same(a.train.x, b.train.x)).toBe(true);
    expect([...a.train.y]).toEqual([...b.train.y]);
    expect(same(c.test.x, a.test.x)).toBe(false);
    // multiset of (image, label) of train + test equals that of the full set => a partition
    const ref = new Map<string, number>();
    for (let i = 0; i < all.n; i++) {
      const k = key(all.x, i) + all.y[i];
      ref.set(k, (ref.get(k) ?? 0) + 1);
    }
    let missing = 0;
    for (const part of [a.train, a.test]) {
      for (let i = 0; i < part.n; i++) {
        const k = key(part.x, i) + part.y[i];
        const n = ref.get(k) ?? 0;
        if (n === 0) missing++;
        else ref.set(k, n - 1);
      }
    }
    expect(missing).toBe(0);
    expect([...ref.values()].every((v) => v === 0)).toBe(true);
  });

  it('trainFraction and limit; bad options raise DataError', () => {
    const s = loadMnist({ seed: 1, trainFraction: 0.75, limit: 400 });
    expect([s.train.n, s.test.n]).toEqual([300, 100]);
    // the test set is the head of the same shuffle regardless of limit
    expect([...loadMnist({ seed: 1, nTest: 100 }).test.y]).toEqual([...s.test.y]);
    expect(() => loadMnist({ seed: 1, trainFraction: 1.5 })).toThrow(DataError);
    expect(() => loadMnist({ seed: 1, nTest: 20000 })).toThrow(DataError);
  });
});
