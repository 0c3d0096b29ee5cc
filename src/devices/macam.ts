/**
 * MACAM cell: an analog CAM cell (6T2M style, Li et al., Nat. Commun. 11, 1638, 2020) whose two
 * resistive elements are DW-MTJ read paths. It stores an interval [V_lo, V_hi) of the data-line
 * voltage; the match line (ML) stays above the sense threshold after t_eval only inside it.
 *
 *   lower branch: M1 (SL -> G1), T1 (G1 -> gnd, gate DL); G1 drives ML pull-down T2.
 *   upper branch: M2 (SL -> G2), T3 (G2 -> gnd, gate DL); G2 -> inverter T4/T5 -> ML pull-down T6.
 *   ML: precharged to V_DD, then C_ML discharges through T2 and T6 for t_eval; match if
 *       V_ML(t_eval) > V_sense.
 *
 * The gate nodes carry no capacitance in this model, so G1, G2 and the inverter output settle
 * instantly for a given V_DL; the ML discharge is then an ODE with a static pull-down, and the time
 * to reach V_sense is exactly  t = C_ML * integral_{V_sense}^{V_DD} dV / (I_T2(V) + I_T6(V)).
 * Bounds are defined from that (the physical truth, docs/reference.md): V_lo is the DL voltage at which
 * the lower branch alone brings ML to V_sense at exactly t_eval; V_hi likewise for the upper branch.
 */
import { type EnergyBreakdown, sumItems } from '../core/energy.ts';
import { stream, type Rng } from '../core/rng.ts';
import { bisectPredicate, brent, brentBracket, gaussLegendre, replayBisection } from '../core/numeric.ts';
import { type DwmtjParams, dwmtjReadCurrent, readSeriesResistance } from './dwmtj.ts';
import { type MosfetParams, mosfetCurrent } from './mosfet.ts';
import { type LoadedPreset, type ParamsOf, type PresetSpec, loadPreset, q, registerKind } from './preset.ts';
import './dwmtj.ts';
import './mosfet.ts';

const ref = (presetKind: string, doc: string) => ({ kind: 'ref' as const, presetKind, doc });
const size = (doc: string) => q('dimensionless', `W/L of ${doc}`, { positive: true });

export const macamCellSpec = {
  dwmtjLo: ref('dwmtj', 'DW-MTJ M1 of the lower-bound branch'),
  dwmtjHi: ref('dwmtj', 'DW-MTJ M2 of the upper-bound branch'),
  nmos: ref('mosfet', 'NMOS model card'),
  pmos: ref('mosfet', 'PMOS model card'),
  vsl: q('voltage', 'search-line supply V_SL', { positive: true }),
  vdd: q('voltage', 'supply and ML precharge V_DD', { positive: true }),
  tEval: q('time', 'match-line evaluation time t_eval', { positive: true }),
  cMl: q('capacitance', 'match-line capacitance per cell C_ML', { positive: true }),
  vSense: q('voltage', 'match-line sense threshold', { positive: true }),
  wlT1: size('T1 (lower divider NMOS, gate DL)'),
  wlT2: size('T2 (lower ML pull-down)'),
  wlT3: size('T3 (upper divider NMOS, gate DL)'),
  wlT4: size('T4 (inverter PMOS)'),
  wlT5: size('T5 (inverter NMOS)'),
  wlT6: size('T6 (upper ML pull-down)'),
  cDlWire: q('capacitance', 'data-line wire capacitance per row', { min: 0 }),
  encoderEnergyPerRow: q('energy', 'priority-encoder energy per row per search', { min: 0 }),
  senseEnergy: q('energy', 'sense-amplifier energy per row per search', { min: 0 }),
  sigmaRp: q('dimensionless', 'device-to-device relative sigma of R_P', { min: 0, default: 0 }),
  sigmaTmr: q('dimensionless', 'device-to-device relative sigma of TMR0', { min: 0, default: 0 }),
  sigmaVto: q('voltage', 'device-to-device sigma of every transistor VTO', { min: 0, default: 0 }),
} satisfies PresetSpec;
registerKind('macam-cell', macamCellSpec);
export type MacamCellParams = ParamsOf<typeof macamCellSpec>;

/** A cell design with its referenced devices resolved. */
export interface MacamCell {
  readonly name: string;
  readonly params: MacamCellParams;
  readonly lo: DwmtjParams;
  readonly hi: DwmtjParams;
  readonly nmos: MosfetParams;
  readonly pmos: MosfetParams;
  /** preset name of each part, for reports and netlist headers */
  readonly presets: Record<string, string>;
  /** source of each constant, by "part.param" */
  readonly sources: Record<string, string>;
}

