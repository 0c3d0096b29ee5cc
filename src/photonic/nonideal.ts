/**
 * Non-idealities of a thermally tuned MZI mesh (the torchonn set, J. Gu et al.), all seeded.
 *
 * Every MZI has two heaters, the internal one (arm phase difference psi = 2 theta) and the external one
 * (psi = phi); the output screen has one heater per mode (psi = outPhase). A heater's phase follows its
 * voltage: psi = gamma V^2 with gamma = pi / V_pi^2 (V_pi = 4.36 V, V_max = 10.8 V, torchonn).
 * For a wanted phase psi in [0, 2 pi) the realised phase is
 *
 *   V      = V_pi sqrt(psi / pi), clamped to [0, V_max]
 *   V_q    = round(V / dV) dV, dV = V_max / (2^bits - 1)         (phaseBits: heater DAC)
 *   psi_g  = gamma (1 + e) V_q^2, e ~ N(0, gammaError^2)           (gammaError: per heater, per draw)
 *   psi_x  = psi_g + crosstalk * (sum of psi_g of the neighbouring heaters in the same column)
 *   psi_r  = psi_x + n, n ~ N(0, phaseNoise^2)                     (phaseNoise, rad)
 *
 * and the mesh uses theta + (psi_r - psi)/2, phi + (psi_r - psi), outPhase + (psi_r - psi).
 * Insertion loss multiplies every MZI's transfer by 10^(-lossDb/20) (so loss depends on the path).
 * Detection: 'coherent' reads the in-phase (real) part of each output field; 'intensity' reads the
 * field magnitude |y|, and the sign of each weight is taken from the ideal design (an assumption:
 * sign recovery by the readout; intensity detection alone cannot give signed weights).
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { MeshPhases, MziMesh } from './mesh.ts';

export type Detection = 'coherent' | 'intensity';
export const DETECTIONS: readonly Detection[] = ['coherent', 'intensity'];

export interface NonIdealities {
  /** heater DAC resolution in bits; undefined or 0 = unquantised */
  phaseBits?: number;
  /** voltage for a pi phase shift (V); default 4.36 V (torchonn) */
  vPi?: number;
  /** largest heater voltage (V); default 10.8 V (torchonn) */
  vMax?: number;
  /** relative standard deviation of each heater's phase-per-volt^2 coefficient gamma */
  gammaError?: number;
  /** standard deviation of the additive phase noise on every heater (rad) */
  phaseNoise?: number;
  /** insertion loss per MZI (dB) */
  lossDb?: number;
  /** thermal crosstalk: fraction of each neighbouring heater's phase added to a heater */
  crosstalk?: number;
  detection?: Detection;
  /** undo each block's loss with a calibrated (least-squares) gain; default true */
  compensateLoss?: boolean;
}

export const DEFAULT_VPI = 4.36;
export const DEFAULT_VMAX = 10.8;

/** Check ranges; throws ConfigError naming the field. */
export function checkNonIdealities(ni: NonIdealities, file?: string): NonIdealities {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new ConfigError(file, field, expected, got);
  };
  if (ni.phaseBits !== undefined && (!Number.isInteger(ni.phaseBits) || ni.phaseBits < 0 || ni.phaseBits > 32))
    bad('phaseBits', 'an integer number of bits in [0, 32] (0 = unquantised)', ni.phaseBits);
  for (const k of ['gammaError', 'phaseNoise', 'lossDb', 'crosstalk'] as const) {
    const v = ni[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) bad(k, 'a number >= 0', v);
  }
  if (ni.crosstalk !== undefined && ni.crosstalk >= 0.5) bad('crosstalk', 'a fraction < 0.5', ni.crosstalk);
  for (const k of ['vPi', 'vMax'] as const) {
    const v = ni[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) bad(k, 'a voltage > 0', v);
  }
  if (ni.detection !== undefined && !DETECTIONS.includes(ni.detection)) bad('detection', 'coherent or intensity', ni.detection);
  return ni;
}

/** True when the realised phases need random draws. */
export function isRandom(ni: NonIdealities): boolean {
  return (ni.gammaError ?? 0) > 0 || (ni.phaseNoise ?? 0) > 0;
}

/** True when nothing perturbs the phases (loss and detection aside). */
export function phasesIdeal(ni: NonIdealities): boolean {
  return !isRandom(ni) && !(ni.phaseBits ?? 0) && !(ni.crosstalk ?? 0);
}

const TWO_PI = 2 * Math.PI;
/**
 * x wrapped into [0, 2 pi): (x % 2 pi), plus 2 pi when negative. Within two turns the remainder is
 * x itself or x -+ 2 pi, both exact (Sterbenz), so the slow floating-point % (an fmod call) is only
 * needed beyond; a zero remainder keeps the sign of x as % does. Same bits as x % TWO_PI throughout.
 */
function wrap(x: number): number {
  let y: number;
  if (x < TWO_PI && x > -TWO_PI) y = x;
  else if (x >= TWO_PI && x < 2 * TWO_PI) y = x - TWO_PI;
  else if (x <= -TWO_PI && x > -2 * TWO_PI) {
    y = x + TWO_PI;
    if (y === 0) y = -0;
  } else y = x % TWO_PI;
  return y < 0 ? y + TWO_PI : y;
}

