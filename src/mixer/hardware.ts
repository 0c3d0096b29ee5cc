/**
 * The activation hardware SuperMixer chooses between, per channel:
 *  (a) analog: a fused MACAM column (activation + A/D in one search), programmed for `fn` at
 *      `analogBits` output bits on the `cell` preset. Each channel is its own physical column, so each
 *      gets its own seeded device-variation instance. A pool of `poolSize` column instances
 *      (variation seeds `${seed}/mixer-column/${k}`; a column costs ~0.2-1 ms: its bounds under
 *      variation, the nominal programming being shared, see createFusedUnit) is
 *      programmed once and channel c of site s uses instance poolIndex[s][c] (a seeded shuffle of
 *      c mod poolSize, so neighbouring channels do not share a column). With poolSize >= channels
 *      every channel is distinct.
 *  (b) digital: ADC + digital activation (createDigitalPath) at `digitalBits` (ADC bits = output
 *      bits = digitalBits).
 * Both see the same pre-activation range: the unit's input range (relu: [0, 4]); a per-site scale g
 * maps the pre-activation z onto it (u = g z) and the decoded output is divided by g again.
 *
 * The logits of the last layer are read out through an ADC as well (identity op, `readoutBits`):
 * the same cost in every configuration, counted in every A/D + activation figure.
 */
import { stream, type Seed } from '../core/rng.ts';
import { type BoundSolver, type EnergyBreakdown, loadMacamCell } from '../devices/macam.ts';
import { createDigitalPath, type DigitalPath, type DigitalPathEnergy } from '../units/digital-path.ts';
import { createFusedUnit, fusedEnergy, type FusedUnit } from '../units/fused.ts';

export interface HardwareOptions {
  readonly seed: Seed;
  /** activation function (default relu) */
  readonly fn?: string;
  /** MACAM output bits (default 4) */
  readonly analogBits?: number;
  /** ADC + digital activation bits (default 8) */
  readonly digitalBits?: number;
  /** ADC bits of the logits read-out (default 8) */
  readonly readoutBits?: number;
  /** MACAM cell preset (default macam-measured) */
  readonly cell?: string;
  /** ADC preset (default adc-sar-default) */
  readonly adc?: string;
  /** digital activation preset (default digital-45nm) */
  readonly digital?: string;
  /** per-column device variation (default true) */
  readonly variation?: boolean;
  /** programmed column instances shared by the channels (default 16) */
  readonly poolSize?: number;
  /** bound solver of the column programming (default 'root'; 'bisect' = the reference path, same columns, for benchmarks) */
  readonly boundSolver?: BoundSolver;
}

export interface ActivationHardware {
  readonly fn: string;
  /** pre-activation range of both paths after scaling (the fused unit's input range) */
  readonly inputRange: readonly [number, number];
  readonly pool: readonly FusedUnit[];
  readonly digital: DigitalPath;
  readonly readout: DigitalPath;
  /** J per activation of pool column k (analog), itemised */
  readonly analogEnergy: readonly EnergyBreakdown[];
  /** J per activation of the digital path, itemised */
  readonly digitalEnergy: DigitalPathEnergy;
  /** J per read-out logit */
  readonly readoutEnergy: DigitalPathEnergy;
  /** presets used */
  readonly presets: Record<string, string>;
  /** pool column index of every channel of a site with `channels` channels (seeded, cached) */
  poolIndex(site: string, channels: number): Int32Array;
}

const hardwareCache = new Map<string, ActivationHardware>();

/** Program the column pool and build the digital paths (cached per option set: programming is slow). */
export function createActivationHardware(opts: HardwareOptions): ActivationHardware {
  const fn = opts.fn ?? 'relu';
  const analogBits = opts.analogBits ?? 4;
  const digitalBits = opts.digitalBits ?? 8;
  const readoutBits = opts.readoutBits ?? 8;
  const cell = opts.cell ?? 'macam-measured';
  const adc = opts.adc ?? 'adc-sar-default';
  const digital = opts.digital ?? 'digital-45nm';
  const variation = opts.variation ?? true;
  const poolSize = opts.poolSize ?? 16;
  if (!(Number.isInteger(poolSize) && poolSize >= 1)) throw new RangeError(`poolSize must be an integer >= 1, got ${poolSize}`);
  const boundSolver = opts.boundSolver ?? 'root';
  const key = JSON.stringify([String(opts.seed), fn, analogBits, digitalBits, readoutBits, cell, adc, digital, variation, poolSize, boundSolver]);
  const hit = hardwareCache.get(key);
  if (hit) return hit;

  const pool: FusedUnit[] = [];
  // the cell preset (and the presets it names) loaded and validated once for the whole pool
  const cellParams = loadMacamCell(cell);
  for (let k = 0; k < poolSize; k++) {
    pool.push(
      createFusedUnit({
        fn,
        bits: analogBits,
        cell: cellParams,
        boundSolver,
        ...(variation ? { variation: { seed: `${String(opts.seed)}/mixer-column/${k}` } } : {}),
      }),
    );
  }
  const inputRange = pool[0]!.inputRange;
  const dp = createDigitalPath({ fn, bits: digitalBits, inputRange, outputRange: pool[0]!.outputRange, adc, digital });
  // logits: signed, read over a symmetric range (the range only sets the LSB, not the energy)
  const readout = createDigitalPath({ fn: 'identity', bits: readoutBits, inputRange: [-16, 16], adc, digital });
  const idx = new Map<string, Int32Array>();
  const hw: ActivationHardware = {
    fn,
    inputRange,
    pool,
    digital: dp,
    readout,
    analogEnergy: poolEnergies(pool),
    digitalEnergy: dp.energyPerActivation(),
    readoutEnergy: readout.energyPerActivation(),
    presets: { cell, adc, digital, ...pool[0]!.cell.presets },
    poolIndex(site: string, channels: number): Int32Array {
      const k = `${site}/${channels}`;
      let a = idx.get(k);
      if (!a) {
        a = new Int32Array(channels);
        for (let c = 0; c < channels; c++) a[c] = c % poolSize;
        stream(opts.seed, 'mixer-pool', site).shuffle(a);
        idx.set(k, a);
      }
      return a;
    },
  };
  hardwareCache.set(key, hw);
  return hw;
}

/**
 * fusedEnergy of every pool column. The energy depends only on the nominal programming (rows' wall
 * positions and enabled branches, the drive window, the cell), which variation does not touch, so
 * columns programmed alike share one evaluation (each gets its own copy of the same numbers).
 */
function poolEnergies(pool: readonly FusedUnit[]): EnergyBreakdown[] {
  const seen = new Map<string, EnergyBreakdown>();
  return pool.map((u) => {
    const key = JSON.stringify([u.window, u.rows.map((r) => [r.fLo, r.fHi, r.loEnabled, r.hiEnabled])]);
    let e = seen.get(key);
    if (!e || u.cell !== pool[0]!.cell) {
      e = fusedEnergy(u);
      seen.set(key, e);
      return e;
    }
    return structuredClone(e);
  });
}
