/**
 * The MACAM cell as a design: its preset kind (the parameters and the device presets it names),
 * loading and resolving a cell, and the per-instance deviations of variation applied to its devices.
 * The cell's circuit and its equations: ./branch.ts; header of the whole model: ../macam.ts.
 */
import { type DwmtjParams } from '../dwmtj.ts';
import { type MosfetParams } from '../mosfet.ts';
import { type LoadedPreset, type ParamsOf, type PresetSpec, loadPreset, q, registerKind } from '../preset.ts';
import '../dwmtj.ts';
import '../mosfet.ts';

const ref = (presetKind: string, doc: string) => ({ kind: 'ref' as const, presetKind, doc });
const size = (doc: string) => q('dimensionless', `W/L of ${doc}`, { positive: true });

export const macamCellSpec = {
  dwmtjLo: ref('dwmtj', 'DW-MTJ M1 of the lower-bound branch'),
  dwmtjHi: ref('dwmtj', 'DW-MTJ M2 of the upper-bound branch'),
  nmos: ref('mosfet', 'NMOS model card'),
  pmos: ref('mosfet', 'PMOS model card'),
  vsl: q('voltage', 'search-line supply V_SL', { positive: true }),
  vdd: q('voltage', 'supply and ML precharge V_DD', { positive: true }),
  tEval: q('time', 'match-line evaluation time t_eval', { positive: true }),
  cMl: q('capacitance', 'match-line capacitance per cell C_ML', { positive: true }),
  vSense: q('voltage', 'match-line sense threshold', { positive: true }),
  wlT1: size('T1 (lower divider NMOS, gate DL)'),
  wlT2: size('T2 (lower ML pull-down)'),
  wlT3: size('T3 (upper divider NMOS, gate DL)'),
  wlT4: size('T4 (inverter PMOS)'),
  wlT5: size('T5 (inverter NMOS)'),
  wlT6: size('T6 (upper ML pull-down)'),
  cDlWire: q('capacitance', 'data-line wire capacitance per row', { min: 0 }),
  encoderEnergyPerRow: q('energy', 'priority-encoder energy per row per search', { min: 0 }),
  senseEnergy: q('energy', 'sense-amplifier energy per row per search', { min: 0 }),
  sigmaRp: q('dimensionless', 'device-to-device relative sigma of R_P', { min: 0, default: 0 }),
  sigmaTmr: q('dimensionless', 'device-to-device relative sigma of TMR0', { min: 0, default: 0 }),
  sigmaVto: q('voltage', 'device-to-device sigma of every transistor VTO', { min: 0, default: 0 }),
} satisfies PresetSpec;
registerKind('macam-cell', macamCellSpec);
export type MacamCellParams = ParamsOf<typeof macamCellSpec>;

/** A cell design with its referenced devices resolved. */
export interface MacamCell {
  readonly name: string;
  readonly params: MacamCellParams;
  readonly lo: DwmtjParams;
  readonly hi: DwmtjParams;
  readonly nmos: MosfetParams;
  readonly pmos: MosfetParams;
  /** preset name of each part, for reports and netlist headers */
  readonly presets: Record<string, string>;
  /** source of each constant, by "part.param" */
  readonly sources: Record<string, string>;
}

export type Transistor = 'T1' | 'T2' | 'T3' | 'T4' | 'T5' | 'T6';
export const TRANSISTORS: readonly Transistor[] = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'];

/** Per-instance deviations from the design (variation). All default to the nominal device. */
export interface CellDeviation {
  /** R_P multipliers of M1 and M2 */
  rpLo?: number;
  rpHi?: number;
  /** TMR0 multipliers */
  tmrLo?: number;
  tmrHi?: number;
  /** wall-position offsets (AP fraction) */
  dfLo?: number;
  dfHi?: number;
  /** VTO offsets (V) per transistor; for the PMOS the offset adds to |VTO| */
  dvto?: Partial<Record<Transistor, number>>;
}

/** Load a cell preset and the device presets it references. */
export function loadMacamCell(nameOrPath = 'macam-measured'): MacamCell {
  const p = loadPreset<typeof macamCellSpec>(nameOrPath, 'macam-cell');
  return resolveMacamCell(p);
}

export function resolveMacamCell(p: LoadedPreset<typeof macamCellSpec>): MacamCell {
  const parts = {
    dwmtjLo: loadPreset(p.params.dwmtjLo, 'dwmtj'),
    dwmtjHi: loadPreset(p.params.dwmtjHi, 'dwmtj'),
    nmos: loadPreset(p.params.nmos, 'mosfet'),
    pmos: loadPreset(p.params.pmos, 'mosfet'),
  };
  const sources: Record<string, string> = {};
  for (const [k, s] of Object.entries(p.sources)) sources[`${p.name}.${k}`] = s;
  const presets: Record<string, string> = { cell: p.name };
  for (const [part, lp] of Object.entries(parts)) {
    presets[part] = lp.name;
    for (const [k, s] of Object.entries(lp.sources)) sources[`${lp.name}.${k}`] = s;
  }
  if (parts.nmos.params.polarity !== 'nmos') throw new Error(`${p.file}: params.nmos must name an nmos preset`);
  if (parts.pmos.params.polarity !== 'pmos') throw new Error(`${p.file}: params.pmos must name a pmos preset`);
  return {
    name: p.name,
    params: p.params,
    lo: parts.dwmtjLo.params as unknown as DwmtjParams,
    hi: parts.dwmtjHi.params as unknown as DwmtjParams,
    nmos: parts.nmos.params as unknown as MosfetParams,
    pmos: parts.pmos.params as unknown as MosfetParams,
    presets,
    sources,
  };
}

/** A copy of a cell with some parameters changed (SI), e.g. for sweeps. */
export function withCellParams(c: MacamCell, changes: Partial<MacamCellParams>): MacamCell {
  return { ...c, params: { ...c.params, ...changes } };
}

// ---------------------------------------------------------------------------------------------
// Devices with an instance's deviations

/** A DW-MTJ with its R_P and TMR0 multiplied (the same object when both are 1). */
export function deviatedDwmtj(p: DwmtjParams, rpMul = 1, tmrMul = 1): DwmtjParams {
  if (rpMul === 1 && tmrMul === 1) return p;
  return { ...p, ra: p.ra * rpMul, tmr0: p.tmr0 * tmrMul };
}

/** Transistor t of the cell (its model card and W/L) with the instance's VTO offset. */
export function deviatedTransistor(c: MacamCell, t: Transistor, dev?: CellDeviation): { p: MosfetParams; wl: number } {
  const pm = c.params;
  const wl = t === 'T1' ? pm.wlT1 : t === 'T2' ? pm.wlT2 : t === 'T3' ? pm.wlT3 : t === 'T4' ? pm.wlT4 : t === 'T5' ? pm.wlT5 : pm.wlT6;
  const base = t === 'T4' ? c.pmos : c.nmos;
  const d = dev?.dvto?.[t] ?? 0;
  if (d === 0) return { p: base, wl };
  return { p: { ...base, vto: base.polarity === 'pmos' ? base.vto - d : base.vto + d }, wl };
}

/** A wall position (AP fraction) clamped to [0, 1], e.g. after an instance's offset. */
export const clampPosition = (f: number) => Math.min(1, Math.max(0, f));
