/**
 * Units at the edge, SI inside. Values in files and flags may be plain SI numbers, numbers with a
 * SPICE suffix ("2.5k", "10f", "1meg") or quantities with units ("2.5 kohm", "10 fF", "300 mV",
 * "29 ohm*um^2", "3e10 A/m^2"). They are parsed once into SI numbers, with the dimension checked.
 * Netlists print numbers through `formatSpice`, the one formatter for SPICE suffixes.
 *
 * Quantities with units are parsed by mathjs, loaded lazily (its import is slow) and only when
 * a string actually carries a unit. dB, dBm and % are handled here (mathjs has no logarithmic units).
 */
import { createRequire } from 'node:module';
import { ConfigError } from './errors.ts';

/** Physical dimensions used by fusemix, each with the SI unit its numbers are stored in. */
export const DIMENSIONS = {
  dimensionless: '',
  resistance: 'ohm',
  conductance: 'S',
  capacitance: 'F',
  voltage: 'V',
  current: 'A',
  time: 's',
  frequency: 'Hz',
  length: 'm',
  area: 'm^2',
  energy: 'J',
  power: 'W',
  charge: 'C',
  temperature: 'K',
  'resistance-area': 'ohm*m^2',
  resistivity: 'ohm*m',
  'current-density': 'A/m^2',
  velocity: 'm/s',
  /** mobility-like: wall velocity per unit current density, (m/s)/(A/m^2) */
  'velocity-per-current-density': 'm^3/(A*s)',
  /** level-1 transconductance parameter KP */
  transconductance: 'A/V^2',
  /** channel-length modulation LAMBDA */
  'inverse-voltage': 'V^-1',
  responsivity: 'A/W',
  /** TIA gain */
  transimpedance: 'ohm',
  'current-noise-density': 'A/Hz^0.5',
  angle: 'rad',
  /** energy per bit, per step: stored in J */
  'energy-per-bit': 'J',
  /** insertion loss and other logarithmic ratios: stored in dB, not converted */
  decibel: 'dB',
} as const;
export type Dimension = keyof typeof DIMENSIONS;

const SPICE_SUFFIX: Record<string, number> = {
  t: 1e12,
  g: 1e9,
  meg: 1e6,
  k: 1e3,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
  p: 1e-12,
  f: 1e-15,
};

const NUM = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
const PLAIN_RE = new RegExp(`^\\s*(${NUM})\\s*$`);
const SPICE_RE = new RegExp(`^\\s*(${NUM})(meg|[tgkmunpf])\\s*$`, 'i');
const PERCENT_RE = new RegExp(`^\\s*(${NUM})\\s*%\\s*$`);
const DB_RE = new RegExp(`^\\s*(${NUM})\\s*(dBm|dB)\\s*$`);

// ---------------------------------------------------------------------------------------------
// Fast path: "<number> <unit expression>" with prefixed SI units, * / ^ and parentheses, parsed
// without mathjs (whose import alone would weigh on every CLI start). Anything else falls back to
// mathjs.

/** dimension exponents over [kg, m, s, A, K] and the factor to SI */
interface DimVal {
  dims: number[];
  value: number;
}
const BASE_UNITS: Record<string, [number, number[]]> = {
  m: [1, [0, 1, 0, 0, 0]],
  g: [1e-3, [1, 0, 0, 0, 0]],
  s: [1, [0, 0, 1, 0, 0]],
  A: [1, [0, 0, 0, 1, 0]],
  K: [1, [0, 0, 0, 0, 1]],
  Hz: [1, [0, 0, -1, 0, 0]],
  N: [1, [1, 1, -2, 0, 0]],
  J: [1, [1, 2, -2, 0, 0]],
  eV: [1.602176634e-19, [1, 2, -2, 0, 0]],
  W: [1, [1, 2, -3, 0, 0]],
  C: [1, [0, 0, 1, 1, 0]],
  V: [1, [1, 2, -3, -1, 0]],
  ohm: [1, [1, 2, -3, -2, 0]],
  Ohm: [1, [1, 2, -3, -2, 0]],
  S: [1, [-1, -2, 3, 2, 0]],
  F: [1, [-1, -2, 4, 2, 0]],
  H: [1, [1, 2, -2, -2, 0]],
  T: [1, [1, 0, -2, -1, 0]],
  rad: [1, [0, 0, 0, 0, 0]],
};
const PREFIXES: Record<string, number> = {
  a: 1e-18, f: 1e-15, p: 1e-12, n: 1e-9, u: 1e-6, '\u00b5': 1e-6, m: 1e-3, c: 1e-2, d: 1e-1,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12,
};
const FAST_RE = new RegExp(`^\\s*(${NUM})\\s*([A-Za-z\\u00b5()*/^0-9.\\s-]+)$`);

