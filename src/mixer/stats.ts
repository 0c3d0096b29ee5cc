/** Paired tests and summary statistics of mix results (McNemar's exact test, mean and sd). */

/**
 * Paired comparison of two networks on the same test samples (McNemar's exact test): samples only
 * `a` gets right, only `b` gets right, and the two-sided binomial p-value of that split.
 */
export function mcnemar(maskA: string, maskB: string): { onlyA: number; onlyB: number; pValue: number } {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < maskA.length; i++) {
    if (maskA[i] === '1' && maskB[i] === '0') onlyA++;
    else if (maskA[i] === '0' && maskB[i] === '1') onlyB++;
  }
  return mcnemarCounts(onlyA, onlyB);
}

/** McNemar's exact test from the discordant counts (pooled counts of several paired comparisons). */
export function mcnemarCounts(onlyA: number, onlyB: number): { onlyA: number; onlyB: number; pValue: number } {
  const n = onlyA + onlyB;
  const k = Math.min(onlyA, onlyB);
  // P(X <= k), X ~ Binomial(n, 1/2), in log space
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return { onlyA, onlyB, pValue: n === 0 ? 1 : Math.min(1, 2 * tail) };
}

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(v: readonly number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd };
}
