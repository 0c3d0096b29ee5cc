/**
 * The standard (digital) activation path: ADC, then the exact activation in digital logic, then the
 * b-bit output requantisation. This is the baseline the fused MACAM activation is compared against.
 *
 *   x (pre-activation, in [xLo, xHi])
 *     -> v = vmin + (x - xLo) / (xHi - xLo) * (vmax - vmin)     the analog front end maps the input
 *                                                                range onto the ADC full scale
 *     -> k = ADC code (adcBits, see src/devices/adc.ts: floor quantiser, optional offset/gain/noise)
 *     -> x_rec = xLo + (k + 1/2) * (xHi - xLo) / 2^adcBits      bin-centre reconstruction
 *     -> code = quantiseOutput(f(x_rec), bits, yLo, yHi)       the shared output convention
 *
 * ADC resolution. By default the ADC has as many bits as the output (adcBits = bits): that is the
 * paper's baseline ("A/D conversion + activation" at the activation bit width) and the cheapest
 * honest digital path, so energy savings measured against it are not inflated. The double
 * quantisation (input then output) costs accuracy where f is steep relative to the output step
 * (sigmoid/tanh near 0, GELU/SiLU around their minimum), so a digital path that must reproduce
 * Q(f(x)) almost everywhere samples the pre-activation with a few more bits, typically
 * adcBits = bits + 2; pass `adcBits` to model that (the energy then grows with the ADC model).
 *
 * Energy per activation = one ADC conversion at adcBits + one digital activation op on the
 * adcBits-wide ADC word (the LUT of a LUT-based function is indexed by it), itemised with the preset
 * and source of every constant used.
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import {
  type AdcEnergy,
  type AdcParams,
  adcEnergyPerConversion,
  adcParamsOf,
  adcNoiseSigma,
  adcQuantise,
  adcLinearBatch,
} from '../devices/adc.ts';
import {
  DIGITAL_FUNCTIONS,
  type DigitalActivationParams,
  type DigitalEnergy,
  digitalActivationEnergy,
  digitalParamsOf,
} from '../devices/digital.ts';
import { type LoadedPreset, loadPreset, presetFromValues, withParams } from '../devices/preset.ts';
import { type Activation, activationRangeOn, getActivation } from './activations.ts';
import { codeToValue, outputQuantiser } from './quantise.ts';

export type PresetInput = string | LoadedPreset | Record<string, unknown>;

export interface DigitalPathOptions {
  /** ADC preset name/path, loaded preset, or SI values (default "adc-sar-default") */
  adc?: PresetInput;
  /** digital-activation preset name/path, loaded preset, or SI values (default "digital-45nm") */
  digital?: PresetInput;
  /** activation name (see getActivation) or an Activation (e.g. from tableActivation) */
  fn: string | Activation;
  /** output bits b */
  bits: number;
  /** pre-activation range mapped onto the ADC full scale */
  inputRange: readonly [number, number];
  /** ADC resolution; default = bits (see the module comment) */
  adcBits?: number;
  /** output range [yLo, yHi]; default = min/max of f over inputRange */
  outputRange?: readonly [number, number];
  /** digital op to cost (default: fn's name if the digital logic knows it, else "table": a LUT) */
  digitalOp?: string;
}

export interface EnergyDetail {
  preset: string;
  file?: string;
  /** joules per sub-item */
  items: Record<string, number>;
  /** every constant used: SI value and its source */
  constants: Record<string, { value: unknown; source: string }>;
}
export interface DigitalPathEnergy {
  /** joules */
  total: number;
  items: { adc: number; activation: number };
  details: {
    adc: EnergyDetail & { model: string; bits: number; sampleRate: number };
    activation: EnergyDetail & { op: string; bits: number };
  };
}

