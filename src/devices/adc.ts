/**
 * Analog-to-digital converter (preset kind "adc"): an ideal uniform quantiser with optional static
 * errors and input-referred noise, and three energy-per-conversion models.
 *
 * Quantiser convention (mid-rise, "mid-tread-free": no level sits exactly on zero):
 *   LSB  = (vmax - vmin) / 2^N
 *   code = clamp(floor((v_eff - vmin) / LSB), 0, 2^N - 1)
 * so code k covers [vmin + k*LSB, vmin + (k+1)*LSB): the code changes exactly at the bin edges
 * e_k = vmin + k*LSB (k = 1 .. 2^N - 1), an input exactly on e_k gives code k. Values below vmin give
 * code 0, values at or above vmax - LSB give code 2^N - 1. The edges are compared as the doubles
 * `vmin + k*LSB` (see `adcEdge`), so "at the edge" is exact in floating point.
 * Reconstruction (what the digital side believes the input was): the bin centre
 *   v_rec(k) = vmin + (k + 1/2) * LSB.
 *
 * Static errors, applied before the quantiser (input-referred):
 *   v_eff = vmin + (1 + gainError) * (v - vmin) + offset
 * i.e. gain error is referred to the bottom of the range (the first transition moves only by the
 * offset) and the edges move to e_k' = vmin + (k*LSB - offset) / (1 + gainError).
 *
 * Noise from ENOB: an ideal N-bit quantiser has quantisation noise power LSB^2/12. ENOB is defined
 * by SINAD, so the total noise power of a real converter is that of an ideal ENOB-bit one over the
 * same range: (LSB * 2^(N - ENOB))^2 / 12. The excess (non-quantisation) power, modelled as white
 * Gaussian noise added to v_eff before the quantiser, is therefore
 *   sigma^2 = LSB^2 / 12 * (2^(2(N - ENOB)) - 1),  sigma = LSB * sqrt(2^(2(N-ENOB)) - 1) / sqrt(12).
 * ENOB = N gives no noise. Noise is only drawn when the caller passes a seeded Rng.
 *
 * Energy per conversion (`energyModel`):
 *  - "sar-linear": E = energyPerBit * N (Lightening-Transformer: 8 b, 10 GS/s, 14.8 mW ->
 *    14.8 mW / 10 GS/s / 8 = 0.185 pJ per bit per conversion).
 *  - "flash": E = (2^N - 1) * comparatorEnergy + N * encoderEnergyPerBit (one comparator decision per
 *    threshold; the thermometer-to-binary encoder term per output bit). Both constants are
 *    assumptions unless a preset says otherwise.
 *  - "murmann": the Murmann ADC survey frontier as fitted in Accelergy's ADC model,
 *    FoM_S(f) = min(180.14, 302.74 - 6.4608 ln f) dB (f in Hz), SNDR = 6.02 N + 1.76 dB,
 *    E = 1 / (2 * 10^((FoM_S - SNDR) / 10)) (from Schreier FoM = SNDR + 10 log10(f / 2P), E = P / f).
 *    An energy floor (preset field, assumption) bounds it from below: E = max(E_frontier, floor);
 *    the frontier is optimistic (best published ADC) and goes to fJ at low resolution.
 */
