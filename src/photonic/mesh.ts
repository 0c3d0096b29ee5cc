/**
 * Decomposition of an N x N unitary into a mesh of N(N-1)/2 MZIs plus an output phase screen, and the
 * reconstruction from phases.
 *
 *   Clements et al., Optica 3, 1460 (2016): rectangular mesh, depth N (N >= 3), balanced paths.
 *   Reck et al., PRL 73, 58 (1994): triangular mesh, depth 2N - 3.
 *
 * A mesh lists its MZIs in the order light meets them; MZI t acts on modes (mode[t], mode[t]+1) with
 * T(theta[t], phi[t]) (see mzi.ts), and after the last MZI mode k picks up e^{i outPhase[k]}:
 *
 *   U = D T_last ... T_first,   D = diag(e^{i outPhase}).
 *
 * `field: 'real'` decomposes a real orthogonal matrix into Givens rotations only (phi = 0 everywhere,
 * theta in (-pi, pi], outPhase in {0, pi}); 'complex' handles any unitary (theta in [0, pi/2],
 * phi and outPhase in [0, 2 pi)).
 */
import { DataError } from '../core/errors.ts';
import { type CMatrix, cidentity, unitarityError } from './complex.ts';
import { applyMziLeft, applyMziRightInverse } from './mzi.ts';

export type Decomposition = 'clements' | 'reck';
export type MeshField = 'complex' | 'real';
export const DECOMPOSITIONS: readonly Decomposition[] = ['clements', 'reck'];

export interface MziMesh {
  readonly n: number;
  readonly decomposition: Decomposition;
  readonly field: MeshField;
  /** top mode of each MZI, in light order */
  readonly mode: Int32Array;
  readonly theta: Float64Array;
  readonly phi: Float64Array;
  /** column (0-based) of each MZI: as-early-as-possible layering of the light order */
  readonly layer: Int32Array;
  /** number of MZI columns */
  readonly depth: number;
  /** index of the MZI in the same column on modes (m-2, m-1), or -1 (thermal neighbours) */
  readonly nbPrev: Int32Array;
  /** index of the MZI in the same column on modes (m+2, m+3), or -1 */
  readonly nbNext: Int32Array;
  /** output phase screen, one phase per mode */
  readonly outPhase: Float64Array;
}

/** Phases of a mesh (the nominal ones, or realised ones with non-idealities). */
export interface MeshPhases {
  theta: Float64Array;
  phi: Float64Array;
  outPhase: Float64Array;
}

/** Number of MZIs in a universal N-mode mesh: N(N-1)/2. */
export function mziCount(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Mesh depth (MZI columns): Clements N (1 for N = 2), Reck 2N - 3 (N >= 2). */
export function meshDepth(n: number, decomposition: Decomposition): number {
  if (n < 2) return 0;
  if (decomposition === 'reck') return 2 * n - 3;
  return n === 2 ? 1 : n;
}

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

export interface DecomposeOptions {
  decomposition?: Decomposition;
  field?: MeshField;
  /** largest accepted max |U^H U - I| (default 1e-8) */
  tol?: number;
  /** skip the unitarity check (the caller guarantees it) */
  trusted?: boolean;
}

/** Decompose a unitary (or, with field 'real', a real orthogonal matrix) into an MZI mesh. */
export function decomposeUnitary(u: CMatrix, opts: DecomposeOptions = {}): MziMesh {
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
  return buildMesh(n, decomposition, field, ops, out);
}

function buildMesh(n: number, decomposition: Decomposition, field: MeshField, ops: Op[], outPhase: readonly number[]): MziMesh {
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

/** The nominal phases of a mesh (copies). */
export function meshPhases(mesh: MziMesh): MeshPhases {
  return { theta: Float64Array.from(mesh.theta), phi: Float64Array.from(mesh.phi), outPhase: Float64Array.from(mesh.outPhase) };
}

/**
 * The N x N transfer matrix of a mesh: D T_last ... T_first, from its own phases or from given
 * (e.g. perturbed) ones. `amp` is the field transmission per MZI (10^(-IL_dB/20)).
 */
export function meshMatrix(mesh: MziMesh, phases: MeshPhases = mesh, amp = 1): CMatrix {
  const n = mesh.n;
  const m = cidentity(n);
  applyMesh(mesh, phases, m.re, m.im, n, amp);
  return m;
}

/** In place: rows of an (n x cols) matrix <- D T_last ... T_first applied from the left. */
export function applyMesh(mesh: MziMesh, phases: MeshPhases, re: Float64Array, im: Float64Array, cols: number, amp = 1): void {
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
