/** fusemix verify <cell|unit>: simulate bounds (and a unit's codes) in SPICE, compare with the behavioral path. */
import type { CommandModule } from 'yargs';
import { FusemixError } from '../../core/errors.ts';
import { parseQuantity } from '../../core/units.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';
import { UsageArgError } from './errors.ts';

/** A verification ran but a tolerance was not met: exit code 3. */
export class VerificationFailed extends FusemixError {
  override readonly exitCode: number = 3;
}

interface VerifyArgs extends GlobalArgs {
  what: string;
  engine: string;
  model: string;
  preset: string;
  fn: string;
  bits: number;
  tolerance: string;
  inputs: number;
  threads?: number;
}

const mv = (v: number) => (Number.isFinite(v) ? (v * 1e3).toFixed(4) : String(v));

export const verifyCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify <what>',
  describe: 'verify the behavioral cell bounds / unit codes against SPICE (exit 3 when a tolerance is not met)',
  builder: (y) =>
    y
      .positional('what', { choices: ['cell', 'unit'] as const, describe: 'what to verify', demandOption: true })
      .option('engine', { choices: ['wasm', 'ngspice'] as const, default: 'wasm', describe: 'SPICE engine' })
      .option('model', { choices: ['level1', 'bsim4'] as const, default: 'level1', describe: 'transistor library' })
      .option('preset', { type: 'string', default: 'macam-measured', describe: 'MACAM cell preset' })
      .option('fn', { type: 'string', default: 'relu', describe: 'unit: activation function' })
      .option('bits', { type: 'number', default: 4, describe: 'unit: output bits' })
      .option('tolerance', { type: 'string', default: '2 mV', describe: 'largest allowed bound error' })
      .option('inputs', { type: 'number', default: 300, describe: 'unit: inputs searched (evenly over the input range)' })
      .option('threads', { type: 'number', describe: 'engines in parallel (default: one per core)' })
      .example('$0 verify unit --engine ngspice --json', 'bound errors and code agreement of the default 4-bit ReLU unit')
      .example('$0 verify cell --tolerance 1mV', 'every stable bound of the default cell'),
  handler: async (a) => {
    const tolerance = parseQuantity(a.tolerance, 'voltage', { field: '--tolerance' });
    if (!(tolerance > 0)) throw new UsageArgError('tolerance', 'a positive voltage', a.tolerance);
    if (!Number.isInteger(a.inputs) || a.inputs < 1) throw new UsageArgError('inputs', 'a positive integer', a.inputs);
    const { loadMacamCell } = await import('../../devices/macam.ts');
    const v = await import('../../spice/verify.ts');
    const cell = loadMacamCell(a.preset);
    const common = { engine: a.engine as 'wasm' | 'ngspice', model: a.model as 'level1' | 'bsim4', tolerance, ...(a.threads ? { threads: a.threads } : {}) };
    let pass: boolean;
    let summary: string;
    if (a.what === 'cell') {
      const r = await v.verifyCell(cell, common);
      pass = r.pass;
      summary = `max bound error ${mv(r.maxBoundError)} mV (tolerance ${mv(tolerance)} mV)`;
      if (a.json) printJson({ ...r, codeAgreement: null, codeAgreementAway: null }, UNIT_RULES.verify);
      else {
        say(a, `verify cell ${r.preset} on ${r.engine} (${r.model}): ${r.bounds.length} bounds, ${r.search.runs} runs, ${r.search.probes} probes, ${r.search.elapsedMs} ms`);
        say(a, table(r.bounds.map((b) => [b.branch, b.f, mv(b.behavioral), mv(b.spice), mv(b.error)]), ['branch', 'f', 'behavioral mV', 'spice mV', 'error mV']));
      }
    } else {
      const { createFusedUnit } = await import('../../units/fused.ts');
      const unit = createFusedUnit({ fn: a.fn, bits: a.bits, cell });
      const r = await v.verifyUnit(unit, { ...common, count: a.inputs });
      pass = r.pass;
      summary = `max bound error ${mv(r.maxBoundError)} mV (tolerance ${mv(tolerance)} mV), code agreement ${(100 * r.codeAgreement).toFixed(2)} %, away from bounds ${(100 * r.codeAgreementAway).toFixed(2)} % (need ${(100 * r.minAgreementAway).toFixed(1)} %)`;
      if (a.json) printJson(r, UNIT_RULES.verify);
      else {
        say(a, `verify unit ${r.fn} ${r.bits}-bit (${r.rows} rows of ${r.preset}) on ${r.engine} (${r.model}), ${r.inputs} inputs, ${r.elapsedMs} ms`);
        say(a, table(r.bounds.map((b) => [b.row ?? '', b.branch, b.f, mv(b.behavioral), mv(b.spice), mv(b.error)]), ['row', 'branch', 'f', 'behavioral mV', 'spice mV', 'error mV']));
        for (const m of r.mismatches.slice(0, 10)) say(a, `  mismatch x=${m.x} V_DL=${mv(m.vdl)} mV: spice ${m.spice}, behavioral ${m.behavioral} (${mv(m.margin)} mV from a bound)`);
      }
    }
    say(a, `${pass ? 'PASS' : 'FAIL'}: ${summary}`);
    if (!pass) throw new VerificationFailed(`verification failed: ${summary}`);
  },
};
