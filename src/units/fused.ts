/**
 * The fused MACAM activation unit: one column of K MACAM rows turns an analog input into the code of a
 * quantised nonlinear activation in a single search (activation and A/D conversion "fused").
 *
 * Reconstruction (the paper's exact mapping is not public; this is ours, docs/reference.md):
 *  - the output is quantised to b bits over [yLo, yHi] (round to nearest, `quantiseOutput`);
 *  - the code changes where f crosses a level boundary: on every monotone piece of f the thresholds
 *    are t = f^-1(boundary); non-monotone functions (gelu, silu) give several intervals per code;
 *    neighbouring intervals with the same code are merged; each remaining interval is one row
 *    [t_k, t_k+1) storing its code;
 *  - an input driver maps x in [xLo, xHi] linearly onto the data-line window [vMin, vMax] that the
 *    cell can bound (clamping outside), so row k must store [V(t_k), V(t_k+1));
 *  - programming snaps each row's upper bound to the nearest achievable V_hi and its lower bound to the
 *    nearest achievable V_lo that leaves no gap below it (V_lo <= the previous row's V_hi);
 *  - the matched row with the lowest index wins (priority encoder); if no row matches (possible only
 *    with variation) the encoder's invalid output, code 0, comes out and is counted as a miss.
 * The transfers (ideal, of a column, the O(1) lookup): ./transfer.ts.
 *
 * Over 500 lines because programming a column (row intervals, the nominal tables and their memo,
 * per-instance variation, energy) is one idea whose parts share the column type.
 */
import { ConfigError } from '../core/errors.ts';
import { stream } from '../core/rng.ts';
import {
  type BoundSolver,
  type CellBoundSolver,
  type CellDeviation,
  type EnergyBreakdown,
  type MacamCell,
  boundRange,
  boundSolverFor,
  cellSigmas,
  loadMacamCell,
  sampleDeviation,
  searchEnergy,
  snapPositionForBound,
  stablePositions,
  sumItems,
} from '../devices/macam.ts';
import { type Activation, activationRangeOn, getActivation } from './activations.ts';
import { type Transfer, type TransferLookup, columnTransfer, idealTransfer, lookupCode, segmentOf, transferCode } from './transfer.ts';

export { type Transfer, type TransferLookup, idealTransfer, lookupCode, transferCode } from './transfer.ts';

/**
 * Default input ranges per built-in function (pre-activation values). ReLU-like functions start at 0:
 * every negative input is clamped to 0 by the driver and gives code 0 anyway, so the whole data-line
 * window serves the positive half.
 */
export const DEFAULT_INPUT_RANGES: Record<string, [number, number]> = {
  relu: [0, 4],
  relu6: [0, 6],
  sigmoid: [-6, 6],
  tanh: [-3, 3],
  gelu: [-4, 4],
  silu: [-6, 6],
  hardswish: [-3, 3],
  identity: [-2, 2],
};

export interface FusedUnitOptions {
  /** activation name or an Activation (e.g. from tableActivation) */
  fn: string | Activation;
  bits: number;
  /** input (pre-activation) range [xLo, xHi] mapped onto the data-line window */
  inputRange?: [number, number];
  /** output range quantised over; default: the range of f over the input range */
  outputRange?: [number, number];
  /** cell preset name/path, or a resolved cell */
  cell?: string | MacamCell;
  /** fraction of the data-line window left free at each end (robustness of the end rows) */
  driveMargin?: number;
  /** how far (V) each row's lower bound is placed below the previous row's upper bound (default 50 mV, about 3 sigma of the measured cell's bound spread):
   * the priority encoder resolves the overlap, and it keeps variation from opening gaps */
  overlap?: number;
  /**
   * one seeded variation instance: per-row device deviations drawn from stream(seed, 'unit-variation', row).
   * `bounds`: the instance's actual bounds per row (V; -/+Infinity for disabled branches), as a unit of
   * the same options and seed computed them (columnBounds), e.g. in another thread: taken instead of
   * being solved again (a row count that does not fit is a RangeError)
   */
  variation?: { seed: number | string; bounds?: ColumnBounds } | undefined;
  /**
   * how bounds are found (see BoundSolver; the two agree to the solver tolerance, not bit for bit):
   * 'root' (default), or 'bisect', the reference kept for benchmarks and checks
   */
  boundSolver?: BoundSolver;
}

