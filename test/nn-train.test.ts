import { describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.ts';
import { fit, mlp, SGD } from '../src/nn/index.ts';

describe('training an MLP on real MNIST digits', () => {
  const { train, test } = loadMnist({ seed: 5, limit: 2500, nTest: 500 });

  const run = (seed: number) => {
    const model = mlp([784, 128, 10], { seed });
    const hist = fit(model, train, { seed, epochs: 3, batchSize: 32, optimizer: new SGD({ lr: 0.05, momentum: 0.9 }) });
    return { model, hist, test: model.evaluate(test) };
  };

  it('784-128-10 on 2,000 digits beats 85 % on 500 held-out digits; the same seed gives identical weights', () => {
    const a = run(1);
    expect(train.n).toBe(2000);
    expect(a.hist[2]!.trainLoss).toBeLessThan(a.hist[0]!.trainLoss);
    expect(a.test.accuracy).toBeGreaterThan(0.85);
    const b = run(1);
    expect(JSON.stringify(b.model.state())).toBe(JSON.stringify(a.model.state()));
    expect(b.test).toEqual(a.test);
    const c = run(2);
    expect(JSON.stringify(c.model.state())).not.toBe(JSON.stringify(a.model.state()));
  });
});
