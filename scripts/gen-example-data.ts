/**
 * Writes examples/data/mtj-rv.csv: a synthetic R-V sweep of a two-state MTJ (R_P 5 kohm, TMR0 1.5,
 * V_h 0.45 V) with 0.5 % seeded multiplicative noise, for the calibration walk-through in the README.
 * It is synthetic (made from the device law, not measured), and says so in its first line.
 *   npx tsx scripts/gen-example-data.ts
 */
import { writeFileAtomic } from '../src/core/io.ts';
import { stream } from '../src/core/rng.ts';
import { mtjResistance } from '../src/devices/mtj.ts';

const truth = { ra: 5000 * 0.01e-12, area: 0.01e-12, tmr0: 1.5, vh: 0.45 };
const rng = stream(2026, 'example-mtj');
const lines = ['# synthetic: R_P 5 kohm, TMR0 1.5, V_h 0.45 V, 0.5 % noise (fusemix scripts/gen-example-data.ts)', 'voltage[mV],resistance[kohm],state'];
for (const state of ['P', 'AP'] as const) {
  for (let v = -600; v <= 600; v += 50) {
    const r = mtjResistance(truth, state, v / 1000) * (1 + rng.normal(0, 0.005));
    lines.push(`${v},${(r / 1000).toFixed(5)},${state}`);
  }
}
writeFileAtomic('examples/data/mtj-rv.csv', `${lines.join('\n')}\n`);
