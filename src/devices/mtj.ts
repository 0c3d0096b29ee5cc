/**
 * Two-state magnetic tunnel junction.
 *   R_P = RA / area (bias independent)
 *   TMR(V) = TMR0 / (1 + (V / V_h)^2)          (bias roll-off, UMN MTJ compact model)
 *   R_AP(V) = R_P * (1 + TMR(V))
 *   I(V) = V / R(state, V)
 */
import { type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

export const mtjSpec = {
  ra: q('resistance-area', 'resistance-area product RA', { positive: true }),
  area: q('area', 'junction area', { positive: true }),
  tmr0: q('dimensionless', 'zero-bias tunnel magnetoresistance ratio TMR0 (1.71 = 171 %)', { min: 0, max: 10 }),
  vh: q('voltage', 'bias at which TMR halves, V_h', { positive: true }),
} satisfies PresetSpec;
registerKind('mtj', mtjSpec);

export type MtjParams = ParamsOf<typeof mtjSpec>;
export type MtjState = 'P' | 'AP';

/** Parallel-state resistance R_P = RA / area (ohm). */
export function mtjRp(p: MtjParams): number {
  return p.ra / p.area;
}

/** Bias-dependent TMR ratio. */
export function mtjTmr(p: Pick<MtjParams, 'tmr0' | 'vh'>, v: number): number {
  const x = v / p.vh;
  return p.tmr0 / (1 + x * x);
}

/** Resistance in a state at bias v (ohm). */
export function mtjResistance(p: MtjParams, state: MtjState, v = 0): number {
  const rp = mtjRp(p);
  return state === 'P' ? rp : rp * (1 + mtjTmr(p, v));
}

/** Current through the junction at bias v (A). */
export function mtjCurrent(p: MtjParams, state: MtjState, v: number): number {
  return v / mtjResistance(p, state, v);
}