/** The actual lower and upper bound (V) of every row of a variation instance. */
export interface ColumnBounds {
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/** The actual bounds of a unit's rows (for `variation.bounds`), or undefined without variation. */
export function columnBounds(u: FusedUnit): ColumnBounds | undefined {
  if (u.variationSeed === undefined) return undefined;
  return { lo: u.rows.map((r) => r.vLoActual!), hi: u.rows.map((r) => r.vHiActual!) };
}

export interface Row {
  code: number;
  /** ideal interval in x */
  xLo: number;
  xHi: number;
  /** ideal bounds in data-line volts */
  vLoTarget: number;
  vHiTarget: number;
  /** programmed wall positions (AP fraction) of M1 and M2 */
  fLo: number;
  fHi: number;
  /** programmed (nominal) bounds */
  vLo: number;
  vHi: number;
  /** false for the first row's lower branch and the last row's upper branch: those pull-downs are
   * disabled (open-ended intervals), so the ends of the input range can never miss */
  loEnabled: boolean;
  hiEnabled: boolean;
  /** bounds of this instance with variation, when a variation seed was given */
  vLoActual?: number;
  vHiActual?: number;
}

export interface FusedUnit {
  readonly kind: 'fused-macam';
  readonly fn: Activation;
  readonly bits: number;
  readonly inputRange: [number, number];
  readonly outputRange: [number, number];
  readonly cell: MacamCell;
  /** data-line window the input is driven onto */
  readonly window: [number, number];
  readonly rows: Row[];
  /** ideal code-change points (x) and codes */
  readonly ideal: Transfer;
  /** as programmed (nominal devices) */
  readonly programmed: Transfer;
  /** with the variation instance, when one was drawn (else the programmed transfer) */
  readonly actual: Transfer;
  readonly variationSeed?: number | string;
  /** x -> V_DL */
  drive(x: number): number;
  /** code of one input (uses the actual transfer) */
  evaluate(x: number): number;
  /** batch path over Float64Array inputs */
  evaluateBatch(xs: Float64Array, out?: Int32Array): Int32Array;
  /** the actual transfer as evaluateBatch reads it (lookupCode): for loops over many units' inputs */
  readonly lookup: TransferLookup;
  /** value of a code on the output scale */
  codeValue(code: number): number;
}

function resolveFn(fn: string | Activation): Activation {
  return typeof fn === 'string' ? getActivation(fn) : fn;
}

/** Most output bits of a fused unit: the rows of one column (2^bits - 1) must stay a few thousand. */
export const MAX_UNIT_BITS = 12;

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_UNIT_BITS) throw new ConfigError(undefined, '--bits', `an integer from 1 to ${MAX_UNIT_BITS} (a column holds at most 2^${MAX_UNIT_BITS} - 1 = ${2 ** MAX_UNIT_BITS - 1} rows; its transfer tables and netlists grow as 2^bits)`, bits);
}

type BoundEntry = Readonly<{ f: number; v: number }>;

/** The nominal bounds a unit's programming needs from its cell: they depend on the cell alone. */
interface NominalTables {
  range: { lo: [number, number]; hi: [number, number] };
  /** achievable bounds of notched devices (undefined for a continuous device) */
  loTable: BoundEntry[] | undefined;
  hiTable: BoundEntry[] | undefined;
  lowestLo: BoundEntry;
  highestHi: BoundEntry;
}

function nominalTables(bs: CellBoundSolver): NominalTables {
  const cell = bs.cell;
  const entry = (f: number, v: number): BoundEntry => Object.freeze({ f, v });
  const range = boundRange(cell, bs);
  const loTable = cell.lo.notches.length ? stablePositions(cell.lo).map((f) => entry(f, bs.bound('lo', f))) : undefined;
  const hiTable = cell.hi.notches.length ? stablePositions(cell.hi).map((f) => entry(f, bs.bound('hi', f))) : undefined;
  const lowestLo = loTable ? loTable.reduce((a, b) => (b.v < a.v ? b : a)) : entry(1, bs.bound('lo', 1));
  const highestHi = hiTable ? hiTable.reduce((a, b) => (b.v > a.v ? b : a)) : entry(0, bs.bound('hi', 0));
  return { range, loTable, hiTable, lowestLo, highestHi };
}

