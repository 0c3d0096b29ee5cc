/** fusemix demo: the whole chain on the embedded defaults, written to one report folder. */
import type { CommandModule } from 'yargs';
import { formatQuantity } from '../../core/units.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say } from '../util.ts';

/** demo --json holds a unit report, a verify report and a mix result: their rules together */
const DEMO_RULES = { ...UNIT_RULES.unit, ...UNIT_RULES.verify, ...UNIT_RULES.mix };
import { UsageArgError } from './errors.ts';

interface DemoArgs extends GlobalArgs {
  out: string;
  quick?: boolean;
  engine: string;
  seed: string;
  budget: number;
}

export const demoCommand: CommandModule<GlobalArgs, DemoArgs> = {
  command: 'demo',
  describe: 'run the whole chain on the embedded defaults (devices, fused unit, netlist + SPICE check, SuperMixer) and write a report folder',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: 'fusemix-demo', describe: 'report folder' })
      .option('quick', { type: 'boolean', describe: 'shorter SuperMixer schedule and fewer SPICE inputs (about 10-15 s on 2 cores)' })
      .option('engine', { type: 'string', default: 'wasm', choices: ['wasm', 'ngspice'], describe: 'SPICE engine for the verification' })
      .option('seed', { type: 'string', default: '1', describe: 'run seed' })
      .option('budget', { type: 'number', default: 0.4, describe: 'A/D + activation energy budget (fraction of all-digital)' })
      .example('$0 demo --quick', 'the whole chain in about 10-15 s; the report lands in ./fusemix-demo'),
  handler: async (args) => {
    if (!(args.budget > 0 && args.budget <= 1)) throw new UsageArgError('budget', 'a fraction in (0, 1]', args.budget);
    const { runDemo } = await import('../../report/demo.ts');
    const seed = /^\d+$/.test(args.seed) ? Number(args.seed) : args.seed;
    const r = await runDemo({
      out: args.out,
      quick: args.quick,
      engine: args.engine as 'wasm' | 'ngspice',
      seed,
      budget: args.budget,
      log: (l) => say({ ...args, quiet: args.quiet || args.json }, `  ${l}`),
    });
    if (args.json) return printJson(r, DEMO_RULES);
    const m = r.mix;
    const u = r.unit.measured;
    say(args, '');
    say(args, `fused MACAM relu (4 bits, measured cell): ${formatQuantity(u.energy.macam.total, 'J')} vs ADC + digital ${formatQuantity(u.energy.digital.total, 'J')} per activation`);
    say(args, `SPICE check (${r.verify.engine}): max bound error ${formatQuantity(r.verify.maxBoundError, 'V')}, code agreement ${(100 * r.verify.codeAgreement).toFixed(2)} %`);
    say(args, `SuperMixer: accuracy digital ${(100 * m.accuracy.digital).toFixed(2)} %, analog ${(100 * m.accuracy.analog).toFixed(2)} %, mixed ${(100 * m.accuracy.mixed).toFixed(2)} %`);
    say(args, `A/D + activation energy saving of the mixed network: ${(100 * m.saving).toFixed(1)} % (drop ${(100 * m.accuracyDrop).toFixed(2)} points)`);
    say(args, `report: ${r.out}/report.md`);
  },
};
