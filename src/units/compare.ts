/**
 * One activation, both paths: the fused MACAM unit beside the standard ADC + digital activation, with
 * the errors, the itemised energy of each and the saving. `fusemix unit` prints this; scripts call it.
 */
import type { EnergyBreakdown } from '../devices/macam.ts';
import { createDigitalPath, type DigitalPath } from './digital-path.ts';
import { type FusedUnit, type FusedUnitOptions, type TransferError, createFusedUnit, fusedEnergy, gridError, transferError } from './fused.ts';

export interface CompareOptions extends FusedUnitOptions {
  adc?: string;
  digital?: string;
  adcBits?: number;
}

export interface UnitComparison {
  fn: string;
  bits: number;
  inputRange: [number, number];
  outputRange: [number, number];
  presets: Record<string, string>;
  /** data-line window (V) */
  window: [number, number];
  rowsUsed: number;
  /** programmed code-change points (x) and the code of each interval */
  thresholds: number[];
  codes: number[];
  /** the same points in data-line volts */
  thresholdsVolts: number[];
  ideal: { thresholds: number[]; codes: number[] };
  rows: FusedUnit['rows'];
  error: { macam: TransferError; digital: Omit<TransferError, 'missFraction'> };
  energy: { macam: EnergyBreakdown; digital: EnergyBreakdown & { details?: unknown } };
  /** 1 - E_macam / E_digital */
  saving: number;
  variationSeed?: number | string;
}

/** Error of the digital path against the ideal quantised activation, on the same grid as the MACAM unit's. */
export function digitalError(unit: FusedUnit, dp: DigitalPath, samples = 20001): Omit<TransferError, 'missFraction'> {
  return gridError(unit, (x) => dp.evaluate(x), samples);
}

export function compareUnit(opts: CompareOptions): { report: UnitComparison; unit: FusedUnit; digital: DigitalPath } {
  const unit = createFusedUnit(opts);
  const dp = createDigitalPath({
    fn: unit.fn,
    bits: unit.bits,
    inputRange: unit.inputRange,
    outputRange: unit.outputRange,
    ...(opts.adc ? { adc: opts.adc } : {}),
    ...(opts.digital ? { digital: opts.digital } : {}),
    ...(opts.adcBits ? { adcBits: opts.adcBits } : {}),
  });
  const em = fusedEnergy(unit);
  const ed = dp.energyPerActivation();
  const toV = (x: number) => unit.drive(x);
  const report: UnitComparison = {
    fn: unit.fn.name,
    bits: unit.bits,
    inputRange: unit.inputRange,
    outputRange: unit.outputRange,
    presets: { ...unit.cell.presets, adc: dp.adcPreset.name, digital: dp.digitalPreset.name },
    window: unit.window,
    rowsUsed: unit.rows.length,
    thresholds: Array.from(unit.actual.breakpoints),
    codes: Array.from(unit.actual.codes),
    thresholdsVolts: Array.from(unit.actual.breakpoints, toV),
    ideal: { thresholds: Array.from(unit.ideal.breakpoints), codes: Array.from(unit.ideal.codes) },
    rows: unit.rows,
    error: { macam: transferError(unit), digital: digitalError(unit, dp) },
    energy: { macam: em, digital: { total: ed.total, items: { ...ed.items }, details: ed.details } },
    saving: 1 - em.total / ed.total,
    ...(unit.variationSeed !== undefined ? { variationSeed: unit.variationSeed } : {}),
  };
  return { report, unit, digital: dp };
}
