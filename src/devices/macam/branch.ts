/**
 * The MACAM cell's circuit and its equations (Li et al., Nat. Commun. 11, 1638, 2020; 6T2M style, the
 * two resistive elements DW-MTJ read paths):
 *
 *   lower branch: M1 (SL -> G1), T1 (G1 -> gnd, gate DL); G1 drives ML pull-down T2.
 *   upper branch: M2 (SL -> G2), T3 (G2 -> gnd, gate DL); G2 -> inverter T4/T5 -> ML pull-down T6.
 *   ML: precharged to V_DD, then C_ML discharges through T2 and T6 for t_eval; match if
 *       V_ML(t_eval) > V_sense.
 *
 * The gate nodes carry no capacitance in this model, so G1, G2 and the inverter output settle
 * instantly for a given V_DL; the ML discharge is then an ODE with a static pull-down, and the time
 * to reach V_sense is exactly  t = C_ML * integral_{V_sense}^{V_DD} dV / (I_T2(V) + I_T6(V))
 * (24-point Gauss-Legendre per smooth piece). Here: the divider nodes, the inverter, the ML current,
 * the discharge time and its inverse; BranchState, one branch of one instance prepared for many
 * evaluations (the bound solvers of ./bounds.ts work on it).
 */
import { bisectPredicate, brent, brentBracket, gaussLegendre } from '../../core/numeric.ts';
import { type DwmtjParams, dwmtjReadCurrent, readSeriesResistance } from '../dwmtj.ts';
import { type MosfetParams, mosfetCurrent } from '../mosfet.ts';
import { type CellDeviation, type MacamCell, deviatedDwmtj, deviatedTransistor, clampPosition } from './cell.ts';

/** Divider node voltage (G1 or G2): I_M(V_SL - V_G) = I_T(V_GS = V_DL, V_DS = V_G) (dividerResidual). */
function dividerNode(c: MacamCell, branch: 'lo' | 'hi', f: number, vdl: number, dev?: CellDeviation): number {
  const st = branchState(c, branch, f, dev);
  st.vdl = vdl;
  // residual(0) > 0 (the MTJ sources current, the NMOS carries none at V_DS = 0); residual(V_SL) <= 0
  return brent((v) => dividerResidual(st, v), 0, st.vsl, 1e-15);
}

/** G1: the lower branch's divider node voltage at data-line voltage vdl. */
export function lowerGateVoltage(c: MacamCell, fLo: number, vdl: number, dev?: CellDeviation): number {
  return dividerNode(c, 'lo', fLo, vdl, dev);
}

/** G2: the upper branch's divider node voltage. */
export function upperNodeVoltage(c: MacamCell, fHi: number, vdl: number, dev?: CellDeviation): number {
  return dividerNode(c, 'hi', fHi, vdl, dev);
}

/** Inverter (T4 PMOS to V_DD, T5 NMOS to ground) output for input vin. */
export function inverterOutput(c: MacamCell, vin: number, dev?: CellDeviation): number {
  const st = branchState(c, 'hi', 0, dev);
  st.vin = vin;
  return brent((vo) => inverterResidual(st, vo), 0, st.vdd, 1e-15);
}

/** Static current drawn from the supplies by the inverter (A). */
export function inverterCurrent(c: MacamCell, vin: number, dev?: CellDeviation): number {
  const n5 = deviatedTransistor(c, 'T5', dev);
  return mosfetCurrent(n5.p, vin, inverterOutput(c, vin, dev), n5.wl);
}

/** Gate voltages of the two ML pull-downs (T2, T6) at data-line voltage vdl. */
export function pullDownGates(c: MacamCell, fLo: number, fHi: number, vdl: number, dev?: CellDeviation): { g2: number; g6: number } {
  return {
    g2: lowerGateVoltage(c, fLo, vdl, dev),
    g6: inverterOutput(c, upperNodeVoltage(c, fHi, vdl, dev), dev),
  };
}

/** ML pull-down current at ML voltage vml (A). */
export function matchLineCurrent(c: MacamCell, g2: number, g6: number, vml: number, dev?: CellDeviation): number {
  return mlCurrent(mlState(c, g2, g6, dev), vml);
}

/** A branch state for the match line alone (the pull-downs' gates g2, g6; the branch's own devices unused). */
function mlState(c: MacamCell, g2: number, g6: number, dev?: CellDeviation): BranchState {
  const st = branchState(c, 'lo', 0, dev);
  st.g2 = g2;
  st.g6 = g6;
  return st;
}

/**
 * Time (s) for the ML to fall from V_DD to v (default V_sense) with static pull-down gates g2, g6.
 * Infinity if the pull-downs carry no current at v.
 */
