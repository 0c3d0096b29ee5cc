import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { loadIdx, parseIdx, readIdx } from '../src/data/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusemix-idx-'));

/** IDX bytes written by hand: 00 00 type ndim, big-endian uint32 dims, then the payload. */
function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, payload]);
}
// 3 images of 2 x 3 ubyte pixels, labels 2, 0, 1
const pixels = Uint8Array.from([0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60]);
const images = idx(0x08, [3, 2, 3], pixels);
const labels = idx(0x08, [3], Uint8Array.from([2, 0, 1]));
function write(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe('IDX loader', () => {
  for (const gz of [false, true]) {
    it(`reads images and labels (${gz ? 'gzipped' : 'plain'})`, () => {
      const f = (b: Uint8Array) => (gz ? gzipSync(b) : b);
      const ds = loadIdx(write(`img${gz}.idx`, f(images)), write(`lab${gz}.idx`, f(labels)));
      expect([ds.n, ds.features, ds.classes]).toEqual([3, 6, 3]);
      expect(ds.shape).toEqual([1, 2, 3]);
      expect([...ds.y]).toEqual([2, 0, 1]);
      expect([...ds.x.subarray(0, 6)]).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
      expect(ds.x[17]).toBeCloseTo(60 / 255, 15);
    });
  }

  it('reads big-endian float64 and int16 payloads', () => {
    const f = Buffer.alloc(16);
    f.writeDoubleBE(0.25, 0);
    f.writeDoubleBE(-1.5e-3, 8);
    const a = parseIdx(idx(0x0e, [2], f));
    expect([a.type, [...a.dims], [...a.data]]).toEqual(['float64', [2], [0.25, -1.5e-3]]);
    const s = Buffer.alloc(4);
    s.writeInt16BE(-300, 0);
    s.writeInt16BE(7, 2);
    expect([...parseIdx(idx(0x0b, [1, 2], s)).data]).toEqual([-300, 7]);
  });

  it('rejects a bad magic number, naming the file', () => {
    const bad = Buffer.from(images);
    bad[0] = 0x12;
    const p = write('badmagic.idx', bad);
    expect(() => readIdx(p)).toThrow(DataError);
    expect(() => readIdx(p)).toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: bad IDX magic number 12 00 08 03`));
    const badType = Buffer.from(images);
    badType[2] = 0x07;
    expect(() => readIdx(write('badtype.idx', badType))).toThrow(/bad IDX magic/);
  });

  it('rejects truncated files (data, header, gzip stream) and trailing bytes', () => {
    expect(() => readIdx(write('trunc.idx', images.subarray(0, images.length - 1)))).toThrow(/trunc\.idx: truncated: header declares 3 x 2 x 3 ubyte values \(18 bytes\) but only 17/);
    expect(() => readIdx(write('trunch.idx', images.subarray(0, 9)))).toThrow(/truncated/);
    const gz = gzipSync(images);
    expect(() => readIdx(write('trunc.gz', gz.subarray(0, gz.length - 6)))).toThrow(/truncated|corrupt/);
    expect(() => readIdx(write('long.idx', Buffer.concat([images, Buffer.from([1, 2])])))).toThrow(/2 unexpected bytes/);
    expect(() => readIdx(join(dir, 'missing.idx'))).toThrow(/missing\.idx: cannot read: ENOENT/);
  });

  it('rejects an image/label count mismatch', () => {
    const lab2 = write('lab2.idx', idx(0x08, [2], Uint8Array.from([1, 1])));
    expect(() => loadIdx(write('img.idx', images), lab2)).toThrow(/lab2\.idx: count mismatch: 2 labels for 3 images/);
  });
});
