/**
 * The bound search in SPICE: a bound is the data-line voltage at which one branch alone brings the
 * match line to V_sense at exactly t_eval (src/devices/macam.ts). In SPICE each probe is one cell
 * instance (that branch only) with its own data-line source; many probes share one transient netlist
 * (probeMatchLines). For each bound a bracket is refined over rounds of runs (spiceBounds): a coarse
 * grid over [0, V_DD], then per round a false-position estimate with two side probes where
 * V_ML(t_eval) is informative (the lower branch is smooth in V_DL), or an even split where it is not
 * (the upper branch goes through a high-gain inverter, so V_ML(t_eval) is practically a step), until
 * the bracket is narrower than `tol`; the bound is then interpolated inside it. Used by the checks in
 * verify.ts, the Monte Carlo (montecarlo.ts) and the MOSFET calibration.
 */
import { availableParallelism } from 'node:os';
import { DataError } from '../core/errors.ts';
import { checkPlainText } from '../core/text.ts';
import type { CellDeviation, MacamCell } from '../devices/macam.ts';
import type { EngineKind } from './engine.ts';
import { vector } from './engine.ts';
import { checkGeneratedDeck } from './guard.ts';
import { type CellInstance, type TransistorModel, modelLibrary, renderCellArray } from './netlist.ts';
import { EnginePool } from './pool.ts';

export type Branch = 'lo' | 'hi';

/**
 * A transistor library that replaces the `model` one in the rendered netlists (e.g. a model card
 * file being calibrated: its cards renamed fm_nch / fm_pch plus the fm_nfet / fm_pfet wrappers).
 * Render with model 'bsim4' for any card with capacitances (operating point, no UIC).
 */
export interface CustomLibrary {
  text: string;
  /** what the library is, for the netlist header's transistor line */
  description: string;
}

/** Put a custom library in place of the model's in a netlist rendered for `cell` (and its header line). */
export function withLibrary(netlist: string, cell: MacamCell, model: TransistorModel, lib?: CustomLibrary): string {
  if (!lib) return netlist;
  const std = modelLibrary(cell, model);
  if (!netlist.includes(std)) throw new Error('withLibrary: the netlist does not contain the model library');
  checkPlainText(lib.description, undefined, 'library description');
  return checkGeneratedDeck(
    netlist
      .replace(std, () => (lib.text.endsWith('\n') ? lib.text : `${lib.text}\n`))
      .replace(/^(\* transistors: ).*$/m, (_m, a: string) => `${a}${lib.description}`),
    'netlist with a custom library',
  );
}

/** One bound to find: a branch of a cell instance (wall positions, optional deviations). */
export interface BoundTarget {
  branch: Branch;
  fLo: number;
  fHi: number;
  dev?: CellDeviation;
  /** an initial bracket guess [a, b] (V); widened as needed. Default: a coarse grid over [0, V_DD]. */
  guess?: [number, number];
  /** a label for comments in the netlist */
  label?: string;
}

export interface SearchOptions {
  model?: TransistorModel;
  /** stop when the bracket is narrower than this (V), default 20 uV */
  tol?: number;
  /** probes per netlist, default 250 */
  chunk?: number;
  /** points of the coarse grid over [0, V_DD] for targets without a guess, default 33 */
  coarse?: number;
  /** probes per round where V_ML(t_eval) is saturated (an even split of the bracket), default 3 */
  split?: number;
  /** at most this many rounds after the first, default 40 */
  maxRounds?: number;
  onRound?: (round: number, probes: number) => void;
  /** seed recorded in the probe netlists (header and .option seed) when the deviations come from one */
  seed?: { value: number | string; what: string };
  /** a transistor library in place of `model`'s */
  library?: CustomLibrary;
}

export interface SearchStats {
  rounds: number;
  runs: number;
  probes: number;
  elapsedMs: number;
}

/** A pool of engines kept for a whole verification (wasm workers start slowly). */
export function enginePool(kind: EngineKind, threads = Math.max(1, availableParallelism())): EnginePool {
  return new EnginePool(kind, threads);
}

interface State {
  t: BoundTarget;
  /** bracket: s(a) and s(b) on opposite sides of V_sense; NaN until known */
  a: number;
  b: number;
  sa: number;
  sb: number;
  done: boolean;
  value: number;
  /** guess phase: probes of the current bracket guess pending */
  phase: 'coarse' | 'guess' | 'refine';
  guessWidth: number;
}

