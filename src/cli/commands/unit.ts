/** fusemix unit: program a fused MACAM activation unit and compare it with the digital path. */
import type { CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/io.ts';
import { formatQuantity, parseQuantity } from '../../core/units.ts';
import { linePlot } from '../../core/svg.ts';
import { ACTIVATION_NAMES } from '../../units/activations.ts';
import { compareUnit } from '../../units/compare.ts';
import { transferCurve } from '../../units/fused.ts';
import { UsageArgError } from './errors.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';

interface UnitArgs extends GlobalArgs {
  fn: string;
  bits: number;
  range?: string;
  preset: string;
  adc?: string;
  'adc-bits'?: number;
  digital?: string;
  overlap?: string;
  'variation-seed'?: string;
  plot?: string;
}

export function parseRange(s: string | undefined, flag = 'range'): [number, number] | undefined {
  if (s === undefined) return undefined;
  const parts = s.split(',');
  if (parts.length !== 2) throw new UsageArgError(flag, 'two numbers "lo,hi"', s);
  const r = parts.map((p) => parseQuantity(p.trim(), 'dimensionless', { field: `--${flag}` })) as [number, number];
  if (!(r[1] > r[0])) throw new UsageArgError(flag, 'lo,hi with hi > lo', s);
  return r;
}

const fJ = (j: number) => formatQuantity(j, 'J');

export const unitCommand: CommandModule<GlobalArgs, UnitArgs> = {
  command: 'unit',
  describe: 'program a fused MACAM activation unit (activation + A/D in one search); compare errors and energy with ADC + digital activation',
  builder: (y) =>
    y
      .option('fn', { type: 'string', default: 'relu', describe: `activation: ${ACTIVATION_NAMES.join(', ')}` })
      .option('bits', { type: 'number', default: 4, describe: 'output bits' })
      .option('range', { type: 'string', describe: 'input range "lo,hi" (default per function, e.g. relu 0,4)' })
      .option('preset', { type: 'string', default: 'macam-measured', describe: 'MACAM cell preset (macam-measured, macam-projected or a path)' })
      .option('adc', { type: 'string', describe: 'ADC preset of the digital path (default adc-sar-default)' })
      .option('adc-bits', { type: 'number', describe: 'ADC bits of the digital path (default: the output bits)' })
      .option('digital', { type: 'string', describe: 'digital activation preset (default digital-45nm)' })
      .option('overlap', { type: 'string', describe: 'lower-bound overlap below the previous row (default 50 mV)' })
      .option('variation-seed', { type: 'string', describe: 'draw one seeded device-variation instance of the column' })
      .option('plot', { type: 'string', describe: 'write the transfer curve (MACAM vs ideal) as SVG' })
      .example('$0 unit --fn relu --bits 4 --json', 'thresholds, codes, energy of both paths and the saving')
      .example('$0 unit --fn gelu --bits 4 --preset macam-projected --plot gelu.svg', 'projected device, with a plot'),
  handler: (args) => {
    const { report, unit } = compareUnit({
      fn: args.fn,
      bits: args.bits,
      ...(args.range ? { inputRange: parseRange(args.range)! } : {}),
      cell: args.preset,
      ...(args.adc ? { adc: args.adc } : {}),
      ...(args.digital ? { digital: args.digital } : {}),
      ...(args['adc-bits'] ? { adcBits: args['adc-bits'] } : {}),
      ...(args.overlap ? { overlap: parseQuantity(args.overlap, 'voltage', { field: '--overlap' }) } : {}),
      ...(args['variation-seed'] !== undefined ? { variation: { seed: args['variation-seed'] } } : {}),
    });
    if (args.plot) {
      const c = transferCurve(unit, 801);
      writeFileAtomic(
        args.plot,
        linePlot({
          title: `${report.fn}, ${report.bits} bits: MACAM (${report.presets.cell}) vs ideal`,
          xLabel: 'input x',
          yLabel: 'output code',
          series: [
            { name: 'ideal Q(f(x))', x: c.x, y: c.ideal, step: true, color: '#999', dashed: true },
            { name: `MACAM, ${report.rowsUsed} rows`, x: c.x, y: c.actual, step: true },
          ],
        }),
      );
    }
    if (args.json) {
      printJson(report, UNIT_RULES.unit);
      return;
    }
    say(args, `${report.fn}, ${report.bits} bits over x in [${report.inputRange.join(', ')}], cell ${report.presets.cell}: ${report.rowsUsed} rows, data-line window ${report.window.map((v) => formatQuantity(v, 'V')).join(' .. ')}`);
    say(args, '');
    say(
      args,
      table(
        unit.rows.map((r, k) => [k, r.code, r.xLo.toFixed(4), r.xHi.toFixed(4), r.fLo.toFixed(4), r.fHi.toFixed(4), r.loEnabled ? formatQuantity(r.vLo, 'V') : 'off', r.hiEnabled ? formatQuantity(r.vHi, 'V') : 'off']),
        ['row', 'code', 'x from', 'x to', 'f(M1)', 'f(M2)', 'V_lo', 'V_hi'],
      ),
    );
    say(args, '');
    const em = report.error.macam;
    say(args, `MACAM error vs ideal quantised ${report.fn}: max ${em.maxLsb} LSB, RMS ${em.rmsLsb.toFixed(3)} LSB, ${(100 * em.mismatchFraction).toFixed(2)} % of inputs differ`);
    say(args, `digital path error: max ${report.error.digital.maxLsb} LSB, ${(100 * report.error.digital.mismatchFraction).toFixed(2)} % differ`);
    say(args, '');
    say(args, table([
      ['MACAM (fused)', fJ(report.energy.macam.total), Object.entries(report.energy.macam.items).map(([k, v]) => `${k} ${fJ(v)}`).join(', ')],
      ['ADC + digital', fJ(report.energy.digital.total), Object.entries(report.energy.digital.items).map(([k, v]) => `${k} ${fJ(v)}`).join(', ')],
    ], ['path', 'energy/activation', 'items']));
    say(args, `saving: ${(100 * report.saving).toFixed(1)} %`);
    if (args.plot) say(args, `plot: ${args.plot}`);
  },
};
