/** A numeric matrix from a CSV file (commas or whitespace; blank lines and lines starting with # skipped). */
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';

export interface CsvMatrix {
  rows: number;
  cols: number;
  /** row-major */
  data: Float64Array;
}

/** Parse CSV text; errors name the file, the line (row) and the column. */
export function parseMatrixCsv(text: string, file = '(csv)'): CsvMatrix {
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  let cols = -1;
  lines.forEach((line, li) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const cells = t.includes(',') ? t.split(',') : t.split(/\s+/);
    const row = cells.map((cell, ci) => {
      const c = cell.trim();
      const x = c === '' ? Number.NaN : Number(c);
      if (!Number.isFinite(x)) {
        throw new DataError(`row ${li + 1}, column ${ci + 1}: expected a finite number, got ${c === '' ? 'an empty cell' : `"${c.slice(0, 40)}"`}`, file);
      }
      return x;
    });
    if (cols < 0) cols = row.length;
    else if (row.length !== cols) {
      throw new DataError(`row ${li + 1}, column ${Math.min(row.length, cols) + 1}: expected ${cols} columns like the first row, got ${row.length}`, file);
    }
    rows.push(row);
  });
  if (rows.length === 0) throw new DataError('row 1, column 1: no numbers found (empty matrix)', file);
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(r, i * cols));
  return { rows: rows.length, cols, data };
}

/** Read a CSV matrix file. */
export function readMatrixCsv(file: string): CsvMatrix {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read the matrix file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  return parseMatrixCsv(text, file);
}

/** CSV text of a row-major matrix (full precision). */
export function formatMatrixCsv(data: ArrayLike<number>, rows: number, cols: number): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const r: string[] = [];
    for (let j = 0; j < cols; j++) r.push(String(data[i * cols + j]));
    out.push(r.join(','));
  }
  return `${out.join('\n')}\n`;
}
