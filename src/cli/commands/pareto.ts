/** fusemix pareto: SuperMixer over several budgets; pareto.csv and pareto.svg (accuracy vs energy). */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { acquireRunLock } from '../../core/lock.ts';
import { makeManifest } from '../../core/io.ts';
import { formatQuantity } from '../../core/units.ts';
import { writePareto } from '../../mixer/index.ts';
import { runParetoParallel } from '../../mixer/worker.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table, writeJsonFile } from '../util.ts';
import { UsageArgError } from './errors.ts';
import { cliHooks, type MixArgs, mixOptionsBuilder, mixOptionsFromArgs, stopAfterArg } from './mix.ts';

interface ParetoArgs extends MixArgs {
  budgets: string;
}

export const paretoCommand: CommandModule<GlobalArgs, ParetoArgs> = {
  command: 'pareto',
  describe: 'SuperMixer Pareto sweep over energy budgets: accuracy vs A/D + activation energy (pareto.csv, pareto.svg)',
  builder: (y) =>
    (mixOptionsBuilder(y) as Argv<GlobalArgs>)
      .option('budgets', { type: 'string', default: '0.2,0.3,0.4,0.6', describe: 'comma-separated budgets (fractions of all-digital)' })
      .example('$0 pareto --budgets 0.2,0.3,0.4,0.6 --out runs/pareto', 'shared phases run once; one search + fine-tune per budget')
      .example('$0 pareto --baselines 3 --out runs/pareto', 'with random and heuristic assignments at each budget, in the same SVG') as unknown as Argv<ParetoArgs>,
  handler: async (args) => {
    const started = new Date().toISOString();
    const t0 = performance.now();
    const budgets = String(args.budgets)
      .split(',')
      .map((s) => Number(s.trim()));
    if (budgets.length === 0 || !budgets.every((b) => b > 0 && b <= 1)) throw new UsageArgError('budgets', 'fractions in (0, 1] like 0.2,0.3,0.4', args.budgets);
    // baselines only when asked for (each is a fine-tuning per budget)
    const opts = { ...mixOptionsFromArgs(args) };
    opts.randomBaselines ??= 0;
    if (opts.heuristics === undefined && args.baselines === undefined) opts.heuristics = [];
    const stop = stopAfterArg(args['stop-after']);
    const lock = args.out ? acquireRunLock(args.out, 'fusemix pareto', (m) => say(args, m)) : undefined;
    // held until the outputs are written: released when the process exits (after an error too)
    if (lock) process.once('exit', () => lock.release());
    const p = await runParetoParallel(opts, budgets, cliHooks(args, stop));
    if (!p) {
      say(args, `stopped after phase '${stop}'${args.out ? `; checkpoints in ${args.out}` : ''}`);
      if (args.json) printJson({ stopped: stop });
      return;
    }
    const outDir = args.out ?? '.';
    const files = writePareto(p, outDir);
    const summary = { seed: p.seed, budgets: p.budgets, points: p.points, digital: p.digital, analog: p.analog, files };
    const jsonFile = join(outDir, 'pareto.json');
    writeJsonFile(jsonFile, { ...summary, runs: p.runs });
    writeJsonFile(
      join(outDir, 'manifest.json'),
      makeManifest('pareto', {
        seed: p.seed,
        presets: p.runs[0]!.hardware.presets,
        started,
        finished: new Date().toISOString(),
        options: { ...p.runs[0]!.config, budgets, wallSeconds: (performance.now() - t0) / 1000 },
        outputs: [...files, jsonFile],
      }),
    );
    if (args.json) {
      printJson(summary, UNIT_RULES.pareto);
      return;
    }
    const J = (v: number) => formatQuantity(v, 'J');
    say(
      args,
      table(
        [
          ...p.points.flatMap((q) => [
            [`mixed ${q.budget}`, `${(100 * q.accuracy).toFixed(2)} %`, J(q.energy), `${(100 * q.saving).toFixed(1)} %`, `${q.analogChannels}/${q.digitalChannels}`],
            ...([['random', q.random], ['budget-random', q.budgetRandom]] as const).flatMap(([name, v]) =>
              v ? [[`  ${name} x${v.draws}`, `${(100 * v.accuracyMean).toFixed(2)} +- ${(100 * v.accuracySd).toFixed(2)} %`, J(v.energy), `p ${v.pValue.toPrecision(3)}`, `${v.analogChannels.toFixed(0)}/${v.digitalChannels.toFixed(0)}`]] : [],
            ),
            ...Object.entries(q.heuristics ?? {}).map(([h, v]) => [`  ${h}`, `${(100 * v.accuracy).toFixed(2)} %`, J(v.energy), `p ${v.pValue.toPrecision(3)}`, '']),
          ]),
          ['all-digital', `${(100 * p.digital.accuracy).toFixed(2)} %`, J(p.digital.energy), '0 %', ''],
          ['all-analog', `${(100 * p.analog.accuracy).toFixed(2)} %`, J(p.analog.energy), '', ''],
        ],
        ['config', 'accuracy', 'A/D+act per inference', 'saving', 'analog/digital'],
      ),
    );
    say(args, `wrote ${files.join(', ')}`);
  },
};
