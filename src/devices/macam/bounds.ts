/**
 * The bounds of a MACAM cell (the physical truth, docs/reference.md): V_lo is the data-line voltage at
 * which the lower branch alone brings the ML to V_sense at exactly t_eval; V_hi likewise for the upper
 * branch. The solvers ('root', 'bisect'), the backward chain of roots they start from, the static
 * approximation and the reachable range.
 */
import { bisectPredicate, brentBracket } from '../../core/numeric.ts';
import { dwmtjReadCurrent } from '../dwmtj.ts';
import { mosfetCurrent } from '../mosfet.ts';
import { type BoundSolver, type BranchState, branchState, branchTime, dataLineRange, dischargeTime, inverterOutput, lowerGateVoltage, mlTime, upperNodeVoltage } from './branch.ts';
import { type CellDeviation, type MacamCell } from './cell.ts';

/**
 * Lower bound V_lo (V) for wall position fLo of M1: below it the lower branch alone discharges the ML
 * past V_sense within t_eval. -Infinity if it never does in the DL range, +Infinity if it always does.
 * Within tol/2 of the switching point with either solver (BoundSolver).
 */
export function lowerBound(c: MacamCell, fLo: number, dev?: CellDeviation, tol = 1e-9, solver: BoundSolver = 'root'): number {
  return solver === 'root' ? solveBound(c, 'lo', fLo, dev, tol) : bisectBound(c, 'lo', fLo, dev, tol);
}

/** Upper bound V_hi (V) for wall position fHi of M2: at and above it the upper branch discharges the ML. */
export function upperBound(c: MacamCell, fHi: number, dev?: CellDeviation, tol = 1e-9, solver: BoundSolver = 'root'): number {
  return solver === 'root' ? solveBound(c, 'hi', fHi, dev, tol) : bisectBound(c, 'hi', fHi, dev, tol);
}

/**
 * The 'bisect' reference, from the cell's public equations alone: the bisection of the predicate
 * fast(V_DL) = "the branch alone discharges the ML past V_sense within t_eval" over [0, V_DD]. It
 * holds at low V_DL for the lower branch and at high V_DL for the upper one; where it holds (or fails)
 * at both ends the bound is infinite.
 */
function bisectBound(c: MacamCell, branch: 'lo' | 'hi', f: number, dev: CellDeviation | undefined, tol: number): number {
  const { vSense, tEval } = c.params;
  const plo = branch === 'lo';
  const fast = plo
    ? (vdl: number) => dischargeTime(c, lowerGateVoltage(c, f, vdl, dev), 0, vSense, dev) <= tEval
    : (vdl: number) => dischargeTime(c, 0, inverterOutput(c, upperNodeVoltage(c, f, vdl, dev), dev), vSense, dev) <= tEval;
  const [a, b] = dataLineRange(c);
  if (fast(a) !== plo) return Number.NEGATIVE_INFINITY;
  if (fast(b) === plo) return Number.POSITIVE_INFINITY;
  return bisectPredicate(fast, a, b, tol)!;
}

/** Root of an increasing fn on [lo, hi] (Brent, to rounding), NaN unless fn(lo) < 0 < fn(hi). */
function rootUp(fn: (x: number) => number, lo: number, hi: number): number {
  const flo = fn(lo);
  const fhi = fn(hi);
  if (!(flo < 0 && fhi > 0)) return Number.NaN;
  return brentBracket(fn, lo, hi, flo, fhi, 1e-16).x;
}

/** sqrt(t_eval / t) - 1 at pull-down gate g (the other pull-down off): nearly linear in the overdrive, as t ~ 1 / overdrive^2 in saturation */
function gateResidual(st: BranchState, g: number): number {
  if (st.isLo) st.g2 = g;
  else st.g6 = g;
  const t = mlTime(st);
  return t === Number.POSITIVE_INFINITY ? -1 : Math.sqrt(st.tEval / t) - 1;
}

/**
 * The pull-down gate voltage (G1 for the lower branch, the inverter output for the upper one) at which
 * the ML, with the other pull-down off, reaches V_sense in exactly t_eval. NaN if none in the gate's
 * range (0 .. V_SL resp. V_DD).
 */
