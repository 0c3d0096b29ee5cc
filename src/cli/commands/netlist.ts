/** fusemix netlist <cell|unit|testbench>: print an ngspice netlist of the default presets (or others). */
import type { CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/io.ts';
import { parseQuantity } from '../../core/units.ts';
import type { GlobalArgs } from '../util.ts';
import { say } from '../util.ts';
import { UsageArgError } from './errors.ts';

interface NetlistArgs extends GlobalArgs {
  what: string;
  preset: string;
  fn: string;
  bits: number;
  model: string;
  kind: string;
  seed?: string;
  samples: number;
  fLo?: number;
  fHi?: number;
  vdl?: string;
  inputs?: string;
  output?: string;
}

export const netlistCommand: CommandModule<GlobalArgs, NetlistArgs> = {
  command: 'netlist <what>',
  describe: 'print the ngspice netlist of a MACAM cell, a fused activation unit or a testbench',
  builder: (y) =>
    y
      .positional('what', { choices: ['cell', 'unit', 'testbench'] as const, describe: 'what to render', demandOption: true })
      .option('preset', { type: 'string', default: 'macam-measured', describe: 'MACAM cell preset (name or path)' })
      .option('fn', { type: 'string', default: 'relu', describe: 'unit / tran testbench: activation function' })
      .option('bits', { type: 'number', default: 4, describe: 'unit / tran testbench: output bits' })
      .option('model', { choices: ['level1', 'bsim4'] as const, default: 'level1', describe: 'transistor library' })
      .option('kind', { choices: ['dc', 'tran', 'mc'] as const, default: 'dc', describe: 'testbench kind' })
      .option('seed', { type: 'string', describe: 'mc testbench: run seed (default 1)' })
      .option('samples', { type: 'number', default: 100, describe: 'mc testbench: Monte Carlo samples' })
      .option('f-lo', { type: 'number', describe: 'cell / dc / mc: AP fraction of M1 (default: the widest window)' })
      .option('f-hi', { type: 'number', describe: 'cell / dc / mc: AP fraction of M2' })
      .option('vdl', { type: 'string', describe: 'cell: data-line voltage of the example search, e.g. "650 mV"' })
      .option('inputs', { type: 'string', describe: 'unit / tran: comma-separated inputs x (unit default: mid-range; tran: 33 evenly)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
      .example('$0 netlist cell -o cell.cir', 'the default MACAM cell')
      .example('$0 netlist unit --fn relu --bits 4 --model bsim4', 'a fused unit on the BSIM4 card')
      .example('$0 netlist testbench --kind mc --seed 7 --samples 1000 -o mc.cir', 'Monte Carlo deck'),
  handler: async (a) => {
    const { loadMacamCell } = await import('../../devices/macam.ts');
    const nl = await import('../../spice/netlist.ts');
    const cell = loadMacamCell(a.preset);
    const model = a.model as 'level1' | 'bsim4';
    const frac = (v: number | undefined, flag: string) => {
      if (v === undefined) return undefined;
      if (!(v >= 0 && v <= 1)) throw new UsageArgError(flag, 'an AP fraction in [0, 1]', v);
      return v;
    };
    const fLo = frac(a.fLo, 'f-lo');
    const fHi = frac(a.fHi, 'f-hi');
    const pos = { ...(fLo !== undefined ? { fLo } : {}), ...(fHi !== undefined ? { fHi } : {}) };
    const parseInputs = (s: string | undefined) => {
      if (s === undefined) return undefined;
      const xs = s.split(',').map((t) => Number(t.trim()));
      if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new UsageArgError('inputs', 'comma-separated numbers', s);
      return xs;
    };
    const unitOf = async () => {
      const { createFusedUnit } = await import('../../units/fused.ts');
      return createFusedUnit({ fn: a.fn, bits: a.bits, cell });
    };
    let text: string;
    if (a.what === 'cell') {
      text = nl.renderCell(cell, { ...pos, model, ...(a.vdl !== undefined ? { vdl: parseQuantity(a.vdl, 'voltage', { field: '--vdl' }) } : {}) });
    } else if (a.what === 'unit') {
      const unit = await unitOf();
      const inputs = parseInputs(a.inputs) ?? [0.5 * (unit.inputRange[0] + unit.inputRange[1])];
      text = nl.renderUnit(unit, { inputs, model });
    } else {
      const kind = a.kind as 'dc' | 'tran' | 'mc';
      if (!Number.isInteger(a.samples) || a.samples < 1) throw new UsageArgError('samples', 'a positive integer', a.samples);
      const inputs = parseInputs(a.inputs);
      const { renderTestbench } = await import('../../spice/testbench.ts');
      text = renderTestbench(kind, {
        cell,
        model,
        ...pos,
        ...(kind === 'tran' ? { unit: await unitOf() } : {}),
        ...(inputs ? { inputs } : {}),
        ...(a.seed !== undefined ? { seed: /^\d+$/.test(a.seed) ? Number(a.seed) : a.seed } : {}),
        samples: a.samples,
      });
    }
    if (a.output) {
      writeFileAtomic(a.output, text);
      say(a, `wrote ${a.output} (${text.split('\n').length - 1} lines)`);
    } else process.stdout.write(text);
  },
};