import type { EnergyBreakdown } from '../core/energy.ts';
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { type LoadedPreset, type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

export const ADC_ENERGY_MODELS = ['sar-linear', 'flash', 'murmann'] as const;
export type AdcEnergyModel = (typeof ADC_ENERGY_MODELS)[number];

export const adcSpec = {
  bits: { kind: 'integer', doc: 'resolution N (bits)', min: 1, max: 24 },
  vmin: q('voltage', 'bottom of the full-scale input range'),
  vmax: q('voltage', 'top of the full-scale input range (> vmin)'),
  sampleRate: q('frequency', 'sample rate f_s', { positive: true }),
  offset: q('voltage', 'input-referred offset added before quantisation', { default: 0 }),
  gainError: q('dimensionless', 'relative gain error about vmin (0.01 = +1 %)', { min: -0.5, max: 0.5, default: 0 }),
  enob: q('dimensionless', 'effective number of bits; < bits adds Gaussian input noise (omit for none)', {
    min: 0,
    max: 24,
    optional: true,
  }),
  energyModel: { kind: 'choice', doc: 'energy model: sar-linear, flash or murmann', options: ADC_ENERGY_MODELS },
  energyPerBit: q('energy-per-bit', 'sar-linear: energy per bit per conversion', { min: 0, optional: true }),
  comparatorEnergy: q('energy', 'flash: energy per comparator decision', { min: 0, optional: true }),
  encoderEnergyPerBit: q('energy', 'flash: thermometer-to-binary encoder energy per output bit', { min: 0, optional: true }),
  energyFloor: q('energy', 'murmann: lower bound on the energy per conversion', { min: 0, optional: true }),
} satisfies PresetSpec;
registerKind('adc', adcSpec);

type OptionalKeys = 'enob' | 'energyPerBit' | 'comparatorEnergy' | 'encoderEnergyPerBit' | 'energyFloor';
/** SI parameters of an ADC; the model-specific energy constants and ENOB may be absent. */
export type AdcParams = Omit<ParamsOf<typeof adcSpec>, OptionalKeys> & {
  readonly [K in OptionalKeys]?: number;
};

/** Check the cross-field constraints the spec cannot express (vmax > vmin). */
export function checkAdcParams(p: AdcParams, file?: string): AdcParams {
  if (!(p.vmax > p.vmin)) throw new ConfigError(file, 'params.vmax', `a voltage above vmin (${p.vmin} V)`, p.vmax);
  if (p.enob !== undefined && p.enob > p.bits) {
    throw new ConfigError(file, 'params.enob', `at most bits (${p.bits})`, p.enob);
  }
  return p;
}

/** The params of a loaded "adc" preset, cross-checked. */
export function adcParamsOf(preset: LoadedPreset): AdcParams {
  if (preset.kind !== 'adc') throw new ConfigError(preset.file, 'kind', 'a preset of kind "adc"', preset.kind);
  return checkAdcParams(preset.params as unknown as AdcParams, preset.file);
}

/** Number of codes 2^N. */
export function adcLevels(p: Pick<AdcParams, 'bits'>): number {
  return 2 ** p.bits;
}

/** LSB = (vmax - vmin) / 2^N (V). */
export function adcLsb(p: Pick<AdcParams, 'bits' | 'vmin' | 'vmax'>): number {
  return (p.vmax - p.vmin) / 2 ** p.bits;
}

/** Ideal bin edge e_k = vmin + k * LSB: the lowest input (without offset/gain error) that gives code k. */
export function adcEdge(p: Pick<AdcParams, 'bits' | 'vmin' | 'vmax'>, k: number): number {
  return p.vmin + k * adcLsb(p);
}

/** Edge of code k with the offset and gain error applied: vmin + (k*LSB - offset) / (1 + gainError). */
export function adcEdgeWithErrors(p: AdcParams, k: number): number {
  return p.vmin + (k * adcLsb(p) - p.offset) / (1 + p.gainError);
}

/** Bin-centre reconstruction of a code: vmin + (code + 1/2) * LSB (the ideal transfer, no errors). */
export function adcCodeToVoltage(p: Pick<AdcParams, 'bits' | 'vmin' | 'vmax'>, code: number): number {
  return p.vmin + (code + 0.5) * adcLsb(p);
}

/** Input-referred Gaussian noise sigma implied by ENOB (V); 0 when ENOB is absent or equals N. */
export function adcNoiseSigma(p: Pick<AdcParams, 'bits' | 'vmin' | 'vmax' | 'enob'>): number {
  if (p.enob === undefined || p.enob >= p.bits) return 0;
  return (adcLsb(p) * Math.sqrt(2 ** (2 * (p.bits - p.enob)) - 1)) / Math.sqrt(12);
}

/** Ideal quantiser on an already error-applied voltage; exact at the edges vmin + k*LSB. */
function quantiseIdeal(vmin: number, lsb: number, maxCode: number, v: number): number {
  if (!(v >= vmin)) return v !== v ? Number.NaN : 0; // NaN stays NaN; below range -> 0
  let c = Math.floor((v - vmin) / lsb);
  if (c > maxCode + 1) return maxCode;
  // make the decision agree with the edge doubles vmin + k*LSB exactly
  if (c > 0 && v < vmin + c * lsb) c -= 1;
  else if (v >= vmin + (c + 1) * lsb) c += 1;
  return c < 0 ? 0 : c > maxCode ? maxCode : c;
}

/** v_eff = vmin + (1 + gainError)(v - vmin) + offset; the identity (bit-exact) when both are zero. */
function applyErrors(vmin: number, g: number, off: number, v: number): number {
  return g === 1 && off === 0 ? v : vmin + g * (v - vmin) + off;
}

/**
 * Quantise one input voltage to a code in 0 .. 2^N - 1 (offset and gain error applied; noise added
 * only when `rng` is given and ENOB < N). NaN input gives NaN.
 */
export function adcQuantise(p: AdcParams, v: number, rng?: Rng): number {
  let ve = applyErrors(p.vmin, 1 + p.gainError, p.offset, v);
  if (rng) {
    const s = adcNoiseSigma(p);
    if (s > 0) ve += rng.normal(0, s);
  }
  return quantiseIdeal(p.vmin, adcLsb(p), 2 ** p.bits - 1, ve);
}

/**
 * `adcQuantise` without noise, with the LSB, code range and error terms worked out once: returns
 * v -> code (the same decisions, bit for bit). For hot loops that quantise many values with one
 * converter (the per-call `adcLsb` and 2^N of `adcQuantise` dominate a batch otherwise).
 */
export function adcQuantiser(p: AdcParams): (v: number) => number {
  const lsb = adcLsb(p);
  const maxCode = 2 ** p.bits - 1;
  const g = 1 + p.gainError;
  const off = p.offset;
  const vmin = p.vmin;
  if (g === 1 && off === 0) return (v: number) => quantiseIdeal(vmin, lsb, maxCode, v);
  return (v: number) => quantiseIdeal(vmin, lsb, maxCode, vmin + g * (v - vmin) + off);
}

/**
 * Batch forms of adcQuantiser for inputs mapped linearly to volts, v = vmin + (x - x0) * vScale
 * (adcLinearBatch):
 *  - `codes` fills `out` with the codes adcQuantiser(p)(v) gives (NaN for a NaN input), bit for bit;
 *  - `lookup` maps each code through tables in the same pass: out[i] = values[map[code]] (a NaN
 *    input reads values[nanIndex]), for converters followed by fixed logic (digital-path.ts).
 * The division by the LSB becomes a multiplication by its inverse, which may land one bin off; the
 * edge check against the tabled edge doubles vmin + k * LSB (the same expression quantiseIdeal uses)
 * then moves it to the same bin, as it does for the division's own rounding.
 */
export interface LinearAdcBatch {
  codes(xs: Float64Array, out: Float64Array | Int32Array): void;
  lookup(xs: Float64Array, map: Int32Array, values: Float64Array, nanIndex: number, out: Float64Array): void;
}

/** The state of one linear batch quantiser (adcLinearBatch). */
interface LinearAdc {
  readonly vmin: number;
  readonly inv: number;
  readonly maxCode: number;
  readonly g: number;
  readonly off: number;
  readonly ideal: boolean;
  readonly x0: number;
  readonly vScale: number;
  /** vmin + k LSB, k = 0 .. maxCode + 2 */
  readonly edge: Float64Array;
}

/** The code of input x (NaN for NaN): quantiseIdeal's decisions with the multiply and the tabled edges. */
function linearCode(a: LinearAdc, x: number): number {
  const vmin = a.vmin;
  let v = vmin + (x - a.x0) * a.vScale;
  if (!a.ideal) v = vmin + a.g * (v - vmin) + a.off;
  if (!(v >= vmin)) return v !== v ? Number.NaN : 0;
  const maxCode = a.maxCode;
  let c = Math.floor((v - vmin) * a.inv);
  if (c > maxCode + 1) return maxCode;
  const edge = a.edge;
  if (c > 0 && v < edge[c]!) c -= 1;
  else if (v >= edge[c + 1]!) c += 1;
  return c < 0 ? 0 : c > maxCode ? maxCode : c;
}

export function adcLinearBatch(p: AdcParams, x0: number, vScale: number): LinearAdcBatch {
  const lsb = adcLsb(p);
  const maxCode = 2 ** p.bits - 1;
  const g = 1 + p.gainError;
  const off = p.offset;
  const edge = new Float64Array(maxCode + 3);
  for (let k = 0; k < edge.length; k++) edge[k] = p.vmin + k * lsb;
  const a: LinearAdc = { vmin: p.vmin, inv: 1 / lsb, maxCode, g, off, ideal: g === 1 && off === 0, x0, vScale, edge };
  return {
    codes(xs, out) {
      for (let i = 0; i < xs.length; i++) out[i] = linearCode(a, xs[i]!);
    },
    lookup(xs, map, values, nanIndex, out) {
      for (let i = 0; i < xs.length; i++) {
        const c = linearCode(a, xs[i]!);
        out[i] = values[c === c ? map[c]! : nanIndex]!;
      }
    },
  };
}

/**
 * Batch quantisation (same decisions as `adcQuantise`); `out` (at least as long) is reused when
 * given, else a new Int32Array. With `rng`, noise draws follow the input order.
 */
export function adcQuantiseBatch<T extends Float64Array | Int32Array = Int32Array>(
  p: AdcParams,
  vs: Float64Array,
  out?: T,
  rng?: Rng,
): T {
  const o = (out ?? new Int32Array(vs.length)) as T;
  if (o.length < vs.length) throw new RangeError(`adcQuantiseBatch: out has ${o.length} entries, need ${vs.length}`);
  const lsb = adcLsb(p);
  const maxCode = 2 ** p.bits - 1;
  const g = 1 + p.gainError;
  const off = p.offset;
  const vmin = p.vmin;
  const sigma = rng ? adcNoiseSigma(p) : 0;
  for (let i = 0; i < vs.length; i++) {
    let ve = applyErrors(vmin, g, off, vs[i]!);
    if (sigma > 0) ve += rng!.normal(0, sigma);
    o[i] = quantiseIdeal(vmin, lsb, maxCode, ve);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Figures of merit and energy

/** SNDR of an ideal N-bit quantiser with a full-scale sine: 6.02 N + 1.76 dB. */
export function idealSndrDb(bits: number): number {
  return 6.02 * bits + 1.76;
}

/** ENOB from SNDR: (SNDR - 1.76) / 6.02. */
export function enobFromSndr(sndrDb: number): number {
  return (sndrDb - 1.76) / 6.02;
}

/** Walden FoM: P / (2^ENOB * f_s), joules per conversion step. */
export function waldenFom(power: number, enob: number, sampleRate: number): number {
  return power / (2 ** enob * sampleRate);
}

/** Schreier FoM (dB): SNDR + 10 log10(f_s / (2 P)), with f_s the Nyquist sample rate (bandwidth f_s/2). */
export function schreierFom(sndrDb: number, sampleRate: number, power: number): number {
  return sndrDb + 10 * Math.log10(sampleRate / (2 * power));
}

/** Murmann-survey frontier of the Schreier FoM at sample rate f (Hz), as fitted in Accelergy's ADC model. */
export function murmannFomS(sampleRate: number): number {
  return Math.min(180.14, 302.74 - 6.4608 * Math.log(sampleRate));
}

/** Frontier energy per conversion at N bits and f_s: 1 / (2 * 10^((FoM_S - SNDR)/10)) (J). */
export function murmannEnergy(bits: number, sampleRate: number): number {
  return 1 / (2 * 10 ** ((murmannFomS(sampleRate) - idealSndrDb(bits)) / 10));
}

/** An itemised energy figure (the shape shared by every energy in fusemix). */
export type Itemised = EnergyBreakdown;
export interface AdcEnergy extends Itemised {
  model: AdcEnergyModel;
  /** names of the params each item rests on */
  uses: Record<string, string[]>;
}

function need(p: AdcParams, key: OptionalKeys, model: string, file?: string): number {
  const v = p[key];
  if (v === undefined) throw new ConfigError(file, `params.${key}`, `a value (needed by energyModel "${model}")`, undefined);
  return v;
}

/** Energy per conversion, itemised, by the preset's energy model (J). */
export function adcEnergyPerConversion(p: AdcParams, file?: string): AdcEnergy {
  const N = p.bits;
  switch (p.energyModel) {
    case 'sar-linear': {
      const e = need(p, 'energyPerBit', 'sar-linear', file) * N;
      return { model: 'sar-linear', total: e, items: { conversion: e }, uses: { conversion: ['energyPerBit', 'bits'] } };
    }
    case 'flash': {
      const cmp = (2 ** N - 1) * need(p, 'comparatorEnergy', 'flash', file);
      const enc = N * (p.encoderEnergyPerBit ?? 0);
      return {
        model: 'flash',
        total: cmp + enc,
        items: { comparators: cmp, encoder: enc },
        uses: { comparators: ['comparatorEnergy', 'bits'], encoder: ['encoderEnergyPerBit', 'bits'] },
      };
    }
    case 'murmann': {
      const fr = murmannEnergy(N, p.sampleRate);
      const floor = p.energyFloor ?? 0;
      const excess = Math.max(0, floor - fr);
      return {
        model: 'murmann',
        total: fr + excess,
        items: { frontier: fr, floorExcess: excess },
        uses: { frontier: ['bits', 'sampleRate'], floorExcess: ['energyFloor'] },
      };
    }
  }
}

/** Average power at the preset's sample rate (W). */
export function adcPower(p: AdcParams): number {
  return adcEnergyPerConversion(p).total * p.sampleRate;
}
