/**
 * A/D + activation energy per inference, expected (relaxed) and hard, and the hard assignment that
 * meets a budget.
 *
 * Per inference: every activation of every site costs its path's energy per activation (the fused
 * MACAM column's `fusedEnergy`, or the digital path's ADC + digital activation), and each of the
 * network's outputs (logits) is read out through one ADC conversion (the `readout` path, identity
 * op); the read-out is the same in every configuration and is included in every figure, so a saving
 * is a saving on the whole A/D + activation energy of the network.
 */
import type { ActivationHardware } from './hardware.ts';
import type { MixedActivation } from './site.ts';

export interface SiteEnergy {
  readonly name: string;
  readonly channels: number;
  readonly spatial: number;
  /** J per inference of channel c on each path (activation energy x spatial positions) */
  readonly analog: Float64Array;
  readonly digital: Float64Array;
  /** logit index of every channel */
  readonly logitOf: Int32Array;
  /** pool column of every channel */
  readonly column: Int32Array;
  readonly logits: number;
}

export interface EnergyModel {
  readonly sites: readonly SiteEnergy[];
  /** outputs read out per inference */
  readonly readouts: number;
  /** J per inference of the read-out */
  readonly readout: number;
  /** J per inference of the all-digital configuration (the reference of every budget) */
  readonly allDigital: number;
}

/** The energy model of a network's sites (`outputs` logits read out per inference). */
export function energyModel(sites: readonly MixedActivation[], hw: ActivationHardware, outputs: number): EnergyModel {
  const ed = hw.digitalEnergy.total;
  const out: SiteEnergy[] = sites.map((s) => {
    const C = s.site.channels;
    const S = s.site.spatial;
    const analog = new Float64Array(C);
    const digital = new Float64Array(C);
    const logitOf = new Int32Array(C);
    for (let c = 0; c < C; c++) {
      analog[c] = hw.analogEnergy[s.column[c]!]!.total * S;
      digital[c] = ed * S;
      logitOf[c] = s.logitOf(c);
    }
    return { name: s.name, channels: C, spatial: S, analog, digital, logitOf, column: s.column, logits: s.logits.length };
  });
  const readout = outputs * hw.readoutEnergy.total;
  let allDigital = readout;
  for (const s of out) for (let c = 0; c < s.channels; c++) allDigital += s.digital[c]!;
  return { sites: out, readouts: outputs, readout, allDigital };
}

/**
 * Expected A/D + activation energy (J per inference) when channel c is analog with probability
 * probs[site][logitOf(c)]: sum p E_analog + (1 - p) E_digital, plus the read-out.
 */
export function expectedEnergy(m: EnergyModel, probs: readonly ArrayLike<number>[]): number {
  let e = m.readout;
  m.sites.forEach((s, k) => {
    const p = probs[k]!;
    for (let c = 0; c < s.channels; c++) {
      const q = p[s.logitOf[c]!]!;
      e += q * s.analog[c]! + (1 - q) * s.digital[c]!;
    }
  });
  return e;
}

/** dE/dprob for every logit of every site (the sum over its channels of E_analog - E_digital). */
export function expectedEnergyGrad(m: EnergyModel): Float64Array[] {
  return m.sites.map((s) => {
    const g = new Float64Array(s.logits);
    for (let c = 0; c < s.channels; c++) g[s.logitOf[c]!] = g[s.logitOf[c]!]! + s.analog[c]! - s.digital[c]!;
    return g;
  });
}

/** Hard A/D + activation energy (J per inference) of an assignment (1 = analog, per channel). */
export function hardEnergy(m: EnergyModel, assign: readonly ArrayLike<number>[]): number {
  let e = m.readout;
  m.sites.forEach((s, k) => {
    const a = assign[k]!;
    for (let c = 0; c < s.channels; c++) e += a[c] ? s.analog[c]! : s.digital[c]!;
  });
  return e;
}

export interface HardAssignment {
  /** per site, per channel: 1 analog, 0 digital */
  readonly assign: Uint8Array[];
  /** J per inference */
  readonly energy: number;
  /** energy / all-digital energy */
  readonly ratio: number;
  /** whether ratio <= budget */
  readonly met: boolean;
}