function gateForTEval(st: BranchState): number {
  const gateMax = st.isLo ? st.vsl : st.vdd;
  st.g2 = 0;
  st.g6 = 0;
  const vtoPd = (st.isLo ? st.t2 : st.t6).p.vto;
  // level 1 conducts only above VTO; a smooth (EKV) card may reach t_eval below it
  let g = vtoPd > 0 && vtoPd < gateMax ? rootUp((x) => gateResidual(st, x), vtoPd, gateMax) : Number.NaN;
  if (Number.isNaN(g)) g = rootUp((x) => gateResidual(st, x), 0, gateMax);
  return g > 0 && g < gateMax ? g : Number.NaN;
}

/**
 * The data-line voltage at which the branch's pull-down gate sits at `gate`, backwards along the
 * chain: (upper branch) the inverter input whose output is `gate` -> the V_DL at which the divider
 * node sits there (T1/T3 carries the DW-MTJ's read current). Both links are smooth one-dimensional
 * roots of a transistor equation. NaN if a link has no root in its range.
 */
function dataLineForGate(st: BranchState, gate: number): number {
  const { isLo, vsl, vdd } = st;
  if (!(gate > 0)) return Number.NaN;
  let node = gate;
  if (!isLo) {
    // the inverter output falls as its input rises: find the input where T5 carries T4's current
    node = rootUp((v) => mosfetCurrent(st.n5.p, v, gate, st.n5.wl) - mosfetCurrent(st.p4.p, v - vdd, gate - vdd, st.p4.wl), 0, vdd);
    if (!(node > 0 && node < vsl)) return Number.NaN;
  }
  const iRead = dwmtjReadCurrent(st.m, st.ff, vsl - node, st.rs);
  return rootUp((vdl) => mosfetCurrent(st.td.p, vdl, node, st.td.wl) - iRead, 0, vdd);
}

/**
 * The data-line voltage at which the branch's discharge time is exactly t_eval (the bound's switching
 * point): gateForTEval, then dataLineForGate. Each link is a smooth one-dimensional root (no nested
 * divider solve per step, no steep inverter transfer in the way), a few quadratures in all. NaN when
 * a link has no root in its range (the bound is then infinite, or the model leaves that range).
 */
function switchPoint(st: BranchState): number {
  return dataLineForGate(st, gateForTEval(st));
}

/** the predicate of the bounds (bisectBound's fast) on a branch state */
function branchFast(st: BranchState, vdl: number): boolean {
  return branchTime(st, vdl) <= st.tEval;
}

/** t_eval / t - 1 at discharge time t, its sign forced to the predicate's (t <= t_eval: > 0); continuous, -1 where t = Infinity */
function branchResidual(st: BranchState, t: number): number {
  const s = t === 0 ? 1e300 : st.tEval / t - 1;
  return t <= st.tEval ? (s > 0 ? s : 1e-30) : s < 0 ? s : -1e-30;
}

/**
 * The 'root' solver of lowerBound / upperBound: the switching point of bisectBound's predicate,
 * within tol/2, from root finding on continuous functions (plo: the predicate's value at V_DL = 0).
 *  1. the switching point of the backward chain (switchPoint: a few smooth one-dimensional roots;
 *     first from the pull-down gate VTO + `overdrive` where a CellBoundSolver gives one), taken once
 *     the predicate confirms it: true at tol/2 on the side it holds, false at tol/2 on the other;
 *  2. else (no chain root: an infinite bound; a chain root off by more than tol/2): the ends decide
 *     the infinities as the bisection does, then Brent's method on t_eval / t - 1 (its sign is the
 *     predicate's) narrows the switching point to a bracket of width tol, whose midpoint it returns;
 *  3. where that bracket has the predicate the wrong way round the model is not monotone there, and
 *     the bisection itself answers.
 */
function solveBound(c: MacamCell, branch: 'lo' | 'hi', f: number, dev: CellDeviation | undefined, tol: number, overdrive?: number): number {
  const [a, b] = dataLineRange(c);
  const st = branchState(c, branch, f, dev);
  const plo = st.isLo;
  const half = 0.5 * tol;
  const confirmed = (xs: number) => xs > a && xs < b && branchFast(st, Math.max(a, xs - half)) === plo && branchFast(st, Math.min(b, xs + half)) !== plo;
  if (overdrive !== undefined) {
    const xo = dataLineForGate(st, (plo ? st.t2 : st.t6).p.vto + overdrive);
    if (confirmed(xo)) return xo;
  }
  const xs = switchPoint(st);
  if (confirmed(xs)) return xs;
  const ta = branchTime(st, a);
  if (ta <= st.tEval !== plo) return Number.NEGATIVE_INFINITY;
  const tb = branchTime(st, b);
  if (tb <= st.tEval === plo) return Number.POSITIVE_INFINITY;
  const r = brentBracket((v) => branchResidual(st, branchTime(st, v)), a, b, branchResidual(st, ta), branchResidual(st, tb), tol);
  if (r.flo > 0 !== plo || r.fhi > 0 === plo) return bisectBound(c, branch, f, dev, tol);
  return 0.5 * (r.lo + r.hi);
}

