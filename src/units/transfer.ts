/**
 * Piecewise-constant transfers of a quantised activation: x -> code as breakpoints and codes, the
 * ideal one of Q(f(x)), the one a column of row intervals gives (lowest matching row wins), and an
 * O(1) lookup form of it for hot loops.
 */
import type { Activation } from './activations.ts';
import { levelBoundaries, quantiseOutput } from './quantise.ts';

/** A piecewise-constant transfer: code = codes[number of breakpoints <= x], x clamped to the range. */
export interface Transfer {
  breakpoints: Float64Array;
  codes: Int32Array;
}

/**
 * The actual transfer of a unit in O(1) lookup form: the input clamped to [x0, x1], a bucket table
 * (bucketScale buckets per unit of x) gives the segment at each bucket's left edge, then at most a few
 * steps forward over the breakpoints inside the bucket; codes[segment] is the code.
 */
export interface TransferLookup {
  readonly x0: number;
  readonly x1: number;
  readonly bucketScale: number;
  readonly bucketSeg: Int32Array;
  readonly breakpoints: Float64Array;
  readonly codes: Int32Array;
}

/** The code of x through a TransferLookup (transferCode's result, in O(1)). */
export function lookupCode(t: TransferLookup, x: number): number {
  const x0 = t.x0;
  const x1 = t.x1;
  if (x < x0) x = x0;
  else if (x > x1) x = x1;
  const bp = t.breakpoints;
  const n = bp.length;
  let s = t.bucketSeg[((x - x0) * t.bucketScale) | 0]!;
  while (s < n && bp[s]! <= x) s++;
  return t.codes[s]!;
}

/** Ideal code-change points of Q(f(x)) on [xLo, xHi] and the code of every interval (merged). */
export function idealTransfer(fn: Activation, bits: number, xr: [number, number], yr: [number, number]): Transfer {
  const [xLo, xHi] = xr;
  const bnds = levelBoundaries(bits, yr[0], yr[1]);
  const cuts: number[] = [];
  for (const p of fn.pieces) {
    const a = Math.max(p.xLo, xLo);
    const b = Math.min(p.xHi, xHi);
    if (!(b > a) || p.kind === 'constant') continue;
    const fa = fn.f(a);
    const fb = fn.f(b);
    const ylo = Math.min(fa, fb);
    const yhi = Math.max(fa, fb);
    for (const y of bnds) {
      if (y > ylo && y <= yhi) {
        const x = fn.inverseOnPiece(y, p);
        if (x > xLo && x < xHi) cuts.push(x);
      }
    }
  }
  cuts.sort((p, q) => p - q);
  const code = (x: number) => quantiseOutput(fn.f(x), bits, yr[0], yr[1]);
  const bps: number[] = [];
  const codes: number[] = [];
  const edges = [xLo, ...cuts, xHi];
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i]!;
    const b = edges[i + 1]!;
    if (!(b > a)) continue;
    // code at the left end (intervals are [a, b)); f(a) sits exactly on a boundary, which counts up
    const c = i === 0 ? code(a) : code(0.5 * (a + b));
    if (codes.length === 0) codes.push(c);
    else if (c !== codes[codes.length - 1]) {
      bps.push(a);
      codes.push(c);
    }
  }
  return { breakpoints: Float64Array.from(bps), codes: Int32Array.from(codes) };
}

/** Count of breakpoints <= x (binary search). */
export function segmentOf(bp: Float64Array, x: number): number {
  let lo = 0;
  let hi = bp.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (bp[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * The transfer of a column with row bounds [lo_k, hi_k) (volts) and row codes, expressed in x through
 * the inverse of the driver. Lowest matching row wins; a miss outputs code 0.
 */
export function columnTransfer(los: number[], his: number[], codes: number[], toX: (v: number) => number): Transfer {
  const pts = [...new Set([...los, ...his].filter(Number.isFinite))].sort((a, b) => a - b);
  const winner = (v: number) => {
    for (let k = 0; k < codes.length; k++) if (los[k]! <= v && v < his[k]!) return codes[k]!;
    return 0;
  };
  const segCodes: number[] = [];
  for (let i = 0; i <= pts.length; i++) {
    const v = i === 0 ? pts[0]! - 1 : i === pts.length ? pts[pts.length - 1]! + 1 : 0.5 * (pts[i - 1]! + pts[i]!);
    segCodes.push(pts.length === 0 ? winner(0) : winner(v));
  }
  // drop breakpoints where the code does not change
  const bps: number[] = [];
  const out: number[] = [segCodes[0]!];
  for (let i = 0; i < pts.length; i++) {
    if (segCodes[i + 1] !== out[out.length - 1]) {
      bps.push(toX(pts[i]!));
      out.push(segCodes[i + 1]!);
    }
  }
  return { breakpoints: Float64Array.from(bps), codes: Int32Array.from(out) };
}

/** Evaluate a transfer on one input. */
export function transferCode(t: Transfer, x: number, xr: [number, number]): number {
  const xc = x < xr[0] ? xr[0] : x > xr[1] ? xr[1] : x;
  return t.codes[segmentOf(t.breakpoints, xc)]!;
}
