/**
 * Programming a MACAM cell: the stable wall positions of its DW-MTJs, the bounds they reach, and the
 * position that puts a bound at a target voltage (continuous, or snapped to a notch).
 */
import { brent } from '../../core/numeric.ts';
import { type DwmtjParams } from '../dwmtj.ts';
import { boundRange, boundSolverFor } from './bounds.ts';
import { type MacamCell } from './cell.ts';

/** Every stable position of a DW-MTJ (its notches), or a fine grid if it is continuous. */
export function stablePositions(d: DwmtjParams, continuousGrid = 0): number[] {
  if (d.notches.length > 0) return [...d.notches];
  if (continuousGrid <= 1) return [];
  return Array.from({ length: continuousGrid }, (_, i) => i / (continuousGrid - 1));
}

/** The achievable V_lo of M1 and V_hi of M2 over their stable positions (continuous: a 65-point grid). */
export function achievableBounds(c: MacamCell): { lo: Array<{ f: number; v: number }>; hi: Array<{ f: number; v: number }> } {
  const bs = boundSolverFor(c);
  const lo = stablePositions(c.lo, 65).map((f) => ({ f, v: bs.bound('lo', f) }));
  const hi = stablePositions(c.hi, 65).map((f) => ({ f, v: bs.bound('hi', f) }));
  return { lo, hi };
}

/**
 * The wall position (continuous) that puts a bound at `target` volts: bounds fall monotonically as f
 * (the AP fraction, i.e. lower conductance) rises. Returns f in [0, 1], clamped at the ends. `bs`: the
 * cell's bound solver, for callers that solve many.
 */
export function positionForBound(c: MacamCell, branch: 'lo' | 'hi', target: number, tol = 1e-7, bs = boundSolverFor(c)): number {
  const bound = (f: number) => bs.bound(branch, f, undefined, 1e-10);
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
  const bs = boundSolverFor(c);
  const r = range ?? boundRange(c, bs)[branch];
  const targets = Array.from({ length: n }, (_, i) => r[0] + ((r[1] - r[0]) * i) / (n - 1));
  const positions = targets.map((t) => positionForBound(c, branch, t, undefined, bs));
  return { positions, targets };
}

/**
 * The stable position whose bound is nearest the target (for a notched device; from `table` when
 * given), or the exact position (continuous). `bs`: the cell's bound solver, for callers that solve many.
 */
export function snapPositionForBound(c: MacamCell, branch: 'lo' | 'hi', target: number, table?: Array<{ f: number; v: number }>, bs = boundSolverFor(c)): { f: number; v: number } {
  const d = branch === 'lo' ? c.lo : c.hi;
  if (d.notches.length === 0) {
    const f = positionForBound(c, branch, target, undefined, bs);
    return { f, v: bs.bound(branch, f) };
  }
  const tab = table ?? stablePositions(d).map((f) => ({ f, v: bs.bound(branch, f) }));
  let best = tab[0]!;
  for (const e of tab) if (Math.abs(e.v - target) < Math.abs(best.v - target)) best = e;
  return best;
}
