/**
 * Photodetector + transimpedance amplifier (kind "pd-tia").
 *
 *   I      = R P + I_dark                          (R: responsivity, A/W)
 *   V      = G (I + i_n)                            (G: transimpedance, ohm)
 *   shot   sigma_shot = sqrt(2 q I B)               (B: noise bandwidth)
 *   thermal sigma_th  = sqrt(4 k T B / G + i_tia^2 B)  (feedback resistor + input-referred TIA noise density)
 *
 * i_n is Gaussian with the enabled components, drawn from a seeded stream. Power = P_pd + P_tia.
 * Figures: Lightening-Transformer (PD 1.1 mW at -25 dBm sensitivity, TIA 3 mW), responsivity ~1 A/W.
 */
import type { Rng } from '../core/rng.ts';
import { type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

export const pdTiaSpec = {
  responsivity: q('responsivity', 'photodiode responsivity R', { positive: true }),
  darkCurrent: q('current', 'photodiode dark current I_dark', { min: 0 }),
  transimpedance: q('transimpedance', 'TIA gain G (V per A)', { positive: true }),
  bandwidth: q('frequency', 'noise bandwidth B of PD + TIA', { positive: true }),
  sensitivity: q('power', 'optical power needed at the detector (sensitivity)', { positive: true }),
  pdPower: q('power', 'photodetector power', { min: 0 }),
  tiaPower: q('power', 'TIA power', { min: 0 }),
  temperature: q('temperature', 'temperature for the thermal noise of the feedback resistor', { positive: true }),
  tiaNoiseDensity: q('current-noise-density', 'input-referred TIA noise current density (beyond the feedback resistor)', {
    min: 0,
    default: 0,
  }),
} satisfies PresetSpec;
registerKind('pd-tia', pdTiaSpec);

export type PdTiaParams = ParamsOf<typeof pdTiaSpec>;

/** Elementary charge (C) and Boltzmann constant (J/K), exact SI values. */
export const Q_E = 1.602176634e-19;
export const K_B = 1.380649e-23;

/** Photocurrent plus dark current (A) for optical power P (W). */
export function pdCurrent(p: Pick<PdTiaParams, 'responsivity' | 'darkCurrent'>, power: number): number {
  return p.responsivity * power + p.darkCurrent;
}

/** Shot-noise current sigma sqrt(2 q I B) (A) for a mean current I. */
export function shotNoiseSigma(p: Pick<PdTiaParams, 'bandwidth'>, current: number): number {
  return Math.sqrt(2 * Q_E * Math.abs(current) * p.bandwidth);
}

/** Thermal-noise current sigma sqrt(4 k T B / G + i_tia^2 B) (A), input-referred. */
export function thermalNoiseSigma(p: Pick<PdTiaParams, 'bandwidth' | 'temperature' | 'transimpedance' | 'tiaNoiseDensity'>): number {
  return Math.sqrt((4 * K_B * p.temperature * p.bandwidth) / p.transimpedance + p.tiaNoiseDensity * p.tiaNoiseDensity * p.bandwidth);
}

export interface PdNoise {
  shot?: boolean;
  thermal?: boolean;
}

/** Total input-referred noise sigma (A) at mean current I with the chosen components. */
export function pdNoiseSigma(p: PdTiaParams, current: number, noise: PdNoise = { shot: true, thermal: true }): number {
  const s = noise.shot ? shotNoiseSigma(p, current) : 0;
  const t = noise.thermal ? thermalNoiseSigma(p) : 0;
  return Math.sqrt(s * s + t * t);
}

/** TIA output voltage for optical power P; noisy when `rng` is given and a noise component is on. */
export function pdOutputVoltage(p: PdTiaParams, power: number, rng?: Rng, noise: PdNoise = { shot: true, thermal: true }): number {
  const i = pdCurrent(p, power);
  const sigma = rng ? pdNoiseSigma(p, i, noise) : 0;
  return p.transimpedance * (sigma > 0 ? i + sigma * rng!.normal() : i);
}

/** Batch form: voltages for an array of optical powers (W). */
export function pdDetect(
  p: PdTiaParams,
  powers: Float64Array,
  rng?: Rng,
  noise: PdNoise = { shot: true, thermal: true },
  out: Float64Array = new Float64Array(powers.length),
): Float64Array {
  const th = noise.thermal ? thermalNoiseSigma(p) : 0;
  const th2 = th * th;
  const twoQB = 2 * Q_E * p.bandwidth;
  for (let k = 0; k < powers.length; k++) {
    const i = p.responsivity * powers[k]! + p.darkCurrent;
    let v = i;
    if (rng) {
      const s2 = (noise.shot ? twoQB * Math.abs(i) : 0) + th2;
      if (s2 > 0) v += Math.sqrt(s2) * rng.normal();
    }
    out[k] = p.transimpedance * v;
  }
  return out;
}

/** Electrical power of one PD + TIA (W). */
export function pdTiaPower(p: Pick<PdTiaParams, 'pdPower' | 'tiaPower'>): number {
  return p.pdPower + p.tiaPower;
}

/** Signal-to-noise ratio (power ratio) at optical power P: (R P)^2 / sigma^2. */
export function pdSnr(p: PdTiaParams, power: number, noise: PdNoise = { shot: true, thermal: true }): number {
  const sig = p.responsivity * power;
  const s = pdNoiseSigma(p, pdCurrent(p, power), noise);
  return s > 0 ? (sig * sig) / (s * s) : Number.POSITIVE_INFINITY;
}
