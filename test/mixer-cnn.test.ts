/**
 * The CNN workload of mix (issue 14): convolutions on the photonic core (one matrix-vector product per
 * output position), activation sites with spatial positions, a seeded training subset, other
 * activations and repeats over seeds. Energies are checked against closed forms written here from the
 * presets' numbers (B k bits E_mod per product; C S E_digital per site), not against the code's sums.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { buildNet, hardwareFor, loadMixData, parseSeeds, resolveMixOptions, runMix, summariseSeeds, type MixResult } from '../src/mixer/index.ts';
import { loadPhotonicCore } from '../src/photonic/index.ts';
import { runCli } from './helpers/cli.ts';
import { tinyCsv } from './helpers/data.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-cnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mix --model cnn', () => {
  it('the CNN presets train on their own schedule unless the caller sets it; baselines start from the search', () => {
    const pick = (o: ReturnType<typeof resolveMixOptions>) => [o.pretrainEpochs, o.searchEpochs, o.finetuneEpochs];
    expect(pick(resolveMixOptions({}))).toEqual([10, 3, 3]);
    expect(pick(resolveMixOptions({ model: 'cnn' }))).toEqual([5, 2, 2]);
    expect(pick(resolveMixOptions({ model: 'cnn-small' }))).toEqual([5, 2, 2]);
    expect(pick(resolveMixOptions({ model: 'cnn', pretrainEpochs: 7, finetuneEpochs: 0 }))).toEqual([7, 2, 0]);
    expect(pick(resolveMixOptions({ model: 'mlp', searchEpochs: 1 }))).toEqual([10, 1, 3]);
    expect(resolveMixOptions({}).baselineInit).toBe('search');
  });
  it('the cnn preset: three 3x3 convolutions of 64 channels, sites at 28x28, 14x14, 7x7, one product per position', () => {
    const o = resolveMixOptions({ model: 'cnn' });
    expect(o.poolSize).toBe(64); // one column per channel of the widest site
    const net = buildNet(o, hardwareFor({ ...o, poolSize: 2 }), 784, 10, loadPhotonicCore(o.photonicPreset));
    expect(net.sites.map((s) => [s.site.channels, s.site.spatial])).toEqual([
      [64, 784],
      [64, 196],
      [64, 49],
    ]);
    expect(net.products).toEqual([784, 196, 49, 1]);
    expect(net.weighted.map((w) => [w.W.rows, w.W.columns])).toEqual([
      [9, 64],
      [576, 64],
      [576, 64],
      [3136, 10],
    ]);
    expect(net.model.outSize).toBe(10);
    // non-image data cannot feed a CNN
    expect(() => buildNet(o, hardwareFor({ ...o, poolSize: 2 }), 12, 3, loadPhotonicCore(o.photonicPreset))).toThrow(ConfigError);
  });

  it('cnn-small on digits: photonic energy = positions x B k bits E_mod; A/D energy = readout + sum C S E_digital', () => {
    const r = runMix({ model: 'cnn-small', nTrain: 256, nTest: 64, pretrainEpochs: 1, searchEpochs: 1, finetuneEpochs: 1, randomBaselines: 1, randomKinds: ['site', 'budget'], heuristics: [] }).result!;
    expect(r.data.train).toBe(256);
    expect(r.accuracy.float).toBeGreaterThan(0.2); // 10 classes: above chance after one epoch on 256 digits
    const preset = JSON.parse(readFileSync(join(ROOT, 'devices', 'photonic-core-default.json'), 'utf8'));
    const k = preset.params.block.value as number;
    const bits = preset.params.inputBits.value as number;
    const fj = /^([\d.]+) fJ$/.exec(preset.params.modulatorEnergyPerBit.value as string);
    expect(fj, 'the preset states the modulator energy in fJ').not.toBeNull();
    const eModJ = Number(fj![1]) * 1e-15;
    const blocks = (m: number, n: number) => Math.ceil(m / k) * Math.ceil(n / k);
    const items = r.systemEnergy.digital.items;
    // W^T of conv0 is 16 x 9, of conv1 and conv2 16 x 144, of fc 10 x 784 (16 channels at 7 x 7)
    const expected: Array<[string, number, number, number]> = [
      ['conv0', 16, 9, 784],
      ['conv1', 16, 144, 196],
      ['conv2', 16, 144, 49],
      ['fc', 10, 784, 1],
    ];
    for (const [layer, m, n, positions] of expected) {
      expect(items[`photonic.${layer}.modulator`]! / (positions * blocks(m, n) * k * bits * eModJ), layer).toBeCloseTo(1, 12);
    }
    const eDig = r.hardware.digitalPerActivation;
    const eRead = r.hardware.readoutPerConversion;
    expect(r.energy.digital.total / (10 * eRead + 16 * (784 + 196 + 49) * eDig)).toBeCloseTo(1, 12);
    expect(r.saving).toBeGreaterThanOrEqual(0.6 - 1e-9); // budget 0.4 met
    expect(r.baselines.runs[0]!.analogChannels.map((c) => c.length)).toEqual(r.assignment.sites.map((s) => s.analog));
    // the budget draw: at the budget, and short of it by less than one first-site channel (784 positions of the digital path)
    const br = r.baselines.runs.find((b) => b.kind === 'budget-random')!;
    expect(1 - br.saving).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(1 - br.saving).toBeGreaterThan(0.4 - (784 * eDig) / r.energy.digital.total);
  }, 120_000);
});

describe('CNN with batch norm and average pooling', () => {
  it('layers conv -> bn -> site -> avg pool; a run resumed after pretraining equals an uninterrupted one (running statistics checkpointed)', () => {
    const opts = { model: 'cnn-small', batchNorm: true, pooling: 'avg' as const, nTrain: 192, nTest: 48, pretrainEpochs: 1, searchEpochs: 1, finetuneEpochs: 1, randomBaselines: 0, heuristics: [] };
    const o = resolveMixOptions(opts);
    const net = buildNet(o, hardwareFor({ ...o, poolSize: 2 }), 784, 10, loadPhotonicCore(o.photonicPreset));
    expect(net.model.layers.map((l) => l.kind).slice(0, 5)).toEqual(['conv2d', 'batchnorm2d', 'mixed-activation', 'avgpool2d', 'conv2d']);
    expect(net.model.buffers().map((b) => b.name)).toEqual(['bn0.runningMean', 'bn0.runningVar', 'bn1.runningMean', 'bn1.runningVar', 'bn2.runningMean', 'bn2.runningVar']);
    const whole = runMix(opts).result!;
    const out = join(dir, 'bn-resume');
    expect(runMix(opts, { outDir: out, stopAfter: 'pretrain' }).stopped).toBe('pretrain');
    const resumed = runMix(opts, { outDir: out }).result!;
    expect(resumed.accuracy).toEqual(whole.accuracy);
    expect(resumed.assignment).toEqual(whole.assignment);
    // batch norm folds into the core's output scaling: no energy item of its own
    expect(Object.keys(whole.systemEnergy.digital.items).some((k) => /bn/.test(k))).toBe(false);
    expect(() => resolveMixOptions({ batchNorm: true })).toThrow(/batchNorm/);
    expect(() => resolveMixOptions({ model: 'cnn', pooling: 'mean' as 'avg' })).toThrow(/pooling/);
  }, 180_000);
});

describe('training subset, activations, seeds', () => {
  it('--n-train takes a seeded subset of the training samples; the test set is unchanged', () => {
    const full = loadMixData('mnist', 3, 500);
    const a = loadMixData('mnist', 3, 500, 300);
    const b = loadMixData('mnist', 3, 500, 300);
    const c = loadMixData('mnist', 4, 500, 300);
    expect(a.train.n).toBe(300);
    expect(Buffer.from(a.train.x.buffer).equals(Buffer.from(b.train.x.buffer))).toBe(true);
    expect(Buffer.from(a.test.x.buffer).equals(Buffer.from(full.test.x.buffer))).toBe(true);
    // another seed: another subset (of another split)
    expect(Buffer.from(a.train.y.buffer).equals(Buffer.from(c.train.y.buffer))).toBe(false);
    // every subset sample is a sample of the full training set
    const F = full.train.features;
    const row = (x: Float64Array, i: number) => Array.from(x.subarray(i * F, (i + 1) * F)).join(',');
    const rows = new Set(Array.from({ length: full.train.n }, (_v, i) => row(full.train.x, i)));
    for (let i = 0; i < 20; i++) expect(rows.has(row(a.train.x, i))).toBe(true);
    expect(() => resolveMixOptions({ nTrain: -1 })).toThrow(/nTrain/);
  });

  it('--act tanh runs through both paths; an unknown activation is refused', () => {
    const data = tinyCsv(dir, 4);
    const r = runMix({ data, hidden: [8], poolSize: 2, fn: 'tanh', pretrainEpochs: 2, searchEpochs: 1, finetuneEpochs: 1, nTest: 40, batchSize: 16, randomBaselines: 0, heuristics: [] }).result!;
    expect(r.config.fn).toBe('tanh');
    for (const k of ['digital', 'analog', 'mixed'] as const) expect(r.accuracy[k], k).toBeGreaterThan(0.5); // 3 classes
    expect(() => resolveMixOptions({ fn: 'nope' })).toThrow(/fn/);
  });

  it('seeds: parsed from ranges and lists; mean, sd and pooled tests over real runs', () => {
    expect(parseSeeds('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('3,7,a')).toEqual([3, 7, 'a']);
    for (const bad of ['5..1', '1,,2', '1,1']) expect(() => parseSeeds(bad), bad).toThrow(ConfigError);
    const data = tinyCsv(dir, 9);
    const base = { data, hidden: [8], poolSize: 2, pretrainEpochs: 2, searchEpochs: 1, finetuneEpochs: 1, nTest: 40, batchSize: 16, randomBaselines: 2, heuristics: ['variance'] };
    const runs = [1, 2].map((seed) => runMix({ ...base, seed }).result as MixResult);
    const s = summariseSeeds(runs);
    expect(s.seeds).toEqual([1, 2]);
    const m = (runs[0]!.accuracy.mixed + runs[1]!.accuracy.mixed) / 2;
    expect(s.accuracy.mixed!.mean).toBeCloseTo(m, 14);
    expect(s.accuracy.mixed!.sd).toBeCloseTo(Math.abs(runs[0]!.accuracy.mixed - runs[1]!.accuracy.mixed) / Math.SQRT2, 14);
    expect(s.accuracy['budget-random']!.values).toEqual(runs.map((r) => r.baselines.budgetRandom!.accuracyMean));
    const sum = (f: (r: MixResult) => number) => runs.reduce((a, r) => a + f(r), 0);
    expect(s.comparison.analog!.onlyA).toBe(sum((r) => r.comparison.mixedVsAnalog.onlyA));
    expect(s.comparison['budget-random']!.onlyB).toBe(sum((r) => r.baselines.budgetRandom!.comparison.onlyB));
    expect(s.comparison.variance!.onlyA).toBe(sum((r) => r.baselines.runs.find((b) => b.name === 'variance')!.comparison.onlyA));
  });

  it('the CLI refuses --seeds with --seed, an unknown model or activation (exit 2, flag named)', () => {
    for (const [args, flag] of [
      [['--seeds', '1,2', '--seed', '3'], 'seeds'],
      [['--model', 'resnet'], 'model'],
      [['--act', 'softplus2'], 'act'],
      [['--heuristics', 'magic'], 'heuristics'],
    ] as const) {
      const r = runCli(['mix', '--json', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(flag);
    }
  });
});
