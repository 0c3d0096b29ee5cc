/**
 * Batch throughput of the fused MACAM unit (16-row 4-bit relu on the continuous-state device), one
 * core, against a baseline measured in the same run: a plain loop computing the ideal quantised relu
 * (the least any lookup can cost) and the digital path's batch evaluation.
 *   npx tsx bench/fused.ts
 */
import { stream } from '../src/core/rng.ts';
import { createDigitalPath } from '../src/units/digital-path.ts';
import { createFusedUnit } from '../src/units/fused.ts';

const N = 1 << 21;
const RUNS = 7;
const xs = new Float64Array(N);
stream(1, 'bench-fused').fillUniform(xs, -1, 4);
const out = new Int32Array(N);

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s[s.length >> 1]!;
}
function rate(fn: () => void): number {
  fn(); // warm-up
  const t: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return N / (median(t) / 1e3);
}

const t0 = performance.now();
const unit = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-projected' });
const programMs = performance.now() - t0;
const dp = createDigitalPath({ fn: 'relu', bits: 4, inputRange: unit.inputRange });

const fused = rate(() => unit.evaluateBatch(xs, out));
const ideal = rate(() => {
  for (let i = 0; i < N; i++) {
    const x = xs[i]! < 0 ? 0 : xs[i]! > 4 ? 4 : xs[i]!;
    out[i] = Math.floor(x * 3.75 + 0.5);
  }
});
const digital = rate(() => dp.evaluateBatch(xs, out));

console.log(`fused MACAM unit: ${unit.rows.length} rows, programmed in ${programMs.toFixed(0)} ms`);
console.log(`batch path:        ${(fused / 1e6).toFixed(1)} M activations/s (median of ${RUNS} runs of ${N})`);
console.log(`baseline, ideal quantised relu loop: ${(ideal / 1e6).toFixed(1)} M/s (fused/ideal = ${(fused / ideal).toFixed(2)})`);
console.log(`digital path batch (ADC + relu):     ${(digital / 1e6).toFixed(1)} M/s (fused/digital = ${(fused / digital).toFixed(2)})`);