/** The nominal programming of a unit: everything but the variation instance. */
interface NominalProgramming {
  xr: [number, number];
  yr: [number, number];
  ideal: Transfer;
  win: [number, number];
  /** rows as programmed (without the instance's actual bounds) */
  rows: readonly Readonly<Row>[];
  programmed: Transfer;
  /** the cell's bound solver for the variation instances' actual bounds */
  bounds: CellBoundSolver;
}

function programNominal(fn: Activation, opts: FusedUnitOptions, cell: MacamCell, solver: BoundSolver): NominalProgramming {
  const xr = opts.inputRange ?? DEFAULT_INPUT_RANGES[fn.name] ?? [-4, 4];
  if (!(xr[1] > xr[0])) throw new ConfigError(undefined, '--range', 'lo,hi with hi > lo', xr.join(','));
  const fr = activationRangeOn(fn, xr[0], xr[1]);
  const yr: [number, number] = opts.outputRange ?? [fr.lo, fr.hi];
  if (!(yr[1] > yr[0])) throw new ConfigError(undefined, 'outputRange', 'hi > lo (f is constant on this input range?)', yr.join(','));
  const ideal = idealTransfer(fn, opts.bits, xr, yr);

  // the data-line window the cell can bound: [lowest V_lo, highest V_hi], less a margin
  const bounds = boundSolverFor(cell, solver);
  const tables = nominalTables(bounds);
  const br = tables.range;
  const w0 = Math.min(br.lo[0], br.lo[1]);
  const w1 = Math.max(br.hi[0], br.hi[1]);
  if (!(w1 > w0)) throw new ConfigError(cell.name, 'params', 'a cell whose V_lo and V_hi ranges overlap (a usable window)', `V_lo >= ${w0}, V_hi <= ${w1}`);
  const m = (opts.driveMargin ?? 0) * (w1 - w0);
  const win: [number, number] = [w0 + m, w1 - m];
  const drive = driveOf(xr, win);
  const toX = toXOf(xr, win);

  // achievable bound tables for notched devices (computed once per cell)
  const { loTable, hiTable, lowestLo, highestHi } = tables;

  // 1. upper bounds: nearest achievable V_hi to each code-change point; the last row is open-ended
  const targets: number[] = Array.from(ideal.breakpoints, (x) => drive(x));
  const his: Array<{ f: number; v: number }> = targets.map((t) => snapPositionForBound(cell, 'hi', t, hiTable, bounds));
  // 2. rows whose upper bound did not rise above the previous one never win: drop them
  const keep: number[] = [];
  for (let k = 0; k < his.length; k++) {
    if (keep.length === 0 || his[k]!.v > his[keep[keep.length - 1]!]!.v) keep.push(k);
  }
  const nRows = keep.length + 1;
  const overlap = opts.overlap ?? 0.05;
  const rows: Row[] = [];
  for (let r = 0; r < nRows; r++) {
    const k = keep[r];
    const hi = k === undefined ? { ...highestHi, v: Number.POSITIVE_INFINITY } : his[k]!;
    let lo: { f: number; v: number };
    const prevHi = r === 0 ? Number.NEGATIVE_INFINITY : rows[r - 1]!.vHi;
    if (r === 0) lo = { ...lowestLo, v: Number.NEGATIVE_INFINITY };
    else {
      // the lower bound overlaps the previous row's upper bound by `overlap` (priority resolves it)
      lo = snapPositionForBound(cell, 'lo', prevHi - overlap, loTable, bounds);
      if (lo.v > prevHi) {
        // never leave a gap: the highest achievable V_lo not above the previous V_hi (the lowest one
        // always qualifies, because the data-line window starts there)
        const ok = (loTable ?? []).filter((e) => e.v <= prevHi);
        lo = ok.reduce((a, b) => (b.v > a.v ? b : a), lowestLo);
      }
    }
    const xa = r === 0 ? xr[0] : toX(prevHi);
    const xb = hi.v === Number.POSITIVE_INFINITY ? xr[1] : toX(hi.v);
    rows.push({
      code: 0,
      xLo: Math.max(xr[0], xa),
      xHi: Math.min(xr[1], xb),
      vLoTarget: r === 0 ? Number.NEGATIVE_INFINITY : prevHi - overlap,
      vHiTarget: k === undefined ? Number.POSITIVE_INFINITY : targets[k]!,
      fLo: lo.f,
      fHi: hi.f,
      vLo: lo.v,
      vHi: hi.v,
      loEnabled: r !== 0,
      hiEnabled: k !== undefined,
    });
  }
  // 3. each row outputs the code nearest the mean ideal code over its programmed interval; the end
  //    rows also serve every clamped input beyond the range, so they keep the ideal end codes
  rows[0]!.code = transferCode(ideal, xr[0], xr);
  rows[rows.length - 1]!.code = transferCode(ideal, xr[1], xr);
  for (const row of rows.slice(1, -1)) {
    const n = 64;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = row.xLo + ((row.xHi - row.xLo) * (i + 0.5)) / n;
      sum += transferCode(ideal, x, xr);
    }
    row.code = Math.round(sum / n);
  }
  const codes = rows.map((r) => r.code);
  const programmed = columnTransfer(
    rows.map((r) => r.vLo),
    rows.map((r) => r.vHi),
    codes,
    toX,
  );
  return { xr, yr, ideal, win, rows, programmed, bounds };
}

