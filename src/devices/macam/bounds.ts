/**
 * The bounds of a MACAM cell (the physical truth, docs/reference.md): V_lo is the data-line voltage at
 * which the lower branch alone brings the ML to V_sense at exactly t_eval; V_hi likewise for the upper
 * branch. The solvers ('root', 'bisect'), the backward chain of roots they start from, the static
 * approximation and the reachable range.
 */
import { bisectPredicate, brentBracket, replayBisection } from '../../core/numeric.ts';
import { dwmtjReadCurrent } from '../dwmtj.ts';
import { mosfetCurrent } from '../mosfet.ts';
import { type BoundSolver, type BranchState, branchState, branchTime, dataLineRange, dischargeTime, inverterOutput, lowerGateVoltage, mlTime, upperNodeVoltage } from './branch.ts';
import { type CellDeviation, type MacamCell } from './cell.ts';

/**
 * Lower bound V_lo (V) for wall position fLo of M1: below it the lower branch alone discharges the ML
 * past V_sense within t_eval. -Infinity if it never does in the DL range, +Infinity if it always does.
 */
export function lowerBound(c: MacamCell, fLo: number, dev?: CellDeviation, tol = 1e-9, solver: BoundSolver = 'root'): number {
  if (solver === 'root') return solveBound(c, 'lo', fLo, dev, tol);
  const [a, b] = dataLineRange(c);
  const fast = (vdl: number) => {
    const g2 = lowerGateVoltage(c, fLo, vdl, dev);
    return dischargeTime(c, g2, 0, c.params.vSense, dev) <= c.params.tEval;
  };
  if (!fast(a)) return Number.NEGATIVE_INFINITY;
  if (fast(b)) return Number.POSITIVE_INFINITY;
  return bisectPredicate(fast, a, b, tol)!;
}

/** Upper bound V_hi (V) for wall position fHi of M2: at and above it the upper branch discharges the ML. */
export function upperBound(c: MacamCell, fHi: number, dev?: CellDeviation, tol = 1e-9, solver: BoundSolver = 'root'): number {
  if (solver === 'root') return solveBound(c, 'hi', fHi, dev, tol);
  const [a, b] = dataLineRange(c);
  const fast = (vdl: number) => {
    const g6 = inverterOutput(c, upperNodeVoltage(c, fHi, vdl, dev), dev);
    return dischargeTime(c, 0, g6, c.params.vSense, dev) <= c.params.tEval;
  };
  if (fast(a)) return Number.NEGATIVE_INFINITY;
  if (!fast(b)) return Number.POSITIVE_INFINITY;
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

/**
 * Per cell and branch: the nominal pull-down's gate overdrive (gate - VTO) at t_eval. The ML discharge
 * depends on the pull-down's gate only through gate - VTO (both transistor models), and variation moves
 * only VTO, so VTO + this is an instance's gate too, to rounding, whenever the other pull-down carries
 * nothing: a start that saves the quadratures of gateForTEval. Only a start: every switching point is
 * confirmed by the predicate itself before it is used.
 */
const overdriveHints = new WeakMap<MacamCell, { lo?: number; hi?: number }>();

function overdriveHint(c: MacamCell, branch: 'lo' | 'hi'): number {
  let h = overdriveHints.get(c);
  if (!h) overdriveHints.set(c, (h = {}));
  let ov = h[branch];
  if (ov === undefined) {
    const st = branchState(c, branch, 0);
    ov = gateForTEval(st) - (branch === 'lo' ? st.t2 : st.t6).p.vto;
    h[branch] = ov;
  }
  return ov;
}

/** lowerBound's / upperBound's predicate: the branch alone discharges the ML past V_sense within t_eval */
function branchFast(st: BranchState, vdl: number): boolean {
  return branchTime(st, vdl) <= st.tEval;
}

/** t_eval / t - 1 with its sign forced to the predicate's (true: > 0); continuous, -1 where t = Infinity */
function branchResidual(st: BranchState, vdl: number): number {
  const t = branchTime(st, vdl);
  const s = t === 0 ? 1e300 : st.tEval / t - 1;
  return t <= st.tEval ? (s > 0 ? s : 1e-30) : s < 0 ? s : -1e-30;
}

/**
 * The 'root' solver of lowerBound / upperBound: the same result as the bisection of the predicate
 * fast(V) = t(V) <= t_eval over [0, V_DD] ('bisect'), bit for bit. The predicate holds at low V_DL
 * for the lower branch (plo = true) and at high V_DL for the upper one (plo = false).
 *  1. the switching point from the backward chain (dataLineForGate, from the nominal overdrive, then
 *     from this instance's own gateForTEval), confirmed by the predicate itself a hair (1e-12 V)
 *     either side of it (two evaluations);
 *  2. if that does not bracket it (no chain root: infinite bounds; rounding; a non-monotone model):
 *     the ends decide the infinities as the bisection does, then Brent's method on t_eval / t - 1,
 *     whose sign is exactly the predicate, keeps a bracket of the switching point;
 * then the bisection is replayed against the bracket (replayBisection): the same midpoints, the
 * predicate evaluated only at those inside the bracket.
 */
function solveBound(c: MacamCell, branch: 'lo' | 'hi', f: number, dev: CellDeviation | undefined, tol: number): number {
  const [a, b] = dataLineRange(c);
  const st = branchState(c, branch, f, dev);
  const plo = branch === 'lo';
  // the switching point from the nominal overdrive, else from this instance's own gate root
  const ov = overdriveHint(c, branch);
  const vtoPd = (plo ? st.t2 : st.t6).p.vto;
  for (let attempt = 0; attempt < 2; attempt++) {
    const xs = dataLineForGate(st, attempt === 0 ? vtoPd + ov : gateForTEval(st));
    if (xs > a && xs < b) {
      const p = Math.max(a, xs - 1e-12);
      const q = Math.min(b, xs + 1e-12);
      if (branchFast(st, p) === plo && branchFast(st, q) !== plo) return replayBisection((v) => branchFast(st, v), a, b, tol, p, q, plo);
    }
  }
  const ha = branchResidual(st, a);
  if (ha > 0 !== plo) return Number.NEGATIVE_INFINITY;
  const hb = branchResidual(st, b);
  if (hb > 0 === plo) return Number.POSITIVE_INFINITY;
  const r = brentBracket((v) => branchResidual(st, v), a, b, ha, hb, Math.max(1e-14, tol * 1e-3));
  // the predicate must hold on the low side of the final bracket only; otherwise it is not monotone
  // here and only the bisection itself gives its answer
  if (r.flo > 0 !== plo || r.fhi > 0 === plo) return plo ? lowerBound(c, f, dev, tol, 'bisect') : upperBound(c, f, dev, tol, 'bisect');
  return replayBisection((v) => branchFast(st, v), a, b, tol, r.lo, r.hi, plo);
}

/**
 * One branch of one (possibly deviating) cell as functions of the data-line voltage, for tests and
 * tools: time(vdl) is the discharge time with only that branch active (the quantity lowerBound's /
 * upperBound's predicate compares with t_eval, bit for bit); switchPoint() is the V_DL where it
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
export function boundRange(c: MacamCell, solver: BoundSolver = 'root'): { lo: [number, number]; hi: [number, number] } {
  return {
    lo: [lowerBound(c, 1, undefined, 1e-9, solver), lowerBound(c, 0, undefined, 1e-9, solver)],
    hi: [upperBound(c, 1, undefined, 1e-9, solver), upperBound(c, 0, undefined, 1e-9, solver)],
  };
}
