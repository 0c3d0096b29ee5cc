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
import { applyMziLeft, mziRowsLeft } from './mzi.ts';

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

export interface DecomposeOptions {
  decomposition?: Decomposition;
  field?: MeshField;
  /** largest accepted max |U^H U - I| (default 1e-8) */
  tol?: number;
  /** skip the unitarity check (the caller guarantees it) */
  trusted?: boolean;
}

/**
 * The layout of a mesh: which modes each MZI joins (light order), its column and its same-column
 * neighbours. It depends on N and the decomposition only, never on the matrix, so it is worked out
 * once per (N, decomposition) and copied into each mesh (or shared by the meshes of one weight mapping).
 */
export interface MeshLayout {
  readonly n: number;
  readonly decomposition: Decomposition;
  readonly mode: Int32Array;
  readonly layer: Int32Array;
  readonly depth: number;
  readonly nbPrev: Int32Array;
  readonly nbNext: Int32Array;
  /** MZIs that null from the right (the first ones in light order); the rest are moved left ones */
  readonly rightCount: number;
}

const layouts = new Map<string, MeshLayout>();

/** The (cached, shared: do not modify) layout of an N-mode mesh. */
export function meshLayout(n: number, decomposition: Decomposition): MeshLayout {
  const key = `${decomposition}:${n}`;
  const hit = layouts.get(key);
  if (hit) return hit;
  // the nulling order of decomposeInto: right ops in order, then the left ops in reverse
  const right: number[] = [];
  const left: number[] = [];
  if (decomposition === 'clements') {
    for (let i = 0; i < n - 1; i++) {
      if (i % 2 === 0) for (let j = 0; j <= i; j++) right.push(i - j);
      else for (let j = 0; j <= i; j++) left.push(n - 2 - i + j);
    }
  } else {
    for (let r = n - 1; r >= 1; r--) for (let m = 0; m < r; m++) right.push(m);
  }
  const modes = [...right, ...left.reverse()];
  const count = modes.length;
  const mode = Int32Array.from(modes);
  const layer = new Int32Array(count);
  const nbPrev = new Int32Array(count).fill(-1);
  const nbNext = new Int32Array(count).fill(-1);
  const last: number[] = new Array<number>(n).fill(-1);
  let depth = 0;
  for (let t = 0; t < count; t++) {
    const m = mode[t]!;
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
  const lay: MeshLayout = { n, decomposition, mode, layer, depth, nbPrev, nbNext, rightCount: right.length };
  layouts.set(key, lay);
  return lay;
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
  const lay = meshLayout(n, decomposition);
  const count = lay.mode.length;
  // one backing buffer for all arrays of the mesh (many small ArrayBuffers are slow to allocate)
  const buf = new ArrayBuffer(8 * (2 * count + n) + 4 * 4 * count);
  const theta = new Float64Array(buf, 0, count);
  const phi = new Float64Array(buf, 8 * count, count);
  const outPhase = new Float64Array(buf, 16 * count, n);
  const ib = 8 * (2 * count + n);
  const mode = new Int32Array(buf, ib, count);
  const layer = new Int32Array(buf, ib + 4 * count, count);
  const nbPrev = new Int32Array(buf, ib + 8 * count, count);
  const nbNext = new Int32Array(buf, ib + 12 * count, count);
  mode.set(lay.mode);
  layer.set(lay.layer);
  nbPrev.set(lay.nbPrev);
  nbNext.set(lay.nbNext);
  const ws = decomposeScratch(n);
  ws.re.set(u.re);
  if (field !== 'real') ws.im.set(u.im);
  else ws.im.fill(0);
  decomposeInto(ws, n, decomposition, field, theta, phi, outPhase);
  return { n, decomposition, field, mode, theta, phi, layer, depth: lay.depth, nbPrev, nbNext, outPhase };
}

/** Work space of decomposeInto for N modes (reusable across calls). */
export interface DecomposeScratch {
  readonly n: number;
  /** the matrix to decompose, row-major, overwritten */
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** angles of the left (row) operations before they are moved through the diagonal */
  readonly leftTheta: Float64Array;
  readonly leftPhi: Float64Array;
  readonly out: Float64Array;
  /** copy of re for the real fast path (restored when it cannot decide) */
  readonly backup: Float64Array;
}

let sharedScratch: DecomposeScratch | undefined;

/** A work space for N-mode decompositions (a new one, or with `shared` the module's reusable one). */
export function decomposeScratch(n: number, shared = true): DecomposeScratch {
  if (shared && sharedScratch && sharedScratch.n === n) return sharedScratch;
  const c = mziCount(n);
  const ws: DecomposeScratch = {
    n,
    re: new Float64Array(n * n),
    im: new Float64Array(n * n),
    leftTheta: new Float64Array(c),
    leftPhi: new Float64Array(c),
    out: new Float64Array(n),
    backup: new Float64Array(n * n),
  };
  if (shared) sharedScratch = ws;
  return ws;
}

/**
 * The decomposition itself, without allocation: the unitary in ws.re / ws.im (overwritten) becomes the
 * phases of the mesh whose layout is meshLayout(n, decomposition), written to theta, phi (light order)
 * and outPhase. Each MZI nulls one matrix element: from the right, w <- w T_m^H (columns m, m+1), or
 * from the left, w <- T_m w (rows m, m+1); the left ones are then moved through the remaining diagonal.
 * For field 'real' every MZI is a Givens rotation (phi = 0), so the phase shifter's cos/sin are the
 * constants 1 and +-0 (the values Math.cos(0), +-Math.sin(0) have; the arithmetic is otherwise that of
 * applyMziRightInverse / applyMziLeft, operation for operation, imaginary parts included).
 */
export function decomposeInto(
  ws: DecomposeScratch,
  n: number,
  decomposition: Decomposition,
  field: MeshField,
  theta: Float64Array,
  phi: Float64Array,
  outPhase: Float64Array,
): void {
  const real = field === 'real';
  if (real && decomposeGivens(ws, n, decomposition, theta, phi, outPhase)) return;
  const { re, im, leftTheta, leftPhi, out } = ws;
  let nr = 0;
  let nl = 0;
  if (decomposition === 'clements') {
    for (let i = 0; i < n - 1; i++) {
      if (i % 2 === 0) {
        for (let j = 0; j <= i; j++) nullRight(re, im, n, n - 1 - j, i - j, real, theta, phi, nr++);
      } else {
        for (let j = 0; j <= i; j++) nullLeft(re, im, n, n - 2 - i + j, j, real, leftTheta, leftPhi, nl++);
      }
    }
  } else {
    for (let r = n - 1; r >= 1; r--) for (let m = 0; m < r; m++) nullRight(re, im, n, r, m, real, theta, phi, nr++);
  }
  // w is now diagonal: D. U = T_L1^-1 ... T_Lk^-1 D T_Rq ... T_R1; move the inverse left MZIs through D.
  for (let k = 0; k < n; k++) out[k] = real ? (re[k * n + k]! < 0 ? Math.PI : 0) : Math.atan2(im[k * n + k]!, re[k * n + k]!);
  // light order: R1..Rq, then T'_Lk .. T'_L1
  const mode = meshLayout(n, decomposition).mode;
  let at = nr;
  for (let t = nl - 1; t >= 0; t--, at++) {
    const m = mode[at]!;
    const d1 = out[m]!;
    const d2 = out[m + 1]!;
    if (real) {
      // G(theta)^T D = D G(-theta d1 d2) for D = diag(+-1): d1, d2 are 0 or pi, so cos(d1) cos(d2) < 0
      // exactly when one of them is pi
      const sign = d1 !== d2 ? 1 : -1;
      theta[at] = sign * leftTheta[t]!;
      phi[at] = 0;
    } else {
      // T(theta, phi)^-1 diag(e^{i d1}, e^{i d2}) = diag(-e^{-i phi} e^{i d2}, e^{i d2}) T(theta, d1 - d2 + pi)
      theta[at] = leftTheta[t]!;
      phi[at] = wrap(d1 - d2 + Math.PI);
      out[m] = d2 - leftPhi[t]! + Math.PI;
    }
  }
  for (let k = 0; k < n; k++) outPhase[k] = wrap(out[k]!);
}

/**
 * decomposeInto for field 'real' on the real parts alone: plain Givens rotations, a c - b s and a s + b c.
 * These are the values the complex arithmetic gives (its imaginary parts stay signed zeros and add or
 * subtract only zeros), except possibly for the sign of a zero result; the only place a zero's sign can
 * change an output is atan2 of a zero, so when an element to be nulled (or its partner) is exactly zero,
 * this returns false with ws.re restored (as it does at once for a matrix holding a zero) and the
 * caller takes the exact complex path. Otherwise the phases are the same bits.
 */
function decomposeGivens(ws: DecomposeScratch, n: number, decomposition: Decomposition, theta: Float64Array, phi: Float64Array, outPhase: Float64Array): boolean {
  const { re, leftTheta, out, backup } = ws;
  // a matrix with exact zeros (a padded or rank-deficient block) would most likely stop below
  for (let i = 0; i < n * n; i++) if (re[i] === 0) return false;
  backup.set(re);
  let nr = 0;
  let nl = 0;
  const steps = decomposition === 'clements' ? n - 1 : 0;
  // Clements: alternate right (even i) and left (odd i) sweeps; Reck: right sweeps only
  for (let i = 0; i < steps; i++) {
    if (i % 2 === 0) {
      for (let j = 0; j <= i; j++) {
        const th = nullRightReal(re, n, (n - 1 - j) * n + i - j, i - j);
        if (th !== th) return restore(ws);
        theta[nr] = th;
        phi[nr++] = 0;
      }
    } else {
      for (let j = 0; j <= i; j++) {
        const o0 = (n - 2 - i + j) * n;
        const o1 = o0 + n;
        const a = re[o0 + j]!;
        const b = re[o1 + j]!;
        if (a === 0 || b === 0) return restore(ws);
        const th = Math.atan2(-b, a);
        const c = Math.cos(th);
        const s = Math.sin(th);
        for (let q = 0; q < n; q++) {
          const x = re[o0 + q]!;
          const y = re[o1 + q]!;
          re[o0 + q] = c * x - s * y;
          re[o1 + q] = s * x + c * y;
        }
        re[o1 + j] = 0;
        leftTheta[nl++] = th;
      }
    }
  }
  if (decomposition !== 'clements') {
    for (let r = n - 1; r >= 1; r--) {
      for (let m = 0; m < r; m++) {
        const th = nullRightReal(re, n, r * n + m, m);
        if (th !== th) return restore(ws);
        theta[nr] = th;
        phi[nr++] = 0;
      }
    }
  }
  for (let k = 0; k < n; k++) out[k] = re[k * n + k]! < 0 ? Math.PI : 0;
  const mode = meshLayout(n, decomposition).mode;
  let at = nr;
  for (let t = nl - 1; t >= 0; t--, at++) {
    const m = mode[at]!;
    // G(theta)^T D = D G(-theta d1 d2), d1 d2 = -1 exactly when one of out[m], out[m + 1] is pi
    theta[at] = (out[m] !== out[m + 1] ? 1 : -1) * leftTheta[t]!;
    phi[at] = 0;
  }
  for (let k = 0; k < n; k++) outPhase[k] = out[k]!;
  return true;
}

/**
 * Null re[o] (column col, row o / n) against re[o + 1] by a real Givens rotation of columns col and
 * col + 1 over all n rows: x c - y s, x s + y c with theta = atan2(a, b). Returns theta, or NaN (the
 * matrix untouched) when either element is exactly zero (see decomposeGivens).
 */
function nullRightReal(re: Float64Array, n: number, o: number, col: number): number {
  const a = re[o]!;
  const b = re[o + 1]!;
  if (a === 0 || b === 0) return Number.NaN;
  const th = Math.atan2(a, b);
  const c = Math.cos(th);
  const s = Math.sin(th);
  for (let k0 = col, last = n * n; k0 < last; k0 += n) {
    const x = re[k0]!;
    const y = re[k0 + 1]!;
    re[k0] = x * c - y * s;
    re[k0 + 1] = x * s + y * c;
  }
  re[o] = 0;
  return th;
}

function restore(ws: DecomposeScratch): false {
  ws.re.set(ws.backup);
  return false;
}

/** Null w[r, m] by a column operation on (m, m+1): w <- w T_m^H (applyMziRightInverse, inlined). */
function nullRight(re: Float64Array, im: Float64Array, n: number, r: number, m: number, real: boolean, thetaOut: Float64Array, phiOut: Float64Array, at: number): void {
  const o = r * n + m;
  const ar0 = re[o]!;
  const ai0 = im[o]!;
  const br0 = re[o + 1]!;
  const bi0 = im[o + 1]!;
  let theta: number;
  let phi: number;
  let er: number;
  let ei: number;
  if (real) {
    // c a - s b = 0
    theta = Math.atan2(ar0, br0);
    phi = 0;
    er = 1; // Math.cos(0)
    ei = -0; // -Math.sin(0)
  } else {
    const ma = Math.hypot(ar0, ai0);
    const mb = Math.hypot(br0, bi0);
    theta = Math.atan2(ma, mb);
    phi = ma === 0 ? 0 : wrap(Math.atan2(ai0, ar0) - (mb === 0 ? 0 : Math.atan2(bi0, br0)));
    er = Math.cos(phi);
    ei = -Math.sin(phi);
  }
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // new_a = a e c - b s ; new_b = a e s + b c  (T^H = [[e^{-i phi} c, e^{-i phi} s], [-s, c]])
  for (let k0 = m, end = n * n; k0 < end; k0 += n) {
    const k1 = k0 + 1;
    const ar = re[k0]!;
    const ai = im[k0]!;
    const br = re[k1]!;
    const bi = im[k1]!;
    const pr = ar * er - ai * ei;
    const pi = ar * ei + ai * er;
    re[k0] = pr * c - br * s;
    im[k0] = pi * c - bi * s;
    re[k1] = pr * s + br * c;
    im[k1] = pi * s + bi * c;
  }
  re[o] = 0;
  im[o] = 0;
  thetaOut[at] = theta;
  phiOut[at] = phi;
}

/** Null w[m+1, col] by a row operation on (m, m+1): w <- T_m w (applyMziLeft with amp 1; cos and sin of phi from its branch). */
function nullLeft(re: Float64Array, im: Float64Array, n: number, m: number, col: number, real: boolean, thetaOut: Float64Array, phiOut: Float64Array, at: number): void {
  const o0 = m * n;
  const o1 = o0 + n;
  const ar0 = re[o0 + col]!;
  const ai0 = im[o0 + col]!;
  const br0 = re[o1 + col]!;
  const bi0 = im[o1 + col]!;
  let theta: number;
  let phi: number;
  let er: number;
  let ei: number;
  if (real) {
    // s a + c b = 0
    theta = Math.atan2(-br0, ar0);
    phi = 0;
    er = 1; // Math.cos(0)
    ei = 0; // Math.sin(0)
  } else {
    const ma = Math.hypot(ar0, ai0);
    const mb = Math.hypot(br0, bi0);
    theta = Math.atan2(mb, ma);
    phi = mb === 0 ? 0 : wrap(Math.atan2(bi0, br0) - (ma === 0 ? 0 : Math.atan2(ai0, ar0)) + Math.PI);
    er = Math.cos(phi);
    ei = Math.sin(phi);
  }
  mziRowsLeft(re, im, o0, n, er, ei, Math.cos(theta) * 1, Math.sin(theta) * 1);
  re[o1 + col] = 0;
  im[o1 + col] = 0;
  thetaOut[at] = theta;
  phiOut[at] = phi;
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
