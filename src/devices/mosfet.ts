/**
 * MOSFET, SPICE level 1 (Shichman-Hodges), exactly as ngspice evaluates it with GAMMA = 0, LD = 0
 * and the source/drain swapped when V_DS < 0:
 *   beta = KP * W / L
 *   cutoff      V_ov = V_GS - VTO <= 0:            I_D = 0
 *   linear      0 <= V_DS < V_ov:                  I_D = beta (V_ov - V_DS/2) V_DS (1 + LAMBDA V_DS)
 *   saturation  V_DS >= V_ov:                      I_D = beta/2 V_ov^2 (1 + LAMBDA V_DS)
 * PMOS: the same with every voltage and VTO negated (VTO < 0 for an enhancement PMOS).
 *
 * `model: "ekv"` is a smooth EKV-style charge-based model for fitting realistic cards (BSIM4) that
 * level 1 cannot follow: it conducts below threshold and joins the regions smoothly.
 *   V_T = VTO - ETA V_DS (DIBL),  U_T = k T / q
 *   i_f = ln^2(1 + exp((V_GS - V_T) / (2 n U_T))),  i_r = ln^2(1 + exp((V_GS - V_T - n V_DS) / (2 n U_T)))
 *   I_D = 2 n beta U_T^2 (i_f - i_r) (1 + LAMBDA V_DS) / (1 + THETA max(V_GS - V_T, 0))
 * With n = 1, THETA = ETA = 0 it tends to the level-1 equations in strong inversion.
 */
import { type ParamsOf, type PresetSpec, q, registerKind } from './preset.ts';

export const mosfetSpec = {
  model: { kind: 'choice', options: ['level1', 'ekv'] as const, doc: 'transistor model (level1, or ekv for fitted realistic cards)', default: 'level1' as const },
  polarity: { kind: 'choice', options: ['nmos', 'pmos'] as const, doc: 'channel type' },
  vto: q('voltage', 'zero-bias threshold voltage VTO (negative for PMOS)'),
  kp: q('transconductance', 'transconductance parameter KP = mu Cox', { positive: true }),
  lambda: q('inverse-voltage', 'channel-length modulation LAMBDA', { min: 0, max: 10, default: 0 }),
  l: q('length', 'default channel length L', { positive: true }),
  w: q('length', 'default channel width W (cells scale it by their W/L)', { positive: true }),
  n: q('dimensionless', 'EKV slope factor n (ekv only)', { min: 1, max: 3, default: 1 }),
  theta: q('inverse-voltage', 'EKV mobility degradation THETA (ekv only)', { min: 0, max: 10, default: 0 }),
  eta: q('dimensionless', 'EKV drain-induced barrier lowering ETA (ekv only)', { min: 0, max: 1, default: 0 }),
  temperature: q('temperature', 'device temperature (ekv thermal voltage)', { positive: true, default: 300.15 }),
  cgate: q('capacitance', 'gate capacitance per unit W/L (for data-line drive energy)', { min: 0, default: 0.1e-15 }),
} satisfies PresetSpec;
registerKind('mosfet', mosfetSpec);
export type MosfetParams = ParamsOf<typeof mosfetSpec>;

export type MosRegion = 'cutoff' | 'linear' | 'saturation';

/** Drain current of an NMOS-convention device given beta = KP W/L (internal: V_DS >= 0 assumed). */
function level1Forward(beta: number, vto: number, lambda: number, vgs: number, vds: number): number {
  const vov = vgs - vto;
  if (vov <= 0) return 0;
  const clm = 1 + lambda * vds;
  if (vds < vov) return beta * (vov - 0.5 * vds) * vds * clm;
  return 0.5 * beta * vov * vov * clm;
}

const K_OVER_Q = 1.380649e-23 / 1.602176634e-19;

function softplus2(x: number): number {
  // ln^2(1 + e^x), stable for large |x|
  const l = x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  return l * l;
}

/** EKV forward current (NMOS convention, V_DS >= 0). */
function ekvForward(p: MosfetParams, beta: number, vto: number, vgs: number, vds: number): number {
  const ut = K_OVER_Q * p.temperature;
  const n = p.n;
  const vt = vto - p.eta * vds;
  const a = 2 * n * ut;
  const i = softplus2((vgs - vt) / a) - softplus2((vgs - vt - n * vds) / a);
  const mob = 1 + p.theta * Math.max(vgs - vt, 0);
  return (2 * n * beta * ut * ut * i * (1 + p.lambda * vds)) / mob;
}

/**
 * Drain current I_D (A, positive into the drain for NMOS, positive out of the drain for PMOS, i.e.
 * the current from the higher to the lower terminal in normal operation) for terminal voltages
 * relative to the source. `wl` is the W/L ratio (defaults to the preset's W/L).
 */
export function mosfetCurrent(p: MosfetParams, vgs: number, vds: number, wl = p.w / p.l): number {
  const beta = p.kp * wl;
  if (p.model === 'ekv') {
    const sgn = p.polarity === 'nmos' ? 1 : -1;
    const g = sgn * vgs;
    const d = sgn * vds;
    const vt = sgn * p.vto;
    if (d >= 0) return ekvForward(p, beta, vt, g, d);
    return -ekvForward(p, beta, vt, g - d, -d);
  }
  if (p.polarity === 'nmos') {
    if (vds >= 0) return level1Forward(beta, p.vto, p.lambda, vgs, vds);
    // source and drain swap: the gate-to-(new)source voltage is vgs - vds
    return -level1Forward(beta, p.vto, p.lambda, vgs - vds, -vds);
  }
  // PMOS: negate all voltages and VTO
  const vsg = -vgs;
  const vsd = -vds;
  if (vsd >= 0) return level1Forward(beta, -p.vto, p.lambda, vsg, vsd);
  return -level1Forward(beta, -p.vto, p.lambda, vsg - vsd, -vsd);
}

/** Operating region (NMOS convention after the same swaps). */
export function mosfetRegion(p: MosfetParams, vgs: number, vds: number): MosRegion {
  let g = p.polarity === 'nmos' ? vgs : -vgs;
  let d = p.polarity === 'nmos' ? vds : -vds;
  const vt = p.polarity === 'nmos' ? p.vto : -p.vto;
  if (d < 0) {
    g -= d;
    d = -d;
  }
  const vov = g - vt;
  if (vov <= 0) return 'cutoff';
  return d < vov ? 'linear' : 'saturation';
}
