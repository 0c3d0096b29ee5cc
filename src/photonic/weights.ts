/**
 * Mapping a real M x N weight matrix onto k x k photonic blocks. Each block (zero-padded at the edges)
 * is factorised W_b = U diag(S) V^T (src/core/svd.ts: ml-matrix's SVD on flat arrays); U and V^T are
 * each an MZI mesh, S is realised by attenuators (S_i / max S, at most 1) followed by the gain max S
 * (TIA), and the outputs of the blocks of one block row are summed. The decomposition is done once
 * (`mapWeights`); `effectiveWeights` resamples the non-idealities and reconstructs the M x N real
 * matrix the hardware applies, cheaply (no matrix products: the two meshes are applied to the
 * identity in place).
 */
import { Matrix } from 'ml-matrix';
import { DataError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { svdScratch, svdSquare } from '../core/svd.ts';
import { type EffectiveLayout, writeEffective } from './effective.ts';
import { applyMesh, type Decomposition, decomposeInto, decomposeScratch, type MeshField, type MeshPhases, meshLayout, type MziMesh } from './mesh.ts';
import { checkNonIdealities, type NonIdealities, type PhaseScratch, phaseScratch, phasesIdeal, realisePhases } from './nonideal.ts';
import type { WeightBlock, WeightMapping } from './mapping.ts';
import { orthonormalPair } from './orthonormal.ts';

export type { EffectiveLayout } from './effective.ts';

export type { WeightBlock, WeightMapping } from './mapping.ts';

export interface MapOptions {
  /** block size k (default 8, the size the authors' group uses) */
  block?: number;
  decomposition?: Decomposition;
  /** 'real' (default): Givens meshes, phi = 0; 'complex': general Clements/Reck of the real factors */
  field?: MeshField;
}

type WeightInput = Float64Array | readonly (readonly number[])[] | Matrix;

/**
 * Decompose every k x k block of W (M x N). All numbers of the mapping live in one buffer (the blocks'
 * `ideal`, `s` and mesh phases are views into it) and the meshes of a mapping share one copy of the
 * layout arrays (mode, layer, nbPrev, nbNext): per block only the SVD (svdSquare), the
 * orthonormalisation of U and V (orthonormalPair) and two decompositions (decomposeInto) run, all on
 * reused scratch.
 */
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
    flat = new Float64Array(w);
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
  const nb = br * bc;
  const lay = meshLayout(k, decomposition);
  const c = lay.mode.length;
  // the layout arrays are shared by all meshes of this mapping (one copy per mapping)
  const mode = Int32Array.from(lay.mode);
  const layer = Int32Array.from(lay.layer);
  const nbPrev = Int32Array.from(lay.nbPrev);
  const nbNext = Int32Array.from(lay.nbNext);
  const depth = lay.depth;
  // all numbers of all blocks in one buffer: per block ideal (k k), s (k), then the phases of U and of
  // V^T (theta c, phi c, outPhase k each); the blocks and meshes hold views into it
  const perBlock = k * k + k + 2 * (2 * c + k);
  const store = new Float64Array(nb * perBlock);
  const buf = store.buffer;
  const sws = svdScratch(k);
  const dws = decomposeScratch(k, false);
  const { re, im } = dws;
  const col = new Float64Array(k);
  const col2 = new Float64Array(k);
  // per block: the ideal block and its s in scratch, then copied to the store
  const ideal = new Float64Array(k * k);
  const s = new Float64Array(k);
  const phases = new Float64Array(2 * (2 * c + k));
  const thU = phases.subarray(0, c);
  const phU = phases.subarray(c, 2 * c);
  const outU = phases.subarray(2 * c, 2 * c + k);
  const thV = phases.subarray(2 * c + k, 3 * c + k);
  const phV = phases.subarray(3 * c + k, 4 * c + k);
  const outV = phases.subarray(4 * c + k);
  for (let bi = 0, t = 0; bi < br; bi++) {
    for (let bj = 0; bj < bc; bj++, t++) {
      const row0 = bi * k;
      const col0 = bj * k;
      const iMax = Math.min(k, M - row0);
      const jMax = Math.min(k, N - col0);
      if (iMax < k || jMax < k) ideal.fill(0);
      for (let i = 0; i < iMax; i++) {
        const src = (row0 + i) * N + col0;
        for (let j = 0; j < jMax; j++) ideal[i * k + j] = flat[src + j]!;
      }
      // the SVD ml-matrix would compute (bit-identical, see svdSquare), without a Matrix per block
      svdSquare(ideal, k, s, sws);
      // orthonormal columns of U and V (both at once: two independent chains of dependent sums)
      orthonormalPair(sws.ut, sws.vt, k, col, col2);
      // U (columns = the columns of ws.ut) into the row-major work matrix of the decomposition
      const ut = sws.ut;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) re[i * k + j] = ut[j * k + i]!;
      im.fill(0);
      decomposeInto(dws, k, decomposition, field, thU, phU, outU);
      // V^T, row-major: (V^T)_ij = V_ji = ws.vt[i k + j]
      re.set(sws.vt);
      im.fill(0);
      decomposeInto(dws, k, decomposition, field, thV, phV, outV);
      const o = t * perBlock;
      store.set(ideal, o);
      store.set(s, o + k * k);
      store.set(phases, o + k * k + k);
    }
  }
  const blocks: WeightBlock[] = new Array<WeightBlock>(nb);
  for (let bi = 0, t = 0; bi < br; bi++) {
    for (let bj = 0; bj < bc; bj++, t++) {
      let o = 8 * t * perBlock;
      const view = (len: number): Float64Array => {
        const v = new Float64Array(buf, o, len);
        o += 8 * len;
        return v;
      };
      const idealV = view(k * k);
      const sV = view(k);
      const u: MziMesh = { n: k, decomposition, field, mode, theta: view(c), phi: view(c), layer, depth, nbPrev, nbNext, outPhase: view(k) };
      const vh: MziMesh = { n: k, decomposition, field, mode, theta: view(c), phi: view(c), layer, depth, nbPrev, nbNext, outPhase: view(k) };
      blocks[t] = { row0: bi * k, col0: bj * k, u, vh, s: sV, ideal: idealV };
    }
  }
  return { rows: M, cols: N, block: k, blockRows: br, blockCols: bc, decomposition, field, blocks, weights: flat };
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
 * `layout.transposed` writes W_eff^T (N x M) instead, and `layout.minus` (same layout) is subtracted
 * from every element: the numbers are those of transposing / subtracting afterwards, bit for bit.
 */
