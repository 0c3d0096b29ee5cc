/**
 * The I-V sweep deck of one transistor: the ngspice DC sweep of a model card (one device, source and
 * bulk grounded; V_DS inner, V_GS outer, over 0 .. V_max, both negative for PMOS) and its run on an
 * engine into an I-V table in the sign convention of mosfetCurrent. What `fusemix calibrate mosfet`
 * fits (src/calibrate/mosfet.ts).
 */
import { formatSpice } from '../core/units.ts';
import type { SpiceEngine } from './engine.ts';
import { vector } from './engine.ts';
import type { ModelCard, Polarity } from './model-cards.ts';

export interface SweepOptions {
  /** channel width and length of the swept device (m), default 100 nm each (W/L = 1, as the presets) */
  w?: number;
  l?: number;
  /** sweep range 0 .. vmax (V), default 0.8 */
  vmax?: number;
  /** sweep step (V), default 0.02 */
  step?: number;
}

/** The ngspice netlist of the DC sweep (nested: V_DS inner, V_GS outer). */
export function sweepNetlist(card: ModelCard, opts: SweepOptions = {}): string {
  const w = opts.w ?? 100e-9;
  const l = opts.l ?? 100e-9;
  const vmax = opts.vmax ?? 0.8;
  const step = opts.step ?? 0.02;
  const s = card.type === 'nmos' ? 1 : -1;
  const lo = s > 0 ? 0 : -vmax;
  const hi = s > 0 ? vmax : 0;
  return [
    `* fusemix calibrate mosfet: DC sweep of ${card.name} (${card.type}), W ${formatSpice(w)} L ${formatSpice(l)}`,
    card.text,
    'Vd d 0 0',
    'Vg g 0 0',
    `M1 d g 0 0 ${card.name} w=${formatSpice(w)} l=${formatSpice(l)}`,
    '.options reltol=1e-6 abstol=1e-15',
    `.dc Vd ${formatSpice(lo)} ${formatSpice(hi)} ${formatSpice(step)} Vg ${formatSpice(lo)} ${formatSpice(hi)} ${formatSpice(step)}`,
    '.end',
    '',
  ].join('\n');
}

export interface IvSweep {
  polarity: Polarity;
  w: number;
  l: number;
  vgs: Float64Array;
  vds: Float64Array;
  /** drain current in the sign convention of mosfetCurrent (positive in normal operation) */
  id: Float64Array;
}

/** Run the sweep on an engine and return the I-V table. */
export async function spiceSweep(engine: SpiceEngine, card: ModelCard, opts: SweepOptions & { timeoutMs?: number } = {}): Promise<IvSweep> {
  const net = sweepNetlist(card, opts);
  const r = await engine.run(net, { timeoutMs: opts.timeoutMs ?? 60_000, name: `sweep of ${card.name}` });
  const vds = Float64Array.from(vector(r, 'v(d)', 'dc'));
  const vgs = Float64Array.from(vector(r, 'v(g)', 'dc'));
  const ivd = vector(r, 'i(vd)', 'dc');
  // i(vd) is the current into Vd's + terminal: NMOS drain current leaves it (negative), PMOS enters it
  const sgn = card.type === 'nmos' ? -1 : 1;
  const id = Float64Array.from(ivd, (x) => sgn * x);
  return { polarity: card.type, w: opts.w ?? 100e-9, l: opts.l ?? 100e-9, vgs, vds, id };
}
