import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { erf, erfc, normalCdf } from '../src/core/erf.ts';
import {
  ACTIVATION_NAMES,
  type Activation,
  activationRangeOn,
  getActivation,
  type MonotonePiece,
  solveMonotone,
  tableActivation,
} from '../src/units/activations.ts';
import { codeToValue, levelBoundaries, quantiseOutput, quantiseOutputBatch } from '../src/units/quantise.ts';

// high-precision references (mpmath, 50 digits), rounded to doubles
const GELU_XMIN = -0.75179152469356445746;
const GELU_YMIN = -0.16997120747990366169;
const SILU_XMIN = -1.2784645427610737951;
const SILU_YMIN = -0.27846454276107379511;

function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = x > 0 ? i[0]! - 1n : i[0]! + 1n;
  return b[0]!;
}
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('erf', () => {
  it('matches known values', () => {
    expect(Math.abs(erf(0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(Math.abs(erf(1) - 0.8427007929497149)).toBeLessThan(1e-15);
    expect(Math.abs(erf(2) - 0.9953222650189527)).toBeLessThan(1e-15);
    expect(erf(-1)).toBe(-erf(1));
    expect(erf(0)).toBe(0);
    expect(Math.abs(erf(3) - (1 - 2.2090496998585441e-5))).toBeLessThan(1e-15);
  });
  it('erfc keeps relative accuracy in the tail', () => {
    expect(rel(erfc(3), 2.2090496998585441e-5)).toBeLessThan(1e-13);
    expect(rel(erfc(5), 1.5374597944280349e-12)).toBeLessThan(1e-13);
    expect(rel(erfc(10), 2.088487583762544757e-45)).toBeLessThan(1e-13);
    expect(rel(erfc(-2), 2 - 0.0046777349810472658)).toBeLessThan(1e-15);
    // Phi(-5) = erfc(5/sqrt2)/2 = 2.8665157187919391e-7
    expect(rel(normalCdf(-5), 2.866515718791939e-7)).toBeLessThan(1e-13);
  });
  it('is continuous across the method switches (1.5 and 2.5)', () => {
    for (const s of [1.5, 2.5]) {
      expect(Math.abs(erfc(s) - erfc(nextDown(s)))).toBeLessThan(1e-15);
      expect(Math.abs(erf(s) - erf(nextDown(s)))).toBeLessThan(1e-15);
    }
  });
});

describe('built-in activations', () => {
  it('values against closed forms', () => {
    const g = getActivation;
    expect(g('relu').f(-2)).toBe(0);
    expect(g('relu').f(2.5)).toBe(2.5);
    expect(g('relu6').f(7)).toBe(6);
    expect(g('sigmoid').f(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(g('sigmoid').f(-40)).toBeCloseTo(Math.exp(-40), 30);
    expect(g('tanh').f(0.3)).toBeCloseTo(Math.tanh(0.3), 15);
    // gelu(1) = Phi(1) = 0.5 (1 + erf(1/sqrt2)) = 0.8413447460685429
    expect(g('gelu').f(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(g('silu').f(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
    expect(g('hardswish').f(1)).toBeCloseTo((1 * 4) / 6, 15);
    expect(g('hardswish').f(-4)).toBe(0);
    expect(g('hardswish').f(4)).toBe(4);
    expect(g('identity').f(-3.25)).toBe(-3.25);
  });

  it('derivatives agree with central differences away from kinks', () => {
    const kinks: Record<string, number[]> = { relu: [0], relu6: [0, 6], hardswish: [-3, 3] };
    for (const name of ACTIVATION_NAMES) {
      const a = getActivation(name);
      for (let x = -7.03; x < 7.5; x += 0.173) {
        if ((kinks[name] ?? []).some((k) => Math.abs(x - k) < 1e-3)) continue;
        const h = 1e-5;
        const fd = (a.f(x + h) - a.f(x - h)) / (2 * h);
        expect(Math.abs(a.df(x) - fd), `${name} at ${x}`).toBeLessThan(1e-7);
      }
    }
  });

  it('monotone flags and natural ranges', () => {
    const m = Object.fromEntries(ACTIVATION_NAMES.map((n) => [n, getActivation(n).monotone]));
    expect(m).toEqual({ gelu: false, hardswish: false, identity: true, relu: true, relu6: true, sigmoid: true, silu: false, tanh: true });
    expect(getActivation('sigmoid').range).toEqual({ lo: 0, hi: 1, loClosed: false, hiClosed: false });
    expect(getActivation('tanh').range).toEqual({ lo: -1, hi: 1, loClosed: false, hiClosed: false });
    expect(getActivation('relu').range).toEqual({ lo: 0, hi: Infinity, loClosed: true, hiClosed: false });
    expect(getActivation('relu6').range).toEqual({ lo: 0, hi: 6, loClosed: true, hiClosed: true });
    expect(getActivation('hardswish').range).toEqual({ lo: -0.375, hi: Infinity, loClosed: true, hiClosed: false });
    const gr = getActivation('gelu').range;
    expect(Math.abs(gr.lo - GELU_YMIN)).toBeLessThan(1e-15);
    expect(gr.loClosed).toBe(true);
    expect(Math.abs(getActivation('silu').range.lo - SILU_YMIN)).toBeLessThan(1e-15);
  });

  it('finds the GELU and SiLU minima numerically', () => {
    const gelu = getActivation('gelu');
    const silu = getActivation('silu');
    expect(gelu.breakpoints).toHaveLength(1);
    expect(silu.breakpoints).toHaveLength(1);
    expect(Math.abs(gelu.breakpoints[0]! - GELU_XMIN)).toBeLessThan(1e-6);
    expect(Math.abs(silu.breakpoints[0]! - SILU_XMIN)).toBeLessThan(1e-6);
    // and to near machine precision
    expect(Math.abs(gelu.breakpoints[0]! - GELU_XMIN)).toBeLessThan(1e-13);
    expect(Math.abs(silu.breakpoints[0]! - SILU_XMIN)).toBeLessThan(1e-13);
    // the brief's rounded values
    expect(Math.abs(gelu.breakpoints[0]! + 0.7518)).toBeLessThan(1e-4);
    expect(Math.abs(silu.breakpoints[0]! + 1.2785)).toBeLessThan(1e-4);
    expect(gelu.pieces.map((p) => p.kind)).toEqual(['decreasing', 'increasing']);
    expect(getActivation('hardswish').pieces.map((p) => [p.xLo, p.xHi, p.kind])).toEqual([
      [-Infinity, -3, 'constant'],
      [-3, -1.5, 'decreasing'],
      [-1.5, Infinity, 'increasing'],
    ]);
  });

  it('registry error lists the names', () => {
    expect(() => getActivation('swish2')).toThrow(ConfigError);
    expect(() => getActivation('swish2')).toThrow(/gelu, hardswish, identity, relu, relu6, sigmoid, silu, tanh/);
    expect(() => getActivation('toString')).toThrow(ConfigError);
  });
});

/** y values spread over the image of a piece */
function samplesOf(p: MonotonePiece): number[] {
  const lo = Math.min(p.fLo, p.fHi);
  const hi = Math.max(p.fLo, p.fHi);
  if (Number.isFinite(lo) && Number.isFinite(hi)) {
    return [1e-9, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-9].map((t) => lo + t * (hi - lo));
  }
  const out: number[] = [];
  const offs = [1e-6, 0.01, 0.5, 1, 3, 10, 100, 1e4];
  if (Number.isFinite(lo)) for (const o of offs) out.push(lo + o);
  else if (Number.isFinite(hi)) for (const o of offs) out.push(hi - o);
  else out.push(-1e4, -3, -0.5, 0.25, 2, 1e3);
  return out;
}

describe('inverses on monotone pieces', () => {
  it('f(inverse(y)) = y to 1e-12 on every piece of every built-in', () => {
    let checked = 0;
    for (const name of ACTIVATION_NAMES) {
      const a = getActivation(name);
      for (const p of a.pieces) {
        if (p.kind === 'constant') continue;
        for (const y of samplesOf(p)) {
          const x = a.inverseOnPiece(y, p);
          expect(x, `${name} piece ${p.index} y=${y}`).toBeGreaterThanOrEqual(p.xLo);
          expect(x).toBeLessThanOrEqual(p.xHi);
          const err = Math.abs(a.f(x) - y);
          // the brief's bound: 1e-12 (relative above |y| = 1)
          expect(err, `${name} piece ${p.index} y=${y} x=${x}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(y)));
          // backward stable: x is within a few ulps of an exact preimage
          const ulp = Math.abs(x) * Number.EPSILON + Number.MIN_VALUE;
          expect(err, `${name} piece ${p.index} y=${y} x=${x} (backward)`).toBeLessThanOrEqual(4 * Math.abs(a.df(x)) * ulp + 4 * Number.EPSILON * Math.abs(y));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  const piece = (a: Activation, kind: string) => a.pieces.find((p) => p.kind === kind)!;
  const close = (x: number, ref: number) => expect(Math.abs(x - ref)).toBeLessThanOrEqual(1e-12 * Math.abs(ref) + 1e-15);

  it('x agrees with closed-form inverses to 1e-12 relative', () => {
    const sig = getActivation('sigmoid');
    for (const y of [1e-12, 1e-5, 0.01, 0.2, 0.5, 0.73, 0.99, 1 - 1e-6]) close(sig.inverseOnPiece(y, sig.pieces[0]!), Math.log(y) - Math.log1p(-y));
    const th = getActivation('tanh');
    for (const y of [-0.999999, -0.5, -0.01, 0.1, 0.6, 0.9999]) close(th.inverseOnPiece(y, th.pieces[0]!), Math.atanh(y));
    const hs = getActivation('hardswish');
    for (const y of [-0.3, -0.1, -0.01]) {
      close(hs.inverseOnPiece(y, piece(hs, 'decreasing')), (-3 - Math.sqrt(9 + 24 * y)) / 2);
      close(hs.inverseOnPiece(y, piece(hs, 'increasing')), (-3 + Math.sqrt(9 + 24 * y)) / 2);
    }
    for (const y of [0.5, 2, 2.9]) close(hs.inverseOnPiece(y, piece(hs, 'increasing')), (-3 + Math.sqrt(9 + 24 * y)) / 2);
    close(hs.inverseOnPiece(5, piece(hs, 'increasing')), 5);
    const r6 = getActivation('relu6');
    close(r6.inverseOnPiece(2.2, piece(r6, 'increasing')), 2.2);
  });

  it('the generic solver brackets infinite ends (sigmoid and a decreasing exponential)', () => {
    const sg = (x: number) => 1 / (1 + Math.exp(-x));
    const dsg = (x: number) => sg(x) * (1 - sg(x));
    for (const y of [1e-4, 0.3, 0.5, 0.8, 0.999]) close(solveMonotone(sg, dsg, y, -Infinity, Infinity, 1), Math.log(y / (1 - y)));
    // e^{-x} on [-inf, 2]: decreasing, x = -ln y
    for (const y of [0.2, 1, 50, 1e8]) close(solveMonotone((x) => Math.exp(-x), (x) => -Math.exp(-x), y, -Infinity, 2, -1), -Math.log(y));
  });

  it('GELU and SiLU inverses match 50-digit references to 1e-12 relative', () => {
    // [y, x on the decreasing piece, x on the increasing piece] (mpmath bisection)
    const gelu: Array<[number, number | null, number]> = [
      [-0.15, -1.0925736795099613567, -0.46991124747407983101],
      [-0.1, -1.5016540973658447621, -0.2489396942694748277],
      [-0.01, -2.6748097256672912699, -0.020329741696553216233],
      [-1e-6, -5.0716661645180164133, -2.0000031915484291663e-6],
      [0.3, null, 0.4462378147864297273],
      [2.5, null, 2.5149694379556802521],
    ];
    const silu: Array<[number, number | null, number]> = [
      [-0.15, -2.9136848731189389139, -0.36637424911928849133],
      [-0.1, -3.5372596267896418715, -0.2252655288104788635],
      [-0.01, -6.4709459203641180899, -0.020204095800860252526],
      [-1e-6, -16.626508837378651072, -2.0000020000040000093e-6],
      [0.3, null, 0.48475450902677834255],
      [20, null, 20.000000041223070749],
    ];
    for (const [name, table] of [
      ['gelu', gelu],
      ['silu', silu],
    ] as const) {
      const a = getActivation(name);
      for (const [y, xd, xi] of table) {
        if (xd !== null) close(a.inverseOnPiece(y, piece(a, 'decreasing')), xd);
        close(a.inverseOnPiece(y, piece(a, 'increasing')), xi);
      }
    }
  });

  it('beyond a piece image the inverse returns the nearest end; constant pieces only invert their value', () => {
    const sig = getActivation('sigmoid');
    expect(sig.inverseOnPiece(0, sig.pieces[0]!)).toBe(-Infinity);
    expect(sig.inverseOnPiece(1.5, sig.pieces[0]!)).toBe(Infinity);
    const gelu = getActivation('gelu');
    const dec = gelu.pieces[0]!;
    expect(gelu.inverseOnPiece(0.5, dec)).toBe(-Infinity);
    expect(gelu.inverseOnPiece(-0.2, dec)).toBe(dec.xHi);
    expect(gelu.inverseOnPiece(-0.2, gelu.pieces[1]!)).toBe(dec.xHi);
    const relu = getActivation('relu');
    expect(relu.inverseOnPiece(0, relu.pieces[0]!)).toBe(0);
    expect(() => relu.inverseOnPiece(1, relu.pieces[0]!)).toThrow(RangeError);
    expect(() => relu.inverseOnPiece(Number.NaN, relu.pieces[1]!)).toThrow(RangeError);
    expect(() => relu.inverseOnPiece(1, gelu.pieces[1]!)).toThrow(RangeError);
  });
});

describe('tableActivation', () => {
  const t = tableActivation([-2, -1, 0, 1, 3], [1, 0, 0.5, 0.5, 2]);
  it('interpolates linearly and is constant outside', () => {
    expect(t.f(-5)).toBe(1);
    expect(t.f(-1.5)).toBeCloseTo(0.5, 15);
    expect(t.f(-0.5)).toBeCloseTo(0.25, 15);
    expect(t.f(0.7)).toBe(0.5);
    expect(t.f(2)).toBeCloseTo(1.25, 15);
    expect(t.f(9)).toBe(2);
    expect(t.df(-1.5)).toBeCloseTo(-1, 15);
    expect(t.df(2)).toBeCloseTo(0.75, 15);
    expect(t.df(-3)).toBe(0);
  });
  it('pieces, range and inverse', () => {
    expect(t.pieces.map((p) => [p.xLo, p.xHi, p.kind])).toEqual([
      [-Infinity, -2, 'constant'],
      [-2, -1, 'decreasing'],
      [-1, 0, 'increasing'],
      [0, 1, 'constant'],
      [1, 3, 'increasing'],
      [3, Infinity, 'constant'],
    ]);
    expect(t.monotone).toBe(false);
    expect(t.range).toEqual({ lo: 0, hi: 2, loClosed: true, hiClosed: true });
    expect(t.inverseOnPiece(0.25, t.pieces[1]!)).toBeCloseTo(-1.25, 15);
    expect(t.inverseOnPiece(0.25, t.pieces[2]!)).toBeCloseTo(-0.5, 15);
    expect(t.inverseOnPiece(1, t.pieces[4]!)).toBeCloseTo(1 + (0.5 / 1.5) * 2, 15);
    expect(t.inverseOnPiece(0.5, t.pieces[3]!)).toBe(1);
  });
  it('rejects bad tables', () => {
    expect(() => tableActivation([0, 0], [1, 2])).toThrow(ConfigError);
    expect(() => tableActivation([0], [1])).toThrow(ConfigError);
    expect(() => tableActivation([0, 1], [1])).toThrow(ConfigError);
    expect(() => tableActivation([0, Number.NaN], [1, 2])).toThrow(ConfigError);
  });
});

describe('output quantisation convention', () => {
  it('2 bits over [0, 3]: levels 0..3, boundaries at the midpoints, ties up, clamped', () => {
    expect(Array.from(levelBoundaries(2, 0, 3))).toEqual([0.5, 1.5, 2.5]);
    const q = (y: number) => quantiseOutput(y, 2, 0, 3);
    expect([q(-1), q(0), q(0.49), q(0.5), q(1.49), q(1.5), q(2.49), q(2.5), q(3), q(10)]).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3, 3]);
    expect([0, 1, 2, 3].map((c) => codeToValue(c, 2, 0, 3))).toEqual([0, 1, 2, 3]);
    expect(quantiseOutput(Number.NaN, 2, 0, 3)).toBeNaN();
  });
  it('the code changes exactly at the boundary doubles (non-dyadic range)', () => {
    const b = levelBoundaries(3, -0.3, 0.7);
    expect(b).toHaveLength(7);
    for (let k = 0; k < 7; k++) {
      expect(Math.abs(b[k]! - (-0.3 + (k + 0.5) / 7))).toBeLessThan(1e-15);
      expect(quantiseOutput(b[k]!, 3, -0.3, 0.7)).toBe(k + 1);
      expect(quantiseOutput(nextDown(b[k]!), 3, -0.3, 0.7)).toBe(k);
    }
    for (let c = 0; c < 8; c++) {
      expect(Math.abs(codeToValue(c, 3, -0.3, 0.7) - (-0.3 + c / 7))).toBeLessThan(1e-15);
      expect(quantiseOutput(codeToValue(c, 3, -0.3, 0.7), 3, -0.3, 0.7)).toBe(c);
    }
  });
  it('boundary doubles where naive rounding of (y - yLo)/step falls short still give the upper code', () => {
    // found by search: floor((B_k - yLo)/step + 0.5) = k here, one below the convention
    for (const [yLo, yHi, bits, k] of [
      [-0.2639320225999999, 1.3458233098, 4, 2],
      [0.3541019661, 0.7187349646999998, 5, 0],
      [0.3541019661, 0.7187349646999998, 5, 1],
    ] as const) {
      const step = (yHi - yLo) / (2 ** bits - 1);
      const b = yLo + (k + 0.5) * step;
      expect(Math.floor((b - yLo) / step + 0.5)).toBe(k);
      expect(levelBoundaries(bits, yLo, yHi)[k]).toBe(b);
      expect(quantiseOutput(b, bits, yLo, yHi)).toBe(k + 1);
      expect(quantiseOutput(nextDown(b), bits, yLo, yHi)).toBe(k);
    }
  });

  it('batch form matches the scalar one; bad bits/range are ConfigErrors', () => {
    const ys = Float64Array.from({ length: 300 }, (_, i) => -0.5 + i * 0.00537);
    const out = quantiseOutputBatch(ys, 4, -0.2, 1.1);
    ys.forEach((y, i) => expect(out[i]).toBe(quantiseOutput(y, 4, -0.2, 1.1)));
    expect(() => quantiseOutput(0, 0, 0, 1)).toThrow(ConfigError);
    expect(() => quantiseOutput(0, 2.5, 0, 1)).toThrow(ConfigError);
    expect(() => levelBoundaries(3, 1, 1)).toThrow(ConfigError);
  });
  it('range of f over an interval includes interior minima', () => {
    expect(activationRangeOn(getActivation('gelu'), -4, 4).lo).toBeCloseTo(GELU_YMIN, 15);
    expect(activationRangeOn(getActivation('sigmoid'), -2, 3)).toEqual({ lo: 1 / (1 + Math.exp(2)), hi: 1 / (1 + Math.exp(-3)) });
  });
});