export interface DigitalPath {
  readonly fn: Activation;
  readonly bits: number;
  readonly adcBits: number;
  readonly inputRange: readonly [number, number];
  readonly outputRange: readonly [number, number];
  readonly adc: AdcParams;
  readonly adcPreset: LoadedPreset;
  readonly digital: DigitalActivationParams;
  readonly digitalPreset: LoadedPreset;
  readonly digitalOp: string;
  /** ADC code of a pre-activation x (noise only with rng) */
  adcCode(x: number, rng?: Rng): number;
  /** bin-centre pre-activation value of an ADC code */
  reconstruct(adcCode: number): number;
  /** output code 0 .. 2^bits - 1 */
  evaluate(x: number, rng?: Rng): number;
  /** output codes of a batch into `out` (new Int32Array when omitted); noise drawn in input order */
  evaluateBatch<T extends Int32Array | Float64Array = Int32Array>(xs: Float64Array, out?: T, rng?: Rng): T;
  /**
   * out[i] = values[code of xs[i]] in one pass (no noise): what reading a table indexed by output
   * code at the Int32Array codes of evaluateBatch gives, element for element (a table too short reads
   * NaN). For hot loops that decode every output (the mixer's activation sites).
   */
  lookupBatch(xs: Float64Array, values: Float64Array, out: Float64Array): Float64Array;
  /** output level of a code (codeToValue over outputRange) */
  decode(code: number): number;
  energyPerActivation(): DigitalPathEnergy;
}

function resolvePreset(input: PresetInput, kind: string): LoadedPreset {
  if (typeof input === 'string') return loadPreset(input, kind);
  if (typeof input === 'object' && input !== null && 'params' in input && 'kind' in input && 'raw' in input) {
    const p = input as unknown as LoadedPreset;
    if (p.kind !== kind) throw new ConfigError(p.file, 'kind', `a preset of kind "${kind}"`, p.kind);
    return p;
  }
  return presetFromValues(kind, input as Record<string, unknown>);
}

