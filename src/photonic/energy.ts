/**
 * Energy of one matrix-vector product on the photonic core (kind "photonic-core"), itemised.
 *
 * A weight matrix of M x N runs on B = ceil(M/k) ceil(N/k) blocks of k x k (two meshes each: V^T and U)
 * for one clock cycle t = 1 / clock. Per matrix-vector product:
 *
 *   laser         B k P_sens 10^(L/10) / eta_wp * t,  L = depth * IL_MZI + extra loss (dB)
 *                 (each of the B k detectors must receive its sensitivity P_sens through the
 *                 worst path: every MZI column of both meshes)
 *   dac           N P_dac / f_dac                     (one conversion per input value)
 *   modulator     B k bits E_mod                      (each block modulates its own copy of its inputs)
 *   heater        P_pi (sum of heater phases / pi) * t  (thermal phase shifters hold their phase:
 *                 power grows with V^2, i.e. with the phase; static power charged per cycle)
 *   photodetector B k P_pd * t
 *   tia           B k P_tia * t
 *
 * The output ADCs are not counted here: they belong to the activation unit (ADC + digital, or MACAM).
 */
import type { EnergyBreakdown } from '../core/energy.ts';
import { DIMENSIONS } from '../core/units.ts';
import '../devices/photodetector.ts'; // registers kind "pd-tia"
import type { PdTiaParams, pdTiaSpec } from '../devices/photodetector.ts';
import { type LoadedPreset, loadPreset, type ParamsOf, type PresetSpec, q, registerKind, specOf } from '../devices/preset.ts';
import { type Decomposition, DECOMPOSITIONS, meshDepth, mziCount, type MziMesh } from './mesh.ts';
import { heaterCount, heaterPhases } from './nonideal.ts';
import type { WeightMapping } from './weights.ts';

export const photonicCoreSpec = {
  mziLossDb: q('decibel', 'insertion loss per MZI (dB)', { min: 0 }),
  extraLossDb: q('decibel', 'other loss on every path: couplers, modulator, attenuator (dB)', { min: 0, default: 0 }),
  laserWallPlug: q('dimensionless', 'laser wall-plug efficiency', { positive: true, max: 1 }),
  modulatorEnergyPerBit: q('energy-per-bit', 'input modulator energy per bit', { min: 0 }),
  inputBits: { kind: 'integer', doc: 'bits per input value', min: 1, max: 32 },
  dacPower: q('power', 'input DAC power', { min: 0 }),
  dacSampleRate: q('frequency', 'input DAC sample rate', { positive: true }),
  clock: q('frequency', 'photonic core clock (one matrix-vector product per cycle per block)', { positive: true }),
  heaterPowerPerPi: q('power', 'heater power for a pi phase shift (P_pi)', { min: 0 }),
  vPi: q('voltage', 'heater voltage for a pi phase shift', { positive: true }),
  vMax: q('voltage', 'largest heater voltage', { positive: true }),
  block: { kind: 'integer', doc: 'block size k of the k x k meshes', min: 2, max: 256 },
  decomposition: { kind: 'choice', doc: 'mesh type: clements or reck', options: DECOMPOSITIONS, default: 'clements' },
  pdTia: { kind: 'ref', doc: 'photodetector + TIA preset', presetKind: 'pd-tia', default: 'pd-tia-default' },
} satisfies PresetSpec;
registerKind('photonic-core', photonicCoreSpec);

export type PhotonicCoreParams = ParamsOf<typeof photonicCoreSpec>;

export interface PhotonicCore {
  core: LoadedPreset<typeof photonicCoreSpec>;
  pd: LoadedPreset<typeof pdTiaSpec>;
}

/** Load a photonic-core preset and the pd-tia preset it names. */
export function loadPhotonicCore(name = 'photonic-core-default', pdOverride?: string): PhotonicCore {
  const core = loadPreset<typeof photonicCoreSpec>(name, 'photonic-core');
  const pd = loadPreset<typeof pdTiaSpec>(pdOverride ?? core.params.pdTia, 'pd-tia');
  return { core, pd };
}

/** What the energy depends on besides the presets. */
export interface CoreLayout {
  /** number of k x k blocks */
  blocks: number;
  /** block size k (inputs and outputs per block) */
  block: number;
  /** input values converted per product (N) */
  inputs: number;
  /** MZI columns along a path through one block (all meshes in series) */
  pathMzis: number;
  /** heaters in total */
  heaters: number;
  /** sum of the heater phases (rad): P_heaters = P_pi * sum / pi */
  heaterPhaseSum: number;
}

