/**
 * Verification of the behavioral path against SPICE.
 *
 * Cell bounds: a bound is the data-line voltage at which one branch alone brings the match line to
 * V_sense at exactly t_eval (src/devices/macam.ts). In SPICE each probe is one cell instance (that
 * branch only) with its own data-line source; many probes share one transient netlist. For each
 * bound a bracket is refined over rounds of runs: a coarse grid over [0, V_DD], then per round a
 * false-position estimate with two side probes where V_ML(t_eval) is informative (the lower branch
 * is smooth in V_DL), or an even split where it is not (the upper branch goes through a high-gain
 * inverter, so V_ML(t_eval) is practically a step), until the bracket is narrower than `tol`; the
 * bound is then interpolated inside it.
 *
 * Unit codes: one column instance per input (shared data line from the input driver, per-row ML,
 * sense comparators, priority encoder, all in the netlist), the code read at t_eval; compared with
 * the unit's behavioral `evaluate(x)`, also restricted to inputs whose data-line voltage is farther
 * than `awayMargin` from every behavioral bound.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, DataError } from '../core/errors.ts';
import { type CellDeviation, type MacamCell, lowerBound, stablePositions, upperBound } from '../devices/macam.ts';
import type { FusedUnit } from '../units/fused.ts';
import type { EngineKind } from './engine.ts';
import { vector } from './engine.ts';
import { checkPlainText } from '../core/text.ts';
import { checkGeneratedDeck } from './guard.ts';
import { type CellInstance, type TransistorModel, modelLibrary, renderCellArray, renderUnit, unitNodes } from './netlist.ts';
import { EnginePool } from './pool.ts';

export type Branch = 'lo' | 'hi';

/**
 * A transistor library that replaces the `model` one in the rendered netlists (e.g. a model card
 * file being calibrated: its cards renamed fm_nch / fm_pch plus the fm_nfet / fm_pfet wrappers).
 * Render with model 'bsim4' for any card with capacitances (operating point, no UIC).
 */
export interface CustomLibrary {
  text: string;
  /** what the library is, for the netlist header's transistor line */
  description: string;
}

/** Put a custom library in place of the model's in a netlist rendered for `cell` (and its header line). */
export function withLibrary(netlist: string, cell: MacamCell, model: TransistorModel, lib?: CustomLibrary): string {
  if (!lib) return netlist;
  const std = modelLibrary(cell, model);
  if (!netlist.includes(std)) throw new Error('withLibrary: the netlist does not contain the model library');
  checkPlainText(lib.description, undefined, 'library description');
  return checkGeneratedDeck(
    netlist
      .replace(std, () => (lib.text.endsWith('\n') ? lib.text : `${lib.text}\n`))
      .replace(/^(\* transistors: ).*$/m, (_m, a: string) => `${a}${lib.description}`),
    'netlist with a custom library',
  );
}

/** One bound to find: a branch of a cell instance (wall positions, optional deviations). */
export interface BoundTarget {
  branch: Branch;
  fLo: number;
  fHi: number;
  dev?: CellDeviation;
  /** an initial bracket guess [a, b] (V); widened as needed. Default: a coarse grid over [0, V_DD]. */
  guess?: [number, number];
  /** a label for comments in the netlist */
  label?: string;
}

export interface SearchOptions {
  model?: TransistorModel;
  /** stop when the bracket is narrower than this (V), default 20 uV */
  tol?: number;
  /** probes per netlist, default 250 */
  chunk?: number;
  /** points of the coarse grid over [0, V_DD] for targets without a guess, default 33 */
  coarse?: number;
  /** probes per round where V_ML(t_eval) is saturated (an even split of the bracket), default 3 */
  split?: number;
  /** at most this many rounds after the first, default 40 */
  maxRounds?: number;
  onRound?: (round: number, probes: number) => void;
  /** seed recorded in the probe netlists (header and .option seed) when the deviations come from one */
  seed?: { value: number | string; what: string };
  /** a transistor library in place of `model`'s */
  library?: CustomLibrary;
}

export interface SearchStats {
  rounds: number;
  runs: number;
  probes: number;
  elapsedMs: number;
}

/** A pool of engines kept for a whole verification (wasm workers start slowly). */
export function enginePool(kind: EngineKind, threads = Math.max(1, availableParallelism())): EnginePool {
  return new EnginePool(kind, threads);
}