function unitSymbol(sym: string): DimVal | undefined {
  const b = BASE_UNITS[sym];
  if (b) return { value: b[0], dims: [...b[1]] };
  const p = PREFIXES[sym[0]!];
  const rest = BASE_UNITS[sym.slice(1)];
  if (p !== undefined && rest) return { value: p * rest[0], dims: [...rest[1]] };
  return undefined;
}

/** Parse a unit expression like "ohm*um^2", "A/m^2", "m^3/(A*s)" into dimensions and SI factor. */
function parseUnitExpr(src: string): DimVal | undefined {
  const toks = src.replace(/\s+/g, '').match(/[A-Za-z\u00b5]+|-?\d+(?:\.\d+)?|[()*/^]/g);
  if (!toks || toks.join('') !== src.replace(/\s+/g, '')) return undefined;
  let i = 0;
  const mul = (a: DimVal, b: DimVal, sign: number): DimVal => ({
    value: sign > 0 ? a.value * b.value : a.value / b.value,
    dims: a.dims.map((d, k) => d + sign * b.dims[k]!),
  });
  const factor = (): DimVal | undefined => {
    let base: DimVal | undefined;
    const t = toks[i++];
    if (t === '(') {
      base = term();
      if (toks[i++] !== ')') return undefined;
    } else if (t && /^[A-Za-z\u00b5]+$/.test(t)) base = unitSymbol(t);
    if (!base) return undefined;
    if (toks[i] === '^') {
      i++;
      const e = Number(toks[i++]);
      if (!Number.isFinite(e)) return undefined;
      base = { value: base.value ** e, dims: base.dims.map((d) => d * e) };
    }
    return base;
  };
  const term = (): DimVal | undefined => {
    let acc = factor();
    while (acc && (toks[i] === '*' || toks[i] === '/')) {
      const op = toks[i++];
      const f = factor();
      if (!f) return undefined;
      acc = mul(acc, f, op === '*' ? 1 : -1);
    }
    return acc;
  };
  const r = term();
  return r && i === toks.length ? r : undefined;
}

function parseSimpleUnits(input: string): DimVal | undefined {
  const m = FAST_RE.exec(input);
  if (!m) return undefined;
  const u = parseUnitExpr(m[2]!.trim());
  if (!u) return undefined;
  return { value: Number(m[1]) * u.value, dims: u.dims };
}

const SIG_CACHE = new Map<Dimension, number[] | undefined>();
function siSignature(dim: Dimension): number[] | undefined {
  if (!SIG_CACHE.has(dim)) {
    const si = DIMENSIONS[dim];
    SIG_CACHE.set(dim, si === '' ? [0, 0, 0, 0, 0] : parseUnitExpr(si)?.dims);
  }
  return SIG_CACHE.get(dim);
}

type MathUnit = {
  toSI(): MathUnit;
  equalBase(other: MathUnit): boolean;
  toNumber(unit: string): number;
  value: number | null;
};
type MathJs = { unit(s: string): MathUnit };
let mathjs: MathJs | undefined;
function math(): MathJs {
  if (!mathjs) mathjs = createRequire(import.meta.url)('mathjs') as MathJs;
  return mathjs;
}

export interface ParseContext {
  /** the file the value came from, for error messages */
  file?: string;
  /** the field (dotted path, or flag name) the value came from */
  field?: string;
}

/**
 * Parse a value into an SI number of the given dimension. Throws ConfigError naming the file and
 * field when the value is not a finite number or carries the wrong unit.
 */
export function parseQuantity(input: unknown, dim: Dimension, ctx: ParseContext = {}): number {
  const field = ctx.field ?? 'value';
  const expected = describeDimension(dim);
  const fail = (why = expected): never => {
    throw new ConfigError(ctx.file, field, why, input);
  };
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) fail(`a finite number (${expected})`);
    return input;
  }
  if (typeof input !== 'string') return fail();
  let m = PLAIN_RE.exec(input);
  if (m) return Number(m[1]);
  m = SPICE_RE.exec(input);
  if (m) return Number(m[1]) * SPICE_SUFFIX[m[2]!.toLowerCase()]!;
  m = PERCENT_RE.exec(input);
  if (m) {
    if (dim !== 'dimensionless') fail();
    return Number(m[1]) / 100;
  }
  m = DB_RE.exec(input);
  if (m) {
    const x = Number(m[1]);
    if (m[2] === 'dB') return dim === 'decibel' ? x : fail();
    // dBm: optical or electrical power referred to 1 mW
    return dim === 'power' ? 1e-3 * 10 ** (x / 10) : fail();
  }
  if (dim === 'decibel') return fail();
  const fast = parseSimpleUnits(input);
  if (fast) {
    const want = siSignature(dim);
    if (!want || fast.dims.join(',') !== want.join(',')) return fail();
    if (!Number.isFinite(fast.value)) return fail();
    return cleanFloat(fast.value);
  }
  let u: MathUnit;
  try {
    u = math().unit(input);
  } catch {
    return fail(`${expected}, e.g. "${example(dim)}"`);
  }
  const si = DIMENSIONS[dim];
  if (si === '') {
    // dimensionless quantities with a unit string (e.g. "5 m/m") are rare; accept only if unitless
    try {
      return u.toNumber('');
    } catch {
      return fail();
    }
  }
  let ref: MathUnit;
  try {
    ref = math().unit(`1 ${si}`);
  } catch {
    /* c8 ignore next */
    throw new Error(`internal: bad SI unit for dimension ${dim}`);
  }
  if (!u.equalBase(ref)) fail();
  const v = u.toNumber(si);
  if (!Number.isFinite(v)) fail();
  return cleanFloat(v);
}

