/**
 * The photonic mapping and resampling code as it was before the issue-9 fast paths (mesh.ts,
 * nonideal.ts and weights.ts at that time), kept callable and unchanged so that the fast paths can be
 * tested bit for bit against it (test/photonic-fast.test.ts) and timed against it (bench/mesh.ts).
 * Not exported from the package index; nothing else should call it.
 */
import { Matrix } from 'ml-matrix';
import { DataError } from '../../src/core/errors.ts';
import type { Rng } from '../../src/core/rng.ts';
import { type CMatrix, czeros, unitarityError } from '../../src/photonic/complex.ts';
import type { DecomposeOptions, Decomposition, MeshField, MeshPhases, MziMesh } from '../../src/photonic/mesh.ts';
import { applyMziLeft, applyMziRightInverse } from '../../src/photonic/mzi.ts';
import { checkNonIdealities, DEFAULT_VMAX, DEFAULT_VPI, heaterPhases, type NonIdealities, type PhaseScratch, phaseScratch, phasesIdeal, voltageToPhase } from '../../src/photonic/nonideal.ts';
import type { MapOptions, SvdScratch, WeightBlock, WeightMapping } from '../../src/photonic/weights.ts';
import { svdScratch } from '../../src/photonic/weights.ts';

type WeightInput = Float64Array | readonly (readonly number[])[] | Matrix;

const TWO_PI = 2 * Math.PI;
function wrap(x: number): number {
  const y = x % TWO_PI;
  return y < 0 ? y + TWO_PI : y;
}

interface Op {
  m: number;
  theta: number;
  phi: number;
}

/** Decompose a unitary (or, with field 'real', a real orthogonal matrix) into an MZI mesh. */
export function decomposeUnitaryRef(u: CMatrix, opts: DecomposeOptions = {}): MziMesh {
  const decomposition = opts.decomposition ?? 'clements';
  const field = opts.field ?? 'complex';
  const n = u.rows;
  if (u.cols !== n) throw new DataError(`a unitary must be square, got ${u.rows} x ${u.cols}`);
  if (!opts.trusted) {
    const err = unitarityError(u);
    if (!(err <= (opts.tol ?? 1e-8))) throw new DataError(`matrix is not unitary: max |U^H U - I| = ${err.toExponential(2)}`);
    if (field === 'real') {
      let mi = 0;
      for (let i = 0; i < u.im.length; i++) mi = Math.max(mi, Math.abs(u.im[i]!));
      if (mi > (opts.tol ?? 1e-8)) throw new DataError(`field 'real' needs a real orthogonal matrix; max |Im U| = ${mi.toExponential(2)}`);
    }
  }
  const work = new Float64Array(2 * n * n);
  const re = work.subarray(0, n * n);
  const im = work.subarray(n * n);
  re.set(u.re);
  if (field !== 'real') im.set(u.im);
  const right: Op[] = [];
  const left: Op[] = [];

  // null w[r, m] by a column operation on (m, m+1): w <- w T_m^H
  const nullRight = (r: number, m: number): void => {
    const ar = re[r * n + m]!;
    const ai = im[r * n + m]!;
    const br = re[r * n + m + 1]!;
    const bi = im[r * n + m + 1]!;
    let theta: number;
    let phi: number;
    if (field === 'real') {
      // c a - s b = 0
      theta = Math.atan2(ar, br);
      phi = 0;
    } else {
      const ma = Math.hypot(ar, ai);
      const mb = Math.hypot(br, bi);
      theta = Math.atan2(ma, mb);
      phi = ma === 0 ? 0 : wrap(Math.atan2(ai, ar) - (mb === 0 ? 0 : Math.atan2(bi, br)));
    }
    applyMziRightInverse(re, im, n, n, m, theta, phi);
    re[r * n + m] = 0;
    im[r * n + m] = 0;
    right.push({ m, theta, phi });
  };
  // null w[m+1, c] by a row operation on (m, m+1): w <- T_m w
  const nullLeft = (m: number, c: number): void => {
    const ar = re[m * n + c]!;
    const ai = im[m * n + c]!;
    const br = re[(m + 1) * n + c]!;
    const bi = im[(m + 1) * n + c]!;
    let theta: number;
    let phi: number;
    if (field === 'real') {
      // s a + c b = 0
      theta = Math.atan2(-br, ar);
      phi = 0;
    } else {
      const ma = Math.hypot(ar, ai);
      const mb = Math.hypot(br, bi);
      theta = Math.atan2(mb, ma);
      phi = mb === 0 ? 0 : wrap(Math.atan2(bi, br) - (ma === 0 ? 0 : Math.atan2(ai, ar)) + Math.PI);
    }
    applyMziLeft(re, im, n, m, theta, phi);
    re[(m + 1) * n + c] = 0;
    im[(m + 1) * n + c] = 0;
    left.push({ m, theta, phi });
  };

  if (decomposition === 'clements') {
    for (let i = 0; i < n - 1; i++) {
      if (i % 2 === 0) {
        for (let j = 0; j <= i; j++) nullRight(n - 1 - j, i - j);
      } else {
        for (let j = 0; j <= i; j++) nullLeft(n - 2 - i + j, j);
      }
    }
  } else {
    for (let r = n - 1; r >= 1; r--) for (let m = 0; m < r; m++) nullRight(r, m);
  }

  // w is now diagonal: D. U = T_L1^-1 ... T_Lk^-1 D T_Rq ... T_R1; move the inverse left MZIs through D.
  const out: number[] = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = field === 'real' ? (re[k * n + k]! < 0 ? Math.PI : 0) : Math.atan2(im[k * n + k]!, re[k * n + k]!);
  const moved: Op[] = [];
  for (let t = left.length - 1; t >= 0; t--) {
    const { m, theta, phi } = left[t]!;
    const d1 = out[m]!;
    const d2 = out[m + 1]!;
    if (field === 'real') {
      // G(theta)^T D = D G(-theta d1 d2) for D = diag(+-1)
      const sign = Math.cos(d1) * Math.cos(d2) < 0 ? 1 : -1;
      moved.push({ m, theta: sign * theta, phi: 0 });
    } else {
      // T(theta, phi)^-1 diag(e^{i d1}, e^{i d2}) = diag(-e^{-i phi} e^{i d2}, e^{i d2}) T(theta, d1 - d2 + pi)
      moved.push({ m, theta, phi: wrap(d1 - d2 + Math.PI) });
      out[m] = d2 - phi + Math.PI;
    }
  }
  // light order: R1..Rq, then T'_Lk .. T'_L1 (moved was filled from Lk down to L1)
  const ops = [...right, ...moved];
  for (let k = 0; k < n; k++) out[k] = wrap(out[k]!);
  return buildMeshRef(n, decomposition, field, ops, out);
}

