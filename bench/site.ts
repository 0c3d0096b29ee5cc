/**
 * The mixed activation site of `fusemix mix` (128 channels after a Dense layer, batch 64, the default
 * hardware: 128 programmed columns, 8-bit ADC + digital relu), forward + backward per batch, in the
 * three configurations a run uses: all digital, all analog, and the search (both paths evaluated,
 * gate gradients on). Baseline in the same run: one plain pass over the same 8192 values (u = g z and
 * the relu derivative), the least a site forward can cost. Median of 7 runs of 2,000 batches.
 *   npx tsx bench/site.ts
 */
import { stream } from '../src/core/rng.ts';
import { hardwareFor } from '../src/mixer/run.ts';
import { resolveMixOptions } from '../src/mixer/options.ts';
import { MixedActivation } from '../src/mixer/site.ts';

const C = 128;
const B = 64;
const REPS = 2000;
const RUNS = 7;
const hw = hardwareFor(resolveMixOptions({}));
const rng = stream(1, 'bench-site');
const x = rng.fillNormal(new Float64Array(B * C), 0.5, 1);
const dy = rng.fillNormal(new Float64Array(B * C), 0, 1);
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;

function timeUs(f: () => void): number {
  for (let r = 0; r < 200; r++) f();
  const runs: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t = performance.now();
    for (let r = 0; r < REPS; r++) f();
    runs.push(((performance.now() - t) * 1000) / REPS);
  }
  return median(runs);
}

const u = new Float64Array(B * C);
const d = new Float64Array(B * C);
const base = timeUs(() => {
  for (let i = 0; i < u.length; i++) {
    const v = 1.3 * x[i]!;
    u[i] = v;
    d[i] = v > 0 && v <= 4 ? 1 : 0;
  }
});
console.log(`mixed activation site, ${B} x ${C}, forward + backward, median of ${RUNS} x ${REPS} batches:`);
console.log(`  baseline (one pass: u = g z, relu')   ${base.toFixed(1).padStart(7)} us`);
for (const [name, gate, search] of [
  ['all digital', 0, false],
  ['all analog', 1, false],
  ['search (both paths)', 0.5, true],
] as const) {
  const site = new MixedActivation({ name: 'act0', channels: C, hardware: hw });
  site.mode = 'mix';
  site.scale = 1.3;
  site.setGates(new Float64Array(C).fill(gate), search ? new Float64Array(C).fill(0.25) : undefined);
  const t = timeUs(() => {
    site.forward(x, B, { training: true });
    site.backward(dy, B, { needInputGrad: true });
  });
  console.log(`  ${name.padEnd(37)} ${t.toFixed(1).padStart(7)} us  (${(t / base).toFixed(1)} x baseline)`);
}
