/**
 * A small, strict CSV reader for measured curves.
 *
 *  - Comma separated; fields may be quoted ("a, b", with "" for a literal quote); CRLF or LF.
 *  - Blank lines and lines starting with '#' are skipped (comments).
 *  - The first remaining line is the header. A header cell may carry a unit:
 *    `resistance[kohm]`, `resistance (kohm)` or `resistance/kohm`; names are matched
 *    case-insensitively, ignoring spaces, '_' and '-' (so `sample_rate` = `Sample Rate` = `samplerate`).
 *  - Numeric cells are plain numbers (1.5, 2e-3) or numbers with a SPICE suffix (2.5k); the column's
 *    unit (header or flag) scales them to SI. Anything else (empty, text, NaN, inf) is a DataError
 *    that names the file, the row (1-based line number in the file) and the column.
 */
import { DataError } from '../core/errors.ts';
import { type Dimension, parseQuantity } from '../core/units.ts';

export interface CsvColumn {
  /** the header cell as written */
  raw: string;
  /** the name without the unit, normalised (lower case, no spaces, '_' or '-') */
  key: string;
  /** the unit written in the header, if any */
  unit?: string;
  index: number;
}

export interface CsvTable {
  file?: string;
  columns: CsvColumn[];
  /** data rows (cells as strings, unquoted) */
  rows: string[][];
  /** 1-based line number of each data row in the file */
  lines: number[];
}

/** Split one CSV line into fields, honouring quotes. Returns undefined on an unterminated quote. */
function splitLine(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
    i++;
  }
  if (quoted) return undefined;
  out.push(cur);
  return out.map((s) => s.trim());
}

/** Normalise a column name for matching: lower case, without spaces, '_' and '-'. */
export function normaliseName(s: string): string {
  return s.toLowerCase().replace(/[\s_\-.]+/g, '');
}

function splitHeader(raw: string, index: number): CsvColumn {
  const t = raw.trim();
  let m = /^(.*?)\s*[[(]\s*([^\])]*?)\s*[\])]\s*$/.exec(t);
  if (!m) m = /^([^/]*?)\s*\/\s*(\S.*)$/.exec(t);
  if (m && m[1]!.length > 0) {
    const unit = m[2]!.trim();
    return { raw, key: normaliseName(m[1]!), ...(unit ? { unit } : {}), index };
  }
  return { raw, key: normaliseName(t), index };
}

/** Parse CSV text (header line required). `file` names errors. */
export function parseCsvTable(text: string, file?: string): CsvTable {
  const src = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  let headerLine = 0;
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let ln = 0; ln < src.length; ln++) {
    const line = src[ln]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const cells = splitLine(line);
    if (!cells) throw new DataError(`row ${ln + 1}: unterminated quoted field`, file);
    if (!header) {
      header = cells;
      headerLine = ln + 1;
      continue;
    }
    if (cells.length !== header.length) {
      throw new DataError(`row ${ln + 1}: ${cells.length} fields, expected ${header.length} (as in the header on row ${headerLine})`, file);
    }
    rows.push(cells);
    lines.push(ln + 1);
  }
  if (!header) throw new DataError('empty CSV file (expected a header line and data rows)', file);
  const columns = header.map(splitHeader);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.key === '') throw new DataError(`row ${headerLine}, column ${c.index + 1}: empty column name in the header`, file);
    if (seen.has(c.key)) throw new DataError(`row ${headerLine}: column '${c.raw}' appears twice in the header`, file);
    seen.add(c.key);
  }
  return { ...(file !== undefined ? { file } : {}), columns, rows, lines };
}

/** The first column whose normalised name is one of `names` (given in order of preference). */
export function findColumn(t: CsvTable, names: readonly string[]): CsvColumn | undefined {
  for (const n of names) {
    const c = t.columns.find((col) => col.key === normaliseName(n));
    if (c) return c;
  }
  return undefined;
}

