/**
 * Activation-function library shared by the fused MACAM path and the ADC + digital path.
 *
 * Every activation carries f, its derivative df, its natural output range, whether it is monotone
 * (non-decreasing on the whole line) and its monotone pieces: maximal intervals on which f is strictly
 * increasing, strictly decreasing or constant. Breakpoints of smooth functions (the GELU and SiLU
 * minima) are found numerically from sign changes of df, not written in. On each piece
 * `inverseOnPiece(y, piece)` solves f(x) = y by safeguarded Newton + bisection to machine precision,
 * so MACAM thresholds t_k = f^-1(level boundary) land where the code really changes.
 *
 * Derivative at kinks follows PyTorch: relu'(0) = 0, relu6' is 0 at 0 and 6, hardswish'(x) = x/3 + 1/2
 * on [-3, 3]; piecewise-linear tables use the slope of the segment to the right of a breakpoint.
 *
 * The output quantisation both paths share (levels, boundaries, codes) is in quantise.ts; erf and the
 * normal CDF the GELU uses in src/core/erf.ts.
 */
import { ConfigError } from '../core/errors.ts';
import { normalCdf, normalPdf } from '../core/erf.ts';

// ---------------------------------------------------------------------------------------------
// Types

export type PieceKind = 'increasing' | 'decreasing' | 'constant';
export interface MonotonePiece {
  /** position in the activation's piece list */
  readonly index: number;
  /** ends of the interval (may be -Infinity / Infinity); neighbouring pieces share their end */
  readonly xLo: number;
  readonly xHi: number;
  readonly kind: PieceKind;
  /** f at xLo and at xHi (limits at infinite ends) */
  readonly fLo: number;
  readonly fHi: number;
}
export interface OutputRange {
  readonly lo: number;
  readonly hi: number;
  /** whether lo / hi are attained (false for limits such as sigmoid's 0 and 1) */
  readonly loClosed: boolean;
  readonly hiClosed: boolean;
}
export interface Activation {
  readonly name: string;
  f(x: number): number;
  df(x: number): number;
  readonly range: OutputRange;
  /** non-decreasing on the whole real line */
  readonly monotone: boolean;
  readonly pieces: readonly MonotonePiece[];
  /** interior breakpoints: the shared ends of neighbouring pieces, increasing */
  readonly breakpoints: readonly number[];
  /**
   * The x in `piece` with f(x) = y. If y lies beyond the piece's image, the end of the piece where f
   * comes closest is returned (possibly +-Infinity): that is where a threshold for y would sit. On a
   * constant piece y must equal the constant (the right end is returned, or the left one if the right
   * is infinite); otherwise RangeError.
   */
  inverseOnPiece(y: number, piece: MonotonePiece): number;
}

// ---------------------------------------------------------------------------------------------
// Generic machinery

interface Def {
  name: string;
  f(x: number): number;
  df(x: number): number;
  /** piece ends, increasing, including -Infinity and Infinity */
  ends: number[];
  kinds: PieceKind[];
  /** f(-inf), f(+inf) */
  limits: [number, number];
  inverse?: (y: number, piece: MonotonePiece) => number;
}

function fAt(d: Def, x: number): number {
  return x === -Infinity ? d.limits[0] : x === Infinity ? d.limits[1] : d.f(x);
}

function build(d: Def): Activation {
  const pieces: MonotonePiece[] = d.kinds.map((kind, i) => ({
    index: i,
    xLo: d.ends[i]!,
    xHi: d.ends[i + 1]!,
    kind,
    fLo: fAt(d, d.ends[i]!),
    fHi: fAt(d, d.ends[i + 1]!),
  }));
  let lo = Infinity;
  let hi = -Infinity;
  let loClosed = false;
  let hiClosed = false;
  for (const p of pieces) {
    for (const [x, y] of [
      [p.xLo, p.fLo],
      [p.xHi, p.fHi],
    ] as const) {
      const attained = Number.isFinite(x) || p.kind === 'constant';
      if (y < lo || (y === lo && attained)) {
        loClosed = y < lo ? attained : loClosed || attained;
        lo = y;
      }
      if (y > hi || (y === hi && attained)) {
        hiClosed = y > hi ? attained : hiClosed || attained;
        hi = y;
      }
    }
  }
  const monotone = pieces.every((p) => p.kind !== 'decreasing');
  const act: Activation = {
    name: d.name,
    f: d.f,
    df: d.df,
    range: { lo, hi, loClosed, hiClosed },
    monotone,
    pieces,
    breakpoints: d.ends.slice(1, -1),
    inverseOnPiece(y: number, piece: MonotonePiece): number {
      const pc = pieces[piece.index];
      if (!pc || pc.xLo !== piece.xLo || pc.xHi !== piece.xHi) {
        throw new RangeError(`inverseOnPiece: piece ${piece.index} does not belong to ${d.name}`);
      }
      if (y !== y) throw new RangeError(`inverseOnPiece(${d.name}): y is NaN`);
      if (pc.kind === 'constant') {
        if (y !== pc.fLo) throw new RangeError(`inverseOnPiece(${d.name}): piece ${pc.index} is constant ${pc.fLo}, asked for ${y}`);
        return Number.isFinite(pc.xHi) ? pc.xHi : pc.xLo;
      }
      const inc = pc.kind === 'increasing';
      const yMin = inc ? pc.fLo : pc.fHi;
      const yMax = inc ? pc.fHi : pc.fLo;
      if (y <= yMin) return inc ? pc.xLo : pc.xHi;
      if (y >= yMax) return inc ? pc.xHi : pc.xLo;
      return d.inverse ? d.inverse(y, pc) : solveMonotone(d.f, d.df, y, pc.xLo, pc.xHi, inc ? 1 : -1);
    },
  };
  return Object.freeze(act);
}

