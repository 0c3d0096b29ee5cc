import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import {
  addEnergy,
  digitalActivationEnergy,
  digitalParamsOf,
  lutEnergy,
  multEnergy,
} from '../src/devices/digital.ts';
import { loadPreset, presetFromValues } from '../src/devices/preset.ts';
import { getActivation, tableActivation } from '../src/units/activations.ts';
import { createDigitalPath } from '../src/units/digital-path.ts';

const P = digitalParamsOf(loadPreset('digital-45nm', 'digital-activation'));
const near = (a: number, b: number, r = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(r * Math.abs(b) + 1e-30);

describe('digital activation energy (45 nm preset)', () => {
  it('scaling laws through the Horowitz points', () => {
    near(addEnergy(P, 8), 0.03e-12);
    near(addEnergy(P, 32), 0.1e-12);
    near(addEnergy(P, 16), 0.03e-12 + (0.07e-12 * 8) / 24);
    near(multEnergy(P, 8), 0.2e-12);
    near(multEnergy(P, 16), 0.8e-12);
    near(lutEnergy(P, 8), 1e-12);
    // 10 b: 1 pJ * 10/8 * 2^(0.5 * 2) = 2.5 pJ
    near(lutEnergy(P, 10), 2.5e-12);
    // 4 b: 1 pJ * 4/8 * 2^(0.5 * -4) = 0.125 pJ
    near(lutEnergy(P, 4), 0.125e-12);
  });

  it('itemised energy per function at 8 bits', () => {
    const relu = digitalActivationEnergy(P, 'relu', 8);
    near(relu.total, 8 * 2e-15);
    expect(Object.keys(relu.items)).toEqual(['mux']);
    const r6 = digitalActivationEnergy(P, 'relu6', 8);
    near(r6.items.compare!, 0.03e-12);
    near(r6.items.mux!, 2 * 8 * 2e-15);
    near(r6.total, 0.03e-12 + 32e-15);
    const hs = digitalActivationEnergy(P, 'hardswish', 8);
    near(hs.total, 0.03e-12 + 0.03e-12 + 32e-15 + 0.2e-12);
    for (const fn of ['sigmoid', 'tanh', 'gelu', 'silu', 'table']) near(digitalActivationEnergy(P, fn, 8).total, 1e-12);
    expect(digitalActivationEnergy(P, 'identity', 8).total).toBe(0);
    for (const fn of ['relu', 'relu6', 'hardswish', 'gelu']) {
      const e = digitalActivationEnergy(P, fn, 12);
      near(Object.values(e.items).reduce((a, b) => a + b, 0), e.total);
      for (const k of Object.keys(e.items)) expect(e.uses[k]!.length).toBeGreaterThan(0);
    }
  });

  it('unknown functions and bad bit widths are ConfigErrors', () => {
    expect(() => digitalActivationEnergy(P, 'softmax', 8)).toThrow(ConfigError);
    expect(() => digitalActivationEnergy(P, 'softmax', 8)).toThrow(/relu, relu6/);
    expect(() => digitalActivationEnergy(P, 'relu', 0)).toThrow(ConfigError);
  });

  it('every preset value names a source', () => {
    const p = loadPreset('digital-45nm', 'digital-activation');
    for (const k of Object.keys(p.params)) expect(p.sources[k]).toMatch(/Horowitz|assumption/);
  });
});

// ---------------------------------------------------------------------------------------------
// Digital path: independent re-computation (quantise the ADC value by hand, apply f, quantise)

function handPath(f: (x: number) => number, x: number, xLo: number, xHi: number, adcBits: number, bits: number, yLo: number, yHi: number): number {
  const n = 2 ** adcBits;
  const k = Math.min(n - 1, Math.max(0, Math.floor(((x - xLo) / (xHi - xLo)) * n)));
  const xr = xLo + ((k + 0.5) * (xHi - xLo)) / n;
  const m = 2 ** bits - 1;
  return Math.min(m, Math.max(0, Math.round(((f(xr) - yLo) / (yHi - yLo)) * m)));
}
const grid = (lo: number, hi: number, n: number) => Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.3183)) / n);

