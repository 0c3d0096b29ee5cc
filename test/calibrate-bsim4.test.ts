import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrateMosfet, fitEkv, withTransistors } from '../src/calibrate/index.ts';
import type { IvSweep } from '../src/spice/mosfet-sweep.ts';
import { loadMacamCell } from '../src/devices/macam.ts';
import { loadPreset } from '../src/devices/preset.ts';
import { enginePool } from '../src/spice/bound-search.ts';
import { verifyCell, verifyUnit } from '../src/spice/verify.ts';
import { createFusedUnit } from '../src/units/fused.ts';
import { runCli } from './helpers/cli.ts';
import { binaryTests } from './helpers/spice.ts';

const ROOT = join(import.meta.dirname, '..');
const BSIM4 = join(ROOT, 'templates/models/bsim4.lib.hbs');


/**
 * The EKV law written out here, independently of src/devices/mosfet.ts (NMOS convention, V_DS >= 0):
 * I = 2 n KP (W/L) U_T^2 [F((V_GS - V_T)/(2 n U_T)) - F((V_GS - V_T - n V_DS)/(2 n U_T))] (1 + LAMBDA V_DS) / (1 + THETA max(V_GS - V_T, 0)),
 * F(x) = ln(1 + e^x)^2, V_T = VTO - ETA V_DS, U_T = k T / q at 300.15 K.
 */
function ekvRef(q: { vto: number; kp: number; lambda: number; n: number; theta: number; eta: number }, wl: number, vgs: number, vds: number): number {
  const ut = (1.380649e-23 * 300.15) / 1.602176634e-19;
  const F = (x: number) => Math.log(1 + Math.exp(x)) ** 2;
  const vt = q.vto - q.eta * vds;
  const a = 2 * q.n * ut;
  return (2 * q.n * q.kp * wl * ut * ut * (F((vgs - vt) / a) - F((vgs - vt - q.n * vds) / a)) * (1 + q.lambda * vds)) / (1 + q.theta * Math.max(vgs - vt, 0));
}

function synthSweep(q: Parameters<typeof ekvRef>[0], wl: number, sign: 1 | -1): IvSweep {
  const vs: number[] = [];
  for (let i = 0; i <= 40; i++) vs.push(i * 0.02);
  const vgs: number[] = [];
  const vds: number[] = [];
  const id: number[] = [];
  for (const g of vs) {
    for (const d of vs) {
      vgs.push(sign * g);
      vds.push(sign * d);
      id.push(ekvRef(q, wl, g, d));
    }
  }
  return { polarity: sign > 0 ? 'nmos' : 'pmos', w: wl * 100e-9, l: 100e-9, vgs: Float64Array.from(vgs), vds: Float64Array.from(vds), id: Float64Array.from(id) };
}

describe('EKV fit', () => {
  it('recovers the parameters of synthetic EKV data (nmos and pmos, two widths)', () => {
    const truthN = { vto: 0.38, kp: 520e-6, lambda: 0.15, n: 1.35, theta: 1.2, eta: 0.03 };
    const truthP = { vto: 0.41, kp: 180e-6, lambda: 0.22, n: 1.25, theta: 0.6, eta: 0.02 };
    const n = fitEkv([synthSweep(truthN, 1, 1), synthSweep(truthN, 2, 1)]);
    const p = fitEkv([synthSweep(truthP, 1, -1), synthSweep(truthP, 2, -1)]);
    expect(n.model).toBe('ekv');
    expect(n.vto.value).toBeCloseTo(0.38, 5);
    expect(n.kp.value / 520e-6).toBeCloseTo(1, 4);
    expect(n.lambda.value).toBeCloseTo(0.15, 4);
    expect(n.n!.value).toBeCloseTo(1.35, 4);
    expect(n.theta!.value).toBeCloseTo(1.2, 3);
    expect(n.eta!.value).toBeCloseTo(0.03, 4);
    expect(p.vto.value).toBeCloseTo(-0.41, 5);
    expect(p.kp.value / 180e-6).toBeCloseTo(1, 4);
    expect(p.n!.value).toBeCloseTo(1.25, 4);
    expect(p.theta!.value).toBeCloseTo(0.6, 3);
    expect(p.eta!.value).toBeCloseTo(0.02, 4);
    expect(n.gateRms!).toBeLessThan(1e-6);
  });
});