function buildMeshRef(n: number, decomposition: Decomposition, field: MeshField, ops: Op[], outPhase: readonly number[]): MziMesh {
  const count = ops.length;
  // one backing buffer for all arrays of the mesh (many small ArrayBuffers are slow to allocate)
  const buf = new ArrayBuffer(8 * (2 * count + n) + 4 * 4 * count);
  const theta = new Float64Array(buf, 0, count);
  const phi = new Float64Array(buf, 8 * count, count);
  const outP = new Float64Array(buf, 16 * count, n);
  outP.set(outPhase);
  const ib = 8 * (2 * count + n);
  const mode = new Int32Array(buf, ib, count);
  const layer = new Int32Array(buf, ib + 4 * count, count);
  const nbPrev = new Int32Array(buf, ib + 8 * count, count).fill(-1);
  const nbNext = new Int32Array(buf, ib + 12 * count, count).fill(-1);
  const last: number[] = new Array<number>(n).fill(-1);
  let depth = 0;
  for (let t = 0; t < count; t++) {
    const { m } = ops[t]!;
    mode[t] = m;
    theta[t] = ops[t]!.theta;
    phi[t] = ops[t]!.phi;
    const l = Math.max(last[m]!, last[m + 1]!) + 1;
    layer[t] = l;
    last[m] = l;
    last[m + 1] = l;
    if (l + 1 > depth) depth = l + 1;
  }
  // grid[layer * n + mode] = index of the MZI whose top mode is `mode` in that column, or -1
  const grid: number[] = new Array<number>(depth * n).fill(-1);
  for (let t = 0; t < count; t++) grid[layer[t]! * n + mode[t]!] = t;
  for (let t = 0; t < count; t++) {
    const m = mode[t]!;
    const o = layer[t]! * n;
    if (m >= 2) nbPrev[t] = grid[o + m - 2]!;
    if (m + 2 < n - 1) nbNext[t] = grid[o + m + 2]!;
  }
  return { n, decomposition, field, mode, theta, phi, layer, depth, nbPrev, nbNext, outPhase: outP };
}