/**
 * lowerBound / upperBound of one cell for many positions and instances (bound tables, variation
 * samples, the rows of a column pool), with the solver's per-cell precomputation done once. For 'root'
 * that is each branch's nominal pull-down gate overdrive (gate - VTO) at which that pull-down alone
 * brings the ML to V_sense in exactly t_eval (gateForTEval, on the branch's first bound). It depends
 * on neither the wall position nor the DW-MTJ, and the discharge depends on the pull-down's gate only
 * through gate - VTO while variation moves only its VTO: so VTO + overdrive is every bound's gate as
 * well (to rounding; an EKV card's leak through the other, off pull-down moves it a little), and each
 * bound skips its own gate root. Only a start: every switching point is still confirmed by the
 * predicate, so a cell changed after this call costs time, never accuracy.
 */
export interface CellBoundSolver {
  readonly cell: MacamCell;
  readonly solver: BoundSolver;
  /** lowerBound ('lo') or upperBound ('hi') of the cell, tol default 1e-9 */
  bound(branch: 'lo' | 'hi', f: number, dev?: CellDeviation, tol?: number): number;
}

export function boundSolverFor(c: MacamCell, solver: BoundSolver = 'root'): CellBoundSolver {
  if (solver === 'bisect') return { cell: c, solver, bound: (branch, f, dev, tol = 1e-9) => bisectBound(c, branch, f, dev, tol) };
  const overdrive: { lo?: number; hi?: number } = {};
  const start = (branch: 'lo' | 'hi') => {
    const st = branchState(c, branch, 0);
    return gateForTEval(st) - (st.isLo ? st.t2 : st.t6).p.vto;
  };
  return { cell: c, solver, bound: (branch, f, dev, tol = 1e-9) => solveBound(c, branch, f, dev, tol, (overdrive[branch] ??= start(branch))) };
}

/**
 * One branch of one (possibly deviating) cell as functions of the data-line voltage, for tests and
 * tools: time(vdl) is the discharge time with only that branch active (the quantity lowerBound's /
 * upperBound's predicate compares with t_eval); switchPoint() is the V_DL where it
 * equals t_eval from the backward chain (NaN if the chain has no root).
 */
export function branchModel(c: MacamCell, branch: 'lo' | 'hi', f: number, dev?: CellDeviation): { time(vdl: number): number; switchPoint(): number } {
  const st = branchState(c, branch, f, dev);
  return { time: (vdl) => branchTime(st, vdl), switchPoint: () => switchPoint(st) };
}

export interface Bounds {
  vLo: number;
  vHi: number;
}

export function cellBounds(c: MacamCell, fLo: number, fHi: number, dev?: CellDeviation): Bounds {
  return { vLo: lowerBound(c, fLo, dev), vHi: upperBound(c, fHi, dev) };
}

/**
 * Static approximation of the bounds: the DL voltage at which the pull-down's gate sits exactly at
 * its VTO (G1 = VTO_T2, inverter output = VTO_T6). Cheaper, but off by tens of mV from the
 * t_eval-defined bounds; shown for comparison (docs/reference.md).
 */
export function staticBounds(c: MacamCell, fLo: number, fHi: number): Bounds {
  const [a, b] = dataLineRange(c);
  const vt2 = c.nmos.vto;
  const lo = bisectPredicate((v) => lowerGateVoltage(c, fLo, v) > vt2, a, b, 1e-9);
  const hi = bisectPredicate((v) => inverterOutput(c, upperNodeVoltage(c, fHi, v)) > vt2, a, b, 1e-9);
  return { vLo: lo ?? Number.NEGATIVE_INFINITY, vHi: hi ?? Number.POSITIVE_INFINITY };
}

/** The window of bound values reachable at all: V_lo(f = 1) .. V_lo(f = 0) and V_hi likewise. */
export function boundRange(c: MacamCell, solver: BoundSolver | CellBoundSolver = 'root'): { lo: [number, number]; hi: [number, number] } {
  const bs = typeof solver === 'string' ? boundSolverFor(c, solver) : solver;
  return { lo: [bs.bound('lo', 1), bs.bound('lo', 0)], hi: [bs.bound('hi', 1), bs.bound('hi', 0)] };
}
