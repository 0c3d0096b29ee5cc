/**
 * Verification of the behavioral path against SPICE.
 *
 * Cell bounds: the bounds of a cell's branches found in SPICE by the bound search (bound-search.ts)
 * against lowerBound / upperBound (verifyCell).
 *
 * Unit codes: one column instance per input (shared data line from the input driver, per-row ML,
 * sense comparators, priority encoder, all in the netlist), the code read at t_eval; compared with
 * the unit's behavioral `evaluate(x)`, also restricted to inputs whose data-line voltage is farther
 * than `awayMargin` from every behavioral bound.
 */
import { ConfigError } from '../core/errors.ts';
import { type MacamCell, lowerBound, stablePositions, upperBound } from '../devices/macam.ts';
import type { FusedUnit } from '../units/fused.ts';
import type { EngineKind } from './engine.ts';
import { vector } from './engine.ts';
import { type TransistorModel, renderUnit, unitNodes } from './netlist.ts';
import { EnginePool } from './pool.ts';
import { type Branch, type BoundTarget, type CustomLibrary, type SearchOptions, type SearchStats, enginePool, spiceBounds, withLibrary } from './bound-search.ts';

// ---------------------------------------------------------------------------------------------
// Cell verification

export interface BoundCheck {
  branch: Branch;
  /** AP fraction of the branch's DW-MTJ */
  f: number;
  /** row of a unit, when the bound belongs to one */
  row?: number;
  behavioral: number;
  spice: number;
  /** |spice - behavioral| (V); 0 when both are the same infinity */
  error: number;
}

export interface CellVerifyReport {
  kind: 'cell';
  engine: EngineKind;
  model: TransistorModel;
  preset: string;
  bounds: BoundCheck[];
  maxBoundError: number;
  tolerance: number;
  pass: boolean;
  search: SearchStats;
}

function boundError(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b);
}

/** Positions checked for a branch: its stable notches, or a 9-point grid for a continuous device. */
export function checkPositions(cell: MacamCell, branch: Branch): number[] {
  const d = branch === 'lo' ? cell.lo : cell.hi;
  const s = stablePositions(d);
  return s.length ? s : Array.from({ length: 9 }, (_, i) => i / 8);
}

export interface VerifyCommon {
  engine?: EngineKind;
  model?: TransistorModel;
  /** bound tolerance (V), default 2 mV */
  tolerance?: number;
  /** reuse a pool (else one is made and closed) */
  pool?: EnginePool;
  threads?: number;
  search?: SearchOptions;
  /** a transistor library in place of `model`'s (see CustomLibrary) */
  library?: CustomLibrary;
}

async function withPool<T>(o: VerifyCommon, f: (pool: EnginePool) => Promise<T>): Promise<T> {
  if (o.pool) return f(o.pool);
  const pool = enginePool(o.engine ?? 'wasm', o.threads);
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}

/** Every stable bound of a cell (both branches) in SPICE vs the behavioral lowerBound / upperBound. */
export async function verifyCell(cell: MacamCell, o: VerifyCommon = {}): Promise<CellVerifyReport> {
  const engine = o.engine ?? o.pool?.kind ?? 'wasm';
  const model = o.model ?? 'level1';
  const tolerance = o.tolerance ?? 2e-3;
  const targets: BoundTarget[] = [
    ...checkPositions(cell, 'lo').map((f) => ({ branch: 'lo' as const, fLo: f, fHi: 0 })),
    ...checkPositions(cell, 'hi').map((f) => ({ branch: 'hi' as const, fLo: 0, fHi: f })),
  ];
  const { bounds, stats } = await withPool(o, (pool) => spiceBounds(cell, targets, pool, { ...o.search, model, ...(o.library ? { library: o.library } : {}) }));
  const checks: BoundCheck[] = targets.map((t, i) => {
    const f = t.branch === 'lo' ? t.fLo : t.fHi;
    const behavioral = t.branch === 'lo' ? lowerBound(cell, f) : upperBound(cell, f);
    return { branch: t.branch, f, behavioral, spice: bounds[i]!, error: boundError(bounds[i]!, behavioral) };
  });
  const maxBoundError = checks.reduce((m, c) => Math.max(m, c.error), 0);
  return { kind: 'cell', engine, model, preset: cell.name, bounds: checks, maxBoundError, tolerance, pass: maxBoundError <= tolerance, search: stats };
}