const driveOf =
  (xr: [number, number], win: [number, number]) =>
  (x: number): number => {
    const xc = x < xr[0] ? xr[0] : x > xr[1] ? xr[1] : x;
    return win[0] + ((xc - xr[0]) / (xr[1] - xr[0])) * (win[1] - win[0]);
  };
const toXOf =
  (xr: [number, number], win: [number, number]) =>
  (v: number): number =>
    xr[0] + ((v - win[0]) / (win[1] - win[0])) * (xr[1] - xr[0]);

/**
 * programNominal, remembered per cell and activation object and the options that shape it (the solver
 * among them): a column pool programs the same unit over and over, only the variation instances
 * differ, and the nominal programming is the larger part of a column's work (bench/columns.ts). Keyed
 * on the cell's parameters too (a cell changed in place is never served a stale programming).
 */
const nominalCache = new WeakMap<MacamCell, WeakMap<Activation, Map<string, { cellKey: string; nominal: NominalProgramming }>>>();
function cachedNominal(fn: Activation, opts: FusedUnitOptions, cell: MacamCell, solver: BoundSolver): NominalProgramming {
  const cellKey = JSON.stringify([cell.params, cell.lo, cell.hi, cell.nmos, cell.pmos]);
  const key = JSON.stringify([solver, opts.bits, opts.inputRange ?? null, opts.outputRange ?? null, opts.driveMargin ?? 0, opts.overlap ?? 0.05]);
  let byFn = nominalCache.get(cell);
  if (!byFn) nominalCache.set(cell, (byFn = new WeakMap()));
  let byKey = byFn.get(fn);
  if (!byKey) byFn.set(fn, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit && hit.cellKey === cellKey) return hit.nominal;
  const nominal = programNominal(fn, opts, cell, solver);
  byKey.set(key, { cellKey, nominal });
  return nominal;
}

const copyTransfer = (t: Transfer): Transfer => ({ breakpoints: Float64Array.from(t.breakpoints), codes: Int32Array.from(t.codes) });