export type Transistor = 'T1' | 'T2' | 'T3' | 'T4' | 'T5' | 'T6';
export const TRANSISTORS: readonly Transistor[] = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'];

/** Per-instance deviations from the design (variation). All default to the nominal device. */
export interface CellDeviation {
  /** R_P multipliers of M1 and M2 */
  rpLo?: number;
  rpHi?: number;
  /** TMR0 multipliers */
  tmrLo?: number;
  tmrHi?: number;
  /** wall-position offsets (AP fraction) */
  dfLo?: number;
  dfHi?: number;
  /** VTO offsets (V) per transistor; for the PMOS the offset adds to |VTO| */
  dvto?: Partial<Record<Transistor, number>>;
}

/** Load a cell preset and the device presets it references. */
export function loadMacamCell(nameOrPath = 'macam-measured'): MacamCell {
  const p = loadPreset<typeof macamCellSpec>(nameOrPath, 'macam-cell');
  return resolveMacamCell(p);
}

export function resolveMacamCell(p: LoadedPreset<typeof macamCellSpec>): MacamCell {
  const parts = {
    dwmtjLo: loadPreset(p.params.dwmtjLo, 'dwmtj'),
    dwmtjHi: loadPreset(p.params.dwmtjHi, 'dwmtj'),
    nmos: loadPreset(p.params.nmos, 'mosfet'),
    pmos: loadPreset(p.params.pmos, 'mosfet'),
  };
  const sources: Record<string, string> = {};
  for (const [k, s] of Object.entries(p.sources)) sources[`${p.name}.${k}`] = s;
  const presets: Record<string, string> = { cell: p.name };
  for (const [part, lp] of Object.entries(parts)) {
    presets[part] = lp.name;
    for (const [k, s] of Object.entries(lp.sources)) sources[`${lp.name}.${k}`] = s;
  }
  if (parts.nmos.params.polarity !== 'nmos') throw new Error(`${p.file}: params.nmos must name an nmos preset`);
  if (parts.pmos.params.polarity !== 'pmos') throw new Error(`${p.file}: params.pmos must name a pmos preset`);
  return {
    name: p.name,
    params: p.params,
    lo: parts.dwmtjLo.params as unknown as DwmtjParams,
    hi: parts.dwmtjHi.params as unknown as DwmtjParams,
    nmos: parts.nmos.params as unknown as MosfetParams,
    pmos: parts.pmos.params as unknown as MosfetParams,
    presets,
    sources,
  };
}

/** A copy of a cell with some parameters changed (SI), e.g. for sweeps. */
export function withCellParams(c: MacamCell, changes: Partial<MacamCellParams>): MacamCell {
  return { ...c, params: { ...c.params, ...changes } };
}

// ---------------------------------------------------------------------------------------------
// Device evaluation with deviations

function dw(p: DwmtjParams, rpMul = 1, tmrMul = 1): DwmtjParams {
  if (rpMul === 1 && tmrMul === 1) return p;
  return { ...p, ra: p.ra * rpMul, tmr0: p.tmr0 * tmrMul };
}

function tx(c: MacamCell, t: Transistor, dev?: CellDeviation): { p: MosfetParams; wl: number } {
  const pm = c.params;
  const wl = t === 'T1' ? pm.wlT1 : t === 'T2' ? pm.wlT2 : t === 'T3' ? pm.wlT3 : t === 'T4' ? pm.wlT4 : t === 'T5' ? pm.wlT5 : pm.wlT6;
  const base = t === 'T4' ? c.pmos : c.nmos;
  const d = dev?.dvto?.[t] ?? 0;
  if (d === 0) return { p: base, wl };
  return { p: { ...base, vto: base.polarity === 'pmos' ? base.vto - d : base.vto + d }, wl };
}

const clampF = (f: number) => Math.min(1, Math.max(0, f));

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
  const n5 = tx(c, 'T5', dev);
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

