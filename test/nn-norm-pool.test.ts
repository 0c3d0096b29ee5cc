/**
 * Batch norm and average pooling (issue 14): forward values against direct computations, the running
 * statistics against their recurrence, inference as the folded affine, checkpoints carrying the
 * running statistics, and worker-thread evaluation of a model that has both. (Gradients against
 * finite differences: nn-grad.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { loadMnist } from '../src/data/index.ts';
import { AvgPool2d, BatchNorm2d, buildModel, Conv2d, Dense, describeModel, evaluateParallel, Flatten, ReLU, Sequential, SGD } from '../src/nn/index.ts';

const rng = stream(21, 'test', 'norm-pool');
const rand = (n: number, lo = -1, hi = 1) => rng.fillUniform(new Float64Array(n), lo, hi);

/** values of channel c over the batch, from a [batch, C, S] array */
function channel(x: Float64Array, batch: number, C: number, S: number, c: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) for (let i = 0; i < S; i++) out.push(x[(b * C + c) * S + i]!);
  return out;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[], ddof = 0) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - ddof);
};

describe('BatchNorm2d', () => {
  it('training output has per-channel mean beta and standard deviation |gamma| (closed form)', () => {
    const bn = new BatchNorm2d('bn', [3, 4, 5]);
    bn.gamma.set([2, 0.5, -1]);
    bn.beta.set([0.3, -1, 0]);
    const x = rand(6 * 60, -3, 5);
    const y = bn.forward(x, 6, { training: true });
    for (let c = 0; c < 3; c++) {
      const v = channel(y, 6, 3, 20, c);
      expect(mean(v)).toBeCloseTo(bn.beta[c]!, 10);
      // biased variance of the batch, +eps in the denominator
      const vx = variance(channel(x, 6, 3, 20, c));
      expect(Math.sqrt(variance(v))).toBeCloseTo(Math.abs(bn.gamma[c]!) * Math.sqrt(vx / (vx + 1e-5)), 10);
    }
  });

  it('running statistics follow r <- (1 - m) r + m stat (unbiased variance), and inference uses them', () => {
    const bn = new BatchNorm2d('bn', [2, 3, 3], { momentum: 0.2 });
    const batches = [rand(4 * 18, -1, 2), rand(4 * 18, 0, 4)];
    const rm = [0, 0];
    const rv = [1, 1];
    for (const x of batches) {
      bn.forward(x, 4, { training: true });
      for (let c = 0; c < 2; c++) {
        const v = channel(x, 4, 2, 9, c);
        rm[c] = 0.8 * rm[c]! + 0.2 * mean(v);
        rv[c] = 0.8 * rv[c]! + 0.2 * variance(v, 1);
      }
    }
    for (let c = 0; c < 2; c++) {
      expect(bn.runningMean[c]).toBeCloseTo(rm[c]!, 12);
      expect(bn.runningVar[c]).toBeCloseTo(rv[c]!, 12);
    }
    bn.gamma.set([1.2, -0.4]);
    bn.beta.set([0.1, 0.5]);
    const x = rand(3 * 18);
    const y = bn.forward(x, 3, { training: false });
    for (let b = 0; b < 3; b++) {
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < 9; i++) {
          const k = (b * 2 + c) * 9 + i;
          expect(y[k]).toBeCloseTo((bn.gamma[c]! * (x[k]! - rm[c]!)) / Math.sqrt(rv[c]! + 1e-5) + bn.beta[c]!, 12);
        }
      }
    }
    const { scale, shift } = bn.folded();
    expect(scale[1]).toBeCloseTo(-0.4 / Math.sqrt(rv[1]! + 1e-5), 12);
    expect(shift[0]).toBeCloseTo(0.1 - (rm[0]! * 1.2) / Math.sqrt(rv[0]! + 1e-5), 12);
  });

  it('rejects bad options with the layer named', () => {
    expect(() => new BatchNorm2d('bnx', 4, { momentum: 0 })).toThrow(/bnx: momentum/);
    expect(() => new BatchNorm2d('bny', 4, { eps: -1 })).toThrow(/bny: eps/);
  });
});