/** Program a fused MACAM activation unit. */
export function createFusedUnit(opts: FusedUnitOptions): FusedUnit {
  checkBits(opts.bits);
  const fn = resolveFn(opts.fn);
  const cell = typeof opts.cell === 'object' ? opts.cell : loadMacamCell(opts.cell ?? 'macam-measured');
  const solver = opts.boundSolver ?? 'root';
  const nominal = cachedNominal(fn, opts, cell, solver);
  // the caller's (or the default) input range array, as before; fresh copies of the rest
  const xr = opts.inputRange ?? DEFAULT_INPUT_RANGES[fn.name] ?? [nominal.xr[0], nominal.xr[1]];
  const yr: [number, number] = [nominal.yr[0], nominal.yr[1]];
  const win: [number, number] = [nominal.win[0], nominal.win[1]];
  const ideal = copyTransfer(nominal.ideal);
  const programmed = copyTransfer(nominal.programmed);
  const rows: Row[] = nominal.rows.map((r) => ({ ...r }));
  const codes = rows.map((r) => r.code);
  const drive = driveOf(xr, win);
  const toX = toXOf(xr, win);
  let actual = programmed;
  if (opts.variation) {
    const given = opts.variation.bounds;
    if (given) {
      if (given.lo.length !== rows.length || given.hi.length !== rows.length) {
        throw new RangeError(`variation.bounds: ${given.lo.length} / ${given.hi.length} bounds for a unit of ${rows.length} rows`);
      }
      rows.forEach((r, k) => {
        r.vLoActual = given.lo[k]!;
        r.vHiActual = given.hi[k]!;
      });
    } else {
      const sig = cellSigmas(cell);
      rows.forEach((r, k) => {
        const dev: CellDeviation = sampleDeviation(stream(opts.variation!.seed, 'unit-variation', k), sig);
        r.vLoActual = r.loEnabled ? nominal.bounds.bound('lo', r.fLo, dev, 1e-7) : Number.NEGATIVE_INFINITY;
        r.vHiActual = r.hiEnabled ? nominal.bounds.bound('hi', r.fHi, dev, 1e-7) : Number.POSITIVE_INFINITY;
      });
    }
    actual = columnTransfer(
      rows.map((r) => r.vLoActual!),
      rows.map((r) => r.vHiActual!),
      codes,
      toX,
    );
  }
  const bp = actual.breakpoints;
  const cs = actual.codes;
  const [x0, x1] = xr;
  const maxCode = 2 ** opts.bits - 1;
  const nBuckets = Math.max(64, 16 * (bp.length + 1));
  const bucketScale = nBuckets / (x1 - x0);
  const bucketSeg = new Int32Array(nBuckets + 1);
  for (let b = 0; b <= nBuckets; b++) bucketSeg[b] = segmentOf(bp, Math.min(x1, x0 + b / bucketScale));
  // a bucket's left edge may round above the true edge: step back so the forward scan never overshoots
  for (let b = 0; b <= nBuckets; b++) {
    const edge = x0 + b / bucketScale;
    let sg = bucketSeg[b]!;
    while (sg > 0 && bp[sg - 1]! > edge - 1e-12 * Math.max(1, Math.abs(edge))) sg--;
    bucketSeg[b] = sg;
  }
  const lookup: TransferLookup = { x0, x1, bucketScale, bucketSeg, breakpoints: bp, codes: cs };
  const unit: FusedUnit = {
    kind: 'fused-macam',
    fn,
    bits: opts.bits,
    inputRange: xr,
    outputRange: yr,
    cell,
    window: win,
    rows,
    ideal,
    programmed,
    actual,
    ...(opts.variation ? { variationSeed: opts.variation.seed } : {}),
    drive,
    evaluate: (x) => transferCode(actual, x, xr),
    evaluateBatch(xs, out = new Int32Array(xs.length)) {
      for (let i = 0; i < xs.length; i++) out[i] = lookupCode(lookup, xs[i]!);
      return out;
    },
    lookup,
    codeValue: (c) => yr[0] + (c * (yr[1] - yr[0])) / maxCode,
  };
  return unit;
}

export interface TransferError {
  /** inputs compared (uniform grid over the input range) */
  samples: number;
  maxLsb: number;
  rmsLsb: number;
  /** fraction of inputs whose code differs from the ideal quantised activation */
  mismatchFraction: number;
  /** inputs that matched no row (code 0 from the encoder's invalid output) */
  missFraction: number;
}

/** Error of any code function against the ideal quantised activation on a uniform grid of inputs. */
export function gridError(unit: FusedUnit, codeOf: (x: number) => number, samples = 20001): Omit<TransferError, 'missFraction'> {
  const [x0, x1] = unit.inputRange;
  let max = 0;
  let ss = 0;
  let diff = 0;
  for (let i = 0; i < samples; i++) {
    const x = x0 + ((x1 - x0) * i) / (samples - 1);
    const e = Math.abs(codeOf(x) - transferCode(unit.ideal, x, unit.inputRange));
    if (e > max) max = e;
    ss += e * e;
    if (e !== 0) diff++;
  }
  return { samples, maxLsb: max, rmsLsb: Math.sqrt(ss / samples), mismatchFraction: diff / samples };
}

