/** Small numeric tools: Gauss-Legendre quadrature, bracketed root finding. */

const GL_CACHE = new Map<number, { x: Float64Array; w: Float64Array }>();

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n, accurate to machine precision). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const cached = GL_CACHE.get(n);
  if (cached) return cached;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  const r = { x, w };
  GL_CACHE.set(n, r);
  return r;
}

/** Integral of f over [a, b], split at the given interior breakpoints, n-point Gauss-Legendre per piece. */
export function integrate(f: (x: number) => number, a: number, b: number, breaks: number[] = [], n = 20): number {
  const pts = [a, ...breaks.filter((t) => t > a && t < b).sort((p, q) => p - q), b];
  const { x, w } = gaussLegendre(n);
  return integratePieces(f, pts, x, w);
}

function integratePieces(f: (x: number) => number, pts: number[], x: Float64Array, w: Float64Array): number {
  let total = 0;
  for (let j = 0; j + 1 < pts.length; j++) {
    const lo = pts[j]!;
    const hi = pts[j + 1]!;
    const h = 0.5 * (hi - lo);
    const m = 0.5 * (hi + lo);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += w[i]! * f(m + h * x[i]!);
    total += s * h;
  }
  return total;
}

/**
 * Root of a continuous f on [lo, hi] with f(lo), f(hi) of opposite signs (Brent's method).
 * Throws RangeError when the root is not bracketed.
 */
export function brent(f: (x: number) => number, lo: number, hi: number, tol = 1e-14, maxIter = 200): number {
  const fa = f(lo);
  const fb = f(hi);
  if (fa === 0) return lo;
  if (fb === 0) return hi;
  if (fa * fb > 0) throw new RangeError(`root not bracketed in [${lo}, ${hi}]: f = ${fa}, ${fb}`);
  return brentCore(f, lo, hi, fa, fb, tol, maxIter).b;
}

/** A bracket [lo, hi] around a sign change of f, with f at both ends (see brentBracket). */
export interface RootBracket {
  /** best estimate of the root */
  x: number;
  lo: number;
  hi: number;
  flo: number;
  fhi: number;
}

/**
 * Brent's method (the same iterates as `brent`) started from a bracket whose f values the caller
 * already has (f(lo), f(hi) nonzero, of opposite signs), returning the final bracket as well as the
 * root: f(lo) and f(hi) of opposite signs with hi - lo <= ~tol (2 tol at most, unless maxIter ran
 * out), or lo = hi = x where f(x) is exactly 0. Throws RangeError when the signs do not differ.
 */
export function brentBracket(f: (x: number) => number, lo: number, hi: number, flo: number, fhi: number, tol = 1e-14, maxIter = 200): RootBracket {
  if (!(flo * fhi < 0)) throw new RangeError(`root not bracketed in [${lo}, ${hi}]: f = ${flo}, ${fhi}`);
  const r = brentCore(f, lo, hi, flo, fhi, tol, maxIter);
  if (r.fb === 0) return { x: r.b, lo: r.b, hi: r.b, flo: 0, fhi: 0 };
  return r.b <= r.c ? { x: r.b, lo: r.b, hi: r.c, flo: r.fb, fhi: r.fc } : { x: r.b, lo: r.c, hi: r.b, flo: r.fc, fhi: r.fb };
}

function brentCore(
  f: (x: number) => number,
  lo: number,
  hi: number,
  fLo: number,
  fHi: number,
  tol: number,
  maxIter: number,
): { b: number; fb: number; c: number; fc: number } {
  let a = lo;
  let b = hi;
  let fa = fLo;
  let fb = fHi;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let i = 0; i < maxIter; i++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return { b, fb, c, fc };
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  // out of iterations: make [b, c] a bracket again for the last iterate b (as the loop head would)
  if (fb * fc > 0) {
    c = a;
    fc = fa;
  }
  return { b, fb, c, fc };
}

/**
 * The switching point of a monotone predicate on [lo, hi]: the x where pred changes from its value
 * at lo to its value at hi, to within tol (bisection). Returns undefined if pred(lo) === pred(hi).
 */
export function bisectPredicate(pred: (x: number) => boolean, lo: number, hi: number, tol = 1e-12): number | undefined {
  const plo = pred(lo);
  if (pred(hi) === plo) return undefined;
  let a = lo;
  let b = hi;
  while (b - a > tol) {
    const m = 0.5 * (a + b);
    if (pred(m) === plo) a = m;
    else b = m;
  }
  return 0.5 * (a + b);
}