describe.skipIf(!binaryTests)('calibrate mosfet against the BSIM4 card (ngspice binary)', () => {
  it('brings the behavioral bounds to the SPICE bounds: >= 3x better and within 5 mV on verifyCell and verifyUnit', async () => {
    // a coarser sweep than the CLI default (40 mV steps) keeps the test fast
    const c = await calibrateMosfet({ card: BSIM4, engine: 'ngspice', name: 'bsim4-test', cellName: 'macam-bsim4-test', cell: 'macam-measured', step: '40mV' });
    expect(c.fit.nmos!.model).toBe('ekv');
    expect(c.fit.nmos!.refined?.targets).toBe(10);
    const sp = c.report.spice!;
    expect(sp.after.maxFinite).toBeLessThan(sp.before.maxFinite / 3);
    expect(sp.after.unmatched).toBe(0);
    // the cell preset written beside the transistors references them
    const cellOut = c.presets.find((p) => p.name === 'macam-bsim4-test')!;
    expect(cellOut.preset.params.nmos!.value).toBe('nmos-bsim4-test');
    expect(cellOut.preset.params.pmos!.value).toBe('pmos-bsim4-test');
    expect(cellOut.preset.params.nmos!.source).toMatch(/^fitted to templates\/models\/bsim4\.lib\.hbs by fusemix calibrate mosfet/);

    // independent check: the notch bounds (not in the fit's grid) in SPICE vs the behavioral ones
    const base = loadMacamCell('macam-measured');
    const fitted = { ...withTransistors(base, { nmos: c.fit.nmos!.params, pmos: c.fit.pmos!.params }), name: 'fitted' };
    const pool = enginePool('ngspice');
    try {
      const o = { pool, engine: 'ngspice' as const, model: 'bsim4' as const, search: { tol: 1e-4 } };
      const cellAfter = await verifyCell(fitted, o);
      expect(cellAfter.maxBoundError).toBeLessThanOrEqual(5e-3);
      const inputs = [0.5, 1.5, 2.5];
      const unitBefore = await verifyUnit(createFusedUnit({ fn: 'relu', bits: 4, cell: base }), { ...o, inputs });
      const unitAfter = await verifyUnit(createFusedUnit({ fn: 'relu', bits: 4, cell: fitted }), { ...o, inputs });
      expect(unitBefore.maxBoundError).toBeGreaterThan(0.015);
      expect(unitAfter.maxBoundError).toBeLessThanOrEqual(5e-3);
      expect(unitAfter.maxBoundError).toBeLessThanOrEqual(unitBefore.maxBoundError / 3);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('the shipped macam-bsim4 preset: verify unit --preset macam-bsim4 --model bsim4 programs that cell and its bounds are within 5 mV', () => {
    const cell = loadPreset('macam-bsim4', 'macam-cell');
    expect(cell.params.nmos).toBe('nmos-bsim4-fit');
    expect(cell.params.pmos).toBe('pmos-bsim4-fit');
    expect(loadPreset('nmos-bsim4-fit', 'mosfet').params.model).toBe('ekv');
    const r = runCli(['verify', 'unit', '--preset', 'macam-bsim4', '--model', 'bsim4', '--engine', 'ngspice', '--inputs', '6', '--tolerance', '5mV', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { preset: string; model: string; maxBoundErrorV: number; bounds: unknown[] };
    expect(j.preset).toBe('macam-bsim4');
    expect(j.model).toBe('bsim4');
    expect(j.bounds.length).toBeGreaterThan(0);
    expect(j.maxBoundErrorV).toBeLessThanOrEqual(5e-3);
  }, 60_000);
});
