/**
 * Three-terminal domain-wall MTJ (DW-MTJ), written by spin-orbit torque through a heavy-metal track.
 *
 * Read path (Kinematic Domain Wall Model, Edwards et al.; parallel-area law):
 *   f in [0, 1] = fraction of the pillar over the anti-parallel domain (the wall position under the pillar)
 *   G_mtj(f, V) = (1 - f) / R_P + f / R_AP(V),  R_AP(V) = R_P (1 + TMR0 / (1 + (V/V_h)^2))
 *   the read current also crosses part of the heavy-metal track: R_hm,read = rho * L_read / (w t)
 *   so I(V_total) solves V_total = V_mtj + I R_hm,read with I = V_mtj G_mtj(f, V_mtj).
 *
 * Write path (SOT): J = I / (w t); the wall moves only above the pinning threshold J_th, at
 *   v = mobility * (|J| - J_th), in the direction of the current; after the pulse it relaxes into the
 *   nearest notch (stable state). Write energy = I^2 R_track t_pulse.
 */
import { type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

/** Heavy-metal materials: thin-film resistivity and spin Hall angle (docs/reference.md ranges). */
export const HEAVY_METALS = {
  Pt: { resistivity: 25e-8, spinHallAngle: 0.07, source: 'Pt thin film ~20-40 uohm*cm, theta_SH ~0.07 [textbook range, unverified]' },
  W: { resistivity: 200e-8, spinHallAngle: 0.3, source: 'beta-W ~100-300 uohm*cm, theta_SH ~0.3 [textbook range, unverified]' },
  Ta: { resistivity: 190e-8, spinHallAngle: 0.1, source: 'beta-Ta ~150-250 uohm*cm, theta_SH ~0.1 [textbook range, unverified]' },
} as const;
export type HeavyMetal = keyof typeof HEAVY_METALS;

export const dwmtjSpec = {
  ra: q('resistance-area', 'MTJ pillar resistance-area product RA', { positive: true }),
  area: q('area', 'MTJ pillar area', { positive: true }),
  tmr0: q('dimensionless', 'zero-bias TMR ratio', { min: 0, max: 10 }),
  vh: q('voltage', 'bias at which TMR halves, V_h', { positive: true }),
  material: { kind: 'choice', options: ['Pt', 'W', 'Ta'] as const, doc: 'heavy-metal (SOT) track material' },
  resistivity: q('resistivity', 'track resistivity (default: from the material)', { positive: true, optional: true }),
  spinHallAngle: q('dimensionless', 'spin Hall angle (default: from the material)', { min: 0, optional: true }),
  trackLength: q('length', 'heavy-metal track length (write path)', { positive: true }),
  trackWidth: q('length', 'heavy-metal track width', { positive: true }),
  trackThickness: q('length', 'heavy-metal track thickness', { positive: true }),
  readTrackFraction: q('dimensionless', 'fraction of the track length in series with the read path', { min: 0, max: 1 }),
  pillarLength: q('length', 'length of track under the MTJ pillar (the wall travel that changes f)', { positive: true }),
  notches: {
    kind: 'list',
    dim: 'dimensionless',
    doc: 'stable wall positions as AP fractions f in [0, 1]; empty = continuous (projected)',
    min: 0,
    max: 1,
    sorted: true,
    default: [],
  },
  positionSigma: q('dimensionless', 'standard deviation of the settled wall position, as a fraction of the pillar', {
    min: 0,
    default: 0,
  }),
  pinningCurrentDensity: q('current-density', 'depinning threshold current density J_th', { positive: true }),
  wallMobility: q('velocity-per-current-density', 'wall velocity per unit current density above threshold', { positive: true }),
} satisfies PresetSpec;
registerKind('dwmtj', dwmtjSpec);
export type DwmtjParams = ParamsOf<typeof dwmtjSpec>;

export function dwmtjRp(p: Pick<DwmtjParams, 'ra' | 'area'>): number {
  return p.ra / p.area;
}

export function trackResistivity(p: Pick<DwmtjParams, 'material' | 'resistivity'>): number {
  return p.resistivity ?? HEAVY_METALS[p.material].resistivity;
}

export function spinHallAngle(p: Pick<DwmtjParams, 'material' | 'spinHallAngle'>): number {
  return p.spinHallAngle ?? HEAVY_METALS[p.material].spinHallAngle;
}

/** Whole-track resistance rho L / (w t) (the write path). */
export function trackResistance(p: DwmtjParams): number {
  return (trackResistivity(p) * p.trackLength) / (p.trackWidth * p.trackThickness);
}

/** Heavy-metal resistance in series with the read path. */
export function readSeriesResistance(p: DwmtjParams): number {
  return trackResistance(p) * p.readTrackFraction;
}

/** MTJ conductance (S) at AP fraction f and MTJ bias v (without the series track). */
export function dwmtjConductance(p: Pick<DwmtjParams, 'ra' | 'area' | 'tmr0' | 'vh'>, f: number, v = 0): number {
  const rp = p.ra / p.area;
  const x = v / p.vh;
  const rap = rp * (1 + p.tmr0 / (1 + x * x));
  return (1 - f) / rp + f / rap;
}

/** Current through the MTJ alone at MTJ bias v. */
export function dwmtjMtjCurrent(p: Pick<DwmtjParams, 'ra' | 'area' | 'tmr0' | 'vh'>, f: number, v: number): number {
  return v * dwmtjConductance(p, f, v);
}

/**
 * Read current (A) for a voltage vTotal across MTJ + series track. Solves
 * vTotal = v + R_s * v * G(f, v) for the MTJ voltage v (monotone in v) by safeguarded Newton.
 */
export function dwmtjReadCurrent(p: DwmtjParams, f: number, vTotal: number, rs = readSeriesResistance(p)): number {
  if (vTotal === 0) return 0;
  if (rs === 0) return dwmtjMtjCurrent(p, f, vTotal);
  const sgn = vTotal < 0 ? -1 : 1;
  const vt = Math.abs(vTotal);
  // bracket: v in [0, vt]
  let lo = 0;
  let hi = vt;
  let v = vt / (1 + rs * dwmtjConductance(p, f, 0));
  for (let it = 0; it < 60; it++) {
    const i = dwmtjMtjCurrent(p, f, v);
    const r = v + rs * i - vt;
    if (r > 0) hi = v;
    else lo = v;
    if (Math.abs(r) <= 1e-15 * vt) break;
    const h = 1e-7 * Math.max(vt, 1e-3);
    const di = (dwmtjMtjCurrent(p, f, v + h) - dwmtjMtjCurrent(p, f, v - h)) / (2 * h);
    let vn = v - r / (1 + rs * di);
    if (!(vn > lo && vn < hi)) vn = 0.5 * (lo + hi);
    if (Math.abs(vn - v) <= 1e-16 * vt) {
      v = vn;
      break;
    }
    v = vn;
  }
  return sgn * dwmtjMtjCurrent(p, f, v);
}

/** Effective read-path resistance V/I at total bias vTotal (ohm). */
export function dwmtjReadResistance(p: DwmtjParams, f: number, vTotal = 1e-3): number {
  return vTotal / dwmtjReadCurrent(p, f, vTotal);
}

/** Nearest notch (stable state) to f; f itself for a continuous device. */
export function snapToNotch(p: Pick<DwmtjParams, 'notches'>, f: number): number {
  const n = p.notches;
  if (n.length === 0) return Math.min(1, Math.max(0, f));
  let best = n[0]!;
  for (const x of n) if (Math.abs(x - f) < Math.abs(best - f)) best = x;
  return best;
}

export interface WritePulse {
  /** current through the track (A); positive moves the wall toward f = 1 (more AP) */
  current: number;
  /** pulse duration (s) */
  duration: number;
}

export interface WriteResult {
  currentDensity: number;
  /** wall velocity during the pulse (m/s, signed) */
  velocity: number;
  /** AP fraction right after the pulse, before relaxing to a notch */
  fUnpinned: number;
  /** settled AP fraction (snapped to the nearest notch) */
  f: number;
  /** Joule energy in the track, I^2 R t (J) */
  energy: number;
}

/** Current density (A/m^2) of a track current. */
export function trackCurrentDensity(p: DwmtjParams, current: number): number {
  return current / (p.trackWidth * p.trackThickness);
}

/** Wall velocity (m/s, signed) at current density J: zero below the pinning threshold. */
export function wallVelocity(p: DwmtjParams, j: number): number {
  const a = Math.abs(j);
  if (a <= p.pinningCurrentDensity) return 0;
  return Math.sign(j) * p.wallMobility * (a - p.pinningCurrentDensity);
}

/** Apply an SOT write pulse to a wall at AP fraction f0. */
export function writePulse(p: DwmtjParams, f0: number, pulse: WritePulse): WriteResult {
  const j = trackCurrentDensity(p, pulse.current);
  const v = wallVelocity(p, j);
  const fUnpinned = Math.min(1, Math.max(0, f0 + (v * pulse.duration) / p.pillarLength));
  const f = v === 0 ? f0 : snapToNotch(p, fUnpinned);
  return {
    currentDensity: j,
    velocity: v,
    fUnpinned,
    f,
    energy: pulse.current * pulse.current * trackResistance(p) * pulse.duration,
  };
}

/**
 * The pulse (at current density j, default 3e10 A/m^2) that moves the wall from f0 to the target
 * notch; its duration lands the wall exactly on the target before relaxation.
 */
export function pulseFor(p: DwmtjParams, f0: number, fTarget: number, j = 3e10): WritePulse & { energy: number } {
  const dist = (fTarget - f0) * p.pillarLength;
  const jj = Math.sign(dist || 1) * Math.abs(j);
  const v = Math.abs(wallVelocity(p, jj));
  if (v === 0) throw new RangeError(`current density ${j} A/m^2 is below the pinning threshold ${p.pinningCurrentDensity} A/m^2`);
  const current = jj * p.trackWidth * p.trackThickness;
  const duration = Math.abs(dist) / v;
  return { current, duration, energy: current * current * trackResistance(p) * duration };
}
