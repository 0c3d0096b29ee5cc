/**
 * Baselines of a mix run (issue 14): random assignments and heuristics at the searched analog-channel
 * count per site, each fine-tuned and tested against the searched assignment on the same samples.
 * The checks are identities that hold whatever the accuracies are: McNemar's counts against the
 * accuracies, the pooled counts against the per-draw ones, the exact binomial p-value recomputed here,
 * the energies against the per-channel energy law, and the heuristics' channel order recomputed from
 * the pretrained checkpoint.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { buildNet, hardwareFor, loadMixData, resolveMixOptions, runMix, type MixResult } from '../src/mixer/index.ts';
import { loadPhotonicCore } from '../src/photonic/index.ts';
import { getActivation } from '../src/units/activations.ts';
import { tinyCsv } from './helpers/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusemix-baselines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = {
  data: tinyCsv(dir, 12),
  hidden: [12],
  poolSize: 4,
  pretrainEpochs: 2,
  searchEpochs: 1,
  finetuneEpochs: 1,
  batchSize: 16,
  seed: 5,
  nTest: 60,
  randomBaselines: 3,
  randomKinds: ['site'] as const,
};
const out = join(dir, 'run');
// the first run starts its baselines from the pretrained weights; the 'search' start (the default) reuses its other phases below
const r = runMix({ ...opts, baselineInit: 'pretrained' }, { outDir: out }).result as MixResult;

/** two-sided exact binomial p-value of a k : n - k split, summed here term by term */
function binomP(a: number, b: number): number {
  const n = a + b;
  const k = Math.min(a, b);
  let c = 1;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) c = (c * (n - i + 1)) / i;
    tail += c / 2 ** n;
  }
  return n === 0 ? 1 : Math.min(1, 2 * tail);
}