// ---------------------------------------------------------------------------------------------
// Unit verification

export interface UnitVerifyOptions extends VerifyCommon {
  /** inputs to search (default: `count` inputs evenly over the input range, ends excluded) */
  inputs?: Float64Array | number[];
  count?: number;
  /** inputs per netlist (default 12) */
  chunk?: number;
  /** an input counts as "away" when its data-line voltage is farther than this from every bound (V), default 2 mV */
  awayMargin?: number;
  /** minimum agreement on away inputs, default 0.999 */
  minAgreementAway?: number;
  /** skip the per-row bound search (codes only) */
  codesOnly?: boolean;
}

export interface CodeMismatch {
  x: number;
  vdl: number;
  spice: number;
  behavioral: number;
  /** distance of V_DL to the nearest behavioral bound (V) */
  margin: number;
}

export interface UnitVerifyReport {
  kind: 'unit';
  engine: EngineKind;
  model: TransistorModel;
  preset: string;
  fn: string;
  bits: number;
  rows: number;
  bounds: BoundCheck[];
  maxBoundError: number;
  inputs: number;
  codeAgreement: number;
  inputsAway: number;
  codeAgreementAway: number;
  /** max |V(dl) - unit.drive(x)| over the inputs (V): the driver's rendering */
  maxDriveError: number;
  mismatches: CodeMismatch[];
  tolerance: number;
  minAgreementAway: number;
  pass: boolean;
  search?: SearchStats;
  codeRuns: number;
  elapsedMs: number;
}

/** Simulate a unit's codes for inputs: returns codes and V_DL per input. */
export async function spiceCodes(
  unit: FusedUnit,
  inputs: Float64Array | readonly number[],
  pool: EnginePool,
  opts: { model?: TransistorModel; chunk?: number; library?: CustomLibrary } = {},
): Promise<{ codes: Int32Array; vdl: Float64Array; runs: number }> {
  const chunk = opts.chunk ?? 12;
  const xs = Array.from(inputs);
  const items: Array<{ netlist: string; name: string }> = [];
  for (let i = 0; i < xs.length; i += chunk) {
    const part = xs.slice(i, i + chunk);
    const net = renderUnit(unit, { inputs: part, model: opts.model ?? 'level1', what: `unit code probes ${i}..${i + part.length - 1}` });
    items.push({ netlist: withLibrary(net, unit.cell, opts.model ?? 'level1', opts.library), name: `unit inputs ${i}..${i + part.length - 1}` });
  }
  const results = await pool.runMany(items);
  const codes = new Int32Array(xs.length);
  const vdl = new Float64Array(xs.length);
  const k = unit.rows.length;
  results.forEach((res, j) => {
    for (let q = 0; q < chunk && j * chunk + q < xs.length; q++) {
      const n = unitNodes(q, k);
      const c = vector(res, n.code, 'tran');
      const d = vector(res, n.dl, 'tran');
      codes[j * chunk + q] = Math.round(c[c.length - 1]!);
      vdl[j * chunk + q] = d[d.length - 1]!;
    }
  });
  return { codes, vdl, runs: items.length };
}

/** Default inputs: n evenly spaced inside the input range (ends excluded). */
export function defaultInputs(unit: FusedUnit, n = 300): Float64Array {
  const [x0, x1] = unit.inputRange;
  return Float64Array.from({ length: n }, (_, i) => x0 + ((x1 - x0) * (i + 0.5)) / n);
}