/**
 * The hard assignment: logits are ranked by analog preference (decreasing logit; ties: site order,
 * then channel order) and go analog one by one until the budget (a fraction of the all-digital
 * energy) holds; everything else stays digital. Analog is the cheap, less accurate path, so the
 * budget is met with as few analog channels as possible, and the search decides which ones. A logit
 * of a per-layer site moves all of its channels together. If even all-analog misses the budget,
 * all-analog is returned with met = false.
 */
export function hardAssignment(m: EnergyModel, logits: readonly ArrayLike<number>[], budget: number): HardAssignment {
  const assign = m.sites.map((s) => new Uint8Array(s.channels));
  const groups: Array<{ site: number; logit: number; pref: number; i: number }> = [];
  m.sites.forEach((s, k) => {
    for (let j = 0; j < s.logits; j++) groups.push({ site: k, logit: j, pref: logits[k]![j]!, i: groups.length });
  });
  groups.sort((a, b) => b.pref - a.pref || a.i - b.i);
  const limit = budget * m.allDigital;
  let energy = hardEnergy(m, assign);
  for (const g of groups) {
    if (energy <= limit) break;
    const s = m.sites[g.site]!;
    for (let c = 0; c < s.channels; c++) if (s.logitOf[c] === g.logit) assign[g.site]![c] = 1;
    energy = hardEnergy(m, assign);
  }
  return { assign, energy, ratio: energy / m.allDigital, met: energy <= limit };
}

export interface EnergyReport {
  /** J per inference */
  total: number;
  /** J per inference, by part */
  items: Record<string, number>;
  /** where each item's constants come from */
  sources: Record<string, string>;
  counts: { analog: number; digital: number; readouts: number };
  /** total / all-digital total */
  ratio: number;
}

/** Itemised A/D + activation energy of a hard assignment. */
export function energyReport(m: EnergyModel, hw: ActivationHardware, assign: readonly ArrayLike<number>[]): EnergyReport {
  const items: Record<string, number> = {};
  const add = (k: string, v: number) => (items[k] = (items[k] ?? 0) + v);
  let nA = 0;
  let nD = 0;
  const dItems = hw.digitalEnergy.items;
  m.sites.forEach((s, k) => {
    for (let c = 0; c < s.channels; c++) {
      if (assign[k]![c]) {
        nA += s.spatial;
        for (const [name, v] of Object.entries(hw.analogEnergy[s.column[c]!]!.items)) add(`macam.${name}`, v * s.spatial);
      } else {
        nD += s.spatial;
        add('adc', dItems.adc * s.spatial);
        add('digitalActivation', dItems.activation * s.spatial);
      }
    }
  });
  for (const key of ['adc', 'digitalActivation']) items[key] ??= 0;
  for (const name of Object.keys(hw.analogEnergy[0]!.items)) items[`macam.${name}`] ??= 0;
  items['readout.adc'] = m.readout;
  let total = 0;
  for (const v of Object.values(items)) total += v;
  const dd = hw.digitalEnergy.details;
  const src = hw.analogEnergy[0]!.sources ?? {};
  const sources: Record<string, string> = {
    adc: `${dd.adc.preset} (${dd.adc.model}, ${dd.adc.bits} b): ${Object.entries(dd.adc.constants)
      .map(([k, v]) => `${k}: ${v.source}`)
      .join('; ')}`,
    digitalActivation: `${dd.activation.preset} (${dd.activation.op}, ${dd.activation.bits} b): ${Object.entries(dd.activation.constants)
      .map(([k, v]) => `${k}: ${v.source}`)
      .join('; ')}`,
    'readout.adc': `${m.readouts} logits x one ${hw.readoutEnergy.details.adc.bits} b conversion of ${hw.readoutEnergy.details.adc.preset} (same in every configuration)`,
  };
  for (const name of Object.keys(hw.analogEnergy[0]!.items)) sources[`macam.${name}`] = `fusedEnergy: ${src[name] ?? hw.presets.cell}`;
  return { total, items, sources, counts: { analog: nA, digital: nD, readouts: m.readouts }, ratio: total / m.allDigital };
}