/** In place: rows of an (n x cols) matrix <- D T_last ... T_first applied from the left. */
export function applyMeshRef(mesh: MziMesh, phases: MeshPhases, re: Float64Array, im: Float64Array, cols: number, amp = 1): void {
  const { theta, phi, outPhase } = phases;
  for (let t = 0; t < mesh.mode.length; t++) applyMziLeft(re, im, cols, mesh.mode[t]!, theta[t]!, phi[t]!, amp);
  for (let k = 0; k < mesh.n; k++) {
    const er = Math.cos(outPhase[k]!);
    const ei = Math.sin(outPhase[k]!);
    const o = k * cols;
    for (let j = 0; j < cols; j++) {
      const ar = re[o + j]!;
      const ai = im[o + j]!;
      re[o + j] = er * ar - ei * ai;
      im[o + j] = er * ai + ei * ar;
    }
  }
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
 * The realised phases of a mesh under the non-idealities (loss and detection are not phases and are
 * ignored here). Random draws come from `rng` in a fixed order: gamma errors of all heaters, then the
 * phase noise of all heaters.
 */
export function realisePhasesRef(
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
    if (bits > 0) {
      const step = vMax / (2 ** bits - 1);
      const g = Math.PI / (vPi * vPi);
      for (let h = 0; h < H; h++) {
        let v = vPi * Math.sqrt(want[h]! / Math.PI);
        if (v > vMax) v = vMax;
        const vq = Math.round(v / step) * step;
        got0[h] = g * vq * vq;
      }
    } else {
      const clampPsi = voltageToPhase(vMax, vPi);
      for (let h = 0; h < H; h++) got0[h] = want[h]! > clampPsi ? clampPsi : want[h]!;
    }
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
    if (!rng) throw new RangeError('realisePhasesRef: gammaError and phaseNoise need a seeded rng');
  }
  // the deviates of a loop are drawn in one batch (the same numbers, in the same order, as one
  // rng.normal() per heater)
  const z = gErr > 0 || noise > 0 ? normalScratch(H) : undefined;
  if (gErr > 0) {
    rng!.fillNormalRange(z!, 0, H);
    for (let h = 0; h < H; h++) got[h]! *= 1 + gErr * z![h]!;
  }
  if (kappa > 0) {
    // neighbours read the heater phases before crosstalk is added (linear, first order)
    const base = scratch.base;
    base.set(got);
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

/** Decompose every k x k block of W (M x N). */
export function mapWeightsRef(w: WeightInput, rows?: number, cols?: number, opts: MapOptions = {}): WeightMapping {
  let flat: Float64Array;
  let M: number;
  let N: number;
  if (w instanceof Matrix) {
    M = w.rows;
    N = w.columns;
    flat = Float64Array.from(w.to1DArray());
  } else if (w instanceof Float64Array) {
    if (rows === undefined || cols === undefined) throw new RangeError('mapWeightsRef: give rows and cols with a Float64Array');
    M = rows;
    N = cols;
    if (w.length !== M * N) throw new DataError(`weight array has ${w.length} values, expected ${M} x ${N}`);
    flat = Float64Array.from(w);
  } else {
    M = w.length;
    N = M > 0 ? w[0]!.length : 0;
    flat = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      if (w[i]!.length !== N) throw new DataError(`weight row ${i + 1} has ${w[i]!.length} values, expected ${N}`);
      for (let j = 0; j < N; j++) flat[i * N + j] = w[i]![j]!;
    }
  }
  if (M < 1 || N < 1) throw new DataError(`weight matrix is empty (${M} x ${N})`);
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i]!)) throw new DataError(`weight (${Math.floor(i / N) + 1}, ${(i % N) + 1}) is not finite: ${flat[i]}`);
  }
  const k = opts.block ?? 8;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`block size must be an integer >= 2, got ${k}`);
  const decomposition = opts.decomposition ?? 'clements';
  const field = opts.field ?? 'real';
  const br = Math.ceil(M / k);
  const bc = Math.ceil(N / k);
  const blocks: WeightBlock[] = [];
  const sws = svdScratch(k);
  const cm = czeros(k, k);
  const vq = new Float64Array(k * k);
  const col = new Float64Array(k);
  for (let bi = 0; bi < br; bi++) {
    for (let bj = 0; bj < bc; bj++) {
      const row0 = bi * k;
      const col0 = bj * k;
      const ideal = new Float64Array(k * k);
      for (let i = 0; i < k && row0 + i < M; i++) {
        for (let j = 0; j < k && col0 + j < N; j++) ideal[i * k + j] = flat[(row0 + i) * N + col0 + j]!;
      }
      // the SVD ml-matrix would compute (bit-identical, see svdSquareRef), without a Matrix per block
      const s = new Float64Array(k);
      svdSquareRef(ideal, k, s, sws);
      // U and V^T go through one reused complex scratch: decomposeUnitaryRef copies its input
      orthonormalColumnsRef(sws.ut, k, cm.re, col);
      const meshU = decomposeUnitaryRef(cm, { decomposition, field, trusted: true });
      const v = orthonormalColumnsRef(sws.vt, k, vq, col);
      // V^T, row-major: vt[i][j] = v[j][i]
      const vt = cm.re;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) vt[i * k + j] = v[j * k + i]!;
      const meshV = decomposeUnitaryRef(cm, { decomposition, field, trusted: true });
      blocks.push({
        row0,
        col0,
        u: meshU,
        vh: meshV,
        s,
        ideal,
      });
    }
  }
  return { rows: M, cols: N, block: k, blockRows: br, blockCols: bc, decomposition, field, blocks, weights: flat };
}

