import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { levenbergMarquardt, requireGoodFit } from '../src/calibrate/index.ts';

describe('levenbergMarquardt', () => {
  it('matches closed-form ordinary least squares on a straight line (values and covariance)', () => {
    const rng = stream(11, 'lm-line');
    const x = Array.from({ length: 30 }, (_, i) => i / 10);
    const y = x.map((xi) => 2.5 - 0.7 * xi + rng.normal(0, 0.05));
    const fit = levenbergMarquardt((p) => Float64Array.from(x, (xi, i) => p[0]! + p[1]! * xi - y[i]!), [1, 1]);
    // independent: normal equations by hand
    const n = x.length;
    const sx = x.reduce((s, v) => s + v, 0);
    const sxx = x.reduce((s, v) => s + v * v, 0);
    const sy = y.reduce((s, v) => s + v, 0);
    const sxy = x.reduce((s, v, i) => s + v * y[i]!, 0);
    const det = n * sxx - sx * sx;
    const b = (n * sxy - sx * sy) / det;
    const a = (sy - b * sx) / n;
    const ssr = x.reduce((s, v, i) => s + (y[i]! - a - b * v) ** 2, 0);
    const s2 = ssr / (n - 2);
    expect(fit.converged).toBe(true);
    expect(fit.params[0]).toBeCloseTo(a, 9);
    expect(fit.params[1]).toBeCloseTo(b, 9);
    expect(fit.s2).toBeCloseTo(s2, 12);
    expect(fit.sigma[0]! / Math.sqrt((s2 * sxx) / det)).toBeCloseTo(1, 5);
    expect(fit.sigma[1]! / Math.sqrt((s2 * n) / det)).toBeCloseTo(1, 5);
    expect(fit.covariance[0]![1]! / ((-s2 * sx) / det)).toBeCloseTo(1, 5);
  });

  it('recovers a nonlinear model of badly scaled parameters from a poor start, within 3 sigma', () => {
    const rng = stream(12, 'lm-exp');
    const truth = [3e-6, 4e8, 1e-7]; // amplitude (A), rate (1/s), offset (A)
    const t = Array.from({ length: 60 }, (_, i) => i * 1e-10);
    const noise = 2e-8;
    const y = t.map((ti) => truth[0]! * Math.exp(-truth[1]! * ti) + truth[2]! + rng.normal(0, noise));
    const fit = levenbergMarquardt((p) => Float64Array.from(t, (ti, i) => p[0]! * Math.exp(-p[1]! * ti) + p[2]! - y[i]!), [1e-6, 1e9, 0], {
      scale: [1e-6, 1e9, 1e-7],
    });
    expect(fit.converged).toBe(true);
    for (let k = 0; k < 3; k++) expect(Math.abs(fit.params[k]! - truth[k]!)).toBeLessThan(3 * fit.sigma[k]!);
    expect(Math.sqrt(fit.s2)).toBeGreaterThan(0.7 * noise);
    expect(Math.sqrt(fit.s2)).toBeLessThan(1.3 * noise);
  });

  it('reports no convergence and a singular problem, which requireGoodFit turns into DataErrors', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = x.map((v) => Math.exp(0.9 * v));
    const slow = levenbergMarquardt((p) => Float64Array.from(x, (v, i) => p[0]! * Math.exp(p[1]! * v) - y[i]!), [1e-3, 0.01], { maxIter: 2 });
    expect(slow.converged).toBe(false);
    expect(() => requireGoodFit(slow, 'f.csv', ['a', 'b'])).toThrow(DataError);
    expect(() => requireGoodFit(slow, 'f.csv', ['a', 'b'])).toThrow(/did not converge/);
    // p[1] never enters the model: J^T J is singular
    const sing = levenbergMarquardt((p) => Float64Array.from(x, (v, i) => p[0]! * v - y[i]! + 0 * p[1]!), [1, 1]);
    expect(sing.singular).toBe(true);
    expect(() => requireGoodFit(sing, 'f.csv', ['a', 'b'])).toThrow(/do not determine/);
  });
});