/** Layout of an M x N matrix in k x k blocks before mapping (each heater at the mean phase pi). */
export function layoutForShape(rows: number, cols: number, block: number, decomposition: Decomposition = 'clements'): CoreLayout {
  const blocks = Math.ceil(rows / block) * Math.ceil(cols / block);
  const heaters = blocks * 2 * (2 * mziCount(block) + block);
  return { blocks, block, inputs: cols, pathMzis: 2 * meshDepth(block, decomposition), heaters, heaterPhaseSum: heaters * Math.PI };
}

/** Layout of a single N x N unitary mesh used as the core (one block, one mesh). */
export function layoutForMesh(mesh: MziMesh): CoreLayout {
  const ph = heaterPhases(mesh);
  let sum = 0;
  for (const p of ph) sum += p;
  return { blocks: 1, block: mesh.n, inputs: mesh.n, pathMzis: mesh.depth, heaters: heaterCount(mesh), heaterPhaseSum: sum };
}

/** Layout of a mapped weight matrix, with its actual heater phases. */
export function layoutForMapping(map: WeightMapping): CoreLayout {
  let heaters = 0;
  let sum = 0;
  for (const b of map.blocks) {
    for (const m of [b.u, b.vh]) {
      const ph = heaterPhases(m);
      heaters += ph.length;
      for (const p of ph) sum += p;
    }
  }
  const b0 = map.blocks[0]!;
  return { blocks: map.blocks.length, block: map.block, inputs: map.cols, pathMzis: b0.u.depth + b0.vh.depth, heaters, heaterPhaseSum: sum };
}

export interface SourcedConstant {
  value: number;
  unit: string;
  source: string;
}

export const ENERGY_ITEMS = ['laser', 'dac', 'modulator', 'heater', 'photodetector', 'tia'] as const;
export type EnergyItemName = (typeof ENERGY_ITEMS)[number];

export interface PhotonicEnergy extends EnergyBreakdown {
  /** J per matrix-vector product, by part */
  items: Record<EnergyItemName, number>;
  /** the constants each item uses */
  uses: Record<EnergyItemName, string[]>;
  /** every constant used, with its value (SI), unit and source */
  constants: Record<string, SourcedConstant>;
  /** laser details: path loss (dB) and electrical laser power (W) */
  laser: { pathLossDb: number; opticalPower: number; electricalPower: number };
  layout: CoreLayout;
  presets: { core: string; pdTia: string };
}

function constantsOf(p: LoadedPreset, prefix: string): Record<string, SourcedConstant> {
  const spec = specOf(p.kind)!;
  const out: Record<string, SourcedConstant> = {};
  for (const [k, fs] of Object.entries(spec)) {
    const v = (p.params as Record<string, unknown>)[k];
    if (typeof v !== 'number') continue;
    out[`${prefix}.${k}`] = { value: v, unit: fs.kind === 'quantity' ? DIMENSIONS[fs.dim] : '', source: p.sources[k] ?? '' };
  }
  return out;
}

/** Energy per matrix-vector product, itemised, each constant with its source. */
export function photonicEnergy(pc: PhotonicCore, layout: CoreLayout): PhotonicEnergy {
  const c = pc.core.params;
  const d: PdTiaParams = pc.pd.params;
  const t = 1 / c.clock;
  const det = layout.blocks * layout.block;
  const pathLossDb = layout.pathMzis * c.mziLossDb + c.extraLossDb;
  const opticalPower = (det * d.sensitivity * 10 ** (pathLossDb / 10));
  const electricalPower = opticalPower / c.laserWallPlug;
  const items: Record<EnergyItemName, number> = {
    laser: electricalPower * t,
    dac: (layout.inputs * c.dacPower) / c.dacSampleRate,
    modulator: det * c.inputBits * c.modulatorEnergyPerBit,
    heater: ((c.heaterPowerPerPi * layout.heaterPhaseSum) / Math.PI) * t,
    photodetector: det * d.pdPower * t,
    tia: det * d.tiaPower * t,
  };
  let total = 0;
  for (const k of ENERGY_ITEMS) total += items[k];
  return {
    total,
    items,
    uses: {
      laser: ['pd.sensitivity', 'core.mziLossDb', 'core.extraLossDb', 'core.laserWallPlug', 'core.clock'],
      dac: ['core.dacPower', 'core.dacSampleRate'],
      modulator: ['core.modulatorEnergyPerBit', 'core.inputBits'],
      heater: ['core.heaterPowerPerPi', 'core.clock'],
      photodetector: ['pd.pdPower', 'core.clock'],
      tia: ['pd.tiaPower', 'core.clock'],
    },
    constants: { ...constantsOf(pc.core, 'core'), ...constantsOf(pc.pd, 'pd') },
    laser: { pathLossDb, opticalPower, electricalPower },
    layout,
    presets: { core: pc.core.name, pdTia: pc.pd.name },
  };
}