export function dischargeTime(c: MacamCell, g2: number, g6: number, v = c.params.vSense, dev?: CellDeviation): number {
  return mlTime(mlState(c, g2, g6, dev), v);
}

/** ML voltage after time t (V): inverts dischargeTime, to within 1e-12 V with either solver (BoundSolver). */
export function matchLineVoltage(c: MacamCell, g2: number, g6: number, t = c.params.tEval, dev?: CellDeviation, solver: BoundSolver = 'root'): number {
  const vdd = c.params.vdd;
  if (matchLineCurrent(c, g2, g6, vdd, dev) <= 0) return vdd;
  // v in (0, vdd) with dischargeTime(v) = t; dischargeTime falls as v rises
  const lo = 1e-9;
  const tol = 1e-12;
  if (dischargeTime(c, g2, g6, lo, dev) <= t) return 0;
  if (solver === 'root') {
    // Brent's method on dischargeTime(v) - t down to a bracket as narrow as the bisection's
    const st = mlState(c, g2, g6, dev);
    const flo = timeResidual(st, lo, t);
    const fhi = timeResidual(st, vdd, t);
    if (flo > 0 && fhi < 0) {
      const r = brentBracket((v) => timeResidual(st, v, t), lo, vdd, flo, fhi, tol);
      return 0.5 * (r.lo + r.hi);
    }
  }
  // 'bisect' (the reference), and t < 0: the ML has not left V_DD
  return bisectPredicate((v) => dischargeTime(c, g2, g6, v, dev) > t, lo, vdd, tol) ?? vdd;
}

/** dischargeTime(v) - t, its sign the test dischargeTime(v) > t (a zero counts as not above: -1e-200); Infinity capped */
function timeResidual(st: BranchState, v: number, t: number): number {
  const d = mlTime(st, v);
  if (d > t) return d === Number.POSITIVE_INFINITY ? 1e300 : d - t;
  return d < t ? d - t : -1e-200;
}

/** Discharge time with both branches active at data-line voltage vdl. */
export function searchDischargeTime(c: MacamCell, fLo: number, fHi: number, vdl: number, dev?: CellDeviation): number {
  const { g2, g6 } = pullDownGates(c, fLo, fHi, vdl, dev);
  return dischargeTime(c, g2, g6, c.params.vSense, dev);
}

/** Does the cell match at data-line voltage vdl (ML above V_sense at t_eval)? */
export function cellMatches(c: MacamCell, fLo: number, fHi: number, vdl: number, dev?: CellDeviation): boolean {
  return searchDischargeTime(c, fLo, fHi, vdl, dev) > c.params.tEval;
}

/** Data-line range over which bounds are searched: [0, V_DD]. */
export function dataLineRange(c: MacamCell): [number, number] {
  return [0, c.params.vdd];
}

/**
 * How lowerBound / upperBound (./bounds.ts) and matchLineVoltage find their answer. Both meet the same
 * tolerance, not the same bits: a finite bound lies within tol/2 of the switching point of the
 * bisection's predicate either way (so the two differ by at most tol), an infinite bound is the same
 * infinity, and matchLineVoltage is within 1e-12 V of the crossing.
 *  'root'   (default) root finding on continuous functions: for a bound the switching point of the
 *           cell's backward chain of smooth equations, confirmed by the predicate on both sides (two
 *           evaluations), else Brent's method on the continuous residual; the bisection only where the
 *           model turns out not monotone. matchLineVoltage: Brent's method;
 *  'bisect' the plain bisection of the predicate: the small readable reference.
 */
export type BoundSolver = 'root' | 'bisect';

/**
 * One branch of one device instance, prepared for bound searches: every per-device quantity (the
 * DW-MTJ with its deviations, the transistors with their VTO shifts, the quadrature rule) looked up
 * once. The functions below work on it with plain calls (no closures per evaluation).
 */
export interface BranchState {
  readonly isLo: boolean;
  readonly m: DwmtjParams;
  readonly ff: number;
  readonly rs: number;
  readonly td: { p: MosfetParams; wl: number };
  readonly t2: { p: MosfetParams; wl: number };
  readonly t6: { p: MosfetParams; wl: number };
  readonly p4: { p: MosfetParams; wl: number };
  readonly n5: { p: MosfetParams; wl: number };
  readonly vsl: number;
  readonly vdd: number;
  readonly vSense: number;
  readonly cMl: number;
  readonly tEval: number;
  readonly glx: Float64Array;
  readonly glw: Float64Array;
  /** the operating point being evaluated */
  vdl: number;
  vin: number;
  g2: number;
  g6: number;
}

