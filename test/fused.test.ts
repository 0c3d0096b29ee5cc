import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import { getActivation } from '../src/units/activations.ts';
import { quantiseOutput } from '../src/units/quantise.ts';
import { compareUnit } from '../src/units/compare.ts';
import { columnBounds, createFusedUnit, fusedEnergy, transferError } from '../src/units/fused.ts';

describe('fused MACAM activation unit', () => {
  const relu = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-projected' });

  it('a 4-bit relu on a continuous-state device differs from the ideal quantised relu on < 1 % of uniform inputs', () => {
    const r = stream(11, 'relu-inputs');
    const n = 20000;
    let diff = 0;
    for (let i = 0; i < n; i++) {
      const x = r.uniformIn(-1, 4);
      // the ideal, computed independently: round-to-nearest relu over [0, 4] with 15 steps
      const ideal = Math.min(15, Math.max(0, Math.floor((Math.max(0, x) / 4) * 15 + 0.5)));
      if (relu.evaluate(x) !== ideal) diff++;
    }
    expect(diff / n).toBeLessThan(0.01);
    expect(relu.rows.length).toBe(16);
  });

  it('thresholds of the ideal transfer are f^-1 of the level boundaries', () => {
    const sig = createFusedUnit({ fn: 'sigmoid', bits: 3, cell: 'macam-projected', inputRange: [-6, 6] });
    const yLo = 1 / (1 + Math.exp(6));
    const yHi = 1 / (1 + Math.exp(-6));
    const step = (yHi - yLo) / 7;
    const expected = Array.from({ length: 7 }, (_, k) => {
      const y = yLo + (k + 0.5) * step;
      return Math.log(y / (1 - y));
    });
    expect(sig.ideal.breakpoints.length).toBe(7);
    sig.ideal.breakpoints.forEach((t, k) => expect(t).toBeCloseTo(expected[k]!, 9));
  });

  it('non-monotone gelu gets several intervals for one code', () => {
    const g = createFusedUnit({ fn: 'gelu', bits: 4, cell: 'macam-projected', inputRange: [-4, 4] });
    const codes = Array.from(g.ideal.codes);
    expect(new Set(codes).size).toBeLessThan(codes.length);
    // and the programmed transfer still tracks the ideal one
    expect(transferError(g, 'programmed').mismatchFraction).toBeLessThan(0.01);
    // ideal codes agree with a direct quantisation of gelu at interval midpoints
    const f = getActivation('gelu');
    const bp = [-4, ...g.ideal.breakpoints, 4];
    for (let k = 0; k + 1 < bp.length; k++) {
      const mid = 0.5 * (bp[k]! + bp[k + 1]!);
      expect(g.ideal.codes[k]).toBe(quantiseOutput(f.f(mid), 4, g.outputRange[0], g.outputRange[1]));
    }
  });

  it('the measured 5-state device cannot represent 4 bits: few rows, larger error', () => {
    const m = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-measured' });
    expect(m.rows.length).toBeLessThanOrEqual(6);
    expect(transferError(m).mismatchFraction).toBeGreaterThan(0.1);
    expect(m.evaluate(-1)).toBe(0);
    expect(m.evaluate(10)).toBe(15);
  });

  it('the batch path equals the per-input path, also with a variation instance', () => {
    for (const u of [relu, createFusedUnit({ fn: 'tanh', bits: 4, cell: 'macam-projected', variation: { seed: 9 } })]) {
      const xs = new Float64Array(5000);
      stream(2, 'batch').fillUniform(xs, u.inputRange[0] - 1, u.inputRange[1] + 1);
      const out = u.evaluateBatch(xs);
      for (let i = 0; i < xs.length; i++) expect(out[i]).toBe(u.evaluate(xs[i]!));
    }
  });

  it('a variation instance built from handed-over bounds equals the one that solved them', () => {
    for (const [fn, cell] of [['relu', 'macam-measured'], ['tanh', 'macam-projected']] as const) {
      const solved = createFusedUnit({ fn, bits: 4, cell, variation: { seed: 'hand-over' } });
      const bounds = columnBounds(solved)!;
      expect(bounds.lo.length).toBe(solved.rows.length);
      const given = createFusedUnit({ fn, bits: 4, cell, variation: { seed: 'hand-over', bounds } });
      expect(Array.from(given.actual.breakpoints)).toEqual(Array.from(solved.actual.breakpoints));
      expect(Array.from(given.actual.codes)).toEqual(Array.from(solved.actual.codes));
      expect(given.rows).toEqual(solved.rows);
      expect(() => createFusedUnit({ fn, bits: 4, cell, variation: { seed: 'hand-over', bounds: { lo: [1], hi: [2] } } })).toThrow(RangeError);
    }
    expect(columnBounds(createFusedUnit({ fn: 'relu', bits: 4 }))).toBeUndefined();
  });

  it('a variation instance is reproducible from its seed and differs from the nominal one', () => {
    const a = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-projected', variation: { seed: 4 } });
    const b = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-projected', variation: { seed: 4 } });
    expect(Array.from(a.actual.breakpoints)).toEqual(Array.from(b.actual.breakpoints));
    expect(Array.from(a.actual.breakpoints)).not.toEqual(Array.from(a.programmed.breakpoints));
  });

  it('energy per activation is itemised and the MACAM path is cheaper than ADC + digital with the defaults', () => {
    const { report } = compareUnit({ fn: 'relu', bits: 4 });
    const e = report.energy.macam;
    expect(e.total).toBeCloseTo(Object.values(e.items).reduce((s, x) => s + x, 0), 25);
    expect(report.energy.macam.total).toBeLessThan(report.energy.digital.total);
    expect(report.saving).toBeCloseTo(1 - e.total / report.energy.digital.total, 12);
    // encoder and sense scale with the rows used
    const u = createFusedUnit({ fn: 'relu', bits: 4 });
    const fe = fusedEnergy(u);
    expect(fe.items.encoder).toBeCloseTo(u.rows.length * u.cell.params.encoderEnergyPerRow, 25);
  });
});
