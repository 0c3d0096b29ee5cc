/**
 * Programming the default SuperMixer column pool (issue 9): createActivationHardware with the
 * options of `fusemix mix` (resolveMixOptions({}): 128 fused MACAM columns, relu, 4 bits,
 * macam-measured, per-column variation) and its pool programmed (`.pool`: the columns are programmed
 * on first use), bound solver 'root' (default) against 'bisect' (the plain bisection, the reference;
 * thresholds within the solver tolerance) measured in the same run.
 *   npx tsx bench/columns.ts [--runs 5]
 * 1. cold: a fresh process per run (the case of a `fusemix mix` start-up: nothing JIT-compiled yet);
 * 2. warm: fresh option keys (new seeds) in this process, after one warm-up pool per solver;
 * 3. one column (createFusedUnit with a fresh variation seed), cold and warm;
 * 4. the thresholds of both pools compared (max |change| over every row bound and breakpoint, V and x).
 * Medians; the machine may be shared, so runs alternate between the solvers.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadMacamCell } from '../src/devices/macam.ts';
import { createActivationHardware, type HardwareOptions } from '../src/mixer/hardware.ts';
import { resolveMixOptions } from '../src/mixer/options.ts';
import { hardwareOptions } from '../src/mixer/run.ts';
import { createFusedUnit, type FusedUnit } from '../src/units/fused.ts';

type Solver = 'root' | 'bisect';
const SOLVERS: Solver[] = ['bisect', 'root'];

function hwOptions(seed: string, boundSolver: Solver): HardwareOptions {
  return { ...hardwareOptions(resolveMixOptions({})), seed, boundSolver };
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  const n = s.length;
  return n % 2 ? s[n >> 1]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

const time = (fn: () => unknown): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

// ---- child: one cold measurement, printed as JSON
const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const solver = process.argv[childAt + 1] as Solver;
  const what = process.argv[childAt + 2];
  const seed = `bench-cold/${process.pid}`;
  let ms: number;
  if (what === 'column') {
    const cell = loadMacamCell(resolveMixOptions({}).cell);
    ms = time(() => createFusedUnit({ fn: 'relu', bits: 4, cell, boundSolver: solver, variation: { seed } }));
  } else ms = time(() => createActivationHardware(hwOptions(seed, solver)).pool);
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
  process.exit(0);
}

const runsAt = process.argv.indexOf('--runs');
const RUNS = Math.max(1, runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 5);
const self = fileURLToPath(import.meta.url);

function cold(solver: Solver, what: 'pool' | 'column'): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', solver, what], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number }).ms;
}

const line = (label: string, t: Record<Solver, number[]>) => {
  const b = median(t.bisect);
  const r = median(t.root);
  console.log(`${label.padEnd(34)} bisect ${b.toFixed(1).padStart(8)} ms   root ${r.toFixed(1).padStart(7)} ms   speed-up ${(b / r).toFixed(1)}x`);
};

console.log(`default column pool: ${hwOptions('', 'root').poolSize} columns (relu, 4 bits, macam-measured, variation); median of ${RUNS} runs`);

// 1. cold pools and columns, a fresh process each, alternating solvers
const coldPool: Record<Solver, number[]> = { bisect: [], root: [] };
const coldCol: Record<Solver, number[]> = { bisect: [], root: [] };
for (let i = 0; i < RUNS; i++) {
  for (const s of SOLVERS) {
    coldPool[s].push(cold(s, 'pool'));
    coldCol[s].push(cold(s, 'column'));
  }
}
line('pool, cold process', coldPool);
line('one column, cold process', coldCol);

// 2. warm: one pool per solver to warm up, then fresh keys
for (const s of SOLVERS) void createActivationHardware(hwOptions(`bench-warmup/${s}`, s)).pool;
const warmPool: Record<Solver, number[]> = { bisect: [], root: [] };
for (let i = 0; i < RUNS; i++) for (const s of SOLVERS) warmPool[s].push(time(() => createActivationHardware(hwOptions(`bench-warm/${s}/${i}`, s)).pool));
line('pool, warm (fresh keys)', warmPool);

// 3. one column, warm
const cell = loadMacamCell(resolveMixOptions({}).cell);
const warmCol: Record<Solver, number[]> = { bisect: [], root: [] };
for (let i = 0; i < Math.max(RUNS, 21); i++) {
  for (const s of SOLVERS) warmCol[s].push(time(() => createFusedUnit({ fn: 'relu', bits: 4, cell, boundSolver: s, variation: { seed: `bench-col/${i}` } })));
}
line('one column, warm', warmCol);

// 4. the same thresholds either way
const pools = SOLVERS.map((s) => createActivationHardware(hwOptions('bench-compare', s)).pool);
const values = (u: FusedUnit) => [...u.rows.flatMap((r) => [r.vLo, r.vHi, r.vLoActual!, r.vHiActual!]), ...u.actual.breakpoints, ...u.programmed.breakpoints];
let maxChange = 0;
let compared = 0;
pools[0]!.forEach((u, k) => {
  const a = values(u);
  const b = values(pools[1]![k]!);
  if (a.length !== b.length) maxChange = Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    compared++;
    if (!Object.is(a[i], b[i])) maxChange = Math.max(maxChange, Number.isFinite(a[i]! - b[i]!) ? Math.abs(a[i]! - b[i]!) : Number.POSITIVE_INFINITY);
  }
});
console.log(`thresholds, root vs bisect: ${compared} values over ${pools[0]!.length} columns, max |change| ${maxChange} (V for bounds, input units for breakpoints)`);
