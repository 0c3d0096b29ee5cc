/**
 * The activation hardware SuperMixer chooses between, per channel:
 *  (a) analog: a fused MACAM column (activation + A/D in one search), programmed for `fn` at
 *      `analogBits` output bits on the `cell` preset. Each channel is its own physical column, so each
 *      gets its own seeded device-variation instance. A pool of `poolSize` column instances
 *      (variation seeds `${seed}/mixer-column/${k}`; a column's cost is its bounds under
 *      variation, the nominal programming being shared, see createFusedUnit) is
 *      programmed once, on first use (or built from bounds another thread solved:
 *      primeActivationHardware), and channel c of site s uses instance poolIndex[s][c] (a seeded shuffle of
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
import { type ColumnBounds, columnBounds, createFusedUnit, fusedEnergy, type FusedUnit } from '../units/fused.ts';

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
  /** bound solver of the column programming (default 'root'; 'bisect' = the reference, for benchmarks: the same codes, thresholds within the solver tolerance) */
  readonly boundSolver?: BoundSolver;
}

export interface ActivationHardware {
  readonly fn: string;
  /** output bits of the analog columns */
  readonly analogBits: number;
  /** pre-activation range of both paths after scaling (the fused unit's input range) */
  readonly inputRange: readonly [number, number];
  /** the programmed columns (programmed on first use: the digital path and the energies do not need them) */
  readonly pool: readonly FusedUnit[];
  /** the pool's actual bounds (columnBounds of every column), for primeActivationHardware in another thread */
  poolBounds(): ColumnBounds[];
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
/** column bounds handed over from another thread (primeActivationHardware), by hardware key */
const primed = new Map<string, ColumnBounds[]>();

/** The options with their defaults filled in (one place for the defaults and the cache key). */
function withDefaults(opts: HardwareOptions) {
  return {
    seed: opts.seed,
    fn: opts.fn ?? 'relu',
    analogBits: opts.analogBits ?? 4,
    digitalBits: opts.digitalBits ?? 8,
    readoutBits: opts.readoutBits ?? 8,
    cell: opts.cell ?? 'macam-measured',
    adc: opts.adc ?? 'adc-sar-default',
    digital: opts.digital ?? 'digital-45nm',
    variation: opts.variation ?? true,
    poolSize: opts.poolSize ?? 16,
    boundSolver: opts.boundSolver ?? 'root',
  };
}

function hardwareKey(opts: HardwareOptions): string {
  const o = withDefaults(opts);
  return JSON.stringify([String(o.seed), o.fn, o.analogBits, o.digitalBits, o.readoutBits, o.cell, o.adc, o.digital, o.variation, o.poolSize, o.boundSolver]);
}

/**
 * Hand this thread the pool's column bounds another thread computed for the same options
 * (ActivationHardware.poolBounds there): the columns are then built from them instead of solving
 * every bound again (the same numbers; main-thread time saved in a parallel mix run). Ignored once
 * the pool is programmed, and when the options have no variation.
 */
export function primeActivationHardware(opts: HardwareOptions, bounds: ColumnBounds[]): void {
  const o = withDefaults(opts);
  if (o.variation && bounds.length === o.poolSize) primed.set(hardwareKey(opts), bounds);
}

/**
 * Build the digital paths and the per-activation energies, and program the column pool on first use
 * (cached per option set: programming is slow). The ranges and the energies come from the nominal
 * programming, which every column shares (variation moves only the actual bounds).
 */
export function createActivationHardware(opts: HardwareOptions): ActivationHardware {
  const { fn, analogBits, digitalBits, readoutBits, cell, adc, digital, variation, poolSize, boundSolver } = withDefaults(opts);
  if (!(Number.isInteger(poolSize) && poolSize >= 1)) throw new RangeError(`poolSize must be an integer >= 1, got ${poolSize}`);
  const key = hardwareKey(opts);
  const hit = hardwareCache.get(key);
  if (hit) return hit;

  // the cell preset (and the presets it names) loaded and validated once for the whole pool
  const cellParams = loadMacamCell(cell);
  const column = (k: number, bounds?: ColumnBounds): FusedUnit =>
    createFusedUnit({
      fn,
      bits: analogBits,
      cell: cellParams,
      boundSolver,
      ...(variation ? { variation: { seed: `${String(opts.seed)}/mixer-column/${k}`, ...(bounds ? { bounds } : {}) } } : {}),
    });
  // the nominal programming (no variation): ranges and energies; without variation it is column 0
  const nominal = variation ? createFusedUnit({ fn, bits: analogBits, cell: cellParams, boundSolver }) : column(0);
  let pool: FusedUnit[] | undefined;
  const programPool = (): FusedUnit[] => {
    if (pool) return pool;
    const given = primed.get(key);
    primed.delete(key);
    const units: FusedUnit[] = variation ? [] : [nominal];
    for (let k = units.length; k < poolSize; k++) units.push(column(k, given?.[k]));
    pool = units;
    return units;
  };
  const inputRange = nominal.inputRange;
  const dp = createDigitalPath({ fn, bits: digitalBits, inputRange, outputRange: nominal.outputRange, adc, digital });
  // logits: signed, read over a symmetric range (the range only sets the LSB, not the energy)
  const readout = createDigitalPath({ fn: 'identity', bits: readoutBits, inputRange: [-16, 16], adc, digital });
  const idx = new Map<string, Int32Array>();
  const hw: ActivationHardware = {
    fn,
    analogBits,
    inputRange,
    get pool() {
      return programPool();
    },
    poolBounds: () => programPool().map((u) => columnBounds(u) ?? { lo: [], hi: [] }),
    digital: dp,
    readout,
    analogEnergy: poolEnergies(nominal, poolSize),
    digitalEnergy: dp.energyPerActivation(),
    readoutEnergy: readout.energyPerActivation(),
    presets: { cell, adc, digital, ...nominal.cell.presets },
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
 * one evaluation of the nominal unit serves every column (each gets its own copy of the numbers).
 */
function poolEnergies(nominal: FusedUnit, poolSize: number): EnergyBreakdown[] {
  const e = fusedEnergy(nominal);
  return Array.from({ length: poolSize }, (_, k) => (k === 0 ? e : structuredClone(e)));
}