/**
 * Columns of a k x k matrix (given transposed) as a row-major orthogonal matrix. SVD of a rank-deficient block can
 * leave null-space columns that are not orthonormal; those are re-orthogonalised (Gram-Schmidt against
 * the earlier columns, completed with unit vectors when they vanish), which changes nothing in U S V^T.
 */
export function orthonormalColumnsRef(at: Float64Array, k: number, q: Float64Array = new Float64Array(k * k), col: Float64Array = new Float64Array(k)): Float64Array {
  // `at` is the transposed k x k matrix (at[j k + i] = a_ij); the result goes to q
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q[i * k + j] = at[j * k + i]!;
  for (let j = 0; j < k; j++) {
    let ok = false;
    for (let attempt = 0; attempt <= k && !ok; attempt++) {
      if (attempt > 0) {
        for (let i = 0; i < k; i++) q[i * k + j] = i === attempt - 1 ? 1 : 0;
      }
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          let d = 0;
          for (let i = 0; i < k; i++) d += q[i * k + p]! * q[i * k + j]!;
          for (let i = 0; i < k; i++) q[i * k + j]! -= d * q[i * k + p]!;
        }
      }
      let nrm = 0;
      for (let i = 0; i < k; i++) {
        col[i] = q[i * k + j]!;
        nrm += col[i]! * col[i]!;
      }
      nrm = Math.sqrt(nrm);
      if (nrm > 0.5) {
        for (let i = 0; i < k; i++) q[i * k + j] = col[i]! / nrm;
        ok = true;
      }
    }
  }
  return q;
}

interface Workspace {
  re: Float64Array;
  im: Float64Array;
  pu: MeshPhases;
  pv: MeshPhases;
  su: PhaseScratch;
  sv: PhaseScratch;
}

function workspaceRef(map: WeightMapping): Workspace {
  const k = map.block;
  const b0 = map.blocks[0]!;
  const c = b0.u.mode.length;
  const ph = (): MeshPhases => ({ theta: new Float64Array(c), phi: new Float64Array(c), outPhase: new Float64Array(k) });
  return { re: new Float64Array(k * k), im: new Float64Array(k * k), pu: ph(), pv: ph(), su: phaseScratch(b0.u), sv: phaseScratch(b0.vh) };
}

/** U diag(S) V^T of one block under realised phases and loss, into ws.re / ws.im (k x k). */
function blockFieldRef(b: WeightBlock, k: number, ni: NonIdealities, rng: Rng | undefined, amp: number, ws: Workspace): void {
  const { re, im } = ws;
  re.fill(0);
  im.fill(0);
  for (let i = 0; i < k; i++) re[i * k + i] = 1;
  const ideal = phasesIdeal(ni);
  const pv = ideal ? b.vh : realisePhasesRef(b.vh, ni, rng, ws.pv, ws.sv);
  const pu = ideal ? b.u : realisePhasesRef(b.u, ni, rng, ws.pu, ws.su);
  applyMeshRef(b.vh, pv, re, im, k, amp);
  for (let i = 0; i < k; i++) {
    const s = b.s[i]!;
    for (let j = 0; j < k; j++) {
      re[i * k + j]! *= s;
      im[i * k + j]! *= s;
    }
  }
  applyMeshRef(b.u, pu, re, im, k, amp);
}

