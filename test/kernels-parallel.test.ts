/**
 * Worker-thread helpers: evaluateParallel gives the same loss and accuracy as Sequential.evaluate
 * (MLP and a small CNN, rebuilt in the workers from their description), parallelMap keeps input
 * order and reports worker errors, and models it cannot describe fall back to this thread.
 */
import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import { loadMnist } from '../src/data/index.ts';
import { parallelMap, WorkerPool } from '../src/kernels/index.ts';
import { paramData } from '../src/nn/param.ts';
import { buildModel, describeModel, evaluateParallel, Activation, activationFns, Conv2d, Dense, Flatten, MaxPool2d, mlp, ReLU, Sequential, SGD, trainEpoch } from '../src/nn/index.ts';

const EVAL_URL = new URL('../src/nn/evaluate.ts', import.meta.url);

describe('evaluateParallel', () => {
  it('matches Sequential.evaluate for a trained MLP on 2 threads', async () => {
    const { train, test } = loadMnist({ seed: 2, nTest: 1001, limit: 3001 });
    const model = mlp([784, 24, 10], { seed: 2 });
    trainEpoch(model, train, { seed: 2, epoch: 0, batchSize: 32, optimizer: new SGD({ lr: 0.05 }) });
    const serial = model.evaluate(test);
    const par = await evaluateParallel(model, test, { threads: 2, batchSize: 128 });
    expect(par.n).toBe(1001);
    expect(par.correct).toBe(serial.correct);
    expect(par.accuracy).toBe(serial.accuracy);
    expect(Math.abs(par.loss - serial.loss)).toBeLessThan(1e-12 * Math.max(1, serial.loss));
  });

  it('rebuilds a CNN (conv, pool, flatten, dense) in the workers with the same weights', async () => {
    const model = new Sequential([
      new Conv2d({ name: 'c1', seed: 4, inChannels: 1, outChannels: 3, height: 28, width: 28, kernel: 3 }),
      new ReLU('r1', [3, 28, 28]),
      new MaxPool2d('p1', [3, 28, 28], 2),
      new Flatten('f', 3 * 14 * 14),
      new Dense(3 * 14 * 14, 10, { name: 'd', seed: 4 }),
    ]);
    const spec = describeModel(model);
    expect(spec?.map((s) => s.kind)).toEqual(['conv2d', 'relu', 'maxpool2d', 'flatten', 'dense']);
    // the rebuilt model with loaded state computes the same logits (independent of the worker path)
    const copy = await buildModel(spec!);
    copy.loadState(model.state());
    const x = stream(4, 'test', 'cnn').fillUniform(new Float64Array(3 * 784), 0, 1);
    expect(Array.from(copy.forward(x))).toEqual(Array.from(model.forward(x)));
    const { test } = loadMnist({ seed: 4, nTest: 60, limit: 120 });
    const serial = model.evaluate(test);
    const par = await evaluateParallel(model, test, { threads: 2 });
    expect(par.correct).toBe(serial.correct);
    expect(Math.abs(par.loss - serial.loss)).toBeLessThan(1e-12 * Math.max(1, serial.loss));
  });

  it('evaluates models with custom layers in this thread (same numbers)', async () => {
    const model = new Sequential([
      new Dense(784, 8, { name: 'a', seed: 1 }),
      new Activation('t', 8, activationFns.sigmoid),
      new Dense(8, 10, { name: 'b', seed: 1 }),
    ]);
    expect(describeModel(model)).toBeUndefined();
    const { test } = loadMnist({ seed: 1, nTest: 50, limit: 100 });
    expect(await evaluateParallel(model, test, { threads: 2 })).toEqual(model.evaluate(test));
  });
});

describe('parallelMap', () => {
  it('returns results in input order and passes the context', async () => {
    const model = mlp([4, 3], { seed: 9 });
    const ctx = { layers: describeModel(model), params: model.params().map((p) => ({ name: p.name, value: paramData(p) })), batchSize: 2 };
    // five one-sample chunks; sample i has label i % 3, so `n` and ordering are checkable per item
    const items = Array.from({ length: 5 }, (_, i) => ({ x: new Float64Array([i, 1, -i, 0.5]), y: new Int32Array([i % 3]), n: 1, features: 4 }));
    const out = await parallelMap<(typeof items)[number], { lossSum: number; correct: number; n: number }>(items, EVAL_URL, 'evaluateChunk', {
      threads: 2,
      context: ctx,
    });
    expect(out).toHaveLength(5);
    items.forEach((it, i) => {
      const r = model.evaluate(it);
      expect(out[i]!.n).toBe(1);
      expect(out[i]!.correct).toBe(r.correct);
      expect(Math.abs(out[i]!.lossSum - r.loss)).toBeLessThan(1e-12);
    });
  });

  it('rejects with the worker error message, and on a missing function', async () => {
    const items = [{ x: new Float64Array(4), y: new Int32Array(1), n: 1, features: 4 }, { x: new Float64Array(4), y: new Int32Array(1), n: 1, features: 4 }];
    await expect(parallelMap(items, EVAL_URL, 'evaluateChunk', { threads: 2, context: { batchSize: 1 } })).rejects.toThrow(/neither layers nor recipe/);
    await expect(parallelMap(items, EVAL_URL, 'noSuchFunction', { threads: 2 })).rejects.toThrow(/no exported function 'noSuchFunction'/);
  });

  it('a WorkerPool stays warm across calls with different contexts and survives a failing call', async () => {
    const pool = new WorkerPool({ threads: 2 });
    try {
      const items = Array.from({ length: 4 }, (_, i) => ({ x: new Float64Array([i, -1, 2 * i, 0.25]), y: new Int32Array([i % 3]), n: 1, features: 4 }));
      const check = async (seed: number) => {
        const model = mlp([4, 3], { seed });
        const out = await pool.map<(typeof items)[number], { lossSum: number }>(items, EVAL_URL, 'evaluateChunk', {
          context: { layers: describeModel(model), params: model.params().map((p) => ({ name: p.name, value: paramData(p) })), batchSize: 4 },
        });
        items.forEach((it, i) => expect(Math.abs(out[i]!.lossSum - model.evaluate(it).loss)).toBeLessThan(1e-12));
      };
      await check(1);
      await check(2); // a new context replaces the model in the warm workers
      await expect(pool.map(items, EVAL_URL, 'evaluateChunk', { context: { batchSize: 1 } })).rejects.toThrow(/neither layers nor recipe/);
      await check(3);
    } finally {
      await pool.close();
    }
  });
});
