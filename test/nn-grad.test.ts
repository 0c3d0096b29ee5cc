import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import {
  Activation,
  activationFns,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dense,
  Flatten,
  MaxPool2d,
  paramData,
  ReLU,
  Sequential,
  softmaxCrossEntropy,
  type Layer,
  type WeightTransform,
} from '../src/nn/index.ts';

const rng = stream(11, 'test', 'grad');
function rand(n: number, lo = -1, hi = 1): Float64Array {
  return rng.fillUniform(new Float64Array(n), lo, hi);
}
const H = 1e-6;

/** L = sum(r .* layer(x)); checks dL/dx and every dL/dparam against central differences. */
function checkLayer(layer: Layer, batch: number, opts: { x?: Float64Array; tol?: number; training?: boolean } = {}): void {
  const tol = opts.tol ?? 1e-6;
  const training = opts.training ?? false;
  const x = opts.x ?? rand(batch * layer.inSize);
  const r = rand(batch * layer.outSize);
  const loss = (): number => {
    const y = layer.forward(x, batch, { training });
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
    return s;
  };
  layer.forward(x, batch, { training: true });
  const dx = layer.backward(r, batch, { needInputGrad: true }).slice();
  const grads = layer.params().map((p) => p.grad.slice());
  const fd = (arr: Float64Array, i: number): number => {
    const v = arr[i]!;
    arr[i] = v + H;
    const lp = loss();
    arr[i] = v - H;
    const lm = loss();
    arr[i] = v;
    return (lp - lm) / (2 * H);
  };
  const idx = (n: number): number[] => (n <= 40 ? [...Array(n).keys()] : Array.from({ length: 40 }, () => rng.int(n)));
  let worst = 0;
  for (const i of idx(x.length)) worst = Math.max(worst, Math.abs(fd(x, i) - dx[i]!) / Math.max(1, Math.abs(dx[i]!)));
  layer.params().forEach((p, k) => {
    const w = paramData(p);
    for (const i of idx(w.length)) worst = Math.max(worst, Math.abs(fd(w, i) - grads[k]![i]!) / Math.max(1, Math.abs(grads[k]![i]!)));
  });
  expect(worst).toBeLessThan(tol);
}

describe('layer gradients vs central finite differences', () => {
  it('Dense (with bias, odd sizes)', () => checkLayer(new Dense(7, 5, { name: 'd', seed: 1 }), 3));
  it('Dense without bias, glorot init', () => checkLayer(new Dense(4, 6, { name: 'd', seed: 2, init: 'glorot', bias: false }), 5));
  it('Conv2d 3x3 stride 1 padding 1', () =>
    checkLayer(new Conv2d({ name: 'c', seed: 1, inChannels: 2, outChannels: 3, height: 5, width: 4 }), 2));
  it('Conv2d 3x3 stride 2 no padding', () =>
    checkLayer(new Conv2d({ name: 'c', seed: 3, inChannels: 1, outChannels: 2, height: 7, width: 6, stride: 2, padding: 0 }), 2));
  it('MaxPool2d (no ties)', () => checkLayer(new MaxPool2d('p', [2, 4, 6]), 2));
  it('AvgPool2d 2x2 stride 2, and 3x3 stride 1 (overlapping windows)', () => {
    checkLayer(new AvgPool2d('p', [2, 4, 6]), 2);
    checkLayer(new AvgPool2d('q', [3, 5, 5], 3, 1), 2);
  });
  it('BatchNorm2d, training mode (batch statistics): input, gamma and beta gradients', () => {
    const bn = new BatchNorm2d('bn', [3, 2, 2]);
    bn.gamma.set([1.5, -0.7, 0.9]);
    bn.beta.set([0.2, -0.1, 0.4]);
    checkLayer(bn, 4, { training: true, x: rand(4 * 12, -2, 3) });
  });
  it('BatchNorm2d after a Dense layer (spatial 1)', () => checkLayer(new BatchNorm2d('bn', 5), 6, { training: true }));
  for (const fn of [activationFns.sigmoid, activationFns.tanh, activationFns.gelu, activationFns.silu]) {
    it(`Activation ${fn.name}`, () => checkLayer(new Activation('a', [3, 2, 2], fn), 2, { x: rand(24, -3, 3) }));
  }
  it('ReLU (inputs away from 0)', () => {
    const x = rand(20).map((v) => (Math.abs(v) < 0.01 ? 0.5 : v));
    checkLayer(new ReLU('r', 10), 2, { x });
  });
  it('Activation with a user-supplied function: x^3, derivative 3x^2', () =>
    checkLayer(new Activation('cube', 6, { name: 'cube', f: (x) => x ** 3, df: (x) => 3 * x * x }), 3));

  it.each([
    [2, false],
    [2, true],
    [150, false], // inference goes through a large batch in chunks of samples
    [150, true],
  ])('Conv2d forward equals a direct convolution sum (batch %i, training %s)', (B, training) => {
    const c = new Conv2d({ name: 'c', seed: 5, inChannels: 2, outChannels: 3, height: 4, width: 5 });
    paramData(c.params()[1]!).set([0.1, -0.2, 0.3]);
    const x = rand(B * 2 * 4 * 5);
    const y = c.forward(x, B, { training });
    const W = paramData(c.params()[0]!); // (C*3*3) x OC
    for (let s = 0; s < B; s++)
      for (let o = 0; o < 3; o++)
        for (let oy = 0; oy < 4; oy++)
          for (let ox = 0; ox < 5; ox++) {
            let sum = [0.1, -0.2, 0.3][o]!;
            for (let ch = 0; ch < 2; ch++)
              for (let ky = 0; ky < 3; ky++)
                for (let kx = 0; kx < 3; kx++) {
                  const iy = oy + ky - 1;
                  const ix = ox + kx - 1;
                  if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5) continue;
                  sum += x[((s * 2 + ch) * 4 + iy) * 5 + ix]! * W[((ch * 3 + ky) * 3 + kx) * 3 + o]!;
                }
            expect(y[((s * 3 + o) * 4 + oy) * 5 + ox]).toBeCloseTo(sum, 12);
          }
  });
});