describe('mix baselines', () => {
  it('has the random draws and both heuristics, each at the searched analog count of every site', () => {
    expect(r.baselines.runs.map((b) => b.name)).toEqual(['random-1', 'random-2', 'random-3', 'sensitivity', 'variance']);
    const searched = r.assignment.sites.map((s) => s.analog);
    for (const b of r.baselines.runs) {
      expect(b.analogChannels.map((c) => c.length), b.name).toEqual(searched);
      for (const c of b.analogChannels.flat()) expect(c >= 0 && c < 12).toBe(true);
    }
    // seeded draws differ from each other (12 channels: a repeat of one subset is unlikely, and seeded)
    const sets = r.baselines.runs.filter((b) => b.kind === 'random').map((b) => JSON.stringify(b.analogChannels));
    expect(new Set(sets).size).toBeGreaterThan(1);
  });

  it("McNemar's counts agree with the accuracies; the pooled random test sums the draws", () => {
    const n = r.data.test;
    for (const b of r.baselines.runs) {
      const { onlyA, onlyB, pValue } = b.comparison;
      // accuracy(mixed) - accuracy(b) = (only mixed right - only b right) / n, exactly
      expect(Math.round(n * (r.accuracy.mixed - b.accuracy))).toBe(onlyA - onlyB);
      expect(pValue).toBeCloseTo(binomP(onlyA, onlyB), 12);
    }
    const rnd = r.baselines.runs.filter((b) => b.kind === 'random');
    const pooled = r.baselines.random!;
    expect(pooled.draws).toBe(3);
    expect(pooled.comparison.onlyA).toBe(rnd.reduce((a, b) => a + b.comparison.onlyA, 0));
    expect(pooled.comparison.onlyB).toBe(rnd.reduce((a, b) => a + b.comparison.onlyB, 0));
    const acc = rnd.map((b) => b.accuracy);
    const mean = acc.reduce((a, b) => a + b, 0) / 3;
    expect(pooled.accuracyMean).toBeCloseTo(mean, 14);
    expect(pooled.accuracySd).toBeCloseTo(Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / 2), 14);
  });

  it('a baseline costs the per-channel energies of its channels (equal counts: the same saving up to variation)', () => {
    expect(r.hardware.columns).toHaveLength(4); // the pool
    for (const b of r.baselines.runs) {
      // E = readout + sum over channels of E_analog(column) or E_digital; all-digital E_D known
      const eD = r.energy.digital.total;
      expect(b.saving).toBeCloseTo(1 - b.energy / eD, 14);
      // analog channels cost less than digital ones here, so the saving lies strictly between 0 and all-analog's
      expect(b.saving).toBeGreaterThan(0);
      expect(b.saving).toBeLessThan(r.savingAnalog);
      expect(Math.abs(b.saving - r.saving)).toBeLessThan(0.05);
    }
  });

  it('the variance heuristic puts the lowest-variance channels on the analog path (recomputed from the checkpoint)', () => {
    const o = resolveMixOptions(opts);
    const data = loadMixData(o.data, o.seed, o.nTest, o.nTrain);
    const net = buildNet(o, hardwareFor(o), data.train.features, data.train.classes, loadPhotonicCore(o.photonicPreset));
    const pre = JSON.parse(readFileSync(join(out, 'pretrain.ckpt.json'), 'utf8'));
    net.model.loadState(pre.model);
    for (const p of net.photonic) p.mode = 'off';
    for (const s of net.sites) s.mode = 'float';
    // the hidden pre-activations of the first 2,000 training samples (all of them here), by hand: x W + b
    const fc0 = net.weighted[0]!;
    const W = fc0.W.to2DArray();
    const b = (fc0 as { b?: Float64Array }).b!;
    const F = data.train.features;
    const relu = getActivation(o.fn);
    const n = Math.min(2000, data.train.n);
    const variance = Array.from({ length: 12 }, (_v, c) => {
      let s = 0;
      let q = 0;
      for (let i = 0; i < n; i++) {
        let z = b[c]!;
        for (let f = 0; f < F; f++) z += data.train.x[i * F + f]! * W[f]![c]!;
        const y = relu.f(z);
        s += y;
        q += y * y;
      }
      return q / n - (s / n) ** 2;
    });
    const order = variance.map((v, c) => [v, c] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const k = r.assignment.sites[0]!.analog;
    const expected = order.slice(0, k).map(([, c]) => c).sort((x, y) => x - y);
    const v = r.baselines.runs.find((x) => x.name === 'variance')!;
    expect(v.analogChannels[0]).toEqual(expected);
  });

  it("baselineInit 'search': each baseline trains finetuneEpochs from the search's final weights; every other phase is reused", () => {
    // the first run's baselines trained search + fine-tuning epochs from the pretrained weights
    for (const b of r.baselines.runs) expect(JSON.parse(readFileSync(join(out, `baseline-${b.name}-b0.4.ckpt.json`), 'utf8')).epochs).toBe(opts.searchEpochs + opts.finetuneEpochs);
    const before = readdirSync(out).filter((f) => !f.startsWith('baseline-') && f.endsWith('.ckpt.json')).map((f) => [f, statSync(join(out, f)).mtimeMs] as const);
    const s = runMix({ ...opts, baselineInit: 'search' }, { outDir: out }).result as MixResult;
    // the shared phases were read back, not recomputed: same files, same times, same results
    for (const [f, t] of before) expect(statSync(join(out, f)).mtimeMs, f).toBe(t);
    expect(s.accuracy).toEqual(r.accuracy);
    expect(s.assignment).toEqual(r.assignment);
    // the baselines are new phases, named for their start, with the mixed network's epoch count
    for (const b of s.baselines.runs) {
      const ck = JSON.parse(readFileSync(join(out, `baseline-${b.name}-from-search-b0.4.ckpt.json`), 'utf8'));
      expect(ck.epochs).toBe(opts.finetuneEpochs);
      expect(ck.history).toHaveLength(opts.finetuneEpochs);
      expect(b.analogChannels).toEqual(r.baselines.runs.find((x) => x.name === b.name)!.analogChannels);
    }
    // with no fine-tuning epochs a baseline keeps the search's weights exactly
    const zero = join(dir, 'zero');
    runMix({ ...opts, finetuneEpochs: 0, randomBaselines: 1, heuristics: [], baselineInit: 'search' }, { outDir: zero });
    const srch = JSON.parse(readFileSync(join(zero, 'search-b0.4.ckpt.json'), 'utf8'));
    const base = JSON.parse(readFileSync(join(zero, 'baseline-random-1-from-search-b0.4.ckpt.json'), 'utf8'));
    expect(base.model.params).toEqual(srch.model.params);
    expect(() => resolveMixOptions({ baselineInit: 'mixed' as never })).toThrow(/baselineInit.*pretrained or search/s);
  });

  it('budget random draws: filled to the budget, seeded, pooled on their own; a run asked for them reuses every other phase', () => {
    const before = readdirSync(out).filter((f) => f.endsWith('.ckpt.json')).map((f) => [f, statSync(join(out, f)).mtimeMs] as const);
    const b = runMix({ ...opts, randomKinds: ['site', 'budget'] }, { outDir: out }).result as MixResult;
    // the shared phases and the baselines already there were read back (the baseline options are not in the phases' hash)
    for (const [f, t] of before) expect(statSync(join(out, f)).mtimeMs, f).toBe(t);
    expect(b.accuracy).toEqual(r.accuracy);
    const names = b.baselines.runs.map((x) => x.name);
    expect(names).toEqual(['random-1', 'random-2', 'random-3', 'budget-random-1', 'budget-random-2', 'budget-random-3', 'sensitivity', 'variance']);
    const draws = b.baselines.runs.filter((x) => x.kind === 'budget-random');
    expect(draws).toHaveLength(3);
    // one channel's saving at most: the digital path of one activation (no spatial positions in the MLP)
    const step = b.hardware.digitalPerActivation / b.energy.digital.total;
    for (const d of draws) {
      const ratio = 1 - d.saving;
      expect(ratio).toBeLessThanOrEqual(b.budget + 1e-12);
      // turned analog one channel at a time until the budget is met: not more than one channel below it
      expect(ratio).toBeGreaterThan(b.budget - step);
    }
    expect(new Set(draws.map((d) => JSON.stringify(d.analogChannels))).size).toBeGreaterThan(1);
    const pooled = b.baselines.budgetRandom!;
    expect(pooled.draws).toBe(3);
    expect(pooled.comparison.onlyA).toBe(draws.reduce((a, d) => a + d.comparison.onlyA, 0));
    // seeded: the same draws again in a fresh store
    const again = runMix({ ...opts, randomKinds: ['budget'], heuristics: [] }).result as MixResult;
    expect(again.baselines.runs.map((x) => x.analogChannels)).toEqual(draws.map((d) => d.analogChannels));
    expect(() => resolveMixOptions({ randomKinds: ['global' as never] })).toThrow(/randomKinds.*site, budget/s);
  });

  it('none asked for: no baselines; a bad heuristic is a ConfigError naming the field', () => {
    expect(() => resolveMixOptions({ heuristics: ['nope'] })).toThrow(ConfigError);
    expect(() => resolveMixOptions({ heuristics: ['nope'] })).toThrow(/heuristics/);
    expect(() => resolveMixOptions({ randomBaselines: -1 })).toThrow(/randomBaselines/);
    const none = runMix({ ...opts, randomBaselines: 0, heuristics: [] }).result!;
    expect(none.baselines.runs).toEqual([]);
    expect(none.baselines.random).toBeUndefined();
    // the searched network itself does not depend on the baselines
    expect(none.accuracy).toEqual(r.accuracy);
    expect(none.comparison).toEqual(r.comparison);
  });
});

describe('pareto with baselines', () => {
  it('every budget has its random mean +- sd and heuristics; the SVG and CSV carry both curves', async () => {
    const { runPareto, paretoCsv, paretoSvg } = await import('../src/mixer/index.ts');
    const p = runPareto({ ...opts, randomBaselines: 2, heuristics: ['variance'] }, [0.5, 0.8])!;
    for (const [i, q] of p.points.entries()) {
      const run = p.runs[i]!;
      expect(q.random!.draws).toBe(2);
      expect(q.random!.accuracyMean).toBe(run.baselines.random!.accuracyMean);
      expect(q.heuristics!.variance!.accuracy).toBe(run.baselines.runs.find((b) => b.name === 'variance')!.accuracy);
    }
    const svg = paretoSvg(p);
    expect(svg).toContain('random assignment, same per-site counts (mean +- sd of 2)');
    expect(svg).toContain('variance heuristic');
    const csv = paretoCsv(p).trim().split('\n');
    expect(csv.filter((l) => l.startsWith('random-mean-of-2,'))).toHaveLength(2);
    expect(csv.filter((l) => l.startsWith('variance,'))).toHaveLength(2);
  });
});
