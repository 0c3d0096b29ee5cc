/**
 * One law, two renderings: the MTJ / DW-MTJ B-source and the level-1 MOSFET cards, simulated by
 * ngspice (binary and WebAssembly), against the TypeScript laws at many biases.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dwmtjReadCurrent, type DwmtjParams } from '../src/devices/dwmtj.ts';
import { mosfetCurrent } from '../src/devices/mosfet.ts';
import { mtjCurrent, type MtjParams } from '../src/devices/mtj.ts';
import { loadPreset } from '../src/devices/preset.ts';
import type { MosfetParams } from '../src/devices/mosfet.ts';
import { createEngine, type EngineKind, type SpiceEngine, vector } from '../src/spice/engine.ts';
import { binaryTests } from './helpers/spice.ts';
import { renderMosfetTest, renderMtjTest } from '../src/spice/testbench.ts';

const engines: EngineKind[] = binaryTests ? ['ngspice', 'wasm'] : ['wasm'];

const mtj = loadPreset('mtj-alamdar', 'mtj').params as unknown as MtjParams;
const dw = loadPreset('dwmtj-pt-5notch-lo', 'dwmtj').params as unknown as DwmtjParams;
const nmos = loadPreset('nmos-level1', 'mosfet').params as unknown as MosfetParams;
const pmos = loadPreset('pmos-level1', 'mosfet').params as unknown as MosfetParams;

function relErr(spice: number, law: number): number {
  const scale = Math.max(Math.abs(law), 1e-15);
  return Math.abs(spice - law) / scale;
}

const open: SpiceEngine[] = [];
afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

describe.each(engines)('device laws in ngspice (%s)', (kind) => {
  const engine = createEngine(kind);
  open.push(engine);

  it('MTJ (P, AP) and DW-MTJ read path (f = 0, 0.3, 0.7, 1, with the heavy-metal resistor) match the TypeScript laws within 1e-9', async () => {
    const fr = [0, 0.3, 0.7, 1];
    const net = renderMtjTest({ mtj, dwmtj: dw, fractions: fr, sweep: { from: -1, to: 1, step: 0.05 } });
    const r = await engine.run(net, { timeoutMs: 60_000 });
    const vb = vector(r, 'vb');
    expect(vb.length).toBe(41);
    const ip = vector(r, 'i(vsm_p)');
    const iap = vector(r, 'i(vsm_ap)');
    let worst = 0;
    vb.forEach((v, k) => {
      if (v === 0) {
        expect(Math.abs(ip[k]!)).toBeLessThan(1e-18);
        return;
      }
      worst = Math.max(worst, relErr(ip[k]!, mtjCurrent(mtj, 'P', v)), relErr(iap[k]!, mtjCurrent(mtj, 'AP', v)));
      fr.forEach((f, i) => {
        worst = Math.max(worst, relErr(vector(r, `i(vsd${i})`)[k]!, dwmtjReadCurrent(dw, f, v)));
      });
    });
    expect(worst).toBeLessThan(1e-9);
    // the law is not trivially linear: AP conductance rises with bias (TMR roll-off)
    const gAt = (v: number) => iap[vb.findIndex((x) => Math.abs(x - v) < 1e-9)]! / v;
    expect(gAt(1) / gAt(0.05)).toBeGreaterThan(1.2);
  });

  it.each(['nmos', 'pmos'] as const)('level-1 %s DC sweep (all regions, both V_DS signs) matches mosfetCurrent within 1e-9', async (which) => {
    const s = which === 'nmos' ? 1 : -1;
    const wl = 2.5;
    const net = renderMosfetTest(nmos, pmos, which, wl, {
      vds: [-0.4 * s, 0.8 * s, 0.05 * s],
      vgs: [0, 0.8 * s, 0.1 * s],
    });
    const r = await engine.run(net, { timeoutMs: 60_000 });
    const vd = vector(r, 'd');
    const vg = vector(r, 'g');
    const id = vector(r, 'i(vd)');
    expect(vd.length).toBe(25 * 9);
    const p = which === 'nmos' ? nmos : pmos;
    let worst = 0;
    let nonzero = 0;
    vd.forEach((v, k) => {
      // current into the drain from the source Vd is -i(vd); mosfetCurrent is into the drain for
      // NMOS and out of the drain for PMOS
      const spice = which === 'nmos' ? -id[k]! : id[k]!;
      const law = mosfetCurrent(p, vg[k]!, v, wl);
      if (law !== 0) nonzero++;
      worst = Math.max(worst, Math.abs(spice - law) / Math.max(Math.abs(law), 1e-12));
    });
    expect(nonzero).toBeGreaterThan(100);
    expect(worst).toBeLessThan(1e-9);
  });
});