const lossGainCache = new WeakMap<WeightMapping, Map<number, Float64Array>>();

/**
 * Per-block gains that undo the insertion loss (least squares against the ideal block, computed once
 * from the lossy but otherwise ideal meshes: a one-time calibration of the TIA gain).
 */
export function lossCompensationGainsRef(map: WeightMapping, lossDb: number): Float64Array {
  let byLoss = lossGainCache.get(map);
  if (!byLoss) {
    byLoss = new Map();
    lossGainCache.set(map, byLoss);
  }
  const hit = byLoss.get(lossDb);
  if (hit) return hit;
  const k = map.block;
  const amp = 10 ** (-lossDb / 20);
  const ws = workspaceRef(map);
  const gains = new Float64Array(map.blocks.length);
  map.blocks.forEach((b, t) => {
    blockFieldRef(b, k, {}, undefined, amp, ws);
    let num = 0;
    let den = 0;
    for (let i = 0; i < k * k; i++) {
      num += b.ideal[i]! * ws.re[i]!;
      den += ws.re[i]! * ws.re[i]!;
    }
    gains[t] = den > 0 ? num / den : 1;
  });
  byLoss.set(lossDb, gains);
  return gains;
}

/**
 * The effective M x N real weight matrix (row-major) under the non-idealities, with the random ones
 * drawn from `rng` (needed when gammaError or phaseNoise is set). Written into `out` when given.
 */
export function effectiveWeightsRef(map: WeightMapping, ni: NonIdealities = {}, rng?: Rng, out?: Float64Array): Float64Array {
  checkNonIdealities(ni);
  const M = map.rows;
  const N = map.cols;
  const k = map.block;
  const res = out ?? new Float64Array(M * N);
  if (res.length !== M * N) throw new RangeError(`effectiveWeightsRef: out has ${res.length} values, expected ${M * N}`);
  res.fill(0);
  const lossDb = ni.lossDb ?? 0;
  const amp = 10 ** (-lossDb / 20);
  const gains = lossDb > 0 && ni.compensateLoss !== false ? lossCompensationGainsRef(map, lossDb) : undefined;
  const intensity = ni.detection === 'intensity';
  const ws = workspaceRef(map);
  const { re, im } = ws;
  for (let t = 0; t < map.blocks.length; t++) {
    const b = map.blocks[t]!;
    blockFieldRef(b, k, ni, rng, amp, ws);
    const g = gains ? gains[t]! : 1;
    const iMax = Math.min(k, M - b.row0);
    const jMax = Math.min(k, N - b.col0);
    for (let i = 0; i < iMax; i++) {
      const o = (b.row0 + i) * N + b.col0;
      for (let j = 0; j < jMax; j++) {
        const x = i * k + j;
        const v = intensity ? (b.ideal[x]! < 0 ? -1 : 1) * Math.sqrt(re[x]! * re[x]! + im[x]! * im[x]!) : re[x]!;
        res[o + j]! += g * v;
      }
    }
  }
  return res;
}


function hypotenuseRef(a: number, b: number): number {
  let r = 0;
  if (Math.abs(a) > Math.abs(b)) {
    r = b / a;
    return Math.abs(a) * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    r = a / b;
    return Math.abs(b) * Math.sqrt(1 + r * r);
  }
  return 0;
}


/**
 * SVD of a square n x n row-major matrix a = U diag(s) V^T (n >= 2): the Golub-Kahan-Reinsch
 * algorithm exactly as ml-matrix's SingularValueDecomposition (6.x, the JAMA port; no autoTranspose)
 * runs it on a square matrix, operation for operation, so U, s and V are bit-identical to
 * `new SVD(Matrix, { autoTranspose: false })`; on flat arrays without the Matrix object per block
 * (mapWeightsRef decomposes ~1,600 blocks per refresh). Results: ws.ut holds U^T (ut[j n + i] = U_ij),
 * ws.vt holds V^T (vt[j n + i] = V_ij), s the singular values (descending).
 */
