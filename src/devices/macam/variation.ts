/** Device variation of MACAM cells: the sigmas, seeded deviation draws, Monte Carlo of the bounds. */
import { stream, type Rng } from '../../core/rng.ts';
import { type Bounds, boundSolverFor, cellBounds } from './bounds.ts';
import { type CellDeviation, type MacamCell, type Transistor, TRANSISTORS } from './cell.ts';

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

/** Sample i of a seeded Monte Carlo of one cell's bounds: its deviations, its bounds written into vLo[i], vHi[i]. */
function boundSampler(c: MacamCell, fLo: number, fHi: number, opts: { seed?: number | string; sigmas?: VariationSigmas }, vLo: Float64Array, vHi: Float64Array): (i: number) => CellDeviation {
  const sig = opts.sigmas ?? cellSigmas(c);
  const bs = boundSolverFor(c);
  return (i) => {
    const dev = sampleDeviation(stream(opts.seed ?? 1, 'macam-mc', i), sig);
    vLo[i] = bs.bound('lo', fLo, dev, 1e-7);
    vHi[i] = bs.bound('hi', fHi, dev, 1e-7);
    return dev;
  };
}

/** Seeded Monte Carlo of one cell's bounds under device variation. */
export function boundDistribution(
  c: MacamCell,
  fLo: number,
  fHi: number,
  opts: { samples?: number; seed?: number | string; sigmas?: VariationSigmas } = {},
): { vLo: Float64Array; vHi: Float64Array; lo: BoundStats; hi: BoundStats; nominal: Bounds; deviations: CellDeviation[] } {
  const n = opts.samples ?? 1000;
  const vLo = new Float64Array(n);
  const vHi = new Float64Array(n);
  const sample = boundSampler(c, fLo, fHi, opts, vLo, vHi);
  const deviations = Array.from({ length: n }, (_, i) => sample(i));
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
  const vLo = new Float64Array(n);
  const vHi = new Float64Array(n);
  const sample = boundSampler(c, fLo, fHi, opts, vLo, vHi);
  const chunk = Math.max(1, opts.chunk ?? 500);
  for (let i0 = 0; i0 < n; i0 += chunk) {
    if (opts.signal?.aborted) throw opts.onAbort ? opts.onAbort(i0) : new Error(`interrupted after ${i0} of ${n} samples`);
    for (let i = i0; i < Math.min(n, i0 + chunk); i++) sample(i);
    opts.onProgress?.(Math.min(n, i0 + chunk), n);
    await new Promise((r) => setImmediate(r));
  }
  return { vLo, vHi, lo: stats(vLo), hi: stats(vHi), nominal: cellBounds(c, fLo, fHi) };
}