/** ML voltage after time t (V): inverts dischargeTime. */
export function matchLineVoltage(c: MacamCell, g2: number, g6: number, t = c.params.tEval, dev?: CellDeviation, solver: BoundSolver = 'root'): number {
  const vdd = c.params.vdd;
  if (matchLineCurrent(c, g2, g6, vdd, dev) <= 0) return vdd;
  // find v in (0, vdd) with dischargeTime(v) = t; dischargeTime decreases as v rises
  let lo = 1e-9;
  if (dischargeTime(c, g2, g6, lo, dev) <= t) return 0;
  let hi = vdd;
  // 'root': Brent's method on dischargeTime(v) - t (its sign is exactly the bisection's test) brackets
  // the crossing tightly; the bisection below then only evaluates midpoints inside that bracket
  let p = lo;
  let q = hi;
  let st: BranchState | undefined;
  if (solver === 'root') {
    st = mlState(c, g2, g6, dev);
    const flo = timeResidual(st, lo, t);
    const fhi = timeResidual(st, hi, t);
    if (flo > 0 && fhi < 0) {
      const r = brentBracket((v) => timeResidual(st!, v, t), lo, hi, flo, fhi, 1e-15);
      if (r.flo > 0 && r.fhi < 0) {
        p = r.lo;
        q = r.hi;
      }
    }
  }
  for (let i = 0; i < 60 && hi - lo > 1e-12; i++) {
    const m = 0.5 * (lo + hi);
    const above = m <= p ? true : m >= q ? false : st ? mlTime(st, m) > t : dischargeTime(c, g2, g6, m, dev) > t;
    if (above) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
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
 * How lowerBound / upperBound (and matchLineVoltage) find their answer. Both give the same number, bit
 * for bit:
 *  'root'   (default) locates the switching point of the bisection's predicate by root finding on a
 *           continuous function (for a bound: backwards along the cell's chain of smooth equations,
 *           confirmed by two evaluations of the predicate; about 10x less work than 25-30 predicate
 *           evaluations), then replays the bisection against that tight bracket (replayBisection),
 *           so it returns the very midpoint the bisection returns;
 *  'bisect' the plain bisection of the predicate (the reference).
 */
export type BoundSolver = 'root' | 'bisect';

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

/**
 * One branch of one device instance, prepared for bound searches: every per-device quantity (the
 * DW-MTJ with its deviations, the transistors with their VTO shifts, the quadrature rule) looked up
 * once. The functions below work on it with plain calls (no closures per evaluation).
 */
interface BranchState {
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

function branchState(c: MacamCell, branch: 'lo' | 'hi', f: number, dev?: CellDeviation): BranchState {
  const isLo = branch === 'lo';
  const m = isLo ? dw(c.lo, dev?.rpLo, dev?.tmrLo) : dw(c.hi, dev?.rpHi, dev?.tmrHi);
  const { x, w } = gaussLegendre(24);
  return {
    isLo,
    m,
    ff: clampF(f + ((isLo ? dev?.dfLo : dev?.dfHi) ?? 0)),
    rs: readSeriesResistance(m),
    td: tx(c, isLo ? 'T1' : 'T3', dev),
    t2: tx(c, 'T2', dev),
    t6: tx(c, 'T6', dev),
    p4: tx(c, 'T4', dev),
    n5: tx(c, 'T5', dev),
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
function mlTime(st: BranchState, vSense = st.vSense): number {
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

/** The discharge time with only this branch active at data-line voltage vdl: lowerBound's / upperBound's predicate quantity, bit for bit. */
function branchTime(st: BranchState, vdl: number): number {
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

// ---------------------------------------------------------------------------------------------
// Energy

export { type EnergyBreakdown, sumItems } from '../core/energy.ts';

/**
 * Energy of one search of one cell at data-line voltage vdl (J), itemised:
 *  lowerDivider, upperDivider: static current from SL x V_SL x t_eval;
 *  inverter: static inverter current x V_DD x t_eval;
 *  matchLine: recharging the ML to V_DD after the search, C_ML V_DD (V_DD - V_ML(t_eval)).
 */
export function searchEnergy(
  c: MacamCell,
  fLo: number,
  fHi: number,
  vdl: number,
  dev?: CellDeviation,
  enabled: { lo: boolean; hi: boolean } = { lo: true, hi: true },
): EnergyBreakdown {
  const p = c.params;
  const g1 = enabled.lo ? lowerGateVoltage(c, fLo, vdl, dev) : 0;
  const g2n = enabled.hi ? upperNodeVoltage(c, fHi, vdl, dev) : 0;
  const mLo = dw(c.lo, dev?.rpLo, dev?.tmrLo);
  const mHi = dw(c.hi, dev?.rpHi, dev?.tmrHi);
  const iLo = enabled.lo ? dwmtjReadCurrent(mLo, clampF(fLo + (dev?.dfLo ?? 0)), p.vsl - g1) : 0;
  const iHi = enabled.hi ? dwmtjReadCurrent(mHi, clampF(fHi + (dev?.dfHi ?? 0)), p.vsl - g2n) : 0;
  const g6 = enabled.hi ? inverterOutput(c, g2n, dev) : 0;
  const vml = matchLineVoltage(c, g1, g6, p.tEval, dev);
  return sumItems({
    lowerDivider: iLo * p.vsl * p.tEval,
    upperDivider: iHi * p.vsl * p.tEval,
    inverter: enabled.hi ? inverterCurrent(c, g2n, dev) * p.vdd * p.tEval : 0,
    matchLine: p.cMl * p.vdd * (p.vdd - vml),
  });
}

// ---------------------------------------------------------------------------------------------
// Achievable bounds, synthesis, variation

/** Every stable position of a DW-MTJ (its notches), or a fine grid if it is continuous. */
export function stablePositions(d: DwmtjParams, continuousGrid = 0): number[] {
  if (d.notches.length > 0) return [...d.notches];
  if (continuousGrid <= 1) return [];
  return Array.from({ length: continuousGrid }, (_, i) => i / (continuousGrid - 1));
}

/** The achievable V_lo of M1 and V_hi of M2 over their stable positions (continuous: a 65-point grid). */
export function achievableBounds(c: MacamCell): { lo: Array<{ f: number; v: number }>; hi: Array<{ f: number; v: number }> } {
  const lo = stablePositions(c.lo, 65).map((f) => ({ f, v: lowerBound(c, f) }));
  const hi = stablePositions(c.hi, 65).map((f) => ({ f, v: upperBound(c, f) }));
  return { lo, hi };
}

/** The window of bound values reachable at all: V_lo(f = 1) .. V_lo(f = 0) and V_hi likewise. */
export function boundRange(c: MacamCell, solver: BoundSolver = 'root'): { lo: [number, number]; hi: [number, number] } {
  return {
    lo: [lowerBound(c, 1, undefined, 1e-9, solver), lowerBound(c, 0, undefined, 1e-9, solver)],
    hi: [upperBound(c, 1, undefined, 1e-9, solver), upperBound(c, 0, undefined, 1e-9, solver)],
  };
}

/**
 * The wall position (continuous) that puts a bound at `target` volts: bounds fall monotonically as f
 * (the AP fraction, i.e. lower conductance) rises. Returns f in [0, 1], clamped at the ends.
 */
export function positionForBound(c: MacamCell, branch: 'lo' | 'hi', target: number, tol = 1e-7): number {
  const bound = (f: number) => (branch === 'lo' ? lowerBound(c, f, undefined, 1e-10) : upperBound(c, f, undefined, 1e-10));
  const b0 = bound(0);
  const b1 = bound(1);
  if (target >= b0) return 0;
  if (target <= b1) return 1;
  return brent((f) => bound(f) - target, 0, 1, tol);
}

/**
 * Synthesis: wall positions that make n bounds of one branch evenly spaced across its range
 * (the positions come out unevenly spaced because bound(f) is nonlinear).
 */
export function synthesizePositions(c: MacamCell, branch: 'lo' | 'hi', n: number, range?: [number, number]): { positions: number[]; targets: number[] } {
  const r = range ?? (branch === 'lo' ? boundRange(c).lo : boundRange(c).hi);
  const targets = Array.from({ length: n }, (_, i) => r[0] + ((r[1] - r[0]) * i) / (n - 1));
  const positions = targets.map((t) => positionForBound(c, branch, t));
  return { positions, targets };
}

/** The stable position whose bound is nearest the target (for a notched device), or the exact position (continuous). */
export function snapPositionForBound(c: MacamCell, branch: 'lo' | 'hi', target: number, table?: Array<{ f: number; v: number }>): { f: number; v: number } {
  const d = branch === 'lo' ? c.lo : c.hi;
  if (d.notches.length === 0) {
    const f = positionForBound(c, branch, target);
    return { f, v: branch === 'lo' ? lowerBound(c, f) : upperBound(c, f) };
  }
  const tab = table ?? stablePositions(d).map((f) => ({ f, v: branch === 'lo' ? lowerBound(c, f) : upperBound(c, f) }));
  let best = tab[0]!;
  for (const e of tab) if (Math.abs(e.v - target) < Math.abs(best.v - target)) best = e;
  return best;
}

export interface VariationSigmas {
  rp: number;
  tmr: number;
  vto: number;
  /** wall position sigma (AP fraction); defaults to each DW-MTJ's positionSigma */
  positionLo?: number;
  positionHi?: number;
}

export function cellSigmas(c: MacamCell): VariationSigmas {
  return { rp: c.params.sigmaRp, tmr: c.params.sigmaTmr, vto: c.params.sigmaVto, positionLo: c.lo.positionSigma, positionHi: c.hi.positionSigma };
}

/** Draw one cell instance's deviations from a seeded stream. */
export function sampleDeviation(rng: Rng, s: VariationSigmas): CellDeviation {
  const dvto: Partial<Record<Transistor, number>> = {};
  for (const t of TRANSISTORS) dvto[t] = s.vto > 0 ? rng.normal(0, s.vto) : 0;
  const mul = (sig: number) => (sig > 0 ? Math.max(0.05, 1 + rng.normal(0, sig)) : 1);
  return {
    rpLo: mul(s.rp),
    rpHi: mul(s.rp),
    tmrLo: mul(s.tmr),
    tmrHi: mul(s.tmr),
    dfLo: (s.positionLo ?? 0) > 0 ? rng.normal(0, s.positionLo!) : 0,
    dfHi: (s.positionHi ?? 0) > 0 ? rng.normal(0, s.positionHi!) : 0,
    dvto,
  };
}

export interface BoundStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  p05: number;
  p95: number;
}

function stats(xs: Float64Array): BoundStats {
  const finite = Array.from(xs).filter(Number.isFinite).sort((a, b) => a - b);
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, p05: NaN, p95: NaN };
  const mean = finite.reduce((s, x) => s + x, 0) / n;
  const std = Math.sqrt(finite.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  const pct = (p: number) => finite[Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))))]!;
  return { mean, std, min: finite[0]!, max: finite[n - 1]!, p05: pct(0.05), p95: pct(0.95) };
}

/** Seeded Monte Carlo of one cell's bounds under device variation. */
export function boundDistribution(
  c: MacamCell,
  fLo: number,
  fHi: number,
  opts: { samples?: number; seed?: number | string; sigmas?: VariationSigmas } = {},
): { vLo: Float64Array; vHi: Float64Array; lo: BoundStats; hi: BoundStats; nominal: Bounds; deviations: CellDeviation[] } {
  const n = opts.samples ?? 1000;
  const sig = opts.sigmas ?? cellSigmas(c);
  const vLo = new Float64Array(n);
  const vHi = new Float64Array(n);
  const deviations: CellDeviation[] = [];
  for (let i = 0; i < n; i++) {
    const dev = sampleDeviation(stream(opts.seed ?? 1, 'macam-mc', i), sig);
    deviations.push(dev);
    vLo[i] = lowerBound(c, fLo, dev, 1e-7);
    vHi[i] = upperBound(c, fHi, dev, 1e-7);
  }
  return { vLo, vHi, lo: stats(vLo), hi: stats(vHi), nominal: cellBounds(c, fLo, fHi), deviations };
}

/** Largest Monte Carlo sample count boundDistributionAsync takes (memory and time grow linearly). */
export const MAX_MC_SAMPLES = 1_000_000;

/**
 * boundDistribution for long runs: the same samples (the same draws, the same numbers) in chunks,
 * yielding to the event loop between them so progress can be shown and an interrupt (Ctrl-C) seen.
 * `onProgress(done, total)` after each chunk; when `signal` is aborted, `onAbort(done)` decides
 * what is thrown. The deviations are not kept.
 */
export async function boundDistributionAsync(
  c: MacamCell,
  fLo: number,
  fHi: number,
  opts: { samples: number; seed?: number | string; sigmas?: VariationSigmas; chunk?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal; onAbort?: (done: number) => Error },
): Promise<{ vLo: Float64Array; vHi: Float64Array; lo: BoundStats; hi: BoundStats; nominal: Bounds }> {
  const n = opts.samples;
  const sig = opts.sigmas ?? cellSigmas(c);
  const vLo = new Float64Array(n);
  const vHi = new Float64Array(n);
  const chunk = Math.max(1, opts.chunk ?? 500);
  for (let i0 = 0; i0 < n; i0 += chunk) {
    if (opts.signal?.aborted) throw opts.onAbort ? opts.onAbort(i0) : new Error(`interrupted after ${i0} of ${n} samples`);
    for (let i = i0; i < Math.min(n, i0 + chunk); i++) {
      const dev = sampleDeviation(stream(opts.seed ?? 1, 'macam-mc', i), sig);
      vLo[i] = lowerBound(c, fLo, dev, 1e-7);
      vHi[i] = upperBound(c, fHi, dev, 1e-7);
    }
    opts.onProgress?.(Math.min(n, i0 + chunk), n);
    await new Promise((r) => setImmediate(r));
  }
  return { vLo, vHi, lo: stats(vLo), hi: stats(vHi), nominal: cellBounds(c, fLo, fHi) };
}