/** A phase wrapped into [0, 2 pi) (as the heaters see it). */
export function wrapPhase(x: number): number {
  return wrap(x);
}

/**
 * The deterministic part of a heater's realised phase, for a wanted phase psi in [0, 2 pi): with
 * bits > 0 the phase of the DAC-quantised (and V_max-clamped) voltage, else psi clamped to the phase
 * at V_max. realisePhases and the weight resampling (effective.ts) both use this one formula.
 */
export function heaterSettled(psi: number, bits: number, vPi: number, vMax: number): number {
  return settleWith(psi, bits, vPi, vMax, bits > 0 ? vMax / (2 ** bits - 1) : 0, Math.PI / (vPi * vPi), voltageToPhase(vMax, vPi));
}

/** heaterSettled with its constants given: step = vMax / (2^bits - 1), g = pi / vPi^2, clampPsi = voltageToPhase(vMax, vPi). */
export function settleWith(psi: number, bits: number, vPi: number, vMax: number, step: number, g: number, clampPsi: number): number {
  if (bits > 0) {
    let v = vPi * Math.sqrt(psi / Math.PI);
    if (v > vMax) v = vMax;
    const vq = Math.round(v / step) * step;
    return g * vq * vq;
  }
  return psi > clampPsi ? clampPsi : psi;
}

/** Heater voltage for a phase psi >= 0: V = V_pi sqrt(psi / pi). */
export function phaseToVoltage(psi: number, vPi = DEFAULT_VPI): number {
  return vPi * Math.sqrt(Math.max(0, psi) / Math.PI);
}

/** Phase of a heater at voltage V: psi = pi V^2 / V_pi^2. */
export function voltageToPhase(v: number, vPi = DEFAULT_VPI): number {
  return (Math.PI * v * v) / (vPi * vPi);
}

/** V clamped to [0, V_max] and, with bits > 0, rounded to the 2^bits-level grid k V_max / (2^bits - 1). */
export function quantiseVoltage(v: number, bits: number | undefined, vMax = DEFAULT_VMAX): number {
  const c = v < 0 ? 0 : v > vMax ? vMax : v;
  if (!bits) return c;
  const step = vMax / (2 ** bits - 1);
  return Math.round(c / step) * step;
}

/** Number of heaters in a mesh: two per MZI plus one per output mode. */
export function heaterCount(mesh: MziMesh): number {
  return 2 * mesh.mode.length + mesh.n;
}

/**
 * Wanted heater phases in [0, 2 pi), in heater order: internal (2 theta) of each MZI, external (phi) of
 * each MZI, then the output screen.
 */
export function heaterPhases(mesh: MziMesh, out: Float64Array = new Float64Array(heaterCount(mesh))): Float64Array {
  const c = mesh.mode.length;
  for (let t = 0; t < c; t++) {
    out[t] = wrap(2 * mesh.theta[t]!);
    out[c + t] = wrap(mesh.phi[t]!);
  }
  for (let k = 0; k < mesh.n; k++) out[2 * c + k] = wrap(mesh.outPhase[k]!);
  return out;
}

/** Heater voltages (after the DAC when phaseBits is set), in heater order. */
export function heaterVoltages(mesh: MziMesh, ni: NonIdealities = {}): Float64Array {
  const psi = heaterPhases(mesh);
  const vPi = ni.vPi ?? DEFAULT_VPI;
  const vMax = ni.vMax ?? DEFAULT_VMAX;
  for (let h = 0; h < psi.length; h++) psi[h] = quantiseVoltage(phaseToVoltage(psi[h]!, vPi), ni.phaseBits, vMax);
  return psi;
}

/** Scratch space for realisePhases (reuse across calls on meshes of the same size). */
export interface PhaseScratch {
  want: Float64Array;
  got: Float64Array;
  base: Float64Array;
}
export function phaseScratch(mesh: MziMesh): PhaseScratch {
  const h = heaterCount(mesh);
  return { want: new Float64Array(h), got: new Float64Array(h), base: new Float64Array(h) };
}

/** Per mesh: wanted heater phases and their quantised values for one (vPi, vMax, bits). */
const deterministicCache = new WeakMap<
  MziMesh,
  { vPi: number; vMax: number; bits: number; want: Float64Array; got0: Float64Array; nominal: Float64Array }
>();

/** True when the mesh still has the phases the cache entry was made from (meshes can be edited in place). */
function samePhases(nominal: Float64Array, mesh: MziMesh): boolean {
  const c = mesh.mode.length;
  if (nominal.length !== 2 * c + mesh.n) return false;
  for (let t = 0; t < c; t++) if (!same(nominal[t]!, mesh.theta[t]!) || !same(nominal[c + t]!, mesh.phi[t]!)) return false;
  for (let k = 0; k < mesh.n; k++) if (!same(nominal[2 * c + k]!, mesh.outPhase[k]!)) return false;
  return true;
}