describe('digital path codes', () => {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const cases: Array<{ fn: string; f: (x: number) => number; bits: number; adcBits?: number; range: [number, number]; out?: [number, number] }> = [
    { fn: 'sigmoid', f: sig, bits: 4, range: [-6, 6] },
    { fn: 'sigmoid', f: sig, bits: 4, adcBits: 6, range: [-6, 6] },
    { fn: 'relu', f: (x) => Math.max(0, x), bits: 3, range: [-4, 4] },
    { fn: 'tanh', f: Math.tanh, bits: 5, adcBits: 7, range: [-3, 3] },
    { fn: 'relu6', f: (x) => Math.min(6, Math.max(0, x)), bits: 4, range: [-2, 8] },
    { fn: 'hardswish', f: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6, bits: 4, range: [-5, 5], out: [-0.375, 5] },
    { fn: 'silu', f: (x) => x * sig(x), bits: 4, adcBits: 6, range: [-5, 5], out: [-0.3, 5] },
    { fn: 'gelu', f: getActivation('gelu').f, bits: 4, range: [-4, 4], out: [-0.2, 4] },
  ];
  for (const c of cases) {
    it(`${c.fn}: ${c.bits} b out, ${c.adcBits ?? c.bits} b ADC`, () => {
      const path = createDigitalPath({ fn: c.fn, bits: c.bits, inputRange: c.range, ...(c.adcBits ? { adcBits: c.adcBits } : {}), ...(c.out ? { outputRange: c.out } : {}) });
      const [yLo, yHi] = c.out ?? [c.f(c.range[0]), c.f(c.range[1])];
      const xs = grid(c.range[0] - 1, c.range[1] + 1, 1500);
      const batch = path.evaluateBatch(xs);
      for (let i = 0; i < xs.length; i++) {
        const want = handPath(c.f, xs[i]!, c.range[0], c.range[1], c.adcBits ?? c.bits, c.bits, yLo, yHi);
        expect(path.evaluate(xs[i]!), `x=${xs[i]}`).toBe(want);
        expect(batch[i]).toBe(want);
      }
    });
  }

  it('default output range is f over the input range (gelu: its interior minimum)', () => {
    const p = createDigitalPath({ fn: 'gelu', bits: 4, inputRange: [-4, 4] });
    expect(p.outputRange[0]).toBeCloseTo(-0.16997120747990366, 15);
    expect(p.outputRange[1]).toBeCloseTo(4 * 0.9999683287581669, 14); // 4 Phi(4)
    const s = createDigitalPath({ fn: 'sigmoid', bits: 4, inputRange: [-6, 6] });
    near(s.outputRange[0], 1 / (1 + Math.exp(6)), 1e-15);
    near(s.outputRange[1], 1 / (1 + Math.exp(-6)), 1e-15);
    expect(s.decode(15)).toBeCloseTo(1 / (1 + Math.exp(-6)), 15);
    expect(s.adcBits).toBe(4);
    expect(s.adc.bits).toBe(4);
  });

  it('table activations run through a LUT', () => {
    const t = tableActivation([-1, 0, 1], [0, 0.2, 1]);
    const p = createDigitalPath({ fn: t, bits: 3, inputRange: [-1, 1] });
    expect(p.digitalOp).toBe('table');
    const f = (x: number) => (x < 0 ? 0.2 * (x + 1) : 0.2 + 0.8 * x);
    for (const x of grid(-1.2, 1.2, 200)) expect(p.evaluate(x)).toBe(handPath(f, x, -1, 1, 3, 3, 0, 1));
  });

  it('ADC noise: seeded and reproducible, absent without an Rng', () => {
    const adc = presetFromValues('adc', { bits: 8, vmin: 0, vmax: 1, sampleRate: 1e9, energyModel: 'sar-linear', energyPerBit: 0.185e-12, enob: 5 });
    const p = createDigitalPath({ adc, fn: 'tanh', bits: 6, adcBits: 8, inputRange: [-3, 3] });
    const xs = new Float64Array(400).fill(0.1234);
    const a = p.evaluateBatch(xs, undefined, stream(3, 'dp'));
    const b = p.evaluateBatch(xs, new Int32Array(400), stream(3, 'dp'));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Set(a).size).toBeGreaterThan(2);
    const clean = p.evaluateBatch(xs);
    expect(new Set(clean).size).toBe(1);
  });

  it('bad options are ConfigErrors', () => {
    expect(() => createDigitalPath({ fn: 'nope', bits: 4, inputRange: [0, 1] })).toThrow(ConfigError);
    expect(() => createDigitalPath({ fn: 'relu', bits: 4, inputRange: [1, 1] })).toThrow(ConfigError);
    expect(() => createDigitalPath({ fn: 'relu', bits: 4, inputRange: [-2, -1] })).toThrow(ConfigError); // f constant: empty output range
    expect(() => createDigitalPath({ fn: 'relu', bits: 4, adcBits: 0, inputRange: [-1, 1] })).toThrow(ConfigError);
    expect(() => createDigitalPath({ fn: 'relu', bits: 4, inputRange: [-1, 1], adc: 'digital-45nm' })).toThrow(ConfigError);
  });
});

describe('digital path energy = ADC + digital op', () => {
  it('default presets, sigmoid 4 b: 4 x 0.185 pJ + 4-bit LUT (0.125 pJ)', () => {
    const p = createDigitalPath({ fn: 'sigmoid', bits: 4, inputRange: [-6, 6] });
    const e = p.energyPerActivation();
    near(e.items.adc, 4 * 0.185e-12);
    near(e.items.activation, 0.125e-12);
    near(e.total, 4 * 0.185e-12 + 0.125e-12);
    expect(e.details.adc.preset).toBe('adc-sar-default');
    expect(e.details.adc.constants.energyPerBit!.source).toMatch(/Lightening-Transformer/);
    expect(e.details.adc.constants.bits!.source).toMatch(/adcBits = 4/);
    expect(e.details.activation.constants.lutRead!.source).toMatch(/assumption/);
    expect(e.details.activation.op).toBe('sigmoid');
  });

  it('adcBits = b + 2 costs the larger conversion and the wider digital op', () => {
    const p = createDigitalPath({ fn: 'relu', bits: 4, adcBits: 6, inputRange: [-1, 1] });
    const e = p.energyPerActivation();
    near(e.items.adc, 6 * 0.185e-12);
    near(e.items.activation, 6 * 2e-15);
    near(e.total, 6 * 0.185e-12 + 12e-15);
  });

  it('Murmann ADC at 8 b, 1 GS/s + ReLU', () => {
    const p = createDigitalPath({ adc: 'adc-murmann', fn: 'relu', bits: 8, inputRange: [-1, 1] });
    const e = p.energyPerActivation();
    const fom = 302.74 - 6.4608 * Math.log(1e9);
    near(e.items.adc, 1 / (2 * 10 ** ((fom - (6.02 * 8 + 1.76)) / 10)), 1e-10);
    near(e.items.activation, 16e-15);
    expect(e.details.adc.model).toBe('murmann');
    expect(e.details.adc.constants.energyFloor!.source).toMatch(/assumption/);
  });
});
