/**
 * The fast resampling behind effectiveWeights: the numbers of the per-block path (realisePhases, then
 * applyMesh of V^T and of U on the identity, see weights.ts), float operation for float operation, for a
 * mapping whose meshes all share one layout (every mapping mapWeights makes), without per-block
 * allocation and with what does not depend on the draws worked out once per mapping:
 *
 *  - the wanted heater phases and their DAC-quantised values, per heater, in flat arrays (each entry
 *    checked against its mesh phase on every call, so meshes edited in place are seen, as realisePhases
 *    sees them; PhotonicLayer hands the arrays of a mapping it drops to the next one, releaseMapping);
 *  - the layout (modes of the MZIs) and which columns of each row can be non-zero while V^T's mesh is
 *    applied to the identity: the MZI on modes (m, m+1) only touches the columns where either row is
 *    non-zero (an interval that starts as {r} for row r and grows by union). Entries outside it are
 *    exact zeros, which the per-block path multiplies and adds (giving zeros again, of either sign);
 *    here they are left alone. Signs of zeros never change a non-zero value downstream (products and
 *    sums only) and every output is written as 0 + g v, which turns -0 into +0 as `res.fill(0); res +=
 *    g v` does, so the outputs are the same bits;
 *  - all normal deviates of a block in one fillNormalRange call (the same numbers, in the same order, as
 *    the per-mesh calls: V^T's gamma errors, V^T's phase noise, U's gamma errors, U's phase noise);
 *  - cos and sin of each realised phase once, folded into the MZI's four complex coefficients;
 *  - with coherent detection the last phase screen computes the real part only (all that is read);
 *  - the output can be written transposed and minus a matrix (the Dense layer's W_eff^T - W) directly.
 *
 * Over 500 lines because the plan and the kernel are one algorithm that must match the per-block path
 * bit for bit: the cached heater phases, the column intervals and the fused coefficients are its parts.
 */
import type { Rng } from '../core/rng.ts';
import type { MziMesh } from './mesh.ts';
import { addHeaterCrosstalk, DEFAULT_VMAX, DEFAULT_VPI, type NonIdealities, phasesIdeal, settleWith, voltageToPhase, wrapPhase } from './nonideal.ts';
import type { WeightMapping } from './mapping.ts';

/** Per-mapping state of the fast resampling (sample-independent). */
interface Plan {
  readonly k: number;
  /** MZIs per mesh */
  readonly c: number;
  /** heaters per mesh: 2 c + k */
  readonly H: number;
  /** the layout all meshes share (checked on every call: by identity, else element by element) */
  readonly mode: Int32Array;
  readonly nbPrev: Int32Array;
  readonly nbNext: Int32Array;
  /** column interval [lo, hi] touched by each MZI, V^T's mesh (c) then U's (c), starting from the identity */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** column interval of each row after V^T's mesh (V^T's screen, the S scaling) and after U's mesh */
  readonly rowLoV: Int32Array;
  readonly rowHiV: Int32Array;
  readonly rowLoU: Int32Array;
  readonly rowHiU: Int32Array;
  /** per block 2 H heaters (V^T's, then U's, each in realisePhases order): the nominal phase each cache entry was made from */
  readonly nominal: Float64Array;
  readonly want: Float64Array;
  readonly got0: Float64Array;
  vPi: number;
  vMax: number;
  bits: number;
  /** false until a call has filled every entry for the current (vPi, vMax, bits) */
  filled: boolean;
  /** settleWith's constants for (vPi, vMax, bits), and the entries of phases +0 and pi */
  step: number;
  g: number;
  clampPsi: number;
  want0: number;
  got00: number;
  wantPi: number;
  got0Pi: number;
  // scratch
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** per MZI (V^T's then U's): tr, ti, s, br, bi, c of applyMziLeft */
  readonly coef: Float64Array;
  /** per mode (V^T's screen then U's): cos, sin of the realised output phase */
  readonly screen: Float64Array;
  /** realised phases of one mesh (theta c, phi c, outPhase k) and the heater scratch of the general path */
  readonly ph: Float64Array;
  readonly got: Float64Array;
  readonly base: Float64Array;
  z: Float64Array;
}

const plans = new WeakMap<WeightMapping, Plan | null>();

/** Heater caches of released plans, for reuse by the next plan of the same size (a few MB each). */
const freeCaches: Float64Array[] = [];