/**
 * V_ML(t_eval) - V_sense for a list of probes (one netlist per `chunk` probes, run on the pool).
 */
export async function probeMatchLines(
  cell: MacamCell,
  probes: readonly CellInstance[],
  pool: EnginePool,
  opts: { model?: TransistorModel; chunk?: number; comments?: string[]; seed?: { value: number | string; what: string }; library?: CustomLibrary } = {},
): Promise<{ s: Float64Array; runs: number }> {
  const chunk = opts.chunk ?? 250;
  const items: Array<{ netlist: string; name: string }> = [];
  const nodes: string[][] = [];
  for (let i = 0; i < probes.length; i += chunk) {
    const part = probes.slice(i, i + chunk);
    const r = renderCellArray(cell, part, { model: opts.model ?? 'level1', what: `bound search probes ${i}..${i + part.length - 1}`, ...(opts.seed ? { seed: opts.seed } : {}), ...(opts.comments ? { comments: opts.comments.slice(i, i + chunk) } : {}) });
    items.push({ netlist: withLibrary(r.netlist, cell, opts.model ?? 'level1', opts.library), name: `bound probes ${i}..${i + part.length - 1}` });
    nodes.push(r.mlNodes);
  }
  const results = await pool.runMany(items);
  const s = new Float64Array(probes.length);
  const vs = cell.params.vSense;
  results.forEach((res, j) => {
    nodes[j]!.forEach((n, k) => {
      const v = vector(res, n, 'tran');
      s[j * chunk + k] = v[v.length - 1]! - vs;
    });
  });
  return { s, runs: items.length };
}

/** Is s (V_ML - V_sense) "discharged" (the branch pulls ML below V_sense)? */
const fast = (s: number) => s <= 0;

/**
 * Find bounds in SPICE. Returns the bound of every target (V; -Infinity / +Infinity with the same
 * meaning as lowerBound / upperBound when the branch never / always discharges over [0, V_DD]).
 */
