/**
 * Levenberg-Marquardt least squares over ml-matrix, with scaled parameters.
 *
 * Minimises S(p) = sum_i r_i(p)^2 for a residual function r (already weighted by the caller).
 * The optimiser works on u = p / scale (scale = typical magnitude of each parameter, by default the
 * magnitude of the start value), so parameters of very different size (ohms, volts, A/V^2) are
 * equally well conditioned. Each iteration solves
 *     (J^T J + lambda * D) du = -J^T r,      D = diag(J^T J) (Marquardt), floored
 * with J the Jacobian in u (central differences unless given); a step that lowers S is taken and
 * lambda shrinks (x 1/3), else lambda grows (x 2, 4, 8, ...) and the step is retried.
 * Converged when the relative drop in S is below ftol over a taken step, or the step is below
 * xtol * (|u| + xtol), or the cosine between the residual vector and every Jacobian column is below gtol. Hitting maxIter is "not converged".
 *
 * Uncertainties: with s^2 = S / (m - n) (the residual variance, m points, n parameters), the
 * covariance of p is s^2 (J_p^T J_p)^-1, J_p = J_u / scale; sigma_k = sqrt(cov_kk). With weights
 * 1/sigma_i given by the caller and a correct noise model, s^2 ~ 1.
 */
import { Matrix, solve } from 'ml-matrix';

export interface LmOptions {
  /** typical magnitude per parameter (default |p0|, or 1 where p0 = 0) */
  scale?: readonly number[];
  maxIter?: number;
  ftol?: number;
  xtol?: number;
  gtol?: number;
  /** initial damping (default 1e-3) */
  lambda0?: number;
  /** Jacobian dr/dp (m x n, row per residual), else central differences */
  jacobian?: (p: Float64Array) => Float64Array[];
  /** relative finite-difference step in u (default 1e-6) */
  fdStep?: number;
}

export interface LmResult {
  params: Float64Array;
  /** 1-sigma uncertainties, s * sqrt(diag (J^T J)^-1) */
  sigma: Float64Array;
  /** covariance matrix of the parameters (n x n, rows) */
  covariance: Float64Array[];
  /** final residual vector */
  residuals: Float64Array;
  /** sum of squared residuals */
  cost: number;
  /** residual variance estimate S / (m - n) */
  s2: number;
  dof: number;
  iterations: number;
  converged: boolean;
  /** why the loop stopped */
  reason: 'ftol' | 'xtol' | 'gtol' | 'maxIter' | 'stalled';
  /** J^T J was singular at the solution (a parameter is not determined by the data) */
  singular: boolean;
}

function sumSq(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return s;
}

/** Jacobian in the scaled coordinates u (m x n as Matrix). */
function jacobianU(
  f: (p: Float64Array) => Float64Array,
  p: Float64Array,
  scale: readonly number[],
  opts: LmOptions,
  m: number,
): Matrix {
  const n = p.length;
  const J = new Matrix(m, n);
  if (opts.jacobian) {
    const jp = opts.jacobian(p);
    for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) J.set(i, k, jp[i]![k]! * scale[k]!);
    return J;
  }
  const h = opts.fdStep ?? 1e-6;
  for (let k = 0; k < n; k++) {
    const uk = p[k]! / scale[k]!;
    const step = h * Math.max(1, Math.abs(uk));
    const pp = Float64Array.from(p);
    const pm = Float64Array.from(p);
    pp[k] = (uk + step) * scale[k]!;
    pm[k] = (uk - step) * scale[k]!;
    const rp = f(pp);
    const rm = f(pm);
    for (let i = 0; i < m; i++) J.set(i, k, (rp[i]! - rm[i]!) / (2 * step));
  }
  return J;
}

