/**
 * The differentiable relaxation of the analog/digital choice: binary Gumbel-softmax (the "binary
 * concrete" distribution) with an annealed temperature.
 *
 * Choice and why. Each channel (or layer) has one logit alpha, the analog preference. During the
 * search each training step draws one relaxed gate per logit,
 *
 *   p = sigmoid((alpha + g1 - g2) / tau),   g1, g2 ~ Gumbel(0, 1) (seeded),
 *
 * which is the two-class Gumbel-softmax, and mixes the two paths with it. We prefer it to a plain
 * sigmoid gate p = sigmoid(alpha) because the hardware can only realise p in {0, 1}: a sigmoid gate
 * lets the network settle on blends (p ~ 0.5 of a 6-level analog column and an 8-bit ADC) that no
 * hard assignment reproduces, while the Gumbel noise makes the network train under near-hard
 * samples of both paths in proportion sigmoid(alpha), and annealing tau from tauStart to tauEnd
 * (geometric in the step) makes the samples ever closer to one-hot, so the gap between the relaxed
 * network and the hard assignment that follows closes during the search. The expected energy uses
 * the probability that the hard sample is analog, P(p > 1/2) = sigmoid(alpha), so it is exact for
 * the hard choice and equals the hard energy at a one-hot assignment.
 */
import type { Rng } from '../core/rng.ts';

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Temperature at `step` of `total` steps: tauStart -> tauEnd, geometric. */
export function temperature(step: number, total: number, tauStart: number, tauEnd: number): number {
  if (total <= 1) return tauEnd;
  const f = Math.min(1, Math.max(0, step / (total - 1)));
  return tauStart * (tauEnd / tauStart) ** f;
}

/**
 * One relaxed gate per logit: p[j] = sigmoid((alpha[j] + g1 - g2) / tau) and dp/dalpha = p (1 - p) / tau.
 * Without `rng` there is no noise (the deterministic sigmoid relaxation at temperature tau).
 */
export function relaxedGates(logits: Float64Array, tau: number, rng: Rng | undefined, p: Float64Array, dpda: Float64Array): void {
  if (!(tau > 0)) throw new RangeError(`temperature must be > 0, got ${tau}`);
  for (let j = 0; j < logits.length; j++) {
    const noise = rng ? rng.gumbel() - rng.gumbel() : 0;
    const v = sigmoid((logits[j]! + noise) / tau);
    p[j] = v;
    dpda[j] = (v * (1 - v)) / tau;
  }
}

/** Probability that the hard sample of each logit is analog: sigmoid(alpha). */
export function analogProbabilities(logits: Float64Array, out = new Float64Array(logits.length)): Float64Array {
  for (let j = 0; j < logits.length; j++) out[j] = sigmoid(logits[j]!);
  return out;
}