/** Equal including the sign of zero (NaN counts as changed: the entry is then just recomputed). */
function same(x: number, y: number): boolean {
  return x === y && (x !== 0 || 1 / x === 1 / y);
}

let zScratch = new Float64Array(0);
function normalScratch(n: number): Float64Array {
  if (zScratch.length < n) zScratch = new Float64Array(n);
  return zScratch;
}

/**
 * Thermal crosstalk onto the heater phases `got` (theta c, phi c, outPhase n, as heaterPhases orders
 * them), linear and first order: each MZI heater gains kappa times the phases of its neighbouring
 * MZIs' heaters (nbPrev / nbNext), each output-screen heater kappa times its neighbouring screen
 * heaters'. Neighbours read the phases before any crosstalk is added (`base`, scratch of the same length).
 */
export function addHeaterCrosstalk(got: Float64Array, base: Float64Array, kappa: number, mesh: MziMesh): void {
  const c = mesh.mode.length;
  const n = mesh.n;
  base.set(got.subarray(0, 2 * c + n));
  for (let t = 0; t < c; t++) {
    const p = mesh.nbPrev[t]!;
    const q = mesh.nbNext[t]!;
    if (p >= 0) {
      got[t]! += kappa * base[p]!;
      got[c + t]! += kappa * base[c + p]!;
    }
    if (q >= 0) {
      got[t]! += kappa * base[q]!;
      got[c + t]! += kappa * base[c + q]!;
    }
  }
  for (let k = 0; k < n; k++) {
    if (k > 0) got[2 * c + k]! += kappa * base[2 * c + k - 1]!;
    if (k < n - 1) got[2 * c + k]! += kappa * base[2 * c + k + 1]!;
  }
}

/**
 * The realised phases of a mesh under the non-idealities (loss and detection are not phases and are
 * ignored here). Random draws come from `rng` in a fixed order: gamma errors of all heaters, then the
 * phase noise of all heaters.
 */
export function realisePhases(
  mesh: MziMesh,
  ni: NonIdealities,
  rng?: Rng,
  out: MeshPhases = { theta: new Float64Array(mesh.mode.length), phi: new Float64Array(mesh.mode.length), outPhase: new Float64Array(mesh.n) },
  scratch: PhaseScratch = phaseScratch(mesh),
): MeshPhases {
  const c = mesh.mode.length;
  const n = mesh.n;
  if (phasesIdeal(ni)) {
    out.theta.set(mesh.theta);
    out.phi.set(mesh.phi);
    out.outPhase.set(mesh.outPhase);
    return out;
  }
  const H = 2 * c + n;
  const got = scratch.got;
  const vPi = ni.vPi ?? DEFAULT_VPI;
  const vMax = ni.vMax ?? DEFAULT_VMAX;
  const bits = ni.phaseBits ?? 0;
  const gErr = ni.gammaError ?? 0;
  const noise = ni.phaseNoise ?? 0;
  const kappa = ni.crosstalk ?? 0;
  // The wanted phases and their DAC-quantised values depend on the mesh alone (not on the draws):
  // worked out once per mesh and parameter set and reused by every later realisation (the photonic
  // trainer realises each mapped mesh once per error sample and per evaluation batch).
  let det = deterministicCache.get(mesh);
  if (!det || det.vPi !== vPi || det.vMax !== vMax || det.bits !== bits || !samePhases(det.nominal, mesh)) {
    const want = heaterPhases(mesh, new Float64Array(H));
    const got0 = new Float64Array(H);
    for (let h = 0; h < H; h++) got0[h] = heaterSettled(want[h]!, bits, vPi, vMax);
    const nominal = new Float64Array(H);
    nominal.set(mesh.theta);
    nominal.set(mesh.phi, c);
    nominal.set(mesh.outPhase, 2 * c);
    det = { vPi, vMax, bits, want, got0, nominal };
    deterministicCache.set(mesh, det);
  }
  const want = det.want;
  got.set(det.got0);
  if (gErr > 0 || noise > 0) {
    if (!rng) throw new RangeError('realisePhases: gammaError and phaseNoise need a seeded rng');
  }
  // the deviates of a loop are drawn in one batch (the same numbers, in the same order, as one
  // rng.normal() per heater)
  const z = gErr > 0 || noise > 0 ? normalScratch(H) : undefined;
  if (gErr > 0) {
    rng!.fillNormalRange(z!, 0, H);
    for (let h = 0; h < H; h++) got[h]! *= 1 + gErr * z![h]!;
  }
  if (kappa > 0) addHeaterCrosstalk(got, scratch.base, kappa, mesh);
  if (noise > 0) {
    rng!.fillNormalRange(z!, 0, H);
    for (let h = 0; h < H; h++) got[h]! += noise * z![h]!;
  }
  for (let t = 0; t < c; t++) {
    out.theta[t] = mesh.theta[t]! + 0.5 * (got[t]! - want[t]!);
    out.phi[t] = mesh.phi[t]! + (got[c + t]! - want[c + t]!);
  }
  for (let k = 0; k < n; k++) out.outPhase[k] = mesh.outPhase[k]! + (got[2 * c + k]! - want[2 * c + k]!);
  return out;
}
