/**
 * SPICE3 / ngspice raw-file parser: binary and ASCII formats, real and complex plots, several plots
 * in one file (the way `write` appends them), padded and unpadded data.
 *
 * Layout of one plot (ngspice src/frontend/rawfile.c writes it this way):
 *   Title: / Date: / Plotname: / Flags: real|complex [unpadded] / No. Variables: / No. Points:
 *   [Dimensions: a,b] [Command: ...]* [Option: ...]* / Variables: (one line per variable:
 *   index, name, type, optional params such as dims=N) / then "Binary:" and little-endian float64
 *   data point by point (complex plots: re, im per value; real vectors in a complex plot get im 0),
 *   or "Values:" and per point the index followed by one value per variable ("re,im" if complex).
 * Unpadded plots skip the values of a vector past its own length (given by dims=); padded ones write
 * zeros there, which this parser drops so every vector has its true length.
 */
import { DataError } from '../core/errors.ts';

/** Analysis type of a plot, from its Plotname. */
export type AnalysisType = 'op' | 'dc' | 'tran' | 'ac' | 'noise' | 'tf' | 'sens' | 'pz' | 'disto' | 'sp' | 'other';

/** One plot (one analysis result): named vectors over a scale. */
export interface SpicePlot {
  /** the netlist title (first line) */
  title: string;
  /** ngspice's plot name, e.g. "DC transfer characteristic", "Transient Analysis", "AC Analysis" */
  name: string;
  type: AnalysisType;
  date: string;
  complex: boolean;
  /** name of the scale vector (the first variable: v-sweep, time, frequency, ...) */
  scale: string;
  /** vector names in file order (scale first) */
  names: string[];
  /** ngspice's type of each vector: voltage, current, time, frequency, notype, ... */
  kinds: Record<string, string>;
  /** real values, or the real parts of a complex plot */
  vectors: Record<string, Float64Array>;
  /** imaginary parts, present exactly when `complex` */
  imag?: Record<string, Float64Array>;
}

const PLOT_TYPES: Array<[RegExp, AnalysisType]> = [
  [/operating point/i, 'op'],
  [/dc transfer/i, 'dc'],
  [/transient/i, 'tran'],
  [/^ac\b/i, 'ac'],
  [/noise/i, 'noise'],
  [/transfer function/i, 'tf'],
  [/sensitivity/i, 'sens'],
  [/pole-zero/i, 'pz'],
  [/distortion/i, 'disto'],
  [/s-param|sp analysis/i, 'sp'],
];

/** The analysis type named by a raw-file Plotname. */
export function plotTypeOf(plotname: string): AnalysisType {
  for (const [re, t] of PLOT_TYPES) if (re.test(plotname)) return t;
  return 'other';
}

interface Variable {
  name: string;
  kind: string;
  length: number;
}

/** Parse a whole raw file (binary or ASCII, any number of plots). `file` only names it in errors. */
export function parseRaw(data: Uint8Array, file = 'raw file'): SpicePlot[] {
  const r = new Reader(data, file);
  const plots: SpicePlot[] = [];
  for (;;) {
    r.skipBlankLines();
    if (r.atEnd()) break;
    plots.push(parsePlot(r));
  }
  return plots;
}

function parsePlot(r: Reader): SpicePlot {
  let title = '';
  let date = '';
  let name = '';
  let complex = false;
  let padded = true;
  let nVars = -1;
  let nPoints = -1;
  const vars: Variable[] = [];
  for (;;) {
    if (r.atEnd()) throw r.error('file ends inside a plot header (no Binary: or Values: section)');
    const line = r.line();
    const colon = line.indexOf(':');
    const key = (colon >= 0 ? line.slice(0, colon) : line).trim().toLowerCase();
    const val = colon >= 0 ? line.slice(colon + 1).trim() : '';
    if (key === 'title') title = val;
    else if (key === 'date') date = val;
    else if (key === 'plotname') name = val;
    else if (key === 'flags') {
      for (const f of val.toLowerCase().split(/\s+/)) {
        if (f === 'complex') complex = true;
        else if (f === 'real') complex = false;
        else if (f === 'unpadded') padded = false;
        else if (f === 'padded') padded = true;
      }
    } else if (key === 'no. variables') nVars = r.int(val, 'No. Variables');
    else if (key === 'no. points') nPoints = r.int(val, 'No. Points');
    else if (key === 'variables') {
      if (nVars < 0 || nPoints < 0) throw r.error('Variables: before No. Variables / No. Points');
      let first = val;
      for (let i = 0; i < nVars; i++) {
        const vl = i === 0 && first ? first : r.line();
        first = '';
        const tok = vl.trim().split(/\s+/);
        if (tok.length < 3) throw r.error(`bad variable line "${vl.trim()}"`);
        let length = nPoints;
        for (const p of tok.slice(3)) {
          const m = /^dims=([\d,]+)$/i.exec(p);
          if (m) length = m[1]!.split(',').reduce((a, b) => a * Number(b), 1);
        }
        vars.push({ name: tok[1]!, kind: tok[2]!, length: Math.min(length, nPoints) });
      }
    } else if (key === 'binary' || key === 'values') {
      if (vars.length !== nVars || nVars < 0) throw r.error(`${key}: section before the variable list`);
      // sizes come from the header: check them against the bytes left before allocating anything
      let values = 0;
      for (const v of vars) values += padded ? nPoints : v.length;
      const left = r.data.length - r.pos;
      const need = key === 'binary' ? values * (complex ? 16 : 8) : values * 2;
      if (need > left) {
        throw r.error(`${key === 'binary' ? 'binary data' : 'ASCII values'} truncated: the header declares ${nPoints} points of ${nVars} variables (at least ${need} bytes), ${left} bytes follow`);
      }
      const re = vars.map((v) => new Float64Array(v.length));
      const im = complex ? vars.map((v) => new Float64Array(v.length)) : undefined;
      (key === 'binary' ? readBinary : readAscii)(r, { vars, nPoints, complex, padded, re, im });
      const vectors: Record<string, Float64Array> = {};
      const imag: Record<string, Float64Array> | undefined = complex ? {} : undefined;
      const kinds: Record<string, string> = {};
      vars.forEach((v, i) => {
        vectors[v.name] = re[i]!;
        if (imag) imag[v.name] = im![i]!;
        kinds[v.name] = v.kind;
      });
      return {
        title,
        name,
        type: plotTypeOf(name),
        date,
        complex,
        scale: vars[0]?.name ?? '',
        names: vars.map((v) => v.name),
        kinds,
        vectors,
        ...(imag ? { imag } : {}),
      };
    }
    // Dimensions:, Command:, Option: and unknown header lines carry nothing we need.
  }
}

