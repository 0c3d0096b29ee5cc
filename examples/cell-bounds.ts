/**
 * The bounds of one MACAM cell as its DW-MTJ walls move, and their spread under device variation.
 *   npx tsx examples/cell-bounds.ts
 */
import { boundDistribution, formatQuantity, loadMacamCell, lowerBound, upperBound } from 'fusemix';

const cell = loadMacamCell('macam-projected');
for (const f of [0, 0.25, 0.5, 0.75, 1]) {
  console.log(`f = ${f.toFixed(2)}: V_lo = ${formatQuantity(lowerBound(cell, f), 'V')}, V_hi = ${formatQuantity(upperBound(cell, f), 'V')}`);
}
const mc = boundDistribution(loadMacamCell('macam-measured'), 1, 0, { samples: 100, seed: 7 });
console.log(`Monte Carlo (100 samples): V_lo ${formatQuantity(mc.lo.mean, 'V')} +- ${formatQuantity(mc.lo.std, 'V')}, V_hi ${formatQuantity(mc.hi.mean, 'V')} +- ${formatQuantity(mc.hi.std, 'V')}`);
