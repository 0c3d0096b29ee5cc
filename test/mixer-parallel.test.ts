import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { PhaseStore, runMix, runPareto } from '../src/mixer/index.ts';
import { runMixParallel, runParetoParallel } from '../src/mixer/worker.ts';
import { tinyCsv } from './helpers/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusemix-mixpar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = {
  data: tinyCsv(dir, 12),
  hidden: [8],
  poolSize: 3,
  pretrainEpochs: 2,
  searchEpochs: 2,
  finetuneEpochs: 2,
  batchSize: 16,
  seed: 7,
  nTest: 40,
};

const sequential = JSON.stringify(runMix(opts).result);

/** checkpoint file -> modification time (ns) */
function mtimes(folder: string): Map<string, bigint> {
  return new Map(readdirSync(folder).map((f) => [f, statSync(join(folder, f), { bigint: true }).mtimeNs]));
}

describe('mix on worker threads', () => {
  it('gives the same bytes as the sequential run', async () => {
    const lines: string[] = [];
    const par = await runMixParallel(opts, { threads: 2, log: (l) => lines.push(l) });
    expect(JSON.stringify(par.result)).toBe(sequential);
    expect(lines.filter((l) => l.includes('worker thread failed'))).toEqual([]);
    // every phase reported once, whichever thread ran it
    for (const p of ['pretrain', 'digital', 'analog', 'search', 'mixed-b0.4', 'accuracy']) expect(lines.filter((l) => l.startsWith(`${p}:`))).toHaveLength(1);
    // three lanes (more than the cores here) too
    expect(JSON.stringify((await runMixParallel(opts, { threads: 3 })).result)).toBe(sequential);
  });

  it('threads = 1 is the sequential path; a bad thread count is a ConfigError', async () => {
    expect(JSON.stringify((await runMixParallel(opts, { threads: 1 })).result)).toBe(sequential);
    await expect(runMixParallel(opts, { threads: 0 })).rejects.toThrow(ConfigError);
  });

  it('checkpoints every phase, and a rerun or a resumed run reruns nothing done', async () => {
    const out = join(dir, 'run');
    const first = await runMixParallel(opts, { threads: 2, outDir: out });
    expect(JSON.stringify(first.result)).toBe(sequential);
    const files = mtimes(out);
    const baselines = ['budget-random-1', 'budget-random-2', 'budget-random-3', 'sensitivity', 'variance'].flatMap((b) => [`baseline-${b}-from-search-b0.4`, `eval-baseline-${b}-from-search-b0.4`]);
    for (const f of ['pretrain', 'digital', 'analog', 'search-b0.4', 'mixed-b0.4', 'eval-digital', 'eval-analog', 'eval-mixed-b0.4', 'eval-float', 'baseline-scores', ...baselines]) {
      expect(files.has(`${f}.ckpt.json`), f).toBe(true);
    }
    // a complete run: nothing recomputed, no file rewritten
    const lines: string[] = [];
    const again = await runMixParallel(opts, { threads: 2, outDir: out, log: (l) => lines.push(l) });
    expect(JSON.stringify(again.result)).toBe(sequential);
    expect(lines.filter((l) => !l.startsWith('accuracy:') && !l.startsWith('baselines:'))).toEqual([]);
    expect(mtimes(out)).toEqual(files);
    // the files also resume a sequential run (same format, same hashes)
    expect(JSON.stringify(runMix(opts, { outDir: out }).result)).toBe(sequential);

    // interrupted after the search (sequentially): the parallel run finishes the rest, reruns none of it
    const out2 = join(dir, 'run2');
    expect(runMix(opts, { outDir: out2, stopAfter: 'search' }).stopped).toBe('search');
    const before = mtimes(out2);
    const lines2: string[] = [];
    const resumed = await runMixParallel(opts, { threads: 2, outDir: out2, log: (l) => lines2.push(l) });
    expect(JSON.stringify(resumed.result)).toBe(sequential);
    const baselinePhases = ['budget-random-1', 'budget-random-2', 'budget-random-3', 'sensitivity', 'variance'].map((b) => `baseline-${b}-from-search-b0.4`);
    expect(lines2.map((l) => l.split(':')[0]).sort()).toEqual(['accuracy', 'analog', ...baselinePhases, 'baselines', 'mixed-b0.4']);
    for (const f of ['pretrain', 'digital', 'search-b0.4']) expect(mtimes(out2).get(`${f}.ckpt.json`)).toBe(before.get(`${f}.ckpt.json`));
    expect(existsSync(join(out2, 'eval-analog.ckpt.json'))).toBe(true);
  });

  it('a stop-after run stops there (sequentially) as before', async () => {
    const out = join(dir, 'stop');
    expect((await runMixParallel(opts, { threads: 2, outDir: out, stopAfter: 'digital' })).stopped).toBe('digital');
    expect(existsSync(join(out, 'analog.ckpt.json'))).toBe(false);
    expect(JSON.stringify((await runMixParallel(opts, { threads: 2, outDir: out })).result)).toBe(sequential);
  });

  it('pareto: the same sweep as the sequential one, shared phases run once', async () => {
    // three budgets: searches on both lanes, a fine-tuning waiting for a search from the other lane either way
    const budgets = [0.3, 0.45, 0.6];
    const seq = JSON.stringify(runPareto(opts, budgets));
    const store = new PhaseStore();
    const lines: string[] = [];
    const par = await runParetoParallel(opts, budgets, { threads: 2, store, log: (l) => lines.push(l) });
    expect(JSON.stringify(par)).toBe(seq);
    expect(lines.filter((l) => l.includes('worker thread failed'))).toEqual([]);
    for (const p of ['pretrain', 'digital', 'analog', 'mixed-b0.3', 'mixed-b0.45', 'mixed-b0.6']) expect(lines.filter((l) => l.startsWith(`${p}:`))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('search:'))).toHaveLength(3);
  });
});
