import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import {
  createActivationHardware,
  energyModel,
  energyReport,
  expectedEnergy,
  hardAssignment,
  hardEnergy,
  MixedActivation,
  relaxedGates,
  temperature,
} from '../src/mixer/index.ts';

const hw = createActivationHardware({ seed: 3, poolSize: 4 });

function sites(channels: number[], granularity: 'channel' | 'layer' = 'channel') {
  return channels.map((c, i) => new MixedActivation({ name: `act${i}`, channels: c, hardware: hw, granularity }));
}

describe('mixer energy model', () => {
  it('expected energy at a one-hot assignment equals the hard energy and the closed form', () => {
    const s = sites([12, 5]);
    const m = energyModel(s, hw, 10);
    const rng = stream(1, 'test-assign');
    const assign = s.map((x) => Uint8Array.from({ length: x.site.channels }, () => (rng.uniform() < 0.5 ? 1 : 0)));
    const probs = assign.map((a) => Float64Array.from(a));
    const hard = hardEnergy(m, assign);
    expect(expectedEnergy(m, probs)).toBeCloseTo(hard, 25);
    // independent: count channels and multiply by the units' own energies
    let e = 10 * hw.readout.energyPerActivation().total;
    s.forEach((x, k) => {
      for (let c = 0; c < x.site.channels; c++) e += assign[k]![c] ? hw.analogEnergy[x.column[c]!]!.total : hw.digital.energyPerActivation().total;
    });
    expect(hard / e).toBeCloseTo(1, 12);
    expect(energyReport(m, hw, assign).total / e).toBeCloseTo(1, 12);
    // all digital is the reference
    expect(m.allDigital / (17 * hw.digital.energyPerActivation().total + 10 * hw.readout.energyPerActivation().total)).toBeCloseTo(1, 12);
  });

  it('the expected energy is linear in each probability (sum of p E_a + (1 - p) E_d)', () => {
    const s = sites([6]);
    const m = energyModel(s, hw, 2);
    const p = [Float64Array.from([0.25, 0.5, 0.75, 0, 1, 0.1])];
    let e = m.readout;
    for (let c = 0; c < 6; c++) e += p[0]![c]! * hw.analogEnergy[s[0]!.column[c]!]!.total + (1 - p[0]![c]!) * hw.digitalEnergy.total;
    expect(expectedEnergy(m, p) / e).toBeCloseTo(1, 12);
  });

  for (const budget of [0.2, 0.3, 0.4, 0.6, 0.9]) {
    it(`the hard assignment meets budget ${budget} with the fewest analog channels, taken by preference`, () => {
      const s = sites([40, 24]);
      const m = energyModel(s, hw, 10);
      const rng = stream(2, 'logits', budget);
      const logits = s.map((x) => Float64Array.from({ length: x.site.channels }, () => rng.normal()));
      const ha = hardAssignment(m, logits, budget);
      const ratio = hardEnergy(m, ha.assign) / m.allDigital;
      expect(ha.met).toBe(true);
      expect(ratio).toBeLessThanOrEqual(budget);
      // every analog channel is preferred to every digital one
      let minA = Infinity;
      let maxD = -Infinity;
      s.forEach((_, k) => ha.assign[k]!.forEach((a, c) => (a ? (minA = Math.min(minA, logits[k]![c]!)) : (maxD = Math.max(maxD, logits[k]![c]!)))));
      expect(minA).toBeGreaterThan(maxD);
      // minimal: with one analog channel fewer the budget fails (closed form with equal unit energies)
      const nA = ha.assign.reduce((a, x) => a + x.reduce((p, v) => p + v, 0), 0);
      const Ea = hw.analogEnergy[0]!.total;
      const Ed = hw.digitalEnergy.total;
      const Er = 10 * hw.readoutEnergy.total;
      const E = (n: number) => n * Ea + (64 - n) * Ed + Er;
      expect(E(nA) / m.allDigital).toBeLessThanOrEqual(budget);
      expect(E(nA - 1) / m.allDigital).toBeGreaterThan(budget);
    });
  }

  it('a per-layer assignment moves whole layers', () => {
    const s = sites([30, 30], 'layer');
    const m = energyModel(s, hw, 10);
    const ha = hardAssignment(m, [Float64Array.of(-1), Float64Array.of(2)], 0.7);
    expect(Array.from(ha.assign[1]!).every((v) => v === 1)).toBe(true);
    expect(Array.from(ha.assign[0]!).every((v) => v === 0)).toBe(true);
  });
});

describe('relaxation', () => {
  it('without noise the gate is sigmoid(alpha / tau) with derivative p (1 - p) / tau', () => {
    const a = Float64Array.of(-2, 0, 0.7, 3);
    const p = new Float64Array(4);
    const d = new Float64Array(4);
    relaxedGates(a, 0.5, undefined, p, d);
    for (let j = 0; j < 4; j++) {
      const s = 1 / (1 + Math.exp(-a[j]! / 0.5));
      expect(p[j]).toBeCloseTo(s, 14);
      const h = 1e-6;
      const fd = (1 / (1 + Math.exp(-(a[j]! + h) / 0.5)) - 1 / (1 + Math.exp(-(a[j]! - h) / 0.5))) / (2 * h);
      expect(d[j]).toBeCloseTo(fd, 7);
    }
  });

  it('Gumbel gates: P(p > 1/2) = sigmoid(alpha) and the same seed gives the same gates', () => {
    const alpha = 0.8;
    const n = 20000;
    const rng = stream(5, 'gumbel-test');
    let above = 0;
    const p = new Float64Array(1);
    const d = new Float64Array(1);
    for (let i = 0; i < n; i++) {
      relaxedGates(Float64Array.of(alpha), 0.3, rng, p, d);
      if (p[0]! > 0.5) above++;
    }
    const expected = 1 / (1 + Math.exp(-alpha));
    expect(Math.abs(above / n - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / n));
    const g1 = new Float64Array(5);
    const g2 = new Float64Array(5);
    relaxedGates(new Float64Array(5), 1, stream(9, 'g'), g1, new Float64Array(5));
    relaxedGates(new Float64Array(5), 1, stream(9, 'g'), g2, new Float64Array(5));
    expect(Array.from(g1)).toEqual(Array.from(g2));
  });

  it('temperature anneals geometrically from tauStart to tauEnd', () => {
    expect(temperature(0, 11, 1, 0.1)).toBeCloseTo(1, 14);
    expect(temperature(10, 11, 1, 0.1)).toBeCloseTo(0.1, 14);
    expect(temperature(5, 11, 1, 0.1)).toBeCloseTo(Math.sqrt(0.1), 12);
  });
});