describe('softmax cross-entropy', () => {
  it('gradient vs finite differences and loss vs closed form', () => {
    const B = 4;
    const C = 5;
    const z = rand(B * C, -3, 3);
    const labels = [0, 3, 4, 1];
    const { loss, grad } = softmaxCrossEntropy(z, labels, B, C);
    let ref = 0;
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += Math.exp(z[i * C + j]!);
      ref += -Math.log(Math.exp(z[i * C + labels[i]!]!) / s);
    }
    expect(loss).toBeCloseTo(ref / B, 12);
    const g = grad.slice();
    for (let i = 0; i < z.length; i++) {
      const v = z[i]!;
      z[i] = v + H;
      const lp = softmaxCrossEntropy(z, labels, B, C).loss;
      z[i] = v - H;
      const lm = softmaxCrossEntropy(z, labels, B, C).loss;
      z[i] = v;
      expect(g[i]).toBeCloseTo((lp - lm) / (2 * H), 7);
    }
  });
  it('is stable for huge logits', () => {
    const z = new Float64Array([1000, 0, -1000, 1e4, 1e4 - 2, 0]);
    const r = softmaxCrossEntropy(z, [1, 1], 2, 3);
    // sample 0: -log softmax = 1000 (+ log(1 + e^-1000 + e^-2000) ~ 0); sample 1: 2 + log(1 + e^-2 + e^-(1e4 - 2))
    expect(r.loss).toBeCloseTo((1000 + 2 + Math.log(1 + Math.exp(-2))) / 2, 9);
    expect(r.grad.every(Number.isFinite)).toBe(true);
    expect(r.correct).toBe(0);
  });
});

describe('weightTransform hook (effective weights, straight-through)', () => {
  it('an additive offset transform: gradients equal the true finite-difference gradients', () => {
    const D = rand(6 * 4, -0.3, 0.3);
    let calls = 0;
    const t: WeightTransform = (W, rows, cols, ctx) => {
      calls++;
      expect([rows, cols, ctx.layer]).toEqual([6, 4, 'ph']);
      return W.map((v, i) => v + D[i]!);
    };
    const d = new Dense(6, 4, { name: 'ph', seed: 3, weightTransform: t });
    checkLayer(d, 3);
    expect(calls).toBeGreaterThan(1); // called on every forward evaluation
  });

  it('a scaling transform: dL/dW is dL/dW_eff (straight-through), dL/dx uses W_eff', () => {
    const s = 0.5;
    const d = new Dense(3, 2, { name: 'ph', seed: 4, bias: false, weightTransform: (W) => W.map((v) => s * v) });
    const x = rand(2 * 3);
    const r = rand(2 * 2);
    d.forward(x, 2, { training: true });
    const dx = d.backward(r, 2, { needInputGrad: true });
    const W = paramData(d.params()[0]!);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) {
        // dL/dW_eff[i,j] = sum_b x[b,i] r[b,j], independent of the transform slope
        const want = x[i]! * r[j]! + x[3 + i]! * r[2 + j]!;
        expect(d.dW[i * 2 + j]).toBeCloseTo(want, 14);
      }
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 3; i++) {
        const want = r[b * 2]! * s * W[i * 2]! + r[b * 2 + 1]! * s * W[i * 2 + 1]!;
        expect(dx[b * 3 + i]).toBeCloseTo(want, 14);
      }
  });
});

describe('a whole Sequential conv net', () => {
  it('input and parameter gradients of the CE loss vs finite differences', () => {
    const net = new Sequential([
      new Conv2d({ name: 'c1', seed: 1, inChannels: 1, outChannels: 2, height: 6, width: 6 }),
      new Activation('a1', [2, 6, 6], activationFns.tanh),
      new MaxPool2d('p1', [2, 6, 6]),
      new Flatten('f', 18),
      new Dense(18, 3, { name: 'fc', seed: 1 }),
    ]);
    const B = 2;
    const x = rand(B * 36);
    const labels = [2, 0];
    const L = (): number => softmaxCrossEntropy(net.forward(x), labels, B, 3).loss;
    const res = softmaxCrossEntropy(net.forward(x, { training: true }), labels, B, 3);
    const dx = net.backward(res.grad.slice(), { inputGrad: true }).slice();
    const ps = net.params();
    const grads = ps.map((p) => p.grad.slice());
    const fd = (a: Float64Array, i: number): number => {
      const v = a[i]!;
      a[i] = v + H;
      const lp = L();
      a[i] = v - H;
      const lm = L();
      a[i] = v;
      return (lp - lm) / (2 * H);
    };
    for (let i = 0; i < x.length; i += 5) expect(dx[i]).toBeCloseTo(fd(x, i), 7);
    ps.forEach((p, k) => {
      const w = paramData(p);
      for (let i = 0; i < w.length; i += 3) expect(grads[k]![i]).toBeCloseTo(fd(w, i), 7);
    });
  });
});