export function svdSquareRef(a: Float64Array, n: number, s: Float64Array, ws: SvdScratch): void {
  const m = n;
  const { at, e, work } = ws;
  const U = ws.ut;
  const V = ws.vt;
  // at(r, c) = at[r * m + c] = a(c, r)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) at[j * n + i] = a[i * n + j]!;
  U.fill(0);
  V.fill(0);
  e.fill(0);
  work.fill(0);
  s.fill(0);
  const nu = n;
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  const mrc = Math.max(nct, nrt);

  for (let k = 0; k < mrc; k++) {
    if (k < nct) {
      s[k] = 0;
      for (let i = k; i < m; i++) s[k] = hypotenuseRef(s[k]!, at[k * m + i]!);
      if (s[k] !== 0) {
        if (at[k * m + k]! < 0) s[k] = -s[k]!;
        for (let i = k; i < m; i++) at[k * m + i] = at[k * m + i]! / s[k]!;
        at[k * m + k] = at[k * m + k]! + 1;
      }
      s[k] = -s[k]!;
    }
    for (let j = k + 1; j < n; j++) {
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += at[k * m + i]! * at[j * m + i]!;
        t = -t / at[k * m + k]!;
        for (let i = k; i < m; i++) at[j * m + i] = at[j * m + i]! + t * at[k * m + i]!;
      }
      e[j] = at[j * m + k]!;
    }
    if (k < nct) for (let i = k; i < m; i++) U[k * m + i] = at[k * m + i]!;
    if (k < nrt) {
      e[k] = 0;
      for (let i = k + 1; i < n; i++) e[k] = hypotenuseRef(e[k]!, e[i]!);
      if (e[k] !== 0) {
        if (e[k + 1]! < 0) e[k] = 0 - e[k]!;
        for (let i = k + 1; i < n; i++) e[i] = e[i]! / e[k]!;
        e[k + 1] = e[k + 1]! + 1;
      }
      e[k] = -e[k]!;
      if (k + 1 < m && e[k] !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        for (let i = k + 1; i < m; i++) {
          for (let j = k + 1; j < n; j++) work[i] = work[i]! + e[j]! * at[j * m + i]!;
        }
        for (let j = k + 1; j < n; j++) {
          const t = -e[j]! / e[k + 1]!;
          for (let i = k + 1; i < m; i++) at[j * m + i] = at[j * m + i]! + t * work[i]!;
        }
      }
      for (let i = k + 1; i < n; i++) V[k * n + i] = e[i]!;
    }
  }

  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = at[nct * m + nct]!;
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = at[(p - 1) * m + nrt]!;
  e[p - 1] = 0;

  for (let j = nct; j < nu; j++) {
    for (let i = 0; i < m; i++) U[j * m + i] = 0;
    U[j * m + j] = 1;
  }
  for (let k = nct - 1; k >= 0; k--) {
    if (s[k] !== 0) {
      for (let j = k + 1; j < nu; j++) {
        let t = 0;
        for (let i = k; i < m; i++) t += U[k * m + i]! * U[j * m + i]!;
        t = -t / U[k * m + k]!;
        for (let i = k; i < m; i++) U[j * m + i] = U[j * m + i]! + t * U[k * m + i]!;
      }
      for (let i = k; i < m; i++) U[k * m + i] = -U[k * m + i]!;
      U[k * m + k] = 1 + U[k * m + k]!;
      for (let i = 0; i < k - 1; i++) U[k * m + i] = 0;
    } else {
      for (let i = 0; i < m; i++) U[k * m + i] = 0;
      U[k * m + k] = 1;
    }
  }

  for (let k = n - 1; k >= 0; k--) {
    if (k < nrt && e[k] !== 0) {
      for (let j = k + 1; j < n; j++) {
        let t = 0;
        for (let i = k + 1; i < n; i++) t += V[k * n + i]! * V[j * n + i]!;
        t = -t / V[k * n + k + 1]!;
        for (let i = k + 1; i < n; i++) V[j * n + i] = V[j * n + i]! + t * V[k * n + i]!;
      }
    }
    for (let i = 0; i < n; i++) V[k * n + i] = 0;
    V[k * n + k] = 1;
  }

  const pp = p - 1;
  const eps = Number.EPSILON;
  while (p > 0) {
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      const alpha = Number.MIN_VALUE + eps * Math.abs(s[k]! + Math.abs(s[k + 1]!));
      if (Math.abs(e[k]!) <= alpha || Number.isNaN(e[k])) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]!) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]!) : 0);
        if (Math.abs(s[ks]!) <= eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    switch (kase) {
      case 1: {
        let f = e[p - 2]!;
        e[p - 2] = 0;
        for (let j = p - 2; j >= k; j--) {
          let t = hypotenuseRef(s[j]!, f);
          const cs = s[j]! / t;
          const sn = f / t;
          s[j] = t;
          if (j !== k) {
            f = -sn * e[j - 1]!;
            e[j - 1] = cs * e[j - 1]!;
          }
          for (let i = 0; i < n; i++) {
            t = cs * V[j * n + i]! + sn * V[(p - 1) * n + i]!;
            V[(p - 1) * n + i] = -sn * V[j * n + i]! + cs * V[(p - 1) * n + i]!;
            V[j * n + i] = t;
          }
        }
        break;
      }
      case 2: {
        let f = e[k - 1]!;
        e[k - 1] = 0;
        for (let j = k; j < p; j++) {
          let t = hypotenuseRef(s[j]!, f);
          const cs = s[j]! / t;
          const sn = f / t;
          s[j] = t;
          f = -sn * e[j]!;
          e[j] = cs * e[j]!;
          for (let i = 0; i < m; i++) {
            t = cs * U[j * m + i]! + sn * U[(k - 1) * m + i]!;
            U[(k - 1) * m + i] = -sn * U[j * m + i]! + cs * U[(k - 1) * m + i]!;
            U[j * m + i] = t;
          }
        }
        break;
      }
      case 3: {
        const scale = Math.max(Math.abs(s[p - 1]!), Math.abs(s[p - 2]!), Math.abs(e[p - 2]!), Math.abs(s[k]!), Math.abs(e[k]!));
        const sp = s[p - 1]! / scale;
        const spm1 = s[p - 2]! / scale;
        const epm1 = e[p - 2]! / scale;
        const sk = s[k]! / scale;
        const ek = e[k]! / scale;
        const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const c = sp * epm1 * (sp * epm1);
        let shift = 0;
        if (b !== 0 || c !== 0) {
          if (b < 0) shift = 0 - Math.sqrt(b * b + c);
          else shift = Math.sqrt(b * b + c);
          shift = c / (b + shift);
        }
        let f = (sk + sp) * (sk - sp) + shift;
        let g = sk * ek;
        for (let j = k; j < p - 1; j++) {
          let t = hypotenuseRef(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          let cs = f / t;
          let sn = g / t;
          if (j !== k) e[j - 1] = t;
          f = cs * s[j]! + sn * e[j]!;
          e[j] = cs * e[j]! - sn * s[j]!;
          g = sn * s[j + 1]!;
          s[j + 1] = cs * s[j + 1]!;
          for (let i = 0; i < n; i++) {
            t = cs * V[j * n + i]! + sn * V[(j + 1) * n + i]!;
            V[(j + 1) * n + i] = -sn * V[j * n + i]! + cs * V[(j + 1) * n + i]!;
            V[j * n + i] = t;
          }
          t = hypotenuseRef(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j]! + sn * s[j + 1]!;
          s[j + 1] = -sn * e[j]! + cs * s[j + 1]!;
          g = sn * e[j + 1]!;
          e[j + 1] = cs * e[j + 1]!;
          if (j < m - 1) {
            for (let i = 0; i < m; i++) {
              t = cs * U[j * m + i]! + sn * U[(j + 1) * m + i]!;
              U[(j + 1) * m + i] = -sn * U[j * m + i]! + cs * U[(j + 1) * m + i]!;
              U[j * m + i] = t;
            }
          }
        }
        e[p - 2] = f;
        break;
      }
      default: {
        if (s[k]! <= 0) {
          s[k] = s[k]! < 0 ? -s[k]! : 0;
          for (let i = 0; i <= pp; i++) V[k * n + i] = -V[k * n + i]!;
        }
        while (k < pp) {
          if (s[k]! >= s[k + 1]!) break;
          let t = s[k]!;
          s[k] = s[k + 1]!;
          s[k + 1] = t;
          if (k < n - 1) {
            for (let i = 0; i < n; i++) {
              t = V[(k + 1) * n + i]!;
              V[(k + 1) * n + i] = V[k * n + i]!;
              V[k * n + i] = t;
            }
          }
          if (k < m - 1) {
            for (let i = 0; i < m; i++) {
              t = U[(k + 1) * m + i]!;
              U[(k + 1) * m + i] = U[k * m + i]!;
              U[k * m + i] = t;
            }
          }
          k++;
        }
        p--;
        break;
      }
    }
  }
}

