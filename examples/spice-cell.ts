/**
 * Write a MACAM cell's netlist from the typed presets, run it on the embedded WASM ngspice at data-line
 * voltages inside and outside the cell's window, and compare the match line with the behavioral model.
 *   npx tsx examples/spice-cell.ts
 */
import { cellBounds, cellMatches, formatQuantity, loadMacamCell, spice } from 'fusemix';

const cell = loadMacamCell('macam-measured');
const fLo = 1;
const fHi = 0.1845;
const b = cellBounds(cell, fLo, fHi);
console.log(`behavioral window: [${formatQuantity(b.vLo, 'V')}, ${formatQuantity(b.vHi, 'V')})`);

const engine = spice.createEngine('wasm');
try {
  for (const vdl of [b.vLo - 0.01, 0.5 * (b.vLo + b.vHi), b.vHi + 0.01]) {
    const netlist = spice.renderCell(cell, { fLo, fHi, vdl });
    const result = await engine.run(netlist, { timeoutMs: 30_000 });
    const v = spice.vector(result, 'ml0'); // the deck saves the match line of its one instance
    const vEnd = v[v.length - 1]!;
    const spiceMatch = vEnd > cell.params.vSense;
    console.log(
      `V_DL ${formatQuantity(vdl, 'V')}: V_ML(t_eval) = ${formatQuantity(vEnd, 'V')} -> ${spiceMatch ? 'match' : 'mismatch'} (behavioral: ${cellMatches(cell, fLo, fHi, vdl) ? 'match' : 'mismatch'})`,
    );
  }
} finally {
  await engine.close();
}
