import { describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import { DataError } from '../src/core/errors.ts';
import {
  Adam,
  decodeF64,
  Dense,
  encodeF64,
  flatMatrix,
  matrixData,
  mlp,
  quantizeSTEGrad,
  quantizeUniform,
  quantizeValue,
  Quantize,
  ReLU,
  Scratch,
  SGD,
  Sequential,
  type ActivationSite,
  type Param,
} from '../src/nn/index.ts';

describe('Matrix-backed parameters', () => {
  it('flatMatrix shares memory with its flat buffer both ways', () => {
    const flat = new Float64Array([1, 2, 3, 4, 5, 6]);
    const m = flatMatrix(2, 3, flat);
    expect(m.get(1, 2)).toBe(6);
    flat[4] = 50;
    expect(m.get(1, 1)).toBe(50);
    m.set(0, 0, -1);
    expect(flat[0]).toBe(-1);
    expect(matrixData(m)).toEqual(flat);
    matrixData(m)[2] = 7;
    expect(m.get(0, 2)).toBe(7);
  });
  it('matrixData re-homes an ordinary Matrix once, then is zero-copy', () => {
    const m = new Matrix([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const a = matrixData(m);
    expect([...a]).toEqual([1, 2, 3, 4, 5, 6]);
    a[3] = 40;
    expect(m.get(1, 1)).toBe(40);
    expect(matrixData(m).buffer).toBe(a.buffer);
  });
});

describe('optimisers (closed-form updates)', () => {
  const param = (w: number[], g: number[], decay?: boolean): Param => ({
    name: 'p',
    value: new Float64Array(w),
    grad: new Float64Array(g),
    ...(decay === undefined ? {} : { decay }),
  });
  it('SGD with momentum and weight decay', () => {
    const p = param([1, -2], [0.5, 0.25], true);
    const opt = new SGD({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    opt.step([p]);
    // v1 = g + wd w = [0.51, 0.23]; w1 = w - 0.1 v1
    expect([...(p.value as Float64Array)].map((v) => +v.toFixed(12))).toEqual([0.949, -2.023]);
    opt.step([p]);
    // v2 = 0.9 v1 + g + wd w1
    const v2 = [0.9 * 0.51 + 0.5 + 0.01 * 0.949, 0.9 * 0.23 + 0.25 + 0.01 * -2.023];
    expect((p.value as Float64Array)[0]).toBeCloseTo(0.949 - 0.1 * v2[0]!, 14);
    expect((p.value as Float64Array)[1]).toBeCloseTo(-2.023 - 0.1 * v2[1]!, 14);
  });
  it('Adam: first step is lr * g / (|g| + eps), state round-trips', () => {
    const p = param([1, 1, 1], [0.3, -2, 1e-3]);
    const opt = new Adam({ lr: 0.01 });
    opt.step([p]);
    const w = p.value as Float64Array;
    expect(w[0]).toBeCloseTo(1 - 0.01 * (0.3 / (0.3 + 1e-8)), 12);
    expect(w[1]).toBeCloseTo(1 + 0.01 * (2 / (2 + 1e-8)), 12);
    expect(w[2]).toBeCloseTo(1 - 0.01 * (1e-3 / (1e-3 + 1e-8)), 12);
    // resumed optimiser == continuing one
    const q = param([...w], [0.1, 0.2, 0.3]);
    const opt2 = new Adam({ lr: 0.01 });
    opt2.loadState(JSON.parse(JSON.stringify(opt.state())));
    p.grad.set([0.1, 0.2, 0.3]);
    opt.step([p]);
    opt2.step([q]);
    expect([...(q.value as Float64Array)]).toEqual([...w]);
  });
  it('biases (vectors) are not decayed by default', () => {
    const p = param([2], [0]);
    new SGD({ lr: 0.1, weightDecay: 0.5 }).step([p]);
    expect((p.value as Float64Array)[0]).toBe(2);
  });
});

describe('straight-through quantiser', () => {
  it('uniform levels over [lo, hi] and STE gradient', () => {
    // 2 bits over [0, 3]: levels 0, 1, 2, 3
    const x = new Float64Array([-1, 0.2, 0.5, 1.49, 2.51, 3, 9]);
    expect([...quantizeUniform(x, 2, 0, 3)]).toEqual([0, 0, 1, 1, 3, 3, 3]);
    expect(quantizeValue(0.74, 3, -1, 1)).toBeCloseTo(-1 + 6 * (2 / 7), 14);
    const dy = new Float64Array(7).fill(2);
    expect([...quantizeSTEGrad(x, dy, 0, 3)]).toEqual([0, 2, 2, 2, 2, 2, 0]);
    const q = new Quantize('q', 7, 2, 0, 3);
    q.forward(x, 1, { training: true });
    expect([...q.backward(dy, 1, { needInputGrad: true })]).toEqual([0, 2, 2, 2, 2, 2, 0]);
  });
});

describe('Sequential', () => {
  it('checks layer sizes and name uniqueness', () => {
    expect(() => new Sequential([new Dense(4, 3, { name: 'a', seed: 1 }), new Dense(4, 2, { name: 'b', seed: 1 })])).toThrow(/gives 3/);
    expect(() => new Sequential([new Dense(4, 4, { name: 'a', seed: 1 }), new Dense(4, 2, { name: 'a', seed: 1 })])).toThrow(/duplicate/);
  });

  it('init is seeded per layer name: same seed+name same weights, other name differs', () => {
    const a = new Dense(10, 5, { name: 'fc', seed: 3 });
    const b = new Dense(10, 5, { name: 'fc', seed: 3 });
    const c = new Dense(10, 5, { name: 'fc2', seed: 3 });
    expect(matrixData(a.W)).toEqual(matrixData(b.W));
    expect(matrixData(a.W)).not.toEqual(matrixData(c.W));
    // He: sd sqrt(2/10) ~ 0.447; the sample sd of 50 draws is within a loose band
    const w = matrixData(a.W);
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.3);
    expect(sd).toBeLessThan(0.6);
  });

  it('state round-trips bit-exactly through JSON, and bad checkpoints raise DataError', () => {
    const a = mlp([6, 5, 3], { seed: 1 });
    const w = matrixData(a.layers[0]!.params()[0]!.value as Matrix);
    w[0] = 0.1 + 0.2; // not a short decimal
    w[1] = -0;
    w[2] = 5e-324;
    const json = JSON.stringify(a.state());
    const b = mlp([6, 5, 3], { seed: 99 });
    b.loadState(JSON.parse(json));
    for (const [i, p] of b.params().entries()) {
      const pa = a.params()[i]!;
      const va = pa.value instanceof Float64Array ? pa.value : matrixData(pa.value);
      const vb = p.value instanceof Float64Array ? p.value : matrixData(p.value);
      expect(Buffer.from(vb.buffer, vb.byteOffset, vb.byteLength).equals(Buffer.from(va.buffer, va.byteOffset, va.byteLength))).toBe(true);
    }
    expect(Object.is(matrixData(b.layers[0]!.params()[0]!.value as Matrix)[1], -0)).toBe(true);
    const x = new Float64Array(12).map((_, i) => i / 12);
    expect([...b.forward(x)]).toEqual([...a.forward(x)]);
    expect(() => mlp([6, 4, 3], { seed: 1 }).loadState(JSON.parse(json), 'ck.json')).toThrow(DataError);
    expect(() => b.loadState({ format: 'x' }, 'ck.json')).toThrow(/ck.json: not a fusemix-nn-state/);
    expect(decodeF64(encodeF64(new Float64Array([NaN, Infinity, Math.PI])))).toEqual(new Float64Array([NaN, Infinity, Math.PI]));
    // the format is the IEEE-754 little-endian bytes, whatever the host (checked against DataView), also
    // for a view at an offset; -0 survives
    const vals = Float64Array.of(0, -0, 1.5, -2e-308, 5e-324, Number.MAX_VALUE, -Infinity, NaN, 1 / 3);
    const view = new Float64Array(12).subarray(2, 2 + vals.length);
    view.set(vals);
    const bytes = new Uint8Array(vals.length * 8);
    const dv = new DataView(bytes.buffer);
    vals.forEach((v, i) => dv.setFloat64(i * 8, v, true));
    expect(encodeF64(view)).toBe(Buffer.from(bytes).toString('base64'));
    const back = decodeF64(encodeF64(view));
    expect(back.length).toBe(vals.length);
    vals.forEach((v, i) => expect(Object.is(back[i], v)).toBe(true));
    expect(() => decodeF64(Buffer.from([1, 2, 3]).toString('base64'))).toThrow(DataError);
  });

  it('activation sites can be replaced by a custom module with its own params and backward', () => {
    const net = mlp([4, 3, 2], { seed: 2 });
    const sites = net.sites();
    expect(sites.map((s) => [s.index, s.layer.site.channels, s.layer.site.spatial])).toEqual([[1, 3, 1]]);
    // y = a_c * relu(x) with a learnable per-channel gain a (a toy stand-in for SuperMixer)
    class Gain implements ActivationSite {
      readonly kind = 'gain';
      readonly site = { channels: 3, spatial: 1 };
      readonly inSize = 3;
      readonly outSize = 3;
      readonly outShape = [3];
      readonly a = new Float64Array([1, 2, 3]);
      readonly da = new Float64Array(3);
      private x: Float64Array = new Float64Array(0);
      private readonly buf = new Scratch();
      constructor(readonly name: string) {}
      forward(x: Float64Array, batch: number, o: { training: boolean }) {
        const y = this.buf.get(batch * 3);
        for (let i = 0; i < y.length; i++) y[i] = this.a[i % 3]! * Math.max(0, x[i]!);
        if (o.training) this.x = x;
        return y;
      }
      backward(dy: Float64Array, batch: number) {
        this.da.fill(0);
        const dx = new Float64Array(batch * 3);
        for (let i = 0; i < dx.length; i++) {
          const r = Math.max(0, this.x[i]!);
          this.da[i % 3] = this.da[i % 3]! + dy[i]! * r;
          dx[i] = this.x[i]! > 0 ? dy[i]! * this.a[i % 3]! : 0;
        }
        return dx;
      }
      params(): Param[] {
        return [{ name: `${this.name}.a`, value: this.a, grad: this.da }];
      }
    }
    const old = net.replace(1, new Gain('mix0'));
    expect(old).toBeInstanceOf(ReLU);
    expect(net.params().map((p) => p.name)).toEqual(['fc0.W', 'fc0.b', 'mix0.a', 'fc1.W', 'fc1.b']);
    expect(() => net.replace(1, new ReLU('r', 5))).toThrow(/expected 3 -> 3/);
    const x = new Float64Array([0.5, -0.2, 0.9, 0.1, 0.3, -0.7, 0.2, 0.8]);
    const before = net.evaluate({ x, y: [1, 0], n: 2, features: 4 }).loss;
    const opt = new SGD({ lr: 0.05 });
    for (let i = 0; i < 30; i++) net.trainStep(x, [1, 0], opt);
    expect(net.evaluate({ x, y: [1, 0], n: 2, features: 4 }).loss).toBeLessThan(before);
  });
});

describe('checkpoint files', () => {
  it('resuming from a checkpoint continues training exactly like an uninterrupted run', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fit, saveCheckpoint, loadCheckpoint } = await import('../src/nn/index.ts');
    const rng = (await import('../src/core/rng.ts')).stream(1, 'test', 'ck');
    const data = { x: rng.fillUniform(new Float64Array(40 * 5)), y: Array.from({ length: 40 }, (_, i) => i % 3), n: 40, features: 5 };
    const full = mlp([5, 4, 3], { seed: 8 });
    fit(full, data, { seed: 8, epochs: 4, batchSize: 8, optimizer: new Adam({ lr: 0.01 }) });
    const half = mlp([5, 4, 3], { seed: 8 });
    const opt = new Adam({ lr: 0.01 });
    fit(half, data, { seed: 8, epochs: 2, batchSize: 8, optimizer: opt });
    const path = join(mkdtempSync(join(tmpdir(), 'fusemix-ck-')), 'ck.json');
    saveCheckpoint(path, half, { optimizer: opt, epoch: 2 });
    const resumed = mlp([5, 4, 3], { seed: 99 });
    const opt2 = new Adam({ lr: 0.01 });
    const { epoch } = loadCheckpoint(path, resumed, opt2);
    fit(resumed, data, { seed: 8, epochs: 2, batchSize: 8, optimizer: opt2, startEpoch: epoch });
    expect(JSON.stringify(resumed.state())).toBe(JSON.stringify(full.state()));
    writeFileSync(path, '{ not json');
    expect(() => loadCheckpoint(path, resumed)).toThrow(/ck\.json: cannot read checkpoint/);
  });
});
