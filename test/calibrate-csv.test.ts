import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { findColumn, numericColumn, parseCsvTable, requireColumn, textColumn } from '../src/calibrate/csv.ts';

describe('calibration CSV reader', () => {
  it('reads quoted fields, comments, units in the header and SPICE suffixes', () => {
    const text = '# measured 2024\n"Voltage [mV]", "resistance (kohm)",note,Sample_Rate/GHz\r\n100,5.0,"a, ""quoted"" note",1.25\n\n-200,12.5k,plain,2\n';
    const t = parseCsvTable(text, 'm.csv');
    expect(t.rows).toHaveLength(2);
    expect(t.lines).toEqual([3, 5]);
    expect(t.rows[0]![2]).toBe('a, "quoted" note');
    const v = numericColumn(t, requireColumn(t, ['voltage'], 'v'), 'voltage');
    expect(Array.from(v)).toEqual([0.1, -0.2]);
    const r = numericColumn(t, findColumn(t, ['resistance'])!, 'resistance');
    expect(r[0]).toBeCloseTo(5000, 9);
    // "12.5k" with a kohm header is 12.5e3 kohm
    expect(r[1]).toBeCloseTo(12.5e6, 3);
    const fs = numericColumn(t, findColumn(t, ['sample rate'])!, 'frequency');
    expect(fs[0]).toBeCloseTo(1.25e9, 0);
  });

  it('takes a flag unit when the header has none, and the header unit wins otherwise', () => {
    const t = parseCsvTable('v,r[ohm]\n1,2\n');
    expect(numericColumn(t, findColumn(t, ['v'])!, 'voltage', { unit: 'mV' })[0]).toBeCloseTo(1e-3, 15);
    expect(numericColumn(t, findColumn(t, ['r'])!, 'resistance', { unit: 'kohm' })[0]).toBe(2);
  });

  it('names file, row and column for every kind of bad cell', () => {
    const t = parseCsvTable('voltage,resistance,state\n0.1,5000,P\n0.2,abc,P\n0.3,NaN,AP\n0.4,,AP\n0.5,-3,X\n', 'bad.csv');
    const col = findColumn(t, ['resistance'])!;
    let err: unknown;
    try {
      numericColumn(t, col, 'resistance');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect(String((err as Error).message)).toMatch(/^bad\.csv: row 3, column 'resistance': expected a finite number, got "abc"/);
    const only = (row: number) => ({ ...t, rows: [t.rows[row]!], lines: [t.lines[row]!] });
    expect(() => numericColumn(only(2), col, 'resistance')).toThrow(/row 4, column 'resistance'.*"NaN"/);
    expect(() => numericColumn(only(3), col, 'resistance')).toThrow(/row 5.*empty cell/);
    expect(() => numericColumn(only(4), col, 'resistance', { positive: true })).toThrow(/row 6.*positive.*non-physical/);
    expect(() => textColumn(t, findColumn(t, ['state'])!, ['P', 'AP'])).toThrow(/row 6, column 'state': expected one of P, AP, got "X"/);
    expect(() => requireColumn(t, ['current'], 'the current')).toThrow(/bad\.csv: missing column: expected the current.*'current'/);
  });

  it('rejects ragged rows, unterminated quotes, bad units and empty files', () => {
    expect(() => parseCsvTable('a,b\n1,2,3\n', 'x.csv')).toThrow(/row 2: 3 fields, expected 2/);
    expect(() => parseCsvTable('a,b\n"1,2\n', 'x.csv')).toThrow(/row 2: unterminated/);
    expect(() => parseCsvTable('# only a comment\n\n', 'x.csv')).toThrow(/empty CSV/);
    const t = parseCsvTable('r[furlong]\n1\n', 'x.csv');
    expect(() => numericColumn(t, t.columns[0]!, 'resistance')).toThrow(DataError);
  });
});
