/**
 * Mapping a real M x N weight matrix onto k x k photonic blocks. Each block (zero-padded at the edges)
 * is factorised W_b = U diag(S) V^T (ml-matrix SVD); U and V^T are each an MZI mesh, S is realised by
 * attenuators (S_i / max S, at most 1) followed by the gain max S (TIA), and the outputs of the blocks
 * of one block row are summed. The decomposition is done once (`mapWeights`); `effectiveWeights`
 * resamples the non-idealities and reconstructs the M x N real matrix the hardware applies, cheaply
 * (no matrix products: the two meshes are applied to the identity in place).
 */
import { Matrix } from 'ml-matrix';
import { DataError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { czeros } from './complex.ts';
import { applyMesh, type Decomposition, decomposeUnitary, type MeshField, type MeshPhases, type MziMesh } from './mesh.ts';
import { checkNonIdealities, type NonIdealities, type PhaseScratch, phaseScratch, phasesIdeal, realisePhases } from './nonideal.ts';

export interface WeightBlock {
  /** first row and column of the block in W */
  readonly row0: number;
  readonly col0: number;
  /** mesh of U (left singular vectors) */
  readonly u: MziMesh;
  /** mesh of V^T */
  readonly vh: MziMesh;
  /** singular values, descending */
  readonly s: Float64Array;
  /** the ideal block, k x k row-major, zero-padded */
  readonly ideal: Float64Array;
}

export interface WeightMapping {
  readonly rows: number;
  readonly cols: number;
  readonly block: number;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly decomposition: Decomposition;
  readonly field: MeshField;
  /** row-major over the block grid */
  readonly blocks: readonly WeightBlock[];
  /** the mapped matrix, M x N row-major */
  readonly weights: Float64Array;
}

export interface MapOptions {
  /** block size k (default 8, the size the authors' group uses) */
  block?: number;
  decomposition?: Decomposition;
  /** 'real' (default): Givens meshes, phi = 0; 'complex': general Clements/Reck of the real factors */
  field?: MeshField;
}

type WeightInput = Float64Array | readonly (readonly number[])[] | Matrix;

/** Decompose every k x k block of W (M x N). */
export function mapWeights(w: WeightInput, rows?: number, cols?: number, opts: MapOptions = {}): WeightMapping {
  let flat: Float64Array;
  let M: number;
  let N: number;
  if (w instanceof Matrix) {
    M = w.rows;
    N = w.columns;
    flat = Float64Array.from(w.to1DArray());
  } else if (w instanceof Float64Array) {
    if (rows === undefined || cols === undefined) throw new RangeError('mapWeights: give rows and cols with a Float64Array');
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
      // the SVD ml-matrix would compute (bit-identical, see svdSquare), without a Matrix per block
      const s = new Float64Array(k);
      svdSquare(ideal, k, s, sws);
      // U and V^T go through one reused complex scratch: decomposeUnitary copies its input
      orthonormalColumns(sws.ut, k, cm.re, col);
      const meshU = decomposeUnitary(cm, { decomposition, field, trusted: true });
      const v = orthonormalColumns(sws.vt, k, vq, col);
      // V^T, row-major: vt[i][j] = v[j][i]
      const vt = cm.re;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) vt[i * k + j] = v[j * k + i]!;
      const meshV = decomposeUnitary(cm, { decomposition, field, trusted: true });
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
function orthonormalColumns(at: Float64Array, k: number, q: Float64Array = new Float64Array(k * k), col: Float64Array = new Float64Array(k)): Float64Array {
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

function workspace(map: WeightMapping): Workspace {
  const k = map.block;
  const b0 = map.blocks[0]!;
  const c = b0.u.mode.length;
  const ph = (): MeshPhases => ({ theta: new Float64Array(c), phi: new Float64Array(c), outPhase: new Float64Array(k) });
  return { re: new Float64Array(k * k), im: new Float64Array(k * k), pu: ph(), pv: ph(), su: phaseScratch(b0.u), sv: phaseScratch(b0.vh) };
}

/** U diag(S) V^T of one block under realised phases and loss, into ws.re / ws.im (k x k). */
function blockField(b: WeightBlock, k: number, ni: NonIdealities, rng: Rng | undefined, amp: number, ws: Workspace): void {
  const { re, im } = ws;
  re.fill(0);
  im.fill(0);
  for (let i = 0; i < k; i++) re[i * k + i] = 1;
  const ideal = phasesIdeal(ni);
  const pv = ideal ? b.vh : realisePhases(b.vh, ni, rng, ws.pv, ws.sv);
  const pu = ideal ? b.u : realisePhases(b.u, ni, rng, ws.pu, ws.su);
  applyMesh(b.vh, pv, re, im, k, amp);
  for (let i = 0; i < k; i++) {
    const s = b.s[i]!;
    for (let j = 0; j < k; j++) {
      re[i * k + j]! *= s;
      im[i * k + j]! *= s;
    }
  }
  applyMesh(b.u, pu, re, im, k, amp);
}

const lossGainCache = new WeakMap<WeightMapping, Map<number, Float64Array>>();

/**
 * Per-block gains that undo the insertion loss (least squares against the ideal block, computed once
 * from the lossy but otherwise ideal meshes: a one-time calibration of the TIA gain).
 */
export function lossCompensationGains(map: WeightMapping, lossDb: number): Float64Array {
  let byLoss = lossGainCache.get(map);
  if (!byLoss) {
    byLoss = new Map();
    lossGainCache.set(map, byLoss);
  }
  const hit = byLoss.get(lossDb);
  if (hit) return hit;
  const k = map.block;
  const amp = 10 ** (-lossDb / 20);
  const ws = workspace(map);
  const gains = new Float64Array(map.blocks.length);
  map.blocks.forEach((b, t) => {
    blockField(b, k, {}, undefined, amp, ws);
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
export function effectiveWeights(map: WeightMapping, ni: NonIdealities = {}, rng?: Rng, out?: Float64Array): Float64Array {
  checkNonIdealities(ni);
  const M = map.rows;
  const N = map.cols;
  const k = map.block;
  const res = out ?? new Float64Array(M * N);
  if (res.length !== M * N) throw new RangeError(`effectiveWeights: out has ${res.length} values, expected ${M * N}`);
  res.fill(0);
  const lossDb = ni.lossDb ?? 0;
  const amp = 10 ** (-lossDb / 20);
  const gains = lossDb > 0 && ni.compensateLoss !== false ? lossCompensationGains(map, lossDb) : undefined;
  const intensity = ni.detection === 'intensity';
  const ws = workspace(map);
  const { re, im } = ws;
  for (let t = 0; t < map.blocks.length; t++) {
    const b = map.blocks[t]!;
    blockField(b, k, ni, rng, amp, ws);
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

export interface WeightError {
  /** max |W_eff - W| */
  maxError: number;
  /** sqrt(mean (W_eff - W)^2) */
  rmsError: number;
  /** ||W_eff - W||_F / ||W||_F */
  relativeError: number;
}

/** Error of an effective matrix against the mapped one. */
export function weightError(map: WeightMapping, eff: Float64Array): WeightError {
  const w = map.weights;
  let mx = 0;
  let ss = 0;
  let ww = 0;
  for (let i = 0; i < w.length; i++) {
    const d = eff[i]! - w[i]!;
    if (Math.abs(d) > mx) mx = Math.abs(d);
    ss += d * d;
    ww += w[i]! * w[i]!;
  }
  return { maxError: mx, rmsError: Math.sqrt(ss / w.length), relativeError: ww > 0 ? Math.sqrt(ss / ww) : Math.sqrt(ss) };
}

/** MZI count of a mapping: two meshes of k(k-1)/2 per block. */
export function mappingMziCount(map: WeightMapping): number {
  return map.blocks.length * 2 * ((map.block * (map.block - 1)) / 2);
}

function hypotenuse(a: number, b: number): number {
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

/** Scratch of svdSquare for n x n blocks. */
export interface SvdScratch {
  readonly n: number;
  readonly at: Float64Array;
  readonly ut: Float64Array;
  readonly vt: Float64Array;
  readonly e: Float64Array;
  readonly work: Float64Array;
}

export function svdScratch(n: number): SvdScratch {
  return { n, at: new Float64Array(n * n), ut: new Float64Array(n * n), vt: new Float64Array(n * n), e: new Float64Array(n), work: new Float64Array(n) };
}

/**
 * SVD of a square n x n row-major matrix a = U diag(s) V^T (n >= 2): the Golub-Kahan-Reinsch
 * algorithm exactly as ml-matrix's SingularValueDecomposition (6.x, the JAMA port; no autoTranspose)
 * runs it on a square matrix, operation for operation, so U, s and V are bit-identical to
 * `new SVD(Matrix, { autoTranspose: false })`; on flat arrays without the Matrix object per block
 * (mapWeights decomposes ~1,600 blocks per refresh). Results: ws.ut holds U^T (ut[j n + i] = U_ij),
 * ws.vt holds V^T (vt[j n + i] = V_ij), s the singular values (descending).
 */
export function svdSquare(a: Float64Array, n: number, s: Float64Array, ws: SvdScratch): void {
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
      for (let i = k; i < m; i++) s[k] = hypotenuse(s[k]!, at[k * m + i]!);
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
      for (let i = k + 1; i < n; i++) e[k] = hypotenuse(e[k]!, e[i]!);
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
          let t = hypotenuse(s[j]!, f);
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
          let t = hypotenuse(s[j]!, f);
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
          let t = hypotenuse(f, g);
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
          t = hypotenuse(f, g);
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