/** Verify a fused unit: each row's enabled bounds, and the codes over a sweep of inputs. */
export async function verifyUnit(unit: FusedUnit, o: UnitVerifyOptions = {}): Promise<UnitVerifyReport> {
  const t0 = Date.now();
  const engine = o.engine ?? o.pool?.kind ?? 'wasm';
  const model = o.model ?? 'level1';
  const tolerance = o.tolerance ?? 2e-3;
  const awayMargin = o.awayMargin ?? 2e-3;
  const minAgreementAway = o.minAgreementAway ?? 0.999;
  if (unit.variationSeed !== undefined) throw new ConfigError(undefined, 'unit', 'a unit without a variation instance (nominal devices)', `variation seed ${String(unit.variationSeed)}`);
  const cell = unit.cell;
  const inputs = o.inputs ? Float64Array.from(o.inputs) : defaultInputs(unit, o.count ?? 300);
  return withPool(o, async (pool) => {
    const targets: Array<BoundTarget & { row: number }> = [];
    unit.rows.forEach((r, i) => {
      if (r.loEnabled) targets.push({ branch: 'lo', fLo: r.fLo, fHi: r.fHi, row: i });
      if (r.hiEnabled) targets.push({ branch: 'hi', fLo: r.fLo, fHi: r.fHi, row: i });
    });
    let checks: BoundCheck[] = [];
    let search: SearchStats | undefined;
    if (!o.codesOnly) {
      // identical (branch, f) pairs are searched once
      const key = (t: BoundTarget) => `${t.branch}:${t.branch === 'lo' ? t.fLo : t.fHi}`;
      const uniq = new Map<string, BoundTarget>();
      for (const t of targets) if (!uniq.has(key(t))) uniq.set(key(t), { branch: t.branch, fLo: t.branch === 'lo' ? t.fLo : 0, fHi: t.branch === 'hi' ? t.fHi : 0 });
      const list = [...uniq.values()];
      const res = await spiceBounds(cell, list, pool, { ...o.search, model, ...(o.library ? { library: o.library } : {}) });
      search = res.stats;
      const found = new Map(list.map((t, i) => [key(t), res.bounds[i]!]));
      checks = targets.map((t) => {
        const behavioral = t.branch === 'lo' ? unit.rows[t.row]!.vLo : unit.rows[t.row]!.vHi;
        const spice = found.get(key(t))!;
        return { branch: t.branch, f: t.branch === 'lo' ? t.fLo : t.fHi, row: t.row, behavioral, spice, error: boundError(spice, behavioral) };
      });
    }
    const { codes, vdl, runs } = await spiceCodes(unit, inputs, pool, { model, ...(o.chunk ? { chunk: o.chunk } : {}), ...(o.library ? { library: o.library } : {}) });
    const bnds = unit.rows.flatMap((r) => [r.loEnabled ? r.vLo : NaN, r.hiEnabled ? r.vHi : NaN]).filter(Number.isFinite);
    let agree = 0;
    let away = 0;
    let agreeAway = 0;
    let maxDriveError = 0;
    const mismatches: CodeMismatch[] = [];
    inputs.forEach((x, i) => {
      const v = unit.drive(x);
      maxDriveError = Math.max(maxDriveError, Math.abs(vdl[i]! - v));
      const margin = bnds.reduce((m, b) => Math.min(m, Math.abs(v - b)), Number.POSITIVE_INFINITY);
      const beh = unit.evaluate(x);
      const ok = beh === codes[i];
      if (ok) agree++;
      else mismatches.push({ x, vdl: v, spice: codes[i]!, behavioral: beh, margin });
      if (margin > awayMargin) {
        away++;
        if (ok) agreeAway++;
      }
    });
    const maxBoundError = checks.reduce((m, c) => Math.max(m, c.error), 0);
    const codeAgreement = inputs.length ? agree / inputs.length : 1;
    const codeAgreementAway = away ? agreeAway / away : 1;
    return {
      kind: 'unit',
      engine,
      model,
      preset: cell.name,
      fn: unit.fn.name,
      bits: unit.bits,
      rows: unit.rows.length,
      bounds: checks,
      maxBoundError,
      inputs: inputs.length,
      codeAgreement,
      inputsAway: away,
      codeAgreementAway,
      maxDriveError,
      mismatches,
      tolerance,
      minAgreementAway,
      pass: maxBoundError <= tolerance && codeAgreementAway >= minAgreementAway,
      ...(search ? { search } : {}),
      codeRuns: runs,
      elapsedMs: Date.now() - t0,
    };
  });
}