export async function spiceBounds(
  cell: MacamCell,
  targets: readonly BoundTarget[],
  pool: EnginePool,
  opts: SearchOptions = {},
): Promise<{ bounds: Float64Array; stats: SearchStats }> {
  const t0 = Date.now();
  const vdd = cell.params.vdd;
  const tol = opts.tol ?? 20e-6;
  const coarse = Math.max(3, opts.coarse ?? 33);
  const maxRounds = opts.maxRounds ?? 40;
  const split = Math.max(1, opts.split ?? 3);
  // s saturates at V_DD - V_sense (ML untouched) and -V_sense (ML empty): only values strictly
  // inside carry distance information
  const sHi = vdd - cell.params.vSense;
  const sLo = -cell.params.vSense;
  const informative = (s: number) => s < sHi - 1e-4 && s > sLo + 1e-4;
  const states: State[] = targets.map((t) => ({
    t,
    a: NaN,
    b: NaN,
    sa: NaN,
    sb: NaN,
    done: false,
    value: NaN,
    phase: t.guess ? 'guess' : 'coarse',
    guessWidth: t.guess ? Math.max(t.guess[1] - t.guess[0], 4 * tol) : 0,
  }));
  const stats: SearchStats = { rounds: 0, runs: 0, probes: 0, elapsedMs: 0 };

  const probesOf = (st: State): number[] => {
    if (st.phase === 'coarse') return Array.from({ length: coarse }, (_, i) => (vdd * i) / (coarse - 1));
    if (st.phase === 'guess') {
      const g = st.t.guess!;
      const c = 0.5 * (g[0] + g[1]);
      const a = Math.max(0, c - st.guessWidth / 2);
      const b = Math.min(vdd, c + st.guessWidth / 2);
      return [a, b];
    }
    const { a, b, sa, sb } = st;
    const w = b - a;
    if (informative(sa) && informative(sb)) {
      // false position with a probe on each side: the bracket shrinks to 2d when the estimate is good
      const x = a + (w * sa) / (sa - sb);
      const d = Math.max(w * 0.01, tol / 4);
      const pts = [Math.max(x - d, a + w * 1e-3), Math.min(x + d, b - w * 1e-3)];
      return pts[1]! > pts[0]! ? pts : [x];
    }
    return Array.from({ length: split }, (_, i) => a + (w * (i + 1)) / (split + 1));
  };

  /** Update a state's bracket from sorted probes (v, s). */
  const absorb = (st: State, pts: Array<[number, number]>) => {
    const all = [...pts];
    if (st.phase === 'refine') all.push([st.a, st.sa], [st.b, st.sb]);
    all.sort((p, q) => p[0] - q[0]);
    const lo = st.t.branch === 'lo';
    // lo: fast at low v, slow above; hi: slow at low v, fast above
    const isLeft = (s: number) => (lo ? fast(s) : !fast(s));
    let k = -1;
    for (let i = 0; i + 1 < all.length; i++) if (isLeft(all[i]![1]) && !isLeft(all[i + 1]![1])) k = i;
    if (k < 0) {
      const allLeft = all.every((p) => isLeft(p[1]));
      const allRight = all.every((p) => !isLeft(p[1]));
      if (!allLeft && !allRight) throw new DataError(`V_ML(t_eval) is not monotone in V_DL (${st.t.branch}, fLo=${st.t.fLo}, fHi=${st.t.fHi})`);
      if (st.phase === 'coarse') return finishInfinite(st, allLeft);
      if (st.phase === 'guess') {
        // the crossing is right of the probes (all left) or left of them: beyond the range it is infinite
        if (allLeft && all[all.length - 1]![0] >= vdd) return finishInfinite(st, true);
        if (allRight && all[0]![0] <= 0) return finishInfinite(st, false);
        const g = st.t.guess!;
        const shift = allLeft ? st.guessWidth : -st.guessWidth;
        st.t = { ...st.t, guess: [g[0] + shift, g[1] + shift] };
        st.guessWidth *= 2;
        return;
      }
      throw new DataError(`bound search lost its bracket (${st.t.branch}, fLo=${st.t.fLo}, fHi=${st.t.fHi})`);
    }
    st.a = all[k]![0];
    st.sa = all[k]![1];
    st.b = all[k + 1]![0];
    st.sb = all[k + 1]![1];
    st.phase = 'refine';
    if (st.b - st.a < tol) finish(st);
  };
  const finishInfinite = (st: State, allLeft: boolean) => {
    // lo: left = fast; all fast -> the branch always discharges -> +Infinity, all slow -> -Infinity
    // hi: left = slow; all slow -> never discharges -> +Infinity, all fast -> -Infinity
    st.value = allLeft ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    st.done = true;
  };
  const finish = (st: State) => {
    const { a, b, sa, sb } = st;
    st.value = informative(sa) && informative(sb) && sa !== sb ? a + ((b - a) * sa) / (sa - sb) : 0.5 * (a + b);
    st.done = true;
  };

  for (let round = 0; round <= maxRounds; round++) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const probes: CellInstance[] = [];
    const owners: Array<{ st: State; from: number; vs: number[] }> = [];
    for (const st of active) {
      const vs = probesOf(st);
      if (vs.length === 0) {
        finish(st);
        continue;
      }
      owners.push({ st, from: probes.length, vs });
      for (const v of vs) probes.push({ variant: st.t.branch, fLo: st.t.fLo, fHi: st.t.fHi, vdl: v, ...(st.t.dev ? { dev: st.t.dev } : {}) });
    }
    if (probes.length === 0) break;
    const { s, runs } = await probeMatchLines(cell, probes, pool, { model: opts.model ?? 'level1', ...(opts.chunk ? { chunk: opts.chunk } : {}), ...(opts.seed ? { seed: opts.seed } : {}), ...(opts.library ? { library: opts.library } : {}) });
    stats.rounds++;
    stats.runs += runs;
    stats.probes += probes.length;
    opts.onRound?.(round, probes.length);
    for (const o of owners) absorb(o.st, o.vs.map((v, i) => [v, s[o.from + i]!] as [number, number]));
  }
  const left = states.filter((s) => !s.done);
  if (left.length) throw new DataError(`bound search did not converge for ${left.length} of ${states.length} bounds in ${maxRounds} rounds`);
  stats.elapsedMs = Date.now() - t0;
  return { bounds: Float64Array.from(states, (s) => s.value), stats };
}
