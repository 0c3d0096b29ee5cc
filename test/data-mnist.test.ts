import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist, loadMnistAll, mnistDigitsDir, readMnistCodes, splitDataset } from '../src/data/index.ts';
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

  it('the split decoded from the byte codes equals splitDataset of all digits, bit for bit, on shared memory if asked', () => {
    const ref = splitDataset(loadMnistAll(), { seed: 5, nTest: 1500, stream: 'mnist' });
    const got = loadMnist({ seed: 5, nTest: 1500, shared: true });
    expect(got.train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(same(got.train.x, ref.train.x)).toBe(true);
    expect(same(got.test.x, ref.test.x)).toBe(true);
    expect([...got.train.y]).toEqual([...ref.train.y]);
    expect([...got.test.y]).toEqual([...ref.test.y]);
  });
});

describe('mnist byte-code cache', () => {
  const decode = (c: ReturnType<typeof readMnistCodes>) => Float64Array.from(c.codes, (k) => c.table[k]!);

  it('is written on the first load, read on the next, and a corrupted or stale cache is rebuilt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-mnist-'));
    try {
      const digits = join(dir, 'digits');
      cpSync(mnistDigitsDir(), digits, { recursive: true });
      const file = join(dir, 'cache', 'mnist.bin');
      const first = readMnistCodes(digits, file);
      expect(existsSync(file)).toBe(true);
      const all = loadMnistAll();
      expect(same(decode(first), all.x)).toBe(true);
      expect([...first.y]).toEqual([...all.y]);
      const second = readMnistCodes(digits, file);
      expect(same(decode(second), all.x)).toBe(true);
      // one flipped byte in the codes: the checksum rejects the file, the digits are parsed again
      const bytes = readFileSync(file);
      bytes[bytes.length - 100] ^= 0xff;
      writeFileSync(file, bytes);
      expect(same(decode(readMnistCodes(digits, file)), all.x)).toBe(true);
      expect(readFileSync(file).equals(bytes)).toBe(false);
      // the digit files change (first value of digit 0 rewritten with another pixel value): the cache
      // key no longer matches
      const v = first.table[200]!;
      const f0 = join(digits, '0.json');
      const text = readFileSync(f0, 'utf8');
      const at = text.indexOf('[') + 1;
      const end = text.indexOf(',', at);
      writeFileSync(f0, `${text.slice(0, at)}${String(v)}${text.slice(end)}`);
      const changed = readMnistCodes(digits, file);
      expect(changed.table[changed.codes[0]!]).toBe(v);
      expect(same(decode(changed).subarray(1), all.x.subarray(1))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
