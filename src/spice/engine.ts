/**
 * The SPICE engine interface and its factory. Two implementations run the same ngspice netlists and
 * return the same result shape (plots of named Float64Array vectors parsed from a raw file):
 *   - 'wasm'    eecircuit-engine (ngspice 45 in WebAssembly) in a worker thread: works after
 *               `npm install`, the default. See ./wasm.ts.
 *   - 'ngspice' the ngspice binary in batch mode, one process per run. See ./ngspice.ts.
 *
 * Netlists are plain ngspice netlists: a title line, elements, models and analysis cards (.dc,
 * .tran, .ac, .op, ...). A `.control` block is allowed; its commands run in place of the default
 * `run` (so a `foreach`/`alterparam` loop works), minus `quit`/`exit`. Every plot the run leaves
 * behind is returned.
 *
 * Many points per engine call (every call has a fixed overhead, a process per call for the binary:
 * bench/engines.ts; so batch points into one netlist when you can):
 *   - sweep a source: `.dc Vin 0 1 1m` gives 1001 points in one plot; nested: `.dc Vin 0 1 1m Vb 0 1 0.1`;
 *   - replicate the circuit: N independent subcircuit instances (`X1 ...`, `X2 ...`) with their own
 *     parameters in one netlist, all solved together (one .op/.tran for all of them);
 *   - a control-block loop (binary and wasm alike):
 *       .control
 *       foreach r 1k 2k 5k
 *         alterparam rload=$r
 *         reset
 *         run
 *       end
 *       .endc
 *     each pass leaves one more plot (dc1, dc2, ...), all returned in order.
 * Independent netlists run in parallel with `runMany` (./pool.ts).
 */
import { DataError } from '../core/errors.ts';
import { NgspiceEngine, type NgspiceEngineOptions } from './ngspice.ts';
import type { AnalysisType, SpicePlot } from './raw.ts';
import type { EngineKind, SpiceEngine, SpiceResult } from './types.ts';
import { WasmEngine, type WasmEngineOptions } from './wasm.ts';

export type { AnalysisType, SpicePlot } from './raw.ts';

export type { EngineKind, RunOptions, SpiceEngine, SpiceResult } from './types.ts';
export const ENGINE_KINDS: readonly EngineKind[] = ['wasm', 'ngspice'];

export { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from './ngspice.ts';

export type EngineOptions = WasmEngineOptions & NgspiceEngineOptions;

/** A new engine of the given kind. Engines start lazily on the first run. */
export function createEngine(kind: EngineKind = 'wasm', opts: EngineOptions = {}): SpiceEngine {
  if (kind === 'wasm') return new WasmEngine(opts);
  if (kind === 'ngspice') return new NgspiceEngine(opts);
  throw new DataError(`unknown SPICE engine "${String(kind)}": expected one of ${ENGINE_KINDS.join(', ')}`);
}

/** Names ngspice gives one node/current in different places: "out", "v(out)", "i(v1)", "v1#branch". */
function aliases(name: string): string[] {
  const n = name.trim().toLowerCase();
  const out = [n];
  let m = /^v\((.+)\)$/.exec(n);
  if (m) out.push(m[1]!);
  else if (!/^i\(/.test(n)) out.push(`v(${n})`);
  m = /^i\((.+)\)$/.exec(n);
  if (m) out.push(`${m[1]}#branch`);
  m = /^(.+)#branch$/.exec(n);
  if (m) out.push(`i(${m[1]})`);
  return out;
}

/** Locate a vector: in plot `plot` (index or analysis type) or else the first plot that has it. */
export function findVector(
  result: SpiceResult | SpicePlot[],
  name: string,
  plot?: number | AnalysisType,
): { plot: SpicePlot; plotIndex: number; key: string } {
  const plots = Array.isArray(result) ? result : result.plots;
  const candidates =
    plot === undefined
      ? plots.map((p, i) => [p, i] as const)
      : typeof plot === 'number'
        ? plots[plot]
          ? [[plots[plot]!, plot] as const]
          : []
        : plots.map((p, i) => [p, i] as const).filter(([p]) => p.type === plot);
  if (candidates.length === 0) {
    throw new DataError(
      `no plot ${String(plot)} in the SPICE result (plots: ${plots.map((p, i) => `${i}:${p.type}`).join(', ') || 'none'})`,
    );
  }
  const want = aliases(name);
  for (const [p, i] of candidates) {
    const key = p.names.find((k) => want.includes(k.toLowerCase()));
    if (key !== undefined) return { plot: p, plotIndex: i, key };
  }
  const have = [...new Set(candidates.flatMap(([p]) => p.names))].join(', ');
  throw new DataError(`no vector "${name}" in the SPICE result (vectors: ${have})`);
}

/** The values of a vector (real part for a complex plot). Names are case-insensitive; v(x) = x. */
export function vector(result: SpiceResult | SpicePlot[], name: string, plot?: number | AnalysisType): Float64Array {
  const f = findVector(result, name, plot);
  return f.plot.vectors[f.key]!;
}

/** Real and imaginary parts of a vector (imaginary zeros for a real plot). */
export function complexVector(
  result: SpiceResult | SpicePlot[],
  name: string,
  plot?: number | AnalysisType,
): { re: Float64Array; im: Float64Array } {
  const f = findVector(result, name, plot);
  const re = f.plot.vectors[f.key]!;
  return { re, im: f.plot.imag?.[f.key] ?? new Float64Array(re.length) };
}