/** Error of a transfer against the ideal quantised activation on a uniform grid of inputs. */
export function transferError(unit: FusedUnit, which: 'programmed' | 'actual' = 'actual', samples = 20001): TransferError {
  const t = which === 'programmed' ? unit.programmed : unit.actual;
  return { ...gridError(unit, (x) => transferCode(t, x, unit.inputRange), samples), missFraction: missFraction(unit, which) };
}

function missFraction(unit: FusedUnit, which: 'programmed' | 'actual'): number {
  const useActual = which === 'actual' && unit.variationSeed !== undefined;
  const lo = unit.rows.map((r) => (useActual ? r.vLoActual! : r.vLo));
  const hi = unit.rows.map((r) => (useActual ? r.vHiActual! : r.vHi));
  const n = 2001;
  let miss = 0;
  for (let i = 0; i < n; i++) {
    const v = unit.window[0] + ((unit.window[1] - unit.window[0]) * i) / (n - 1);
    if (!lo.some((l, k) => l <= v && v < hi[k]!)) miss++;
  }
  return miss / n;
}

/**
 * Energy of one activation (J), itemised, averaged over inputs spread uniformly over the input range:
 *  search: static divider and inverter currents of all rows over t_eval;
 *  matchLine: recharging every discharged match line;
 *  dataLine: driving the data line (gates of T1 and T3 in every row plus wire) from V_DD;
 *  encoder, sense: priority encoder and sense amplifiers, per row.
 */
export function fusedEnergy(unit: FusedUnit, points = 9): EnergyBreakdown {
  const c = unit.cell;
  const p = c.params;
  let stat = 0;
  let ml = 0;
  let meanV = 0;
  for (let i = 0; i < points; i++) {
    const v = unit.window[0] + ((unit.window[1] - unit.window[0]) * (i + 0.5)) / points;
    meanV += v / points;
    for (const r of unit.rows) {
      const e = searchEnergy(c, r.fLo, r.fHi, v, undefined, { lo: r.loEnabled, hi: r.hiEnabled });
      stat += (e.items.lowerDivider! + e.items.upperDivider! + e.items.inverter!) / points;
      ml += e.items.matchLine! / points;
    }
  }
  const k = unit.rows.length;
  const cDl = k * (c.nmos.cgate * (p.wlT1 + p.wlT3) + p.cDlWire);
  return sumItems(
    {
      search: stat,
      matchLine: ml,
      dataLine: cDl * p.vdd * meanV,
      encoder: k * p.encoderEnergyPerRow,
      sense: k * p.senseEnergy,
    },
    {
      search: `${c.presets.cell}: vsl, tEval; ${c.presets.dwmtjLo}/${c.presets.dwmtjHi}; ${c.presets.nmos}/${c.presets.pmos}`,
      matchLine: `${c.presets.cell}.cMl (${c.sources[`${c.presets.cell}.cMl`]})`,
      dataLine: `${c.presets.nmos}.cgate, ${c.presets.cell}.cDlWire (assumptions)`,
      encoder: `${c.presets.cell}.encoderEnergyPerRow (${c.sources[`${c.presets.cell}.encoderEnergyPerRow`]})`,
      sense: `${c.presets.cell}.senseEnergy (${c.sources[`${c.presets.cell}.senseEnergy`]})`,
    },
  );
}

/** The transfer curve on a grid: x, ideal code, programmed code, actual code. */
export function transferCurve(unit: FusedUnit, n = 401): { x: Float64Array; ideal: Int32Array; programmed: Int32Array; actual: Int32Array } {
  const x = new Float64Array(n);
  const ideal = new Int32Array(n);
  const programmed = new Int32Array(n);
  const actual = new Int32Array(n);
  const [x0, x1] = unit.inputRange;
  for (let i = 0; i < n; i++) {
    x[i] = x0 + ((x1 - x0) * i) / (n - 1);
    ideal[i] = transferCode(unit.ideal, x[i]!, unit.inputRange);
    programmed[i] = transferCode(unit.programmed, x[i]!, unit.inputRange);
    actual[i] = transferCode(unit.actual, x[i]!, unit.inputRange);
  }
  return { x, ideal, programmed, actual };
}