export function branchState(c: MacamCell, branch: 'lo' | 'hi', f: number, dev?: CellDeviation): BranchState {
  const isLo = branch === 'lo';
  const m = isLo ? deviatedDwmtj(c.lo, dev?.rpLo, dev?.tmrLo) : deviatedDwmtj(c.hi, dev?.rpHi, dev?.tmrHi);
  const { x, w } = gaussLegendre(24);
  return {
    isLo,
    m,
    ff: clampPosition(f + ((isLo ? dev?.dfLo : dev?.dfHi) ?? 0)),
    rs: readSeriesResistance(m),
    td: deviatedTransistor(c, isLo ? 'T1' : 'T3', dev),
    t2: deviatedTransistor(c, 'T2', dev),
    t6: deviatedTransistor(c, 'T6', dev),
    p4: deviatedTransistor(c, 'T4', dev),
    n5: deviatedTransistor(c, 'T5', dev),
    vsl: c.params.vsl,
    vdd: c.params.vdd,
    vSense: c.params.vSense,
    cMl: c.params.cMl,
    tEval: c.params.tEval,
    glx: x,
    glw: w,
    vdl: 0,
    vin: 0,
    g2: 0,
    g6: 0,
  };
}

/** dividerNode's residual at node voltage v (for st.vdl) */
function dividerResidual(st: BranchState, v: number): number {
  return dwmtjReadCurrent(st.m, st.ff, st.vsl - v, st.rs) - mosfetCurrent(st.td.p, st.vdl, v, st.td.wl);
}

/** inverterOutput's residual at output vo (for input st.vin) */
function inverterResidual(st: BranchState, vo: number): number {
  return mosfetCurrent(st.p4.p, st.vin - st.vdd, vo - st.vdd, st.p4.wl) - mosfetCurrent(st.n5.p, st.vin, vo, st.n5.wl);
}

/** matchLineCurrent at ML voltage x for gates st.g2, st.g6 */
function mlCurrent(st: BranchState, x: number): number {
  return mosfetCurrent(st.t2.p, st.g2, x, st.t2.wl) + mosfetCurrent(st.t6.p, st.g6, x, st.t6.wl);
}

/** integratePieces over one piece with the 24-point rule, integrand 1 / matchLineCurrent */
function mlPiece(st: BranchState, lo: number, hi: number): number {
  const h = 0.5 * (hi - lo);
  const mid = 0.5 * (hi + lo);
  const { glx, glw } = st;
  let s = 0;
  for (let i = 0; i < glx.length; i++) s += glw[i]! * (1 / mlCurrent(st, mid + h * glx[i]!));
  return s * h;
}

/**
 * Time (s) for the ML to fall from V_DD to vSense with pull-down gates st.g2, st.g6:
 * C_ML * integral of dv / I_ML(v), 24-point Gauss-Legendre on the pieces [vSense, the pull-downs'
 * kinks g - VTO inside (vSense, V_DD) in ascending order, V_DD]. Infinity if no current flows at vSense.
 */
export function mlTime(st: BranchState, vSense = st.vSense): number {
  const vdd = st.vdd;
  if (vSense >= vdd) return 0;
  if (mlCurrent(st, vSense) <= 0) return Number.POSITIVE_INFINITY;
  const k2 = st.g2 - st.t2.p.vto;
  const k6 = st.g6 - st.t6.p.vto;
  const in2 = k2 > vSense && k2 < vdd;
  const in6 = k6 > vSense && k6 < vdd;
  let total: number;
  if (in2 && in6) {
    const u = k2 <= k6 ? k2 : k6;
    const w = k2 <= k6 ? k6 : k2;
    total = mlPiece(st, vSense, u);
    total += mlPiece(st, u, w);
    total += mlPiece(st, w, vdd);
  } else if (in2 || in6) {
    const u = in2 ? k2 : k6;
    total = mlPiece(st, vSense, u);
    total += mlPiece(st, u, vdd);
  } else total = mlPiece(st, vSense, vdd);
  return st.cMl * total;
}

/** The discharge time with only this branch active at data-line voltage vdl: the quantity the bounds' predicate compares with t_eval (the same equations as the public functions, on one BranchState). */
export function branchTime(st: BranchState, vdl: number): number {
  st.vdl = vdl;
  const node = brent((v) => dividerResidual(st, v), 0, st.vsl, 1e-15);
  if (st.isLo) {
    st.g2 = node;
    st.g6 = 0;
  } else {
    st.vin = node;
    st.g2 = 0;
    st.g6 = brent((vo) => inverterResidual(st, vo), 0, st.vdd, 1e-15);
  }
  return mlTime(st);
}