export function effectiveWeights(map: WeightMapping, ni: NonIdealities = {}, rng?: Rng, out?: Float64Array, layout: EffectiveLayout = {}): Float64Array {
  checkNonIdealities(ni);
  const M = map.rows;
  const N = map.cols;
  const res = out ?? new Float64Array(M * N);
  if (res.length !== M * N) throw new RangeError(`effectiveWeights: out has ${res.length} values, expected ${M * N}`);
  if (layout.minus && layout.minus.length !== M * N) throw new RangeError(`effectiveWeights: minus has ${layout.minus.length} values, expected ${M * N}`);
  const lossDb = ni.lossDb ?? 0;
  const amp = 10 ** (-lossDb / 20);
  const gains = lossDb > 0 && ni.compensateLoss !== false ? lossCompensationGains(map, lossDb) : undefined;
  // the fast path (effective.ts) serves every mapping whose meshes share one layout
  if (writeEffective(map, ni, rng, res, amp, gains, layout)) return res;
  if (!layout.transposed && !layout.minus) return blockByBlock(map, ni, rng, res, amp, gains);
  const tmp = blockByBlock(map, ni, rng, new Float64Array(M * N), amp, gains);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const at = layout.transposed ? j * M + i : i * N + j;
      res[at] = layout.minus ? tmp[i * N + j]! - layout.minus[at]! : tmp[i * N + j]!;
    }
  }
  return res;
}

/** effectiveWeights one block at a time through realisePhases and applyMesh (any mapping). */
function blockByBlock(map: WeightMapping, ni: NonIdealities, rng: Rng | undefined, res: Float64Array, amp: number, gains: Float64Array | undefined): Float64Array {
  const M = map.rows;
  const N = map.cols;
  const k = map.block;
  res.fill(0);
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
