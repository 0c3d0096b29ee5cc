/**
 * Mapping a real M x N weight matrix onto k x k photonic blocks. Each block (zero-padded at the edges)
 * is factorised W_b = U diag(S) V^T (ml-matrix SVD); U and V^T are each an MZI mesh, S is realised by
 * attenuators (S_i / max S, at most 1) followed by the gain max S (TIA), and the outputs of the blocks
 * of one block row are summed. The decomposition is done once (`mapWeights`); `effectiveWeights`
 * resamples the non-idealities and reconstructs the M x N real matrix the hardware applies, cheaply
 * (no matrix products: the two meshes are applied to the identity in place).
 */
import { Matrix, SVD } from 'ml-matrix';
import { DataError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { cfromReal } from './complex.ts';
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
  for (let bi = 0; bi < br; bi++) {
    for (let bj = 0; bj < bc; bj++) {
      const row0 = bi * k;
      const col0 = bj * k;
      const ideal = new Float64Array(k * k);
      for (let i = 0; i < k && row0 + i < M; i++) {
        for (let j = 0; j < k && col0 + j < N; j++) ideal[i * k + j] = flat[(row0 + i) * N + col0 + j]!;
      }
      const bm = new Matrix(k, k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) bm.set(i, j, ideal[i * k + j]!);
      const svd = new SVD(bm, { autoTranspose: false });
      const u = orthonormalColumns(svd.leftSingularVectors, k);
      const v = orthonormalColumns(svd.rightSingularVectors, k);
      // V^T, row-major: vt[i][j] = v[j][i]
      const vt = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) vt[i * k + j] = v[j * k + i]!;
      const s = Float64Array.from(svd.diagonal.slice(0, k));
      blocks.push({
        row0,
        col0,
        u: decomposeUnitary(cfromReal(u, k, k), { decomposition, field, trusted: true }),
        vh: decomposeUnitary(cfromReal(vt, k, k), { decomposition, field, trusted: true }),
        s,
        ideal,
      });
    }
  }
  return { rows: M, cols: N, block: k, blockRows: br, blockCols: bc, decomposition, field, blocks, weights: flat };
}

/**
 * Columns of a k x k ml-matrix as a row-major orthogonal matrix. SVD of a rank-deficient block can
 * leave null-space columns that are not orthonormal; those are re-orthogonalised (Gram-Schmidt against
 * the earlier columns, completed with unit vectors when they vanish), which changes nothing in U S V^T.
 */
function orthonormalColumns(a: Matrix, k: number): Float64Array {
  const q = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q[i * k + j] = a.get(i, j);
  const col = new Float64Array(k);
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