/** Like findColumn, but a DataError naming what was looked for when absent. */
export function requireColumn(t: CsvTable, names: readonly string[], what: string): CsvColumn {
  const c = findColumn(t, names);
  if (!c) {
    throw new DataError(
      `missing column: expected ${what} (a header named ${names.map((n) => `'${n}'`).join(' or ')}); found ${t.columns.map((x) => `'${x.raw}'`).join(', ')}`,
      t.file,
    );
  }
  return c;
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPICE_RE = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(meg|[tgkmunpf])$/i;
const SUFFIX: Record<string, number> = { t: 1e12, g: 1e9, meg: 1e6, k: 1e3, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };

function cellValue(s: string): number {
  const t = s.trim();
  if (NUMBER_RE.test(t)) return Number(t);
  const m = SPICE_RE.exec(t);
  if (m) return Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!;
  return Number.NaN;
}

/** SI factor of a unit for a dimension ("kohm" -> 1000 for resistance). ConfigError-free: DataError on a bad unit. */
export function unitFactor(unit: string, dim: Dimension, file?: string, column?: string): number {
  try {
    return parseQuantity(`1 ${unit}`, dim, { field: column ?? 'unit' });
  } catch {
    throw new DataError(`column '${column ?? '?'}': unit "${unit}" is not a unit of ${dim}`, file);
  }
}

export interface NumericColumnOptions {
  /** the unit to assume when the header gives none (e.g. from a --resistance-unit flag) */
  unit?: string;
  /** a unit that overrides the header's */
  forceUnit?: string;
  /** reject values <= 0 (e.g. resistance), naming the row */
  positive?: boolean;
  /** reject negative values */
  nonNegative?: boolean;
  /** require integers */
  integer?: boolean;
}

/** A numeric column converted to SI. Every bad cell is a DataError naming file, row and column. */
export function numericColumn(t: CsvTable, col: CsvColumn, dim: Dimension, opts: NumericColumnOptions = {}): Float64Array {
  const unit = opts.forceUnit ?? col.unit ?? opts.unit;
  const factor = unit ? unitFactor(unit, dim, t.file, col.raw) : 1;
  const out = new Float64Array(t.rows.length);
  for (let i = 0; i < t.rows.length; i++) {
    const cell = t.rows[i]![col.index]!;
    const where = `row ${t.lines[i]}, column '${col.raw}'`;
    const v = cellValue(cell);
    if (!Number.isFinite(v)) {
      throw new DataError(`${where}: expected a finite number, got ${cell === '' ? 'an empty cell' : `"${cell}"`}`, t.file);
    }
    if (opts.integer && !Number.isInteger(v)) throw new DataError(`${where}: expected an integer, got ${cell}`, t.file);
    if (opts.positive && !(v > 0)) throw new DataError(`${where}: expected a positive value (non-physical: ${cell})`, t.file);
    if (opts.nonNegative && v < 0) throw new DataError(`${where}: expected a non-negative value (non-physical: ${cell})`, t.file);
    out[i] = v * factor;
  }
  return out;
}

/** A text column (trimmed), each cell checked against `allowed` (case-insensitive) when given. */
export function textColumn(t: CsvTable, col: CsvColumn, allowed?: readonly string[]): string[] {
  return t.rows.map((r, i) => {
    const cell = r[col.index]!.trim();
    if (allowed) {
      const hit = allowed.find((a) => a.toLowerCase() === cell.toLowerCase());
      if (hit === undefined) {
        throw new DataError(
          `row ${t.lines[i]}, column '${col.raw}': expected one of ${allowed.join(', ')}, got ${cell === '' ? 'an empty cell' : `"${cell}"`}`,
          t.file,
        );
      }
      return hit;
    }
    return cell;
  });
}

/** At least `n` data rows, else a DataError. */
export function requireRows(t: CsvTable, n: number, why: string): void {
  if (t.rows.length < n) throw new DataError(`too few points: ${t.rows.length} data row(s), need at least ${n} ${why}`, t.file);
}
