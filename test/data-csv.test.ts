import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { loadCsv, parseCsv } from '../src/data/index.ts';

describe('CSV loader', () => {
  it('reads label + pixel columns with a header, scaling 0..255 pixels to [0, 1]', () => {
    const ds = parseCsv('label,p0,p1,p2,p3\n3,0,255,51,102\n1,255,0,0,0\n', { shape: [1, 2, 2] });
    expect([ds.n, ds.features, ds.classes]).toEqual([2, 4, 4]);
    expect([...ds.y]).toEqual([3, 1]);
    expect([...ds.x]).toEqual([0, 1, 0.2, 0.4, 1, 0, 0, 0]);
    expect(ds.shape).toEqual([1, 2, 2]);
  });

  it('no header, label last, values already in [0, 1], CRLF line ends', () => {
    const ds = parseCsv('0.5,0.25,1\r\n0,1,0\r\n', { labelColumn: 'last' });
    expect([...ds.y]).toEqual([1, 0]);
    expect([...ds.x]).toEqual([0.5, 0.25, 0, 1]);
  });

  it('label column by header name', () => {
    const ds = parseCsv('a,b,digit\n10,20,7\n', { labelColumn: 'digit', classes: 10 });
    expect([...ds.y]).toEqual([7]);
    expect(ds.classes).toBe(10);
  });

  it('errors name the file, row and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-csv-'));
    const p = join(dir, 'bad.csv');
    writeFileSync(p, 'label,p0,p1\n1,0,3\n2,abc,4\n');
    expect(() => loadCsv(p)).toThrow(DataError);
    expect(() => loadCsv(p)).toThrow(/bad\.csv: row 3, column 2 \('p0'\): non-numeric cell "abc"/);
    expect(() => parseCsv('1,2,3\n4,,6\n', {}, 'e.csv')).toThrow(/e\.csv: row 2, column 2: non-numeric cell ""/);
    expect(() => parseCsv('1,2,3\n4,5\n', {}, 'r.csv')).toThrow(/row 2: 2 columns, expected 3/);
    expect(() => parseCsv('1.5,2,3\n', {}, 'l.csv')).toThrow(/row 1, column 1: label 1.5 is not a non-negative integer/);
    expect(() => parseCsv('1,-2,3\n', {}, 'v.csv')).toThrow(/v\.csv: feature values span \[-2, 3\]/);
    expect(() => parseCsv('5,2,3\n', { classes: 3 }, 'c.csv')).toThrow(/label 5 found but only 3 classes/);
    expect(() => parseCsv('x,y\n1,2\n', { labelColumn: 'digit' }, 'n.csv')).toThrow(/label column 'digit' not found/);
  });
});
