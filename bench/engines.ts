/**
 * SPICE engine overheads: engine start, per-run cost on a small netlist (median of several runs),
 * and runMany throughput with 1 vs 2 engines. Baselines: the wasm engine for per-run cost, one
 * thread for throughput. Run: npx tsx bench/engines.ts [--runs 20] [--jobs 40]
 *
 * Figures the engine sources quoted before issue 15 (2-core machine; this bench prints the first
 * two, the README's "Measured figures" has its latest run): wasm engine ~0.5-1.5 s to start and
 * ~1.5 ms per small netlist, ~200 MB per instance; the ngspice binary ~7 ms per process.
 */
import { createEngine, type EngineKind } from '../src/spice/engine.ts';
import { findNgspice } from '../src/spice/ngspice.ts';
import { EnginePool } from '../src/spice/pool.ts';
import { WasmEngine } from '../src/spice/wasm.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 20);
const JOBS = arg('jobs', 40);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const small = (r: number) => `divider\nv1 in 0 1\nr1 in out 1k\nr2 out 0 ${r}\n.op\n.end\n`;
const sweep = (r: number) => `diode sweep\nv1 in 0 1\nr1 in out ${r}\nd1 out 0 dm\n.model dm d(is=1e-14)\n.dc v1 0 2 1m\n.end\n`;

const kinds: EngineKind[] = ['wasm'];
try {
  findNgspice();
  kinds.push('ngspice');
} catch {
  console.log('ngspice binary not found: benchmarking wasm only');
}

// engine start (wasm: worker + WebAssembly module; ngspice: nothing persistent, one process per run)
const starts: number[] = [];
for (let i = 0; i < 3; i++) {
  const e = new WasmEngine();
  await e.start();
  starts.push(e.lastStartMs);
  await e.close();
}
console.log(`wasm engine start: median ${median(starts).toFixed(0)} ms over 3 (${starts.map((s) => s.toFixed(0)).join(', ')})`);

const perRun: Record<string, number> = {};
for (const kind of kinds) {
  const e = createEngine(kind);
  await e.run(small(1e3)); // warm-up (starts the wasm worker)
  for (const [label, net] of [
    ['op, 1 point', small],
    ['dc, 2001 points', sweep],
  ] as const) {
    const ts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await e.run(net(1e3 + i));
      ts.push(performance.now() - t);
    }
    perRun[`${kind} ${label}`] = median(ts);
  }
  await e.close();
}
const base = perRun['wasm op, 1 point']!;
console.log(`\nper-run wall time (median of ${RUNS}), ratio to wasm op:`);
for (const [k, v] of Object.entries(perRun)) console.log(`  ${k.padEnd(28)} ${v.toFixed(2).padStart(8)} ms   x${(v / base).toFixed(2)}`);

console.log(`\nrunMany throughput, ${JOBS} independent dc sweeps (2001 points each), warm engines:`);
for (const kind of kinds) {
  let one = 0;
  for (const threads of [1, 2]) {
    const pool = new EnginePool(kind, threads);
    await pool.runMany(Array.from({ length: threads }, (_, i) => small(1e3 + i))); // warm up every engine
    const reps: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t = performance.now();
      await pool.runMany(Array.from({ length: JOBS }, (_, i) => sweep(1e3 + i)));
      reps.push(performance.now() - t);
    }
    await pool.close();
    const ms = median(reps);
    if (threads === 1) one = ms;
    console.log(
      `  ${kind.padEnd(8)} threads=${threads}: ${ms.toFixed(0).padStart(6)} ms median of 3 -> ${((JOBS / ms) * 1000).toFixed(0)} runs/s, speed-up x${(one / ms).toFixed(2)}`,
    );
  }
}
