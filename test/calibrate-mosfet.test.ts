import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { calibrateMosfet, writeCalibration } from '../src/calibrate/index.ts';
import { parseModelCards, pickCard } from '../src/spice/model-cards.ts';
import { spiceSweep, sweepNetlist } from '../src/spice/mosfet-sweep.ts';
import { type MosfetParams, mosfetCurrent } from '../src/devices/mosfet.ts';
import { loadPreset } from '../src/devices/preset.ts';
import { createEngine } from '../src/spice/engine.ts';
import { runCli } from './helpers/cli.ts';
import { binaryTests } from './helpers/spice.ts';

const ROOT = join(import.meta.dirname, '..');
const CARD = join(import.meta.dirname, 'fixtures/calibrate/level1-card.lib');
const BSIM4 = join(ROOT, 'templates/models/bsim4.lib.hbs');
const tmp = () => mkdtempSync(join(tmpdir(), 'fm-cal-mos-'));


/** Shichman-Hodges written out here (NMOS convention, V_DS >= 0), independent of src/devices/mosfet.ts. */
function shichmanHodges(vto: number, kp: number, lambda: number, vgs: number, vds: number): number {
  const vov = vgs - vto;
  if (vov <= 0) return 0;
  return vds < vov ? kp * (vov - vds / 2) * vds * (1 + lambda * vds) : (kp / 2) * vov * vov * (1 + lambda * vds);
}

describe('model cards', () => {
  it('parses .model statements with continuation lines, parentheses and skips handlebars lines', () => {
    const cards = parseModelCards(readFileSync(CARD, 'utf8'), CARD);
    expect(cards.map((c) => [c.name, c.type, c.level])).toEqual([
      ['tn_l1', 'nmos', 1],
      ['tp_l1', 'pmos', 1],
    ]);
    expect(cards[1]!.text).toMatch(/lambda=0\.09 gamma=0 is=0\)$/);
    const net = sweepNetlist(cards[1]!, { vmax: 0.8, step: 0.1 });
    expect(net).toMatch(/\.dc Vd -800m 0 100m Vg -800m 0 100m/);
    expect(() => parseModelCards('* nothing\n.subckt x a b\n.ends\n', 'e.lib')).toThrow(DataError);
    expect(() => pickCard(cards, 'nmos', 'nosuch', CARD)).toThrow(/no nmos .model card named nosuch/);
    const b = parseModelCards(readFileSync(BSIM4, 'utf8'), BSIM4);
    expect(b.map((c) => [c.type, c.level])).toEqual([
      ['nmos', 54],
      ['pmos', 54],
    ]);
  });
});

describe.skipIf(!binaryTests)('calibrate mosfet on the ngspice binary', () => {
  it('the sweep has the sign convention of mosfetCurrent (checked against the closed-form law)', async () => {
    const e = createEngine('ngspice');
    try {
      const cards = parseModelCards(readFileSync(CARD, 'utf8'), CARD);
      const n = await spiceSweep(e, pickCard(cards, 'nmos'), { step: 0.1 });
      const p = await spiceSweep(e, pickCard(cards, 'pmos'), { step: 0.1 });
      for (let i = 0; i < n.id.length; i++) {
        expect(n.id[i]!).toBeCloseTo(shichmanHodges(0.42, 210e-6, 0.06, n.vgs[i]!, n.vds[i]!), 9);
        expect(p.id[i]!).toBeCloseTo(shichmanHodges(0.38, 95e-6, 0.09, -p.vgs[i]!, -p.vds[i]!), 9);
      }
      expect(Math.max(...n.id)).toBeGreaterThan(1e-5);
    } finally {
      await e.close();
    }
  });

  it('recovers the parameters of a level-1 card exactly and writes loadable presets', async () => {
    const dir = tmp();
    const c = await calibrateMosfet({ card: CARD, engine: 'ngspice', name: 'l1test', cell: 'macam-measured' });
    const n = c.fit.nmos!;
    const p = c.fit.pmos!;
    expect(n.vto.value).toBeCloseTo(0.42, 5);
    expect(n.kp.value / 210e-6).toBeCloseTo(1, 5);
    expect(n.lambda.value).toBeCloseTo(0.06, 4);
    expect(p.vto.value).toBeCloseTo(-0.38, 5);
    expect(p.kp.value / 95e-6).toBeCloseTo(1, 5);
    expect(p.lambda.value).toBeCloseTo(0.09, 4);
    expect(c.report.gateError.nmos!.after.max).toBeLessThan(2e-3);
    // the shipped level-1 preset (VTO 0.35) is ~70 mV off this card
    expect(c.report.gateError.nmos!.before.max).toBeGreaterThan(0.05);
    expect(c.report.bounds.rows).toHaveLength(6);
    c.presets.forEach((pr) => (pr.path = join(dir, `${pr.name}.json`)));
    expect(c.presets.map((x) => x.name)).toEqual(['nmos-l1test', 'pmos-l1test']);
    writeCalibration(c, { plot: join(dir, 'fit.svg') });
    expect(readdirSync(dir).sort()).toEqual(['fit-nmos.svg', 'fit-pmos.svg', 'nmos-l1test.json', 'pmos-l1test.json']);
    const loaded = loadPreset(join(dir, 'nmos-l1test.json'), 'mosfet');
    const q = loaded.params as unknown as MosfetParams;
    expect(loaded.sources.vto).toMatch(/^fitted to .*level1-card\.lib by fusemix calibrate mosfet \(tn_l1, ngspice DC sweeps/);
    expect(mosfetCurrent(q, 0.7, 0.5)).toBeCloseTo(shichmanHodges(0.42, 210e-6, 0.06, 0.7, 0.5), 9);
  });

  it('fits the BSIM4 card better than the level-1 preset does (gate-voltage error at equal current)', async () => {
    const c = await calibrateMosfet({ card: BSIM4, engine: 'ngspice', type: 'nmos' });
    const g = c.report.gateError.nmos!;
    expect(g.after.rms).toBeLessThan(g.before.rms / 3);
    expect(c.fit.nmos!.vto.value).toBeGreaterThan(0.3);
    expect(c.presets[0]!.name).toBe('nmos-bsim4');
  });

  it('CLI: --from-spice with --json reports the fit and writes one preset; a card without the type exits 2', () => {
    const dir = tmp();
    const out = join(dir, 'p.json');
    const r = runCli(['calibrate', 'mosfet', '--from-spice', CARD, '--engine', 'ngspice', '--type', 'pmos', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { params: Record<string, { value: number }>; report: { gateError: Record<string, unknown> } };
    expect(j.params['pmos.vto']!.value).toBeCloseTo(-0.38, 5);
    expect(Object.keys(j.report.gateError)).toEqual(['pmos']);
    expect(loadPreset(out, 'mosfet').params.polarity).toBe('pmos');
    const nmosOnly = join(dir, 'n.lib');
    writeFileSync(nmosOnly, '.model a nmos level=1 vto=0.4 kp=100u\n');
    const bad = tmp();
    const rb = runCli(['calibrate', 'mosfet', '--from-spice', nmosOnly, '--engine', 'ngspice', '--type', 'pmos', '--out', join(bad, 'x.json')]);
    expect(rb.code).toBe(2);
    expect(rb.stderr).toMatch(/no pmos .model card/);
    expect(readdirSync(bad)).toEqual([]);
  });
});