interface State {
  t: BoundTarget;
  /** bracket: s(a) and s(b) on opposite sides of V_sense; NaN until known */
  a: number;
  b: number;
  sa: number;
  sb: number;
  done: boolean;
  value: number;
  /** guess phase: probes of the current bracket guess pending */
  phase: 'coarse' | 'guess' | 'refine';
  guessWidth: number;
}

/**
 * V_ML(t_eval) - V_sense for a list of probes (one netlist per `chunk` probes, run on the pool).
 */
export async function probeMatchLines(
  cell: MacamCell,
  probes: readonly CellInstance[],
  pool: EnginePool,
  opts: { model?: TransistorModel; chunk?: number; comments?: string[]; seed?: { value: number | string; what: string }; library?: CustomLibrary } = {},
): Promise<{ s: Float64Array; runs: number }> {
  const chunk = opts.chunk ?? 250;
  const items: Array<{ netlist: string; name: string }> = [];
  const nodes: string[][] = [];
  for (let i = 0; i < probes.length; i += chunk) {
    const part = probes.slice(i, i + chunk);
    const r = renderCellArray(cell, part, { model: opts.model ?? 'level1', what: `bound search probes ${i}..${i + part.length - 1}`, ...(opts.seed ? { seed: opts.seed } : {}), ...(opts.comments ? { comments: opts.comments.slice(i, i + chunk) } : {}) });
    items.push({ netlist: withLibrary(r.netlist, cell, opts.model ?? 'level1', opts.library), name: `bound probes ${i}..${i + part.length - 1}` });
    nodes.push(r.mlNodes);
  }
  const results = await pool.runMany(items);
  const s = new Float64Array(probes.length);
  const vs = cell.params.vSense;
  results.forEach((res, j) => {
    nodes[j]!.forEach((n, k) => {
      const v = vector(res, n, 'tran');
      s[j * chunk + k] = v[v.length - 1]! - vs;
    });
  });
  return { s, runs: items.length };
}

/** Is s (V_ML - V_sense) "discharged" (the branch pulls ML below V_sense)? */
const fast = (s: number) => s <= 0;

/**
 * Find bounds in SPICE. Returns the bound of every target (V; -Infinity / +Infinity with the same
 * meaning as lowerBound / upperBound when the branch never / always discharges over [0, V_DD]).
 */
