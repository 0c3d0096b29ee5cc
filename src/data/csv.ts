/**
 * CSV data sets: one sample per line, a label column plus numeric feature (pixel) columns, comma
 * separated, an optional header line (detected when its cells are not all numeric).
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { countClasses, scaleToUnit, type Dataset } from './dataset.ts';

export interface CsvOptions {
  /** Label column: index (0-based), 'first' (default), 'last', or a header name. */
  readonly labelColumn?: number | 'first' | 'last' | string;
  /** Whether the first line is a header; 'auto' (default) detects a non-numeric first line. */
  readonly header?: boolean | 'auto';
  /** Number of classes (default max label + 1). */
  readonly classes?: number;
  /** Divide features by this instead of the automatic [0, 1] / 0..255 rule. */
  readonly scale?: number;
  /** Per-sample image shape [c, h, w] (its product must equal the feature count). */
  readonly shape?: readonly [number, number, number];
}

function cellNumber(s: string): number {
  const t = s.trim().replace(/^"(.*)"$/, '$1').trim();
  return t === '' ? Number.NaN : Number(t);
}

/** Parse CSV text; `file` names errors (rows and columns are 1-based, counting the header line). */
export function parseCsv(text: string, opts: CsvOptions = {}, file?: string): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new DataError('empty CSV file', file);
  const first = lines[0]!.split(',');
  const header = opts.header === 'auto' || opts.header === undefined ? first.some((c) => !Number.isFinite(cellNumber(c))) : opts.header;
  const names = header ? first.map((c) => c.trim().replace(/^"(.*)"$/, '$1')) : undefined;
  const cols = first.length;
  if (cols < 2) throw new DataError(`need a label column and at least one feature column, found ${cols} column(s)`, file);
  const lc = opts.labelColumn ?? 'first';
  let label: number;
  if (lc === 'first') label = 0;
  else if (lc === 'last') label = cols - 1;
  else if (typeof lc === 'number') label = lc;
  else {
    label = names ? names.indexOf(lc) : -1;
    if (label < 0) throw new DataError(`label column '${lc}' not found${names ? ` in header (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})` : ' (file has no header)'}`, file);
  }
  if (!(Number.isInteger(label) && label >= 0 && label < cols)) throw new DataError(`label column ${label} outside the ${cols} columns`, file);
  const start = header ? 1 : 0;
  const rows: number[] = [];
  for (let r = start; r < lines.length; r++) if (lines[r]!.trim() !== '') rows.push(r);
  const n = rows.length;
  if (n === 0) throw new DataError('no data rows', file);
  const features = cols - 1;
  const x = new Float64Array(n * features);
  const y = new Int32Array(n);
  rows.forEach((r, i) => {
    const cells = lines[r]!.split(',');
    if (cells.length !== cols) throw new DataError(`row ${r + 1}: ${cells.length} columns, expected ${cols}`, file);
    let f = i * features;
    for (let c = 0; c < cols; c++) {
      const v = cellNumber(cells[c]!);
      if (!Number.isFinite(v)) {
        const name = names ? ` ('${names[c]}')` : '';
        throw new DataError(`row ${r + 1}, column ${c + 1}${name}: non-numeric cell "${cells[c]!.trim()}"`, file);
      }
      if (c === label) {
        if (!(Number.isInteger(v) && v >= 0)) throw new DataError(`row ${r + 1}, column ${c + 1}: label ${v} is not a non-negative integer`, file);
        y[i] = v;
      } else x[f++] = v;
    }
  });
  scaleToUnit(x, file, opts.scale);
  if (opts.shape && opts.shape[0] * opts.shape[1] * opts.shape[2] !== features) {
    throw new DataError(`shape ${opts.shape.join('x')} does not match ${features} feature columns`, file);
  }
  return { x, y, n, features, classes: countClasses(y, file, opts.classes), ...(opts.shape ? { shape: opts.shape } : {}), source: file };
}

/** Read a CSV data set from a file. */
export function loadCsv(path: string, opts: CsvOptions = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return parseCsv(text, opts, path);
}