/** What the value readers fill: `re` (and `im` for complex plots) per variable, nPoints rows. */
interface PlotValues {
  vars: Variable[];
  nPoints: number;
  complex: boolean;
  padded: boolean;
  re: Float64Array[];
  im: Float64Array[] | undefined;
}

function readBinary(r: Reader, { vars, nPoints, complex, padded, re, im }: PlotValues): void {
  const per = complex ? 16 : 8;
  let count = 0;
  for (const v of vars) count += padded ? nPoints : v.length;
  const bytes = count * per;
  if (r.pos + bytes > r.data.length) {
    throw r.error(`binary data truncated: need ${bytes} bytes for ${nPoints} points, have ${r.data.length - r.pos}`);
  }
  const dv = new DataView(r.data.buffer, r.data.byteOffset + r.pos, bytes);
  let o = 0;
  for (let p = 0; p < nPoints; p++) {
    for (let k = 0; k < vars.length; k++) {
      const inside = p < vars[k]!.length;
      if (!inside && !padded) continue;
      if (inside) {
        re[k]![p] = dv.getFloat64(o, true);
        if (complex) im![k]![p] = dv.getFloat64(o + 8, true);
      }
      o += per;
    }
  }
  r.pos += bytes;
}

function readAscii(r: Reader, { vars, nPoints, complex, padded, re, im }: PlotValues): void {
  for (let p = 0; p < nPoints; p++) {
    const idx = r.token();
    if (Number(idx) !== p) throw r.error(`ASCII values: expected point index ${p}, got "${idx}"`);
    for (let k = 0; k < vars.length; k++) {
      const inside = p < vars[k]!.length;
      if (!inside && !padded) continue;
      const tok = r.token();
      if (!inside) continue;
      if (complex) {
        const c = tok.indexOf(',');
        re[k]![p] = r.num(c >= 0 ? tok.slice(0, c) : tok);
        im![k]![p] = c >= 0 ? r.num(tok.slice(c + 1)) : 0;
      } else re[k]![p] = r.num(tok);
    }
  }
}

/** A cursor over the file bytes: text lines for headers, raw bytes for binary data. */
class Reader {
  pos = 0;
  constructor(
    readonly data: Uint8Array,
    readonly file: string,
  ) {}
  atEnd(): boolean {
    return this.pos >= this.data.length;
  }
  line(): string {
    const d = this.data;
    let e = this.pos;
    while (e < d.length && d[e] !== 10) e++;
    let s = '';
    for (let i = this.pos; i < e; i++) s += String.fromCharCode(d[i]!);
    this.pos = Math.min(e + 1, d.length);
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  }
  skipBlankLines(): void {
    const d = this.data;
    while (this.pos < d.length && (d[this.pos] === 10 || d[this.pos] === 13 || d[this.pos] === 32 || d[this.pos] === 9)) this.pos++;
  }
  token(): string {
    const d = this.data;
    let p = this.pos;
    while (p < d.length && (d[p] === 32 || d[p] === 9 || d[p] === 10 || d[p] === 13)) p++;
    if (p >= d.length) throw this.error('ASCII values truncated');
    let s = '';
    while (p < d.length && d[p] !== 32 && d[p] !== 9 && d[p] !== 10 && d[p] !== 13) s += String.fromCharCode(d[p++]!);
    this.pos = p;
    return s;
  }
  num(s: string): number {
    const x = Number(s);
    if (!Number.isNaN(x)) return x;
    if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(s)) return Number.NaN;
    throw this.error(`bad number "${s}"`);
  }
  int(s: string, what: string): number {
    const x = Number(s);
    if (!Number.isInteger(x) || x < 0) throw this.error(`${what}: expected a count, got "${s}"`);
    return x;
  }
  error(msg: string): DataError {
    return new DataError(`${msg} (at byte ${this.pos})`, this.file);
  }
}
