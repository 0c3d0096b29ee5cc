/** `fusemix devices eval`: evaluate a preset's device law at given states and biases. */
import { UsageArgError } from './commands/errors.ts';
import { type Dimension, formatQuantity, parseQuantity } from '../core/units.ts';
import { adcCodeToVoltage, adcEnergyPerConversion, adcParamsOf, adcQuantise } from '../devices/adc.ts';
import { type DwmtjParams, dwmtjConductance, dwmtjReadCurrent, readSeriesResistance } from '../devices/dwmtj.ts';
import { cellBounds, resolveMacamCell, searchEnergy } from '../devices/macam.ts';
import { type MosfetParams, mosfetCurrent, mosfetRegion } from '../devices/mosfet.ts';
import { type MtjParams, type MtjState, mtjCurrent, mtjResistance, mtjTmr } from '../devices/mtj.ts';
import type { LoadedPreset } from '../devices/preset.ts';

export interface EvalTable {
  kind: string;
  preset: string;
  header: string[];
  rows: string[][];
  /** the same values in SI, one object per row */
  values: Array<Record<string, number | string>>;
  /** the SI unit of each column ('' for none) */
  units: Record<string, string>;
}

/** Parse a comma-separated list of quantities ("0,0.1,0.2" or "100 mV,200 mV"). */
export function parseList(s: unknown, dim: Dimension, flag: string): number[] {
  if (s === undefined || s === '') return [];
  const parts = String(s)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.map((p) => parseQuantity(p, dim, { field: `--${flag}` }));
}

function need(list: number[], flag: string, what: string): number[] {
  if (list.length === 0) throw new UsageArgError(flag, what);
  return list;
}

export function evaluateDevice(p: LoadedPreset, args: Record<string, unknown>): EvalTable {
  const rows: Array<Record<string, number | string>> = [];
  let units: Record<string, string> = {};
  switch (p.kind) {
    case 'mtj': {
      const mp = p.params as unknown as MtjParams;
      const states = String(args.state ?? 'P,AP')
        .split(',')
        .map((s) => s.trim().toUpperCase());
      for (const s of states) if (s !== 'P' && s !== 'AP') throw new UsageArgError('state', 'P, AP or "P,AP"', args.state);
      const biases = parseList(args.bias ?? '0', 'voltage', 'bias');
      for (const s of states) for (const v of biases) rows.push({ state: s, bias: v, resistance: mtjResistance(mp, s as MtjState, v), current: mtjCurrent(mp, s as MtjState, v), tmr: mtjTmr(mp, v) });
      units = { state: '', bias: 'V', resistance: 'ohm', current: 'A', tmr: '' };
      break;
    }
    case 'dwmtj': {
      const dp = p.params as unknown as DwmtjParams;
      const fs = parseList(args.state ?? '0,0.5,1', 'dimensionless', 'state');
      for (const f of fs) if (f < 0 || f > 1) throw new UsageArgError('state', 'AP fractions in [0, 1]', args.state);
      const biases = parseList(args.bias ?? '0.1', 'voltage', 'bias');
      const rs = readSeriesResistance(dp);
      for (const f of fs) {
        for (const v of biases) {
          const i = dwmtjReadCurrent(dp, f, v, rs);
          rows.push({ f, bias: v, current: i, readResistance: v / i, mtjConductance0: dwmtjConductance(dp, f, 0), seriesTrack: rs });
        }
      }
      units = { f: '', bias: 'V', current: 'A', readResistance: 'ohm', mtjConductance0: 'S', seriesTrack: 'ohm' };
      break;
    }
    case 'mosfet': {
      const mp = p.params as unknown as MosfetParams;
      const vgs = need(parseList(args.vgs, 'voltage', 'vgs'), 'vgs', 'gate-source voltages, e.g. --vgs 0.5,0.8');
      const vds = need(parseList(args.vds, 'voltage', 'vds'), 'vds', 'drain-source voltages, e.g. --vds 0.1,0.8');
      for (const g of vgs) for (const d of vds) rows.push({ vgs: g, vds: d, current: mosfetCurrent(mp, g, d), region: mosfetRegion(mp, g, d) });
      units = { vgs: 'V', vds: 'V', current: 'A', region: '' };
      break;
    }
    case 'adc': {
      const ap = adcParamsOf(p);
      const biases = need(parseList(args.bias, 'voltage', 'bias'), 'bias', 'input voltages, e.g. --bias 0.1,0.5');
      const e = adcEnergyPerConversion(ap);
      for (const v of biases) {
        const code = adcQuantise(ap, v);
        rows.push({ input: v, code, reconstructed: adcCodeToVoltage(ap, code), energy: e.total });
      }
      units = { input: 'V', code: '', reconstructed: 'V', energy: 'J' };
      break;
    }
    case 'macam-cell': {
      const cell = resolveMacamCell(p as never);
      const fs = parseList(args.state ?? '1,0', 'dimensionless', 'state');
      if (fs.length !== 2 || fs.some((f) => f < 0 || f > 1)) throw new UsageArgError('state', 'two AP fractions "fLo,fHi" in [0, 1]', args.state);
      const b = cellBounds(cell, fs[0]!, fs[1]!);
      const biases = parseList(args.bias ?? String(0.5 * (Math.max(b.vLo, 0) + Math.min(b.vHi, cell.params.vdd))), 'voltage', 'bias');
      for (const v of biases) {
        const e = searchEnergy(cell, fs[0]!, fs[1]!, v);
        rows.push({ fLo: fs[0]!, fHi: fs[1]!, vdl: v, vLo: b.vLo, vHi: b.vHi, match: v >= b.vLo && v < b.vHi ? 'yes' : 'no', energy: e.total });
      }
      units = { fLo: '', fHi: '', vdl: 'V', vLo: 'V', vHi: 'V', match: '', energy: 'J' };
      break;
    }
    default:
      throw new UsageArgError('preset', `a preset of kind mtj, dwmtj, mosfet, adc or macam-cell ("devices eval" has no law for kind "${p.kind}"; try "devices show")`, p.name);
  }
  const header = Object.keys(units);
  return {
    kind: p.kind,
    preset: p.name,
    header,
    rows: rows.map((r) => header.map((h) => (typeof r[h] === 'number' ? formatQuantity(r[h] as number, units[h]!) : String(r[h])))),
    values: rows,
    units,
  };
}
