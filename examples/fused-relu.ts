/**
 * Program a 4-bit fused MACAM relu on the default (5-state, as measured) cell and on the projected
 * continuous-state cell, and compare both with ADC + digital activation.
 *   npx tsx examples/fused-relu.ts
 */
import { compareUnit, formatQuantity } from 'fusemix';

for (const cell of ['macam-measured', 'macam-projected']) {
  const { report, unit } = compareUnit({ fn: 'relu', bits: 4, cell });
  console.log(`${cell}: ${report.rowsUsed} rows`);
  console.log(`  code at x = 1.0: ${unit.evaluate(1.0)} (ideal ${Math.round((1.0 / 4) * 15)})`);
  console.log(`  inputs whose code differs from the ideal: ${(100 * report.error.macam.mismatchFraction).toFixed(2)} %`);
  console.log(`  energy per activation: MACAM ${formatQuantity(report.energy.macam.total, 'J')}, ADC + digital ${formatQuantity(report.energy.digital.total, 'J')}`);
  console.log(`  saving: ${(100 * report.saving).toFixed(1)} %`);
}