function takeCache(size: number): Float64Array {
  const i = freeCaches.findIndex((a) => a.length === size);
  return i >= 0 ? freeCaches.splice(i, 1)[0]! : new Float64Array(size);
}

/**
 * Forget the resampling state of a mapping that will not be resampled again (its heater caches are
 * recycled for the next mapping of the same size). Harmless if it is: the state is then rebuilt.
 */
export function releaseMapping(map: WeightMapping): void {
  const p = plans.get(map);
  plans.delete(map);
  if (!p) return;
  const buf = new Float64Array(p.nominal.buffer);
  if (freeCaches.length >= 4) freeCaches.shift();
  freeCaches.push(buf);
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when a mesh has the plan's layout (n = k, same modes and, if crosstalk is used, neighbours). */
function fits(p: Plan, mesh: MziMesh, crosstalk: boolean): boolean {
  if (mesh.n !== p.k || mesh.theta.length !== p.c || mesh.phi.length !== p.c || mesh.outPhase.length !== p.k) return false;
  if (!sameInts(mesh.mode, p.mode)) return false;
  return !crosstalk || (sameInts(mesh.nbPrev, p.nbPrev) && sameInts(mesh.nbNext, p.nbNext));
}

function makePlan(map: WeightMapping): Plan | null {
  const k = map.block;
  const b0 = map.blocks[0];
  if (!b0) return null;
  const lay = b0.u;
  const c = lay.mode.length;
  if (lay.n !== k || c === 0) return null;
  const H = 2 * c + k;
  const nb = map.blocks.length;
  const size = nb * 2 * H;
  const cache = takeCache(3 * size);
  const lo = new Int32Array(2 * c);
  const hi = new Int32Array(2 * c);
  const rl = Int32Array.from({ length: k }, (_, r) => r);
  const rh = Int32Array.from(rl);
  const rowLoV = new Int32Array(k);
  const rowHiV = new Int32Array(k);
  for (let t = 0; t < 2 * c; t++) {
    const m = lay.mode[t % c]!;
    if (m < 0 || m + 1 >= k) return null;
    const l = Math.min(rl[m]!, rl[m + 1]!);
    const h = Math.max(rh[m]!, rh[m + 1]!);
    lo[t] = l;
    hi[t] = h;
    rl[m] = rl[m + 1] = l;
    rh[m] = rh[m + 1] = h;
    if (t === c - 1) {
      rowLoV.set(rl);
      rowHiV.set(rh);
    }
  }
  return {
    k,
    c,
    H,
    mode: lay.mode,
    nbPrev: lay.nbPrev,
    nbNext: lay.nbNext,
    lo,
    hi,
    rowLoV,
    rowHiV,
    rowLoU: rl,
    rowHiU: rh,
    nominal: cache.subarray(0, size).fill(Number.NaN),
    want: cache.subarray(size, 2 * size),
    got0: cache.subarray(2 * size, 3 * size),
    vPi: Number.NaN,
    vMax: Number.NaN,
    bits: -1,
    filled: false,
    // NaN, not 0: these fields hold doubles, and a field first given a small integer changes its
    // representation at the first double, which discards the optimised code that read it
    step: Number.NaN,
    g: Number.NaN,
    clampPsi: Number.NaN,
    want0: Number.NaN,
    got00: Number.NaN,
    wantPi: Number.NaN,
    got0Pi: Number.NaN,
    re: new Float64Array(k * k),
    im: new Float64Array(k * k),
    coef: new Float64Array(2 * c * 6),
    screen: new Float64Array(2 * k * 2),
    ph: new Float64Array(H),
    got: new Float64Array(H),
    base: new Float64Array(H),
    z: new Float64Array(4 * H),
  };
}

export interface EffectiveLayout {
  /** write W_eff^T (N x M) instead of W_eff (M x N) */
  transposed?: boolean;
  /** subtract this matrix (in the output layout) from every output */
  minus?: Float64Array;
}

/**
 * W_eff of `map` into `res` (every element written), or false when the mapping's meshes do not share
 * one layout (the caller then takes the per-block path). `gains`: per-block loss compensation or
 * undefined; `amp`: MZI field transmission.
 */
export function writeEffective(
  map: WeightMapping,
  ni: NonIdealities,
  rng: Rng | undefined,
  res: Float64Array,
  amp: number,
  gains: Float64Array | undefined,
  layout: EffectiveLayout,
): boolean {
  let p = plans.get(map);
  if (p === undefined) {
    p = makePlan(map);
    plans.set(map, p);
  }
  if (p === null) return false;
  const kappa = ni.crosstalk ?? 0;
  const blocks = map.blocks;
  // the blocks must tile the grid (each output written once) and share the plan's mesh layout
  const bc = Math.ceil(map.cols / p.k);
  if (blocks.length !== Math.ceil(map.rows / p.k) * bc) return false;
  for (let t = 0; t < blocks.length; t++) {
    const b = blocks[t]!;
    if (b.row0 !== Math.floor(t / bc) * p.k || b.col0 !== (t % bc) * p.k) return false;
    if (!fits(p, b.u, kappa > 0) || !fits(p, b.vh, kappa > 0) || b.s.length < p.k || b.ideal.length < p.k * p.k) return false;
  }
  const ideal = phasesIdeal(ni);
  const gErr = ni.gammaError ?? 0;
  const noise = ni.phaseNoise ?? 0;
  const nd = (gErr > 0 ? 1 : 0) + (noise > 0 ? 1 : 0);
  if (!ideal) {
    const vPi = ni.vPi ?? DEFAULT_VPI;
    const vMax = ni.vMax ?? DEFAULT_VMAX;
    const bits = ni.phaseBits ?? 0;
    if (vPi !== p.vPi || vMax !== p.vMax || bits !== p.bits) {
      p.vPi = vPi;
      p.vMax = vMax;
      p.bits = bits;
      p.step = bits > 0 ? vMax / (2 ** bits - 1) : 0;
      p.g = Math.PI / (vPi * vPi);
      p.clampPsi = voltageToPhase(vMax, vPi);
      p.want0 = wrapPhase(0);
      p.got00 = settleWith(p.want0, bits, vPi, vMax, p.step, p.g, p.clampPsi);
      p.wantPi = wrapPhase(Math.PI);
      p.got0Pi = settleWith(p.wantPi, bits, vPi, vMax, p.step, p.g, p.clampPsi);
      p.nominal.fill(Number.NaN);
      p.filled = false;
    }
    if (nd > 0 && !rng) throw new RangeError('realisePhases: gammaError and phaseNoise need a seeded rng');
  }
  const { k, c, H, re, im, coef, screen } = p;
  const M = map.rows;
  const N = map.cols;
  const transposed = layout.transposed === true;
  const minus = layout.minus;
  const intensity = ni.detection === 'intensity';
  // no gamma errors, no crosstalk: each heater's phase is its own (quantised) one plus noise
  const simple = (ni.gammaError ?? 0) === 0 && (ni.crosstalk ?? 0) === 0;
  for (let t = 0; t < blocks.length; t++) {
    const b = blocks[t]!;
    if (!ideal && nd > 0) rng!.fillNormalRange(p.z, 0, 2 * nd * H);
    // V^T's realised phases -> coefficients of MZIs 0 .. c-1 and screen 0 .. k-1; U's -> c .. 2c-1, k .. 2k-1
    if (ideal) {
      const v = b.vh;
      const u = b.u;
      meshCoefficients(v.theta, 0, v.phi, 0, v.outPhase, 0, c, k, amp, coef, 0, screen, 0);
      meshCoefficients(u.theta, 0, u.phi, 0, u.outPhase, 0, c, k, amp, coef, 6 * c, screen, 2 * k);
    } else if (simple) {
      fusedCoefficients(p, b.vh, t * 2 * H, 0, noise, amp, 0, 0);
      fusedCoefficients(p, b.u, t * 2 * H + H, nd * H, noise, amp, 6 * c, 2 * k);
    } else {
      const ph = p.ph;
      realise(p, b.vh, t * 2 * H, 0, ni);
      meshCoefficients(ph, 0, ph, c, ph, 2 * c, c, k, amp, coef, 0, screen, 0);
      realise(p, b.u, t * 2 * H + H, nd * H, ni);
      meshCoefficients(ph, 0, ph, c, ph, 2 * c, c, k, amp, coef, 6 * c, screen, 2 * k);
    }
    blockField(p, b.s, intensity);
    // write 0 + g v (as res.fill(0); res += g v does), transposed and minus as asked
    const g = gains ? gains[t]! : 1;
    const row0 = b.row0;
    const col0 = b.col0;
    const iMax = Math.min(k, M - row0);
    const jMax = Math.min(k, N - col0);
    if (transposed && !intensity) {
      // column j of the block is a contiguous run of the output
      for (let j = 0; j < jMax; j++) {
        const at0 = (col0 + j) * M + row0;
        for (let i = 0; i < iMax; i++) {
          const y = 0 + g * re[i * k + j]!;
          res[at0 + i] = minus ? y - minus[at0 + i]! : y;
        }
      }
      continue;
    }
    const step = transposed ? M : 1;
    for (let i = 0; i < iMax; i++) {
      let at = transposed ? col0 * M + row0 + i : (row0 + i) * N + col0;
      const o = i * k;
      if (!intensity) {
        for (let j = 0; j < jMax; j++, at += step) {
          const y = 0 + g * re[o + j]!;
          res[at] = minus ? y - minus[at]! : y;
        }
      } else {
        const bIdeal = b.ideal;
        for (let j = 0; j < jMax; j++, at += step) {
          const x = o + j;
          const v = (bIdeal[x]! < 0 ? -1 : 1) * Math.sqrt(re[x]! * re[x]! + im[x]! * im[x]!);
          const y = 0 + g * v;
          res[at] = minus ? y - minus[at]! : y;
        }
      }
    }
  }
  if (!ideal) p.filled = true;
  return true;
}

/**
 * Realised phases of one mesh into p.ph (theta c, phi c, outPhase k): realisePhases' arithmetic with
 * the cached wanted / quantised heater phases at p.want / p.got0 [hb, hb + H) and the deviates at
 * p.z [zo, zo + nd H).
 */
function realise(p: Plan, mesh: MziMesh, hb: number, zo: number, ni: NonIdealities): void {
  const { c, H, k, want, got0, ph } = p;
  const theta = mesh.theta;
  const phi = mesh.phi;
  const outPhase = mesh.outPhase;
  refreshCache(p, mesh, hb);
  const gErr = ni.gammaError ?? 0;
  const noise = ni.phaseNoise ?? 0;
  const kappa = ni.crosstalk ?? 0;
  const z = p.z;
  if (gErr === 0 && kappa === 0) {
    // the common case, fused: got = got0 (+ noise z); phase + (got - want) (theta: half of it)
    if (noise > 0) {
      for (let t = 0; t < c; t++) ph[t] = theta[t]! + 0.5 * (got0[hb + t]! + noise * z[zo + t]! - want[hb + t]!);
      for (let t = c; t < 2 * c; t++) ph[t] = phi[t - c]! + (got0[hb + t]! + noise * z[zo + t]! - want[hb + t]!);
      for (let h = 2 * c; h < H; h++) ph[h] = outPhase[h - 2 * c]! + (got0[hb + h]! + noise * z[zo + h]! - want[hb + h]!);
    } else {
      for (let t = 0; t < c; t++) ph[t] = theta[t]! + 0.5 * (got0[hb + t]! - want[hb + t]!);
      for (let t = c; t < 2 * c; t++) ph[t] = phi[t - c]! + (got0[hb + t]! - want[hb + t]!);
      for (let h = 2 * c; h < H; h++) ph[h] = outPhase[h - 2 * c]! + (got0[hb + h]! - want[hb + h]!);
    }
    return;
  }
  const got = p.got;
  for (let h = 0; h < H; h++) got[h] = got0[hb + h]!;
  let zn = zo;
  if (gErr > 0) {
    for (let h = 0; h < H; h++) got[h]! *= 1 + gErr * z[zo + h]!;
    zn += H;
  }
  if (kappa > 0) addHeaterCrosstalk(got, p.base, kappa, mesh);
  if (noise > 0) for (let h = 0; h < H; h++) got[h]! += noise * z[zn + h]!;
  for (let t = 0; t < c; t++) ph[t] = theta[t]! + 0.5 * (got[t]! - want[hb + t]!);
  for (let t = 0; t < c; t++) ph[c + t] = phi[t]! + (got[c + t]! - want[hb + c + t]!);
  for (let m = 0; m < k; m++) ph[2 * c + m] = outPhase[m]! + (got[2 * c + m]! - want[hb + 2 * c + m]!);
}

/**
 * Without gamma errors and crosstalk: realise() and meshCoefficients() in one pass over the MZIs (the
 * same numbers: phase + (got0 (+ noise z) - want), theta with half of it; then cos / sin).
 */
function fusedCoefficients(p: Plan, mesh: MziMesh, hb: number, zo: number, noise: number, amp: number, co: number, so: number): void {
  if (!p.filled) refreshCache(p, mesh, hb);
  if (coefficientsFromCache(p, mesh, hb, zo, noise, amp, co, so)) return;
  // some entry was made from another phase (or not at all yet): remake those and compute again
  refreshCache(p, mesh, hb);
  coefficientsFromCache(p, mesh, hb, zo, noise, amp, co, so);
}

/** fusedCoefficients from the cache as it is; false if an entry was not made from the mesh's phase. */
function coefficientsFromCache(p: Plan, mesh: MziMesh, hb: number, zo: number, noise: number, amp: number, co: number, so: number): boolean {
  const { c, k, nominal, want, got0, z, coef, screen } = p;
  const theta = mesh.theta;
  const phi = mesh.phi;
  const outPhase = mesh.outPhase;
  const noisy = noise > 0;
  let stale = false;
  for (let t = 0; t < c; t++) {
    const x = theta[t]!;
    const h = hb + t;
    const y = phi[t]!;
    const e = h + c;
    if (!Object.is(x, nominal[h]) || !Object.is(y, nominal[e])) stale = true;
    const th = x + 0.5 * (noisy ? got0[h]! + noise * z[zo + t]! - want[h]! : got0[h]! - want[h]!);
    const fi = y + (noisy ? got0[e]! + noise * z[zo + c + t]! - want[e]! : got0[e]! - want[e]!);
    mziCoefficients(coef, co + 6 * t, th, fi, amp);
  }
  for (let m = 0; m < k; m++) {
    const x = outPhase[m]!;
    const h = hb + 2 * c + m;
    if (!Object.is(x, nominal[h])) stale = true;
    const ph = x + (noisy ? got0[h]! + noise * z[zo + 2 * c + m]! - want[h]! : got0[h]! - want[h]!);
    screen[so + 2 * m] = Math.cos(ph);
    screen[so + 2 * m + 1] = Math.sin(ph);
  }
  return !stale;
}

/**
 * The six coefficients of one MZI at coef[q] (tr, ti, s, br, bi, c: applyMziLeft's, with field
 * transmission amp): c = cos(theta) amp, s = sin(theta) amp, then e^{i phi} c and e^{i phi} s.
 */
function mziCoefficients(coef: Float64Array, q: number, theta: number, phi: number, amp: number): void {
  const cc = Math.cos(theta) * amp;
  const s = Math.sin(theta) * amp;
  const er = Math.cos(phi);
  const ei = Math.sin(phi);
  coef[q] = er * cc;
  coef[q + 1] = ei * cc;
  coef[q + 2] = s;
  coef[q + 3] = er * s;
  coef[q + 4] = ei * s;
  coef[q + 5] = cc;
}

/** Remake the cache entries [hb, hb + H) whose phase changed (all of them on first use). */
function refreshCache(p: Plan, mesh: MziMesh, hb: number): void {
  const { c, k, nominal } = p;
  const theta = mesh.theta;
  const phi = mesh.phi;
  const outPhase = mesh.outPhase;
  const { want, got0, bits, vPi, vMax, step, g, clampPsi } = p;
  for (let t = 0; t < c; t++) {
    const x = theta[t]!;
    const h = hb + t;
    if (Object.is(x, nominal[h])) continue;
    // settle() for an internal heater, inline (most phases of a fresh mapping go through here)
    const psi = 2 * x;
    if (psi === 0 || psi === Math.PI) {
      settle(p, h, x, psi);
      continue;
    }
    const w = wrapPhase(psi);
    want[h] = w;
    got0[h] = settleWith(w, bits, vPi, vMax, step, g, clampPsi);
    nominal[h] = x;
  }
  for (let t = 0; t < c; t++) if (!Object.is(phi[t], nominal[hb + c + t])) settle(p, hb + c + t, phi[t]!, phi[t]!);
  for (let m = 0; m < k; m++) if (!Object.is(outPhase[m], nominal[hb + 2 * c + m])) settle(p, hb + 2 * c + m, outPhase[m]!, outPhase[m]!);
}

/**
 * Cache entry h: made from nominal phase x, heater phase psi (2 theta or the phase itself). Phases
 * +0 and pi (every phi and output phase of a real mesh) reuse the values worked out for them once.
 */
function settle(p: Plan, h: number, x: number, psi: number): void {
  let w: number;
  let got: number;
  if (psi === 0 && 1 / psi > 0) {
    w = p.want0;
    got = p.got00;
  } else if (psi === Math.PI) {
    w = p.wantPi;
    got = p.got0Pi;
  } else {
    w = wrapPhase(psi);
    got = settleWith(w, p.bits, p.vPi, p.vMax, p.step, p.g, p.clampPsi);
  }
  p.want[h] = w;
  p.got0[h] = got;
  p.nominal[h] = x;
}

/**
 * cos / sin of the realised phases folded into applyMziLeft's coefficients (tr, ti, s, br, bi, c per
 * MZI, from coef[co]) and the output screen's (cos, sin per mode, from screen[so]).
 */
function meshCoefficients(
  th: Float64Array,
  tho: number,
  fi: Float64Array,
  fio: number,
  op: Float64Array,
  opo: number,
  c: number,
  k: number,
  amp: number,
  coef: Float64Array,
  co: number,
  screen: Float64Array,
  so: number,
): void {
  for (let t = 0; t < c; t++) mziCoefficients(coef, co + 6 * t, th[tho + t]!, fi[fio + t]!, amp);
  for (let m = 0; m < k; m++) {
    const x = op[opo + m]!;
    screen[so + 2 * m] = Math.cos(x);
    screen[so + 2 * m + 1] = Math.sin(x);
  }
}

/**
 * MZIs t0 .. t0 + c - 1 of the plan (one mesh: coefficients at coef[6 t], modes mode[t - modeBase])
 * applied from the left to p.re / p.im, each on the columns [lo[t], hi[t]] it can reach.
 */
function applyMzis(p: Plan, t0: number, modeBase: number): void {
  const { k, c, re, im, coef, mode, lo, hi } = p;
  for (let t = t0; t < t0 + c; t++) {
    const q = 6 * t;
    const tr = coef[q]!;
    const ti = coef[q + 1]!;
    const s = coef[q + 2]!;
    const br = coef[q + 3]!;
    const bi = coef[q + 4]!;
    const cc = coef[q + 5]!;
    const o0 = mode[t - modeBase]! * k;
    for (let a = o0 + lo[t]!, e = o0 + hi[t]!; a <= e; a++) {
      const b = a + k;
      const ar = re[a]!;
      const ai = im[a]!;
      const xr = re[b]!;
      const xi = im[b]!;
      re[a] = tr * ar - ti * ai - s * xr;
      im[a] = tr * ai + ti * ar - s * xi;
      re[b] = br * ar - bi * ai + cc * xr;
      im[b] = br * ai + bi * ar + cc * xi;
    }
  }
}

/** U diag(S) V^T of one block from the coefficients, into p.re / p.im (k x k). */
function blockField(p: Plan, sv: Float64Array, intensity: boolean): void {
  const { k, c, re, im, screen, rowLoV, rowHiV, rowLoU, rowHiU } = p;
  const kk = k * k;
  for (let i = 0; i < kk; i++) {
    re[i] = 0;
    im[i] = 0;
  }
  for (let i = 0; i < k; i++) re[i * k + i] = 1;
  // V^T's MZIs (on the columns they can reach from the identity), its output screen and diag(S),
  // then U's MZIs
  applyMzis(p, 0, 0);
  for (let m = 0; m < k; m++) {
    const er = screen[2 * m]!;
    const ei = screen[2 * m + 1]!;
    const s = sv[m]!;
    const o = m * k;
    for (let j = o + rowLoV[m]!, e = o + rowHiV[m]!; j <= e; j++) {
      const ar = re[j]!;
      const ai = im[j]!;
      re[j] = (er * ar - ei * ai) * s;
      im[j] = (er * ai + ei * ar) * s;
    }
  }
  applyMzis(p, c, c);
  // U's output screen: the real part is all coherent detection reads
  for (let m = 0; m < k; m++) {
    const er = screen[2 * k + 2 * m]!;
    const ei = screen[2 * k + 2 * m + 1]!;
    const o = m * k;
    if (intensity) {
      for (let j = o + rowLoU[m]!, e = o + rowHiU[m]!; j <= e; j++) {
        const ar = re[j]!;
        const ai = im[j]!;
        re[j] = er * ar - ei * ai;
        im[j] = er * ai + ei * ar;
      }
    } else {
      for (let j = o + rowLoU[m]!, e = o + rowHiU[m]!; j <= e; j++) re[j] = er * re[j]! - ei * im[j]!;
    }
  }
}
