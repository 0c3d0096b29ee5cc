/**
 * Digital activation logic (preset kind "digital-activation"): energy per activation evaluated on a
 * b-bit fixed-point word, built from a few per-operation constants.
 *
 * Constants (Horowitz, ISSCC 2014, 45 nm): 8 b add ~0.03 pJ, 32 b add 0.1 pJ, 8 b multiply ~0.2 pJ.
 * Scaling with the word width b (our modelling choices, documented so a report can say so):
 *   add(b)     = add8 + (add32 - add8) * (b - 8) / 24   ripple-carry: linear in b, through both points
 *                (floored at 0)
 *   compare(b) = add(b)                                   a magnitude compare is a subtractor's carry
 *   mult(b)    = mult8 * (b / 8)^2                        array multiplier: b^2 partial products
 *                (gives 3.2 pJ at 32 b, close to Horowitz's 3.1 pJ 32 b multiply)
 *   mux(b)     = b * muxPerBit                            one 2:1 mux per bit
 *   lut(b)     = lutRead * (b / lutRefBits) * 2^(lutSizeExponent * (b - lutRefBits))
 *                a 2^b-entry, b-bit-wide table: read energy linear in the word width and growing with
 *                the table size as (entries)^lutSizeExponent (0.5: bit-line/word-line length of a
 *                square array grows as sqrt(entries)) [assumption]
 * Operations per function:
 *   identity            nothing
 *   relu                sign test (the MSB, free) + b-bit mux
 *   relu6 / clip        sign test + one compare against the upper bound + two b-bit mux stages
 *   hardswish           x * relu6(x + 3) / 6: one add (x + 3), the relu6 (compare + 2 mux), one multiply;
 *                       the 1/6 is folded into the output requantisation scale
 *   sigmoid, tanh, gelu, silu, table   one LUT read
 */
import type { EnergyBreakdown } from '../core/energy.ts';
import { ConfigError } from '../core/errors.ts';
import { type LoadedPreset, type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

export const digitalActivationSpec = {
  add8: q('energy', '8-bit integer add', { min: 0 }),
  add32: q('energy', '32-bit integer add', { min: 0 }),
  mult8: q('energy', '8-bit integer multiply', { min: 0 }),
  muxPerBit: q('energy', '2:1 multiplexer, per bit', { min: 0 }),
  lutRead: q('energy', 'activation LUT read at lutRefBits input/output bits', { min: 0 }),
  lutRefBits: { kind: 'integer', doc: 'word width at which lutRead is given', min: 1, max: 32 },
  lutSizeExponent: q('dimensionless', 'LUT read energy grows as (2^b entries)^exponent', { min: 0, max: 1 }),
} satisfies PresetSpec;
registerKind('digital-activation', digitalActivationSpec);

export type DigitalActivationParams = ParamsOf<typeof digitalActivationSpec>;

/** The params of a loaded "digital-activation" preset. */
export function digitalParamsOf(preset: LoadedPreset): DigitalActivationParams {
  if (preset.kind !== 'digital-activation') {
    throw new ConfigError(preset.file, 'kind', 'a preset of kind "digital-activation"', preset.kind);
  }
  return preset.params as unknown as DigitalActivationParams;
}

/** Functions the digital logic knows how to cost. */
export const DIGITAL_FUNCTIONS = ['identity', 'relu', 'relu6', 'clip', 'hardswish', 'sigmoid', 'tanh', 'gelu', 'silu', 'table'] as const;
export type DigitalFunction = (typeof DIGITAL_FUNCTIONS)[number];

const LUT_FUNCTIONS: ReadonlySet<string> = new Set(['sigmoid', 'tanh', 'gelu', 'silu', 'table']);

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new ConfigError(undefined, 'bits', 'an integer in [1, 32]', bits);
}

/** b-bit add (J): linear through the 8 b and 32 b points, floored at 0. */
export function addEnergy(p: Pick<DigitalActivationParams, 'add8' | 'add32'>, bits: number): number {
  return Math.max(0, p.add8 + ((p.add32 - p.add8) * (bits - 8)) / 24);
}
/** b-bit multiply (J): mult8 * (b/8)^2. */
export function multEnergy(p: Pick<DigitalActivationParams, 'mult8'>, bits: number): number {
  return p.mult8 * (bits / 8) ** 2;
}
/** b-bit 2:1 mux (J). */
export function muxEnergy(p: Pick<DigitalActivationParams, 'muxPerBit'>, bits: number): number {
  return p.muxPerBit * bits;
}
/** Read of a 2^b-entry, b-bit LUT (J). */
export function lutEnergy(p: Pick<DigitalActivationParams, 'lutRead' | 'lutRefBits' | 'lutSizeExponent'>, bits: number): number {
  return p.lutRead * (bits / p.lutRefBits) * 2 ** (p.lutSizeExponent * (bits - p.lutRefBits));
}

export interface DigitalEnergy extends EnergyBreakdown {
  /** the params each item rests on */
  uses: Record<string, string[]>;
}

/**
 * Energy of one activation of `fnName` on a `bits`-bit word, itemised (J). Unknown names are a
 * ConfigError listing the known ones.
 */
export function digitalActivationEnergy(p: DigitalActivationParams, fnName: string, bits: number): DigitalEnergy {
  checkBits(bits);
  const items: Record<string, number> = {};
  const uses: Record<string, string[]> = {};
  const add = (k: string, e: number, u: string[]) => {
    items[k] = (items[k] ?? 0) + e;
    uses[k] = u;
  };
  if (LUT_FUNCTIONS.has(fnName)) {
    add('lut', lutEnergy(p, bits), ['lutRead', 'lutRefBits', 'lutSizeExponent']);
  } else {
    switch (fnName) {
      case 'identity':
        break;
      case 'relu':
        add('mux', muxEnergy(p, bits), ['muxPerBit']);
        break;
      case 'relu6':
      case 'clip':
        add('compare', addEnergy(p, bits), ['add8', 'add32']);
        add('mux', 2 * muxEnergy(p, bits), ['muxPerBit']);
        break;
      case 'hardswish':
        add('add', addEnergy(p, bits), ['add8', 'add32']);
        add('compare', addEnergy(p, bits), ['add8', 'add32']);
        add('mux', 2 * muxEnergy(p, bits), ['muxPerBit']);
        add('mult', multEnergy(p, bits), ['mult8']);
        break;
      default:
        throw new ConfigError(undefined, 'activation', `one of ${DIGITAL_FUNCTIONS.join(', ')}`, fnName);
    }
  }
  let total = 0;
  for (const e of Object.values(items)) total += e;
  return { total, items, uses };
}