describe('AvgPool2d', () => {
  it('each output is the mean of its window (direct sum), strides 2 and 1', () => {
    for (const [k, s] of [[2, 2], [3, 1], [2, 3]] as const) {
      const p = new AvgPool2d('p', [2, 7, 6], k, s);
      const x = rand(2 * 2 * 42);
      const y = p.forward(x, 2, { training: false });
      const [, oh, ow] = p.outShape as [number, number, number];
      expect(oh).toBe(Math.floor((7 - k) / s) + 1);
      for (let n = 0; n < 4; n++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let t = 0;
            for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) t += x[n * 42 + (oy * s + ky) * 6 + ox * s + kx]!;
            expect(y[(n * oh + oy) * ow + ox]).toBeCloseTo(t / (k * k), 12);
          }
        }
      }
    }
  });
});

function bnCnn(seed: number): Sequential {
  return new Sequential([
    new Conv2d({ name: 'c', seed, inChannels: 1, outChannels: 4, height: 28, width: 28 }),
    new BatchNorm2d('bn', [4, 28, 28]),
    new ReLU('r', [4, 28, 28]),
    new AvgPool2d('p', [4, 28, 28]),
    new Flatten('f', 4 * 14 * 14),
    new Dense(4 * 14 * 14, 10, { name: 'fc', seed }),
  ]);
}

describe('models with batch norm', () => {
  it('checkpoints carry the running statistics; a checkpoint without them is refused by name', async () => {
    const model = bnCnn(3);
    const { train, test } = loadMnist({ seed: 2, nTest: 40, limit: 200 });
    const opt = new SGD({ lr: 0.05 });
    for (let s = 0; s < 128; s += 32) model.trainStep(train.x.subarray(s * 784, (s + 32) * 784), Array.from(train.y.subarray(s, s + 32)), opt);
    const bn = model.layers[1] as BatchNorm2d;
    expect(bn.runningVar.some((v) => v !== 1)).toBe(true);
    const st = JSON.parse(JSON.stringify(model.state()));
    expect(st.buffers.map((b: { name: string }) => b.name)).toEqual(['bn.runningMean', 'bn.runningVar']);
    const copy = bnCnn(9);
    copy.loadState(st);
    expect(Array.from(copy.forward(test.x))).toEqual(Array.from(model.forward(test.x)));
    const { buffers: _b, ...noBuffers } = st;
    expect(() => bnCnn(9).loadState(noBuffers, 'old.json')).toThrow(DataError);
    expect(() => bnCnn(9).loadState(noBuffers, 'old.json')).toThrow(/bn\.runningMean/);
  });

  it('worker-thread evaluation rebuilds batch norm and average pooling with their statistics (same numbers)', async () => {
    const model = bnCnn(5);
    const { train, test } = loadMnist({ seed: 5, nTest: 60, limit: 200 });
    const opt = new SGD({ lr: 0.05 });
    for (let s = 0; s < 96; s += 32) model.trainStep(train.x.subarray(s * 784, (s + 32) * 784), Array.from(train.y.subarray(s, s + 32)), opt);
    const spec = describeModel(model);
    expect(spec?.map((s) => s.kind)).toEqual(['conv2d', 'batchnorm2d', 'relu', 'avgpool2d', 'flatten', 'dense']);
    const rebuilt = await buildModel(spec!);
    expect(rebuilt.buffers().map((b) => b.name)).toEqual(['bn.runningMean', 'bn.runningVar']);
    const serial = model.evaluate(test);
    const par = await evaluateParallel(model, test, { threads: 2 });
    expect(par.correct).toBe(serial.correct);
    expect(Math.abs(par.loss - serial.loss)).toBeLessThan(1e-12 * Math.max(1, serial.loss));
  });
});