/** Fit parameters p (start p0) minimising the sum of squares of residuals(p). */
export function levenbergMarquardt(residuals: (p: Float64Array) => Float64Array, p0: readonly number[], opts: LmOptions = {}): LmResult {
  const n = p0.length;
  const scale = opts.scale ?? p0.map((x) => (x !== 0 ? Math.abs(x) : 1));
  for (const s of scale) if (!(s > 0 && Number.isFinite(s))) throw new RangeError(`levenbergMarquardt: bad scale ${s}`);
  const maxIter = opts.maxIter ?? 200;
  const ftol = opts.ftol ?? 1e-12;
  const xtol = opts.xtol ?? 1e-10;
  const gtol = opts.gtol ?? 1e-12;
  let p = Float64Array.from(p0);
  let r = residuals(p);
  const m = r.length;
  if (m < n) throw new RangeError(`levenbergMarquardt: ${m} residuals for ${n} parameters`);
  let cost = sumSq(r);
  if (!Number.isFinite(cost)) throw new RangeError('levenbergMarquardt: the residuals at the start point are not finite');
  let lambda = opts.lambda0 ?? 1e-3;
  let iterations = 0;
  let reason: LmResult['reason'] = 'maxIter';
  let converged = false;
  let J = jacobianU(residuals, p, scale, opts, m);
  outer: for (; iterations < maxIter; iterations++) {
    const JT = J.transpose();
    const A = JT.mmul(J);
    const g = JT.mmul(Matrix.columnVector(Array.from(r)));
    // scale-free gradient test (as MINPACK): the cosine between r and each column of J
    let gmax = 0;
    for (let k = 0; k < n; k++) {
      const den = Math.sqrt(A.get(k, k) * cost);
      gmax = Math.max(gmax, den > 0 ? Math.abs(g.get(k, 0)) / den : 0);
    }
    if (cost === 0 || gmax <= gtol) {
      reason = 'gtol';
      converged = true;
      break;
    }
    let dmax = 0;
    for (let k = 0; k < n; k++) dmax = Math.max(dmax, A.get(k, k));
    // inner loop: raise lambda until the step lowers the cost
    for (let tries = 0; tries < 60; tries++) {
      const M = A.clone();
      for (let k = 0; k < n; k++) M.set(k, k, A.get(k, k) + lambda * Math.max(A.get(k, k), 1e-12 * dmax, 1e-300));
      let du: Matrix;
      try {
        du = solve(M, g.clone().mul(-1));
      } catch {
        lambda *= 4;
        continue;
      }
      const pn = new Float64Array(n);
      let stepNorm = 0;
      let uNorm = 0;
      let finite = true;
      for (let k = 0; k < n; k++) {
        const d = du.get(k, 0);
        if (!Number.isFinite(d)) finite = false;
        const u = p[k]! / scale[k]!;
        pn[k] = (u + d) * scale[k]!;
        stepNorm += d * d;
        uNorm += u * u;
      }
      if (!finite) {
        lambda *= 4;
        continue;
      }
      const rn = residuals(pn);
      const cn = sumSq(rn);
      if (Number.isFinite(cn) && cn <= cost) {
        const drop = cost - cn;
        p = pn;
        r = rn;
        const prev = cost;
        cost = cn;
        lambda = Math.max(lambda / 3, 1e-15);
        if (Math.sqrt(stepNorm) <= xtol * (Math.sqrt(uNorm) + xtol)) {
          reason = 'xtol';
          converged = true;
          iterations++;
          break outer;
        }
        if (drop <= ftol * prev) {
          reason = 'ftol';
          converged = true;
          iterations++;
          break outer;
        }
        J = jacobianU(residuals, p, scale, opts, m);
        continue outer;
      }
      if (Math.sqrt(stepNorm) <= xtol * (Math.sqrt(uNorm) + xtol)) {
        // no step small enough lowers the cost: at the minimum to machine precision
        reason = 'xtol';
        converged = true;
        break outer;
      }
      lambda *= 2 ** (tries + 1);
      if (lambda > 1e30) break;
    }
    reason = 'stalled';
    break;
  }
  J = jacobianU(residuals, p, scale, opts, m);
  const dof = m - n;
  const s2 = dof > 0 ? cost / dof : Number.NaN;
  const A = J.transpose().mmul(J);
  let inv: Matrix | undefined;
  let singular = false;
  try {
    inv = solve(A, Matrix.eye(n));
    for (let k = 0; k < n; k++) {
      const d = inv.get(k, k);
      if (!Number.isFinite(d) || d < 0) singular = true;
    }
    // relative conditioning check: a (nearly) rank-deficient J^T J gives a useless inverse
    let amax = 0;
    for (let k = 0; k < n; k++) amax = Math.max(amax, A.get(k, k));
    for (let k = 0; k < n; k++) if (A.get(k, k) <= 1e-14 * amax) singular = true;
  } catch {
    singular = true;
  }
  const covariance: Float64Array[] = [];
  const sigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(n);
    for (let k = 0; k < n; k++) row[k] = inv && !singular ? s2 * inv.get(i, k) * scale[i]! * scale[k]! : Number.NaN;
    covariance.push(row);
    sigma[i] = Math.sqrt(Math.max(0, row[i]!));
  }
  return { params: p, sigma, covariance, residuals: r, cost, s2, dof, iterations, converged, reason, singular };
}