/**
 * Solve f(x) = y on [xLo, xHi] where s*f is strictly increasing and y is strictly inside the image.
 * Infinite ends are bracketed by doubling steps; then Newton steps are taken when they stay inside the
 * bracket and shrink fast enough, bisection otherwise (rtsafe-style), down to machine precision.
 */
export function solveMonotone(
  f: (x: number) => number,
  df: (x: number) => number,
  y: number,
  xLo: number,
  xHi: number,
  s: 1 | -1,
): number {
  const g = (x: number) => s * (f(x) - y);
  // bracket: g(a) < 0 < g(b); infinite ends are replaced by doubling steps outward
  let a = xLo;
  let b = xHi;
  if (!Number.isFinite(a)) {
    const start = Number.isFinite(b) ? b : 0;
    let step = 1;
    a = start - step;
    for (let i = 0; i < 1100 && !(g(a) < 0); i++) {
      if (!Number.isFinite(b) && g(a) > 0) b = a; // a point above y bounds the root from the right
      step *= 2;
      a = start - step;
    }
  }
  if (!Number.isFinite(b)) {
    const start = a;
    let step = 1;
    b = start + step;
    for (let i = 0; i < 1100 && !(g(b) > 0); i++) {
      if (g(b) < 0) a = b;
      step *= 2;
      b = start + step;
    }
  }
  let ga = g(a);
  let gb = g(b);
  if (ga === 0) return a;
  if (gb === 0) return b;
  if (!(ga < 0 && gb > 0)) throw new RangeError(`solveMonotone: could not bracket y = ${y} on [${xLo}, ${xHi}]`);
  let x = a + (b - a) / 2;
  let dxOld = b - a;
  let dx = dxOld;
  let gx = g(x);
  let dgx = s * df(x);
  for (let it = 0; it < 400; it++) {
    if (gx === 0) return x;
    if (gx < 0) {
      a = x;
      ga = gx;
    } else {
      b = x;
      gb = gx;
    }
    const xn = x - gx / dgx;
    if (dgx > 0 && xn > a && xn < b && Math.abs(2 * gx) < Math.abs(dxOld * dgx)) {
      dxOld = dx;
      dx = xn - x;
      x = xn;
    } else {
      dxOld = dx;
      const mid = a + (b - a) / 2;
      dx = mid - x;
      x = mid;
      if (x === a || x === b) break; // bracket is one ulp wide
    }
    if (Math.abs(dx) <= 2 * Number.EPSILON * Math.abs(x) + 1e-300) {
      gx = g(x);
      break;
    }
    gx = g(x);
    dgx = s * df(x);
  }
  // best of the final iterate and the bracket ends
  let best = x;
  let bestErr = Math.abs(g(x));
  for (const c of [a, b]) {
    const e = Math.abs(g(c));
    if (e < bestErr) {
      best = c;
      bestErr = e;
    }
  }
  return best;
}

/**
 * Interior points where df changes sign, found on a uniform scan of [lo, hi] and refined by bisection
 * to one ulp (zeros of df in the scan are skipped: only strict sign changes count).
 */
export function findCriticalPoints(df: (x: number) => number, lo: number, hi: number, n = 4000): number[] {
  const out: number[] = [];
  let xPrev = lo;
  let sPrev = Math.sign(df(lo));
  for (let i = 1; i <= n; i++) {
    const x = lo + ((hi - lo) * i) / n;
    const sx = Math.sign(df(x));
    if (sx === 0) continue;
    if (sPrev !== 0 && sx !== sPrev) {
      let a = xPrev;
      let b = x;
      for (let k = 0; k < 200; k++) {
        const m = a + (b - a) / 2;
        if (m === a || m === b) break;
        const sm = Math.sign(df(m));
        if (sm === sPrev) a = m;
        else if (sm === 0) {
          a = b = m;
          break;
        } else b = m;
      }
      out.push(a + (b - a) / 2);
    }
    sPrev = sx;
    xPrev = x;
  }
  return out;
}