function constantsOf(p: LoadedPreset, keys: Iterable<string>): Record<string, { value: unknown; source: string }> {
  const out: Record<string, { value: unknown; source: string }> = {};
  for (const k of keys) {
    const v = (p.params as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = { value: v, source: p.sources[k] ?? 'unknown' };
  }
  return out;
}

/** Build the ADC + digital activation path. Bad options are ConfigErrors. */
export function createDigitalPath(opts: DigitalPathOptions): DigitalPath {
  const fn = typeof opts.fn === 'string' ? getActivation(opts.fn) : opts.fn;
  const bits = opts.bits;
  if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new ConfigError(undefined, 'bits', 'an integer in [1, 24]', bits);
  const adcBits = opts.adcBits ?? bits;
  if (!Number.isInteger(adcBits) || adcBits < 1 || adcBits > 24) {
    throw new ConfigError(undefined, 'adcBits', 'an integer in [1, 24]', adcBits);
  }
  const [xLo, xHi] = opts.inputRange;
  if (!Number.isFinite(xLo) || !Number.isFinite(xHi) || !(xHi > xLo)) {
    throw new ConfigError(undefined, 'inputRange', 'finite [lo, hi] with hi > lo', opts.inputRange);
  }
  const outRange = opts.outputRange ?? (() => {
    const r = activationRangeOn(fn, xLo, xHi);
    return [r.lo, r.hi] as const;
  })();
  const [yLo, yHi] = outRange;
  if (!Number.isFinite(yLo) || !Number.isFinite(yHi) || !(yHi > yLo)) {
    throw new ConfigError(undefined, 'outputRange', 'finite [yLo, yHi] with yHi > yLo', outRange);
  }

  const adcBase = resolvePreset(opts.adc ?? 'adc-sar-default', 'adc');
  const adcPreset =
    (adcBase.params as unknown as AdcParams).bits === adcBits
      ? adcBase
      : withParams(adcBase, { bits: adcBits }, `digital path: adcBits = ${adcBits}`);
  const adc = adcParamsOf(adcPreset);
  const digitalPreset = resolvePreset(opts.digital ?? 'digital-45nm', 'digital-activation');
  const digital = digitalParamsOf(digitalPreset);
  const digitalOp = opts.digitalOp ?? ((DIGITAL_FUNCTIONS as readonly string[]).includes(fn.name) ? fn.name : 'table');
  // validate the op now rather than at the first energy query
  const actEnergy: DigitalEnergy = digitalActivationEnergy(digital, digitalOp, adcBits);

  const vScale = (adc.vmax - adc.vmin) / (xHi - xLo);
  const xLsb = (xHi - xLo) / 2 ** adcBits;
  const toV = (x: number) => adc.vmin + (x - xLo) * vScale;
  const reconstruct = (k: number) => xLo + (k + 0.5) * xLsb;
  const q = outputQuantiser(bits, yLo, yHi);
  const f = fn.f;

  const adcCode = (x: number, rng?: Rng) => adcQuantise(adc, toV(x), rng);
  const evaluate = (x: number, rng?: Rng) => q(f(reconstruct(adcQuantise(adc, toV(x), rng))));

  // Batch fast path (no noise): the output code is a function of the ADC code alone, so it is looked
  // up in a table of q(f(reconstruct(k))) over the 2^adcBits codes (built on first use; the same
  // values `evaluate` computes, element by element). Wider ADCs compute it directly.
  const linear = adcLinearBatch(adc, xLo, vScale);
  let scratch = new Float64Array(0);
  const noisy = adcNoiseSigma(adc) > 0;
  let lut: Int32Array | Float64Array | undefined;
  const outputLut = (): Int32Array | Float64Array => {
    if (lut) return lut;
    const levels = 2 ** adcBits;
    const codes = new Float64Array(levels);
    let ints = true;
    for (let k = 0; k < levels; k++) {
      codes[k] = q(f(reconstruct(k)));
      if (!Number.isInteger(codes[k]!)) ints = false;
    }
    lut = ints ? Int32Array.from(codes) : codes;
    return lut;
  };

  let codeMap: { map: Int32Array; nan: number } | undefined;
  let energy: DigitalPathEnergy | undefined;
  const path: DigitalPath = {
    fn,
    bits,
    adcBits,
    inputRange: [xLo, xHi],
    outputRange: [yLo, yHi],
    adc,
    adcPreset,
    digital,
    digitalPreset,
    digitalOp,
    adcCode,
    reconstruct,
    evaluate,
    evaluateBatch<T extends Int32Array | Float64Array = Int32Array>(xs: Float64Array, out?: T, rng?: Rng): T {
      const o = (out ?? new Int32Array(xs.length)) as T;
      if (o.length < xs.length) throw new RangeError(`evaluateBatch: out has ${o.length} entries, need ${xs.length}`);
      if ((rng && noisy) || adcBits > 16) {
        for (let i = 0; i < xs.length; i++) o[i] = q(f(reconstruct(adcQuantise(adc, toV(xs[i]!), rng))));
        return o;
      }
      const table = outputLut();
      const codes = scratch.length >= xs.length ? scratch : (scratch = new Float64Array(xs.length));
      linear.codes(xs, codes);
      for (let i = 0; i < xs.length; i++) {
        const k = codes[i]!;
        o[i] = k === k ? table[k]! : q(f(reconstruct(k)));
      }
      return o;
    },
    lookupBatch(xs: Float64Array, values: Float64Array, out: Float64Array): Float64Array {
      if (out.length < xs.length) throw new RangeError(`lookupBatch: out has ${out.length} entries, need ${xs.length}`);
      if (adcBits > 16) {
        const codes = path.evaluateBatch(xs, new Int32Array(xs.length));
        for (let i = 0; i < xs.length; i++) out[i] = values[codes[i]!]!;
        return out;
      }
      // the output codes evaluateBatch stores into an Int32Array (ToInt32 of the table entries, and
      // of the element path's code for a NaN input)
      const { map, nan } = (codeMap ??= { map: Int32Array.from(outputLut()), nan: q(f(reconstruct(Number.NaN))) | 0 });
      linear.lookup(xs, map, values, nan, out);
      return out;
    },
    decode: (code: number) => codeToValue(code, bits, yLo, yHi),
    energyPerActivation(): DigitalPathEnergy {
      if (energy) return energy;
      const ae: AdcEnergy = adcEnergyPerConversion(adc, adcPreset.file);
      const adcUses = new Set(Object.values(ae.uses).flat());
      adcUses.add('energyModel');
      const actUses = new Set(Object.values(actEnergy.uses).flat());
      energy = {
        total: ae.total + actEnergy.total,
        items: { adc: ae.total, activation: actEnergy.total },
        details: {
          adc: {
            preset: adcPreset.name,
            ...(adcPreset.file ? { file: adcPreset.file } : {}),
            model: ae.model,
            bits: adcBits,
            sampleRate: adc.sampleRate,
            items: ae.items,
            constants: constantsOf(adcPreset, adcUses),
          },
          activation: {
            preset: digitalPreset.name,
            ...(digitalPreset.file ? { file: digitalPreset.file } : {}),
            op: digitalOp,
            bits: adcBits,
            items: actEnergy.items,
            constants: constantsOf(digitalPreset, actUses),
          },
        },
      };
      return energy;
    },
  };
  return Object.freeze(path);
}
