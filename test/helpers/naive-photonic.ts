/**
 * Independent photonic arithmetic for tests: plain complex numbers as [re, im] pairs, dense products,
 * and a mesh written from the MZI formula of src/photonic/mzi.ts's header,
 * T(theta, phi) = [[e^{i phi} cos theta, -sin theta], [e^{i phi} sin theta, cos theta]] on modes
 * (m, m+1), U = D T_last ... T_first with D = diag(e^{i outPhase}). Nothing here uses the library's
 * mesh code, so the library can be checked against it.
 */
import type { MziMesh } from '../../src/photonic/index.ts';

export type C = [number, number];
export type Mat = C[][];
export const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
export const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
export const cis = (x: number): C => [Math.cos(x), Math.sin(x)];
export const eye = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j): C => [i === j ? 1 : 0, 0]));
export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0]!.map((_, j) => row.reduce<C>((s, x, k) => add(s, mul(x, b[k]![j]!)), [0, 0])));
}

/** T(theta, phi) on modes (m, m+1) of an n-mode identity. */
export function embedT(n: number, m: number, theta: number, phi: number): Mat {
  const t = eye(n);
  const e = cis(phi);
  t[m]![m] = mul(e, [Math.cos(theta), 0]);
  t[m]![m + 1] = [-Math.sin(theta), 0];
  t[m + 1]![m] = mul(e, [Math.sin(theta), 0]);
  t[m + 1]![m + 1] = [Math.cos(theta), 0];
  return t;
}

/** U = D T_last ... T_first of a mesh's layout with the given phases, as naive dense products. */
export function naiveMesh(mesh: MziMesh, theta: ArrayLike<number>, phi: ArrayLike<number>, out: ArrayLike<number>): Mat {
  const n = mesh.n;
  let u = eye(n);
  for (let t = 0; t < mesh.mode.length; t++) u = matmul(embedT(n, mesh.mode[t]!, theta[t]!, phi[t]!), u);
  const d = eye(n);
  for (let k = 0; k < n; k++) d[k]![k] = cis(out[k]!);
  return matmul(d, u);
}