/** Pieces of a smooth function from its critical points (scan range [-20, 20]). */
function smooth(
  name: string,
  f: (x: number) => number,
  df: (x: number) => number,
  limits: [number, number],
  inverse?: Def['inverse'],
): Activation {
  const crit = findCriticalPoints(df, -20, 20);
  const ends = [-Infinity, ...crit, Infinity];
  const kinds: PieceKind[] = [];
  for (let i = 0; i + 1 < ends.length; i++) {
    const a = ends[i]!;
    const b = ends[i + 1]!;
    const probe = Number.isFinite(a) ? (Number.isFinite(b) ? (a + b) / 2 : a + 1) : Number.isFinite(b) ? b - 1 : 0;
    kinds.push(df(probe) > 0 ? 'increasing' : 'decreasing');
  }
  return build({ name, f, df, ends, kinds, limits, ...(inverse ? { inverse } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Built-ins

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
/** sigma'(x) = e^{-|x|} / (1 + e^{-|x|})^2, without cancellation in the tails. */
function dsigmoid(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return e / ((1 + e) * (1 + e));
}

const builders: Record<string, () => Activation> = {
  identity: () =>
    build({ name: 'identity', f: (x) => x, df: () => 1, ends: [-Infinity, Infinity], kinds: ['increasing'], limits: [-Infinity, Infinity], inverse: (y) => y }),
  relu: () =>
    build({
      name: 'relu',
      f: (x) => (x > 0 ? x : 0),
      df: (x) => (x > 0 ? 1 : 0),
      ends: [-Infinity, 0, Infinity],
      kinds: ['constant', 'increasing'],
      limits: [0, Infinity],
      inverse: (y) => y,
    }),
  relu6: () =>
    build({
      name: 'relu6',
      f: (x) => (x > 0 ? (x < 6 ? x : 6) : 0),
      df: (x) => (x > 0 && x < 6 ? 1 : 0),
      ends: [-Infinity, 0, 6, Infinity],
      kinds: ['constant', 'increasing', 'constant'],
      limits: [0, 6],
      inverse: (y) => y,
    }),
  // closed-form inverses: near saturation f cannot resolve x (a step of one ulp in y is a large step in
  // x), so a solver on f would lose digits there; logit and atanh are exact on the double y
  sigmoid: () => smooth('sigmoid', sigmoid, dsigmoid, [0, 1], (y) => Math.log(y) - Math.log1p(-y)),
  tanh: () =>
    smooth(
      'tanh',
      Math.tanh,
      (x) => {
        const e = Math.exp(-2 * Math.abs(x));
        return (4 * e) / ((1 + e) * (1 + e));
      },
      [-1, 1],
      (y) => Math.atanh(y),
    ),
  gelu: () =>
    smooth(
      'gelu',
      (x) => x * normalCdf(x),
      (x) => normalCdf(x) + x * normalPdf(x),
      [0, Infinity],
    ),
  silu: () =>
    smooth(
      'silu',
      (x) => x * sigmoid(x),
      // d/dx x*s(x) = s(x) + x s(x) s(-x)
      (x) => sigmoid(x) * (1 + x * sigmoid(-x)),
      [0, Infinity],
    ),
  hardswish: () =>
    build({
      name: 'hardswish',
      f: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
      df: (x) => (x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5),
      // kinks at -3 and 3 (where the formula changes) and the vertex of x(x+3)/6 at -3/2 (closed form)
      ends: [-Infinity, -3, -1.5, Infinity],
      kinds: ['constant', 'decreasing', 'increasing'],
      limits: [0, Infinity],
      inverse: (y, pc) => {
        if (pc.kind === 'increasing' && y >= 3) return y;
        // x^2 + 3x - 6y = 0; larger root on the increasing piece, smaller on the decreasing one
        // roots (-3 +- disc)/2 of x^2 + 3x - 6y = 0, written without cancellation near y = 0:
        // larger root 12y / (3 + disc), smaller root -3 - 12y / (3 + disc)
        const r = (12 * y) / (3 + Math.sqrt(9 + 24 * y));
        return pc.kind === 'increasing' ? r : -3 - r;
      },
    }),
};

/** Names of the built-in activations. */
export const ACTIVATION_NAMES = Object.freeze(Object.keys(builders).sort());

const cache = new Map<string, Activation>();
/** A built-in activation by name; unknown names are a ConfigError listing the known ones. */
export function getActivation(name: string): Activation {
  let a = cache.get(name);
  if (a) return a;
  const b = Object.prototype.hasOwnProperty.call(builders, name) ? builders[name] : undefined;
  if (!b) throw new ConfigError(undefined, 'activation', `one of ${ACTIVATION_NAMES.join(', ')}`, name);
  a = b();
  cache.set(name, a);
  return a;
}

/**
 * A piecewise-linear activation through (xs[i], ys[i]), xs strictly increasing, constant beyond the
 * first and last points. Named "table".
 */
export function tableActivation(xs: ArrayLike<number>, ys: ArrayLike<number>, name = 'table'): Activation {
  const n = xs.length;
  if (n < 2) throw new ConfigError(undefined, 'xs', 'at least 2 table points', n);
  if (ys.length !== n) throw new ConfigError(undefined, 'ys', `${n} values (one per x)`, ys.length);
  const X = Float64Array.from(xs);
  const Y = Float64Array.from(ys);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(X[i]!)) throw new ConfigError(undefined, `xs[${i}]`, 'a finite number', X[i]);
    if (!Number.isFinite(Y[i]!)) throw new ConfigError(undefined, `ys[${i}]`, 'a finite number', Y[i]);
    if (i > 0 && !(X[i]! > X[i - 1]!)) throw new ConfigError(undefined, `xs[${i}]`, `a value above xs[${i - 1}] = ${X[i - 1]}`, X[i]);
  }
  /** segment i covers [X[i], X[i+1]); -1 below X[0], n-1 at or above X[n-1] */
  const seg = (x: number): number => {
    if (x < X[0]!) return -1;
    if (x >= X[n - 1]!) return n - 1;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const m = (lo + hi) >> 1;
      if (x >= X[m]!) lo = m;
      else hi = m;
    }
    return lo;
  };
  const f = (x: number): number => {
    const i = seg(x);
    if (i < 0) return Y[0]!;
    if (i >= n - 1) return Y[n - 1]!;
    const t = (x - X[i]!) / (X[i + 1]! - X[i]!);
    return Y[i]! + t * (Y[i + 1]! - Y[i]!);
  };
  const df = (x: number): number => {
    const i = seg(x);
    if (i < 0 || i >= n - 1) return 0;
    return (Y[i + 1]! - Y[i]!) / (X[i + 1]! - X[i]!);
  };
  // merge segments of equal slope sign into pieces; the outer constant extensions join constant segments
  const kindOf = (dy: number): PieceKind => (dy > 0 ? 'increasing' : dy < 0 ? 'decreasing' : 'constant');
  const ends: number[] = [-Infinity];
  const kinds: PieceKind[] = ['constant'];
  for (let i = 0; i + 1 < n; i++) {
    const k = kindOf(Y[i + 1]! - Y[i]!);
    if (k !== kinds[kinds.length - 1]) {
      ends.push(X[i]!);
      kinds.push(k);
    }
  }
  if (kinds[kinds.length - 1] !== 'constant') {
    ends.push(X[n - 1]!);
    kinds.push('constant');
  }
  ends.push(Infinity);
  const inverse = (y: number, pc: MonotonePiece): number => {
    // the segment of this piece whose y-span holds y; linear inverse there
    for (let i = Math.max(0, seg(pc.xLo)); i + 1 < n && X[i]! < pc.xHi; i++) {
      const y0 = Y[i]!;
      const y1 = Y[i + 1]!;
      if ((y - y0) * (y - y1) <= 0 && y0 !== y1) {
        if (y === y0) return X[i]!;
        if (y === y1) return X[i + 1]!;
        return X[i]! + ((y - y0) / (y1 - y0)) * (X[i + 1]! - X[i]!);
      }
    }
    /* c8 ignore next */
    throw new RangeError(`table inverse: ${y} not found on piece ${pc.index}`);
  };
  return build({ name, f, df, ends, kinds, limits: [Y[0]!, Y[n - 1]!], inverse });
}

/** Minimum and maximum of f over [xLo, xHi] (ends and interior breakpoints; f is monotone between them). */
export function activationRangeOn(act: Activation, xLo: number, xHi: number): { lo: number; hi: number } {
  if (!(xHi > xLo)) throw new ConfigError(undefined, 'inputRange', `[lo, hi] with hi > lo`, [xLo, xHi]);
  let lo = Math.min(act.f(xLo), act.f(xHi));
  let hi = Math.max(act.f(xLo), act.f(xHi));
  for (const b of act.breakpoints) {
    if (b > xLo && b < xHi) {
      const y = act.f(b);
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  return { lo, hi };
}
