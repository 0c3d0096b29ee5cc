/**
 * The error function and the standard normal distribution: erf, erfc (full relative accuracy in the
 * tail, by a power series below |x| = 2.5 and a continued fraction above), normalCdf and normalPdf.
 * Used by the GELU activation (src/units/activations.ts).
 */
const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2 / sqrt(pi)
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
/** below this |x|, erf comes from its power series; above, 1 - erfc from the continued fraction */
const ERF_SWITCH = 2.5;
/** erfc(x) for x at or above this uses the continued fraction (<= ~90 terms), keeping full relative accuracy */
const ERFC_SWITCH = 1.5;

/** erf(x) for 0 <= x < 2.5: (2/sqrt(pi)) e^{-x^2} sum_n (2x^2)^n x / (1*3*...*(2n+1)); all terms positive. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x >= 1.5 by the continued fraction
 *   erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated with modified Lentz.
 */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    if (D === 0) D = tiny;
    C = x + a / C;
    if (C === 0) C = tiny;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** Error function, |error| < 1e-15 (series below |x| = 2.5, continued fraction for erfc above). */
export function erf(x: number): number {
  if (x !== x) return Number.NaN;
  const ax = Math.abs(x);
  const v = ax < ERF_SWITCH ? erfSeries(ax) : 1 - erfcFraction(ax);
  return x < 0 ? -v : v;
}

/** Complementary error function 1 - erf(x), relative error ~1e-14 down to the denormal range (x < 26). */
export function erfc(x: number): number {
  if (x !== x) return Number.NaN;
  if (x >= ERFC_SWITCH) return x > 27.3 ? 0 : erfcFraction(x);
  if (x > -ERF_SWITCH) return 1 - (x < 0 ? -erfSeries(-x) : erfSeries(x));
  return 2 - (x < -27.3 ? 0 : erfcFraction(-x));
}

/** Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2 (accurate in the left tail). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}
/** Standard normal density. */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