export async function spiceBounds(
  cell: MacamCell,
  targets: readonly BoundTarget[],
  pool: EnginePool,
  opts: SearchOptions = {},
): Promise<{ bounds: Float64Array; stats: SearchStats }> {
  const t0 = Date.now();
  const vdd = cell.params.vdd;
  const tol = opts.tol ?? 20e-6;
  const coarse = Math.max(3, opts.coarse ?? 33);
  const maxRounds = opts.maxRounds ?? 40;
  const split = Math.max(1, opts.split ?? 3);
  // s saturates at V_DD - V_sense (ML untouched) and -V_sense (ML empty): only values strictly
  // inside carry distance information
  const sHi = vdd - cell.params.vSense;
  const sLo = -cell.params.vSense;
  const informative = (s: number) => s < sHi - 1e-4 && s > sLo + 1e-4;
  const states: State[] = targets.map((t) => ({
    t,
    a: NaN,
    b: NaN,
    sa: NaN,
    sb: NaN,
    done: false,
    value: NaN,
    phase: t.guess ? 'guess' : 'coarse',
    guessWidth: t.guess ? Math.max(t.guess[1] - t.guess[0], 4 * tol) : 0,
  }));
  const stats: SearchStats = { rounds: 0, runs: 0, probes: 0, elapsedMs: 0 };

  const probesOf = (st: State): number[] => {
    if (st.phase === 'coarse') return Array.from({ length: coarse }, (_, i) => (vdd * i) / (coarse - 1));
    if (st.phase === 'guess') {
      const g = st.t.guess!;
      const c = 0.5 * (g[0] + g[1]);
      const a = Math.max(0, c - st.guessWidth / 2);
      const b = Math.min(vdd, c + st.guessWidth / 2);
      return [a, b];
    }
    const { a, b, sa, sb } = st;
    const w = b - a;
    if (informative(sa) && informative(sb)) {
      // false position with a probe on each side: the bracket shrinks to 2d when the estimate is good
      const x = a + (w * sa) / (sa - sb);
      const d = Math.max(w * 0.01, tol / 4);
      const pts = [Math.max(x - d, a + w * 1e-3), Math.min(x + d, b - w * 1e-3)];
      return pts[1]! > pts[0]! ? pts : [x];
    }
    return Array.from({ length: split }, (_, i) => a + (w * (i + 1)) / (split + 1));
  };

  /** Update a state's bracket from sorted probes (v, s). */
  const absorb = (st: State, pts: Array<[number, number]>) => {
    const all = [...pts];
    if (st.phase === 'refine') all.push([st.a, st.sa], [st.b, st.sb]);
    all.sort((p, q) => p[0] - q[0]);
    const lo = st.t.branch === 'lo';
    // lo: fast at low v, slow above; hi: slow at low v, fast above
    const isLeft = (s: number) => (lo ? fast(s) : !fast(s));
    let k = -1;
    for (let i = 0; i + 1 < all.length; i++) if (isLeft(all[i]![1]) && !isLeft(all[i + 1]![1])) k = i;
    if (k < 0) {
      const allLeft = all.every((p) => isLeft(p[1]));
      const allRight = all.every((p) => !isLeft(p[1]));
      if (!allLeft && !allRight) throw new DataError(`V_ML(t_eval) is not monotone in V_DL (${st.t.branch}, fLo=${st.t.fLo}, fHi=${st.t.fHi})`);
      if (st.phase === 'coarse') return finishInfinite(st, allLeft);
      if (st.phase === 'guess') {
        // the crossing is right of the probes (all left) or left of them: beyond the range it is infinite
        if (allLeft && all[all.length - 1]![0] >= vdd) return finishInfinite(st, true);
        if (allRight && all[0]![0] <= 0) return finishInfinite(st, false);
        const g = st.t.guess!;
        const shift = allLeft ? st.guessWidth : -st.guessWidth;
        st.t = { ...st.t, guess: [g[0] + shift, g[1] + shift] };
        st.guessWidth *= 2;
        return;
      }
      throw new DataError(`bound search lost its bracket (${st.t.branch}, fLo=${st.t.fLo}, fHi=${st.t.fHi})`);
    }
    st.a = all[k]![0];
    st.sa = all[k]![1];
    st.b = all[k + 1]![0];
    st.sb = all[k + 1]![1];
    st.phase = 'refine';
    if (st.b - st.a < tol) finish(st);
  };
  const finishInfinite = (st: State, allLeft: boolean) => {
    // lo: left = fast; all fast -> the branch always discharges -> +Infinity, all slow -> -Infinity
    // hi: left = slow; all slow -> never discharges -> +Infinity, all fast -> -Infinity
    st.value = allLeft ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    st.done = true;
  };
  const finish = (st: State) => {
    const { a, b, sa, sb } = st;
    st.value = informative(sa) && informative(sb) && sa !== sb ? a + ((b - a) * sa) / (sa - sb) : 0.5 * (a + b);
    st.done = true;
  };

  for (let round = 0; round <= maxRounds; round++) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const probes: CellInstance[] = [];
    const owners: Array<{ st: State; from: number; vs: number[] }> = [];
    for (const st of active) {
      const vs = probesOf(st);
      if (vs.length === 0) {
        finish(st);
        continue;
      }
      owners.push({ st, from: probes.length, vs });
      for (const v of vs) probes.push({ variant: st.t.branch, fLo: st.t.fLo, fHi: st.t.fHi, vdl: v, ...(st.t.dev ? { dev: st.t.dev } : {}) });
    }
    if (probes.length === 0) break;
    const { s, runs } = await probeMatchLines(cell, probes, pool, { model: opts.model ?? 'level1', ...(opts.chunk ? { chunk: opts.chunk } : {}), ...(opts.seed ? { seed: opts.seed } : {}), ...(opts.library ? { library: opts.library } : {}) });
    stats.rounds++;
    stats.runs += runs;
    stats.probes += probes.length;
    opts.onRound?.(round, probes.length);
    for (const o of owners) absorb(o.st, o.vs.map((v, i) => [v, s[o.from + i]!] as [number, number]));
  }
  const left = states.filter((s) => !s.done);
  if (left.length) throw new DataError(`bound search did not converge for ${left.length} of ${states.length} bounds in ${maxRounds} rounds`);
  stats.elapsedMs = Date.now() - t0;
  return { bounds: Float64Array.from(states, (s) => s.value), stats };
}

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
