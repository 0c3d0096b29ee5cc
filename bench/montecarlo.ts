/**
 * Time of a 1,000-sample SPICE Monte Carlo of one MACAM cell's bounds, per engine (goal: < 10 s),
 * against the behavioral boundDistribution of the same samples (baseline, same run).
 *   npx tsx bench/montecarlo.ts [--samples 1000] [--runs 3] [--engines ngspice,wasm]   (--engines '': the behavioral baseline alone)
 * Prints medians; never asserts.
 */
import { availableParallelism } from 'node:os';
import { boundDistribution, loadMacamCell } from '../src/devices/macam.ts';
import type { EngineKind } from '../src/spice/engine.ts';
import { findNgspice } from '../src/spice/ngspice.ts';
import { defaultPositions } from '../src/spice/netlist.ts';
import { spiceMonteCarlo } from '../src/spice/montecarlo.ts';
import { enginePool } from '../src/spice/bound-search.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : d;
};
const samples = Number(arg('samples', '1000'));
const runs = Number(arg('runs', '3'));
let engines = arg('engines', 'ngspice,wasm').split(',').filter(Boolean) as EngineKind[];
try {
  findNgspice();
} catch {
  engines = engines.filter((e) => e !== 'ngspice');
  console.log('ngspice binary not found: wasm only');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cell = loadMacamCell('macam-measured');
const { fLo, fHi } = defaultPositions(cell);
console.log(`cell ${cell.name}, fLo=${fLo}, fHi=${fHi}, ${samples} samples, seed 1, ${availableParallelism()} cores, median of ${runs} runs`);

const tb: number[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  boundDistribution(cell, fLo, fHi, { samples, seed: 1 });
  tb.push(performance.now() - t0);
}
const base = median(tb);
console.log(`behavioral boundDistribution (baseline): ${(base / 1000).toFixed(2)} s`);

for (const kind of engines) {
  const pool = enginePool(kind);
  // warm the engines (wasm workers take ~1 s to start); not counted
  await spiceMonteCarlo(cell, { samples: 4, pool });
  const ts: number[] = [];
  let last;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    last = await spiceMonteCarlo(cell, { samples, seed: 1, pool });
    ts.push(performance.now() - t0);
  }
  await pool.close();
  const m = median(ts);
  const s = last!;
  const f = (v: number) => (v * 1e3).toFixed(4);
  console.log(
    `${kind}: ${(m / 1000).toFixed(2)} s per ${samples}-sample MC (${(m / base).toFixed(2)}x the behavioral), ` +
      `${s.search.runs} runs, ${s.search.probes} probes, ${s.search.rounds} rounds`,
  );
  console.log(
    `  V_lo mean/std spice ${f(s.spice.lo.mean)}/${f(s.spice.lo.std)} mV, behavioral ${f(s.behavioral.lo.mean)}/${f(s.behavioral.lo.std)} mV, max |diff| ${f(s.maxDiff.lo)} mV`,
  );
  console.log(
    `  V_hi mean/std spice ${f(s.spice.hi.mean)}/${f(s.spice.hi.std)} mV, behavioral ${f(s.behavioral.hi.mean)}/${f(s.behavioral.hi.std)} mV, max |diff| ${f(s.maxDiff.hi)} mV`,
  );
}