/** Remove binary noise such as 1.0000000000000002e-14 from a unit conversion (15 significant digits). */
export function cleanFloat(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(15));
}

export function describeDimension(dim: Dimension): string {
  const si = DIMENSIONS[dim];
  return si === '' ? 'a plain number' : `a ${dim} (a number in ${si}, or with a unit such as "${example(dim)}")`;
}

function example(dim: Dimension): string {
  const ex: Partial<Record<Dimension, string>> = {
    resistance: '2.5 kohm',
    capacitance: '10 fF',
    voltage: '300 mV',
    current: '10 uA',
    time: '1 ns',
    frequency: '1 GHz',
    length: '100 nm',
    area: '0.01 um^2',
    energy: '1 pJ',
    power: '1 mW',
    'resistance-area': '29 ohm*um^2',
    resistivity: '20 uohm*cm',
    'current-density': '3e10 A/m^2',
    transconductance: '300 uA/V^2',
    decibel: '0.99 dB',
  };
  return ex[dim] ?? `1 ${DIMENSIONS[dim]}`;
}

/** Engineering prefixes, largest first (formatQuantity; formatSpice derives its suffixes from them). */
const ENG: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'u'],
  [1e-9, 'n'],
  [1e-12, 'p'],
  [1e-15, 'f'],
  [1e-18, 'a'],
];

/** The SPICE suffixes: the engineering prefixes lower-cased, `meg` for M (SPICE reads m as milli), down to f. */
const FORMAT_STEPS: Array<[number, string]> = ENG.filter(([s]) => s >= 1e-15).map(([s, p]) => [s, p === 'M' ? 'meg' : p.toLowerCase()]);

/**
 * Format an SI number for a SPICE netlist with a suffix (f p n u m k meg g t) and up to `digits`
 * significant digits (default 10, enough that parse(format(x)) equals x to ~1e-10 relative).
 */
export function formatSpice(x: number, digits = 10): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot format ${x} for SPICE`);
  if (x === 0) return '0';
  const ax = Math.abs(x);
  let scale = 1;
  let suffix = '';
  if (ax < 1e-15 * 0.9999999999) {
    return trimNumber(x.toExponential(digits - 1));
  }
  for (const [s, suf] of FORMAT_STEPS) {
    if (ax >= s * 0.9999999999995) {
      scale = s;
      suffix = suf;
      break;
    }
  }
  if (ax >= 1e15) return trimNumber(x.toExponential(digits - 1));
  const mant = Number((x / scale).toPrecision(digits));
  return `${trimNumber(String(mant))}${suffix}`;
}

function trimNumber(s: string): string {
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    return `${trimNumber(m!)}e${e}`;
  }
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Human-readable engineering notation with a unit, e.g. formatQuantity(2500, 'ohm') = "2.5 kohm". */
export function formatQuantity(x: number, unit: string, digits = 4): string {
  if (!Number.isFinite(x)) return `${x} ${unit}`.trim();
  if (unit === '' || unit === 'dB' || x === 0) return `${Number(x.toPrecision(digits))}${unit ? ` ${unit}` : ''}`;
  // compound units (ohm*m^2, A/m^2) are printed in plain SI with exponent notation
  if (/[*/^]/.test(unit)) return `${Number(x.toPrecision(digits)).toExponential()} ${unit}`.replace(/\.?0+e/, 'e');
  const ax = Math.abs(x);
  for (const [s, p] of ENG) {
    if (ax >= s * 0.9999999) return `${Number((x / s).toPrecision(digits))} ${p}${unit}`;
  }
  return `${Number(x.toPrecision(digits))} ${unit}`;
}
