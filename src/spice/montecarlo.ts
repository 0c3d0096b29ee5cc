/**
 * SPICE Monte Carlo of one MACAM cell's bounds, against the behavioral boundDistribution with the
 * same seed: sample i has the deviations of stream(seed, 'macam-mc', i) (fusemix sampleDeviation),
 * rendered explicitly into its instances (R_P, TMR0, wall positions, per-transistor VTO offsets).
 *
 * The search: the nominal bounds are found in SPICE first (coarse grid + refinement); every sample
 * then starts from a bracket (see `start`), checked in SPICE and widened when the sample's bound
 * lies outside, and rounds of runs refine all samples' brackets at once (false position with side
 * probes on the smooth lower branch, bisection on the step-like upper branch), many instances per
 * netlist, netlists spread over the engine pool.
 */
import { ConfigError } from '../core/errors.ts';
import { type BoundStats, type MacamCell, boundDistribution } from '../devices/macam.ts';
import type { EngineKind } from './engine.ts';
import { defaultPositions, seedNumber, type TransistorModel } from './netlist.ts';
import type { EnginePool } from './pool.ts';
import { type BoundTarget, type SearchStats, enginePool, spiceBounds } from './bound-search.ts';

export interface MonteCarloOptions {
  samples?: number;
  seed?: number | string;
  fLo?: number;
  fHi?: number;
  engine?: EngineKind;
  model?: TransistorModel;
  pool?: EnginePool;
  threads?: number;
  /**
   * where each sample's bracket starts: 'behavioral' (default) centres a 1 mV bracket on the sample's
   * behavioral bound, 'nominal' a 64 mV bracket on the SPICE nominal bound. Either way the bracket
   * is checked in SPICE (both ends must straddle V_sense) and widened until it does, so the start
   * only changes the cost, never the bound found (to within `tol`).
   */
  start?: 'behavioral' | 'nominal';
  /** width of the starting bracket (V) */
  startWidth?: number;
  /** final bracket width (V), default 100 uV: 150x finer than the bound spread of the default cell */
  tol?: number;
  /** probes per netlist */
  chunk?: number;
  /** probes per round on the step-like upper branch (bisection = 1) */
  split?: number;
}

export interface MeanStd {
  mean: number;
  std: number;
}

export interface MonteCarloReport {
  engine: EngineKind;
  model: TransistorModel;
  preset: string;
  seed: number | string;
  ngspiceSeed: number;
  samples: number;
  fLo: number;
  fHi: number;
  spice: { vLo: Float64Array; vHi: Float64Array; lo: MeanStd; hi: MeanStd; nominal: { vLo: number; vHi: number } };
  behavioral: { vLo: Float64Array; vHi: Float64Array; lo: BoundStats; hi: BoundStats; nominal: { vLo: number; vHi: number } };
  /** max over samples of |spice - behavioral| per branch (V; same infinities count as 0) */
  maxDiff: { lo: number; hi: number };
  search: SearchStats;
  elapsedMs: number;
}

function meanStd(xs: Float64Array): MeanStd {
  const f = Array.from(xs).filter(Number.isFinite);
  const n = f.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = f.reduce((s, x) => s + x, 0) / n;
  const std = Math.sqrt(f.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  return { mean, std };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = Math.abs(a[i]! - b[i]!);
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}

/** 1,000-sample (by default) SPICE Monte Carlo of one cell's bounds vs boundDistribution. */
export async function spiceMonteCarlo(cell: MacamCell, o: MonteCarloOptions = {}): Promise<MonteCarloReport> {
  const t0 = Date.now();
  const n = o.samples ?? 1000;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(undefined, '--samples', 'a positive integer', n);
  const seed = o.seed ?? 1;
  const d = defaultPositions(cell);
  const fLo = o.fLo ?? d.fLo;
  const fHi = o.fHi ?? d.fHi;
  const model = o.model ?? 'level1';
  const beh = boundDistribution(cell, fLo, fHi, { samples: n, seed });
  const own = !o.pool;
  const pool = o.pool ?? enginePool(o.engine ?? 'wasm', o.threads);
  try {
    const search = { model, tol: o.tol ?? 1e-4, ...(o.chunk ? { chunk: o.chunk } : {}) };
    const nom = await spiceBounds(
      cell,
      [
        { branch: 'lo', fLo, fHi },
        { branch: 'hi', fLo, fHi },
      ],
      pool,
      search,
    );
    const start = o.start ?? 'behavioral';
    const w = o.startWidth ?? (start === 'behavioral' ? 0.001 : 0.064);
    const guess = (v: number, vdd: number): [number, number] | undefined => (Number.isFinite(v) ? [Math.max(0, v - w / 2), Math.min(vdd, v + w / 2)] : undefined);
    const vdd = cell.params.vdd;
    const targets: BoundTarget[] = [];
    for (let i = 0; i < n; i++) {
      const dev = beh.deviations[i]!;
      const gl = guess(start === 'behavioral' ? beh.vLo[i]! : nom.bounds[0]!, vdd);
      const gh = guess(start === 'behavioral' ? beh.vHi[i]! : nom.bounds[1]!, vdd);
      targets.push({ branch: 'lo', fLo, fHi, dev, ...(gl ? { guess: gl } : {}) }, { branch: 'hi', fLo, fHi, dev, ...(gh ? { guess: gh } : {}) });
    }
    const res = await spiceBounds(cell, targets, pool, {
      ...search,
      split: o.split ?? 1,
      seed: { value: seed, what: `deviations of sample i from stream(seed, 'macam-mc', i), fusemix sampleDeviation` },
    });
    const vLo = Float64Array.from({ length: n }, (_, i) => res.bounds[2 * i]!);
    const vHi = Float64Array.from({ length: n }, (_, i) => res.bounds[2 * i + 1]!);
    const st = res.stats;
    return {
      engine: pool.kind,
      model,
      preset: cell.name,
      seed,
      ngspiceSeed: seedNumber(seed),
      samples: n,
      fLo,
      fHi,
      spice: { vLo, vHi, lo: meanStd(vLo), hi: meanStd(vHi), nominal: { vLo: nom.bounds[0]!, vHi: nom.bounds[1]! } },
      behavioral: { vLo: beh.vLo, vHi: beh.vHi, lo: beh.lo, hi: beh.hi, nominal: beh.nominal },
      maxDiff: { lo: maxDiff(vLo, beh.vLo), hi: maxDiff(vHi, beh.vHi) },
      search: { rounds: st.rounds + nom.stats.rounds, runs: st.runs + nom.stats.runs, probes: st.probes + nom.stats.probes, elapsedMs: st.elapsedMs + nom.stats.elapsedMs },
      elapsedMs: Date.now() - t0,
    };
  } finally {
    if (own) await pool.close();
  }
}
