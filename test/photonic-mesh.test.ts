import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { type Rng, stream } from '../src/core/rng.ts';
import {
  type CMatrix,
  decomposeUnitary,
  givens,
  heaterVoltages,
  meshMatrix,
  type MziMesh,
  mziTransfer,
  realisePhases,
} from '../src/photonic/index.ts';
import { add, type C, cis, embedT, eye, type Mat, matmul, mul, naiveMesh } from './helpers/naive-photonic.ts';

// ---- independent helpers (test/helpers/naive-photonic.ts: plain complex numbers as [re, im] pairs) ----
/** Haar unitary: QR (classical Gram-Schmidt with a second pass) of a complex Gaussian matrix. */
function haarUnitary(n: number, rng: Rng, real = false): Mat {
  const cols: C[][] = Array.from({ length: n }, () => Array.from({ length: n }, (): C => [rng.normal(), real ? 0 : rng.normal()]));
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let d: C = [0, 0];
        for (let i = 0; i < n; i++) d = add(d, mul([cols[p]![i]![0], -cols[p]![i]![1]], cols[j]![i]!));
        for (let i = 0; i < n; i++) cols[j]![i] = add(cols[j]![i]!, mul([-d[0], -d[1]], cols[p]![i]!));
      }
      const nrm = Math.sqrt(cols[j]!.reduce((s, x) => s + x[0] ** 2 + x[1] ** 2, 0));
      cols[j] = cols[j]!.map((x): C => [x[0] / nrm, x[1] / nrm]);
    }
  }
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => cols[j]![i]!));
}
const toC = (m: Mat): CMatrix => {
  const n = m.length;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  m.forEach((row, i) => row.forEach((x, j) => ((re[i * n + j] = x[0]), (im[i * n + j] = x[1]))));
  return { rows: n, cols: n, re, im };
};
const fromC = (c: CMatrix): Mat => Array.from({ length: c.rows }, (_, i) => Array.from({ length: c.cols }, (_, j): C => [c.re[i * c.cols + j]!, c.im[i * c.cols + j]!]));
const maxDiff = (a: Mat, b: Mat): number => Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.hypot(x[0] - b[i]![j]![0], x[1] - b[i]![j]![1]))));
const frob2 = (a: Mat, b: Mat): number => {
  const bf = b.flat();
  return a.flat().reduce((s, x, k) => s + (x[0] - bf[k]![0]) ** 2 + (x[1] - bf[k]![1]) ** 2, 0);
};

describe('MZI 2x2 transfer', () => {
  it('matches the Clements closed form and is unitary', () => {
    for (const [theta, phi] of [[0.3, 1.1], [1.2, -2.5], [0, 0], [Math.PI / 2, 3]] as const) {
      const t = mziTransfer(theta, phi);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      expect(t.re[0]).toBeCloseTo(Math.cos(phi) * c, 14);
      expect(t.im[0]).toBeCloseTo(Math.sin(phi) * c, 14);
      expect([t.re[1], t.im[1]]).toEqual([-s, 0]);
      expect(t.re[2]).toBeCloseTo(Math.cos(phi) * s, 14);
      expect(t.im[2]).toBeCloseTo(Math.sin(phi) * s, 14);
      expect([t.re[3], t.im[3]]).toEqual([c, 0]);
      const m = fromC(t);
      const mh: Mat = [[[m[0]![0]![0], -m[0]![0]![1]], [m[1]![0]![0], -m[1]![0]![1]]], [[m[0]![1]![0], -m[0]![1]![1]], [m[1]![1]![0], -m[1]![1]![1]]]];
      expect(maxDiff(matmul(mh, m), eye(2))).toBeLessThan(1e-15);
    }
  });
  it('the real case is the Givens rotation', () => {
    const g = givens(0.7);
    const t = mziTransfer(0.7, 0);
    expect(Array.from(g)).toEqual(Array.from(t.re));
    expect(Array.from(t.im)).toEqual([0, 0, 0, 0]);
  });
});

describe('unitary decomposition', () => {
  const sizes = [2, 3, 4, 5, 7, 8, 12, 16, 33, 64];
  for (const decomposition of ['clements', 'reck'] as const) {
    it(`${decomposition}: random unitaries N = 2..64 reconstruct to 1e-10 with N(N-1)/2 MZIs`, () => {
      for (const n of sizes) {
        const u = haarUnitary(n, stream(42, 'test-unitary', n));
        const mesh = decomposeUnitary(toC(u), { decomposition });
        expect(mesh.mode.length).toBe((n * (n - 1)) / 2);
        expect(mesh.depth).toBe(decomposition === 'clements' ? (n === 2 ? 1 : n) : 2 * n - 3);
        expect(maxDiff(fromC(meshMatrix(mesh)), u)).toBeLessThan(1e-10);
        if (n <= 16) expect(maxDiff(naiveMesh(mesh, mesh.theta, mesh.phi, mesh.outPhase), u)).toBeLessThan(1e-10);
        // every MZI acts on adjacent modes, and no two MZIs of one column share a mode
        const seen = new Set<string>();
        for (let t = 0; t < mesh.mode.length; t++) {
          expect(mesh.mode[t]).toBeGreaterThanOrEqual(0);
          expect(mesh.mode[t]).toBeLessThan(n - 1);
          for (const k of [mesh.mode[t]!, mesh.mode[t]! + 1]) {
            const key = `${mesh.layer[t]}:${k}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
      }
    });
    it(`${decomposition}: real orthogonal matrices give Givens rotations (phi = 0, output signs)`, () => {
      for (const n of [2, 3, 6, 9, 16]) {
        const u = haarUnitary(n, stream(7, 'test-orth', n), true);
        const mesh = decomposeUnitary(toC(u), { decomposition, field: 'real' });
        expect(Array.from(mesh.phi).every((p) => p === 0)).toBe(true);
        expect(Array.from(mesh.outPhase).every((p) => p === 0 || p === Math.PI)).toBe(true);
        const r = meshMatrix(mesh);
        expect(maxDiff(fromC(r), u)).toBeLessThan(1e-10);
        expect(Math.max(...Array.from(r.im).map(Math.abs))).toBeLessThan(1e-12);
        // the same real matrix through the complex decomposition also reconstructs
        expect(maxDiff(fromC(meshMatrix(decomposeUnitary(toC(u), { decomposition }))), u)).toBeLessThan(1e-10);
      }
    });
  }
  it('rejects a matrix that is not unitary', () => {
    const bad = toC([[[1, 0], [1, 0]], [[0, 0], [1, 0]]]);
    expect(() => decomposeUnitary(bad)).toThrow(DataError);
  });
});

describe('non-idealities on a mesh', () => {
  const n = 6;
  const u = haarUnitary(n, stream(3, 'test-noise'));
  const mesh = decomposeUnitary(toC(u));
  const M = mesh.mode.length;

  it('phase noise: mean squared error matches first-order theory sigma^2 (N + 1.5 M)', () => {
    // output phases and external phases each contribute sigma^2; an internal heater moves theta by
    // n/2 and d T/d theta keeps norm sqrt(2): 2 (sigma/2)^2 = sigma^2 / 2
    const sigma = 0.01;
    const rng = stream(5, 'test-noise-draws');
    let acc = 0;
    const S = 400;
    for (let s = 0; s < S; s++) acc += frob2(fromC(meshMatrix(mesh, realisePhases(mesh, { phaseNoise: sigma }, rng))), u);
    const expected = sigma * sigma * (n + 1.5 * M);
    expect(acc / S).toBeGreaterThan(0.9 * expected);
    expect(acc / S).toBeLessThan(1.1 * expected);
  });

  it('phase noise: error grows with sigma and agrees with an independent Monte Carlo', () => {
    const S = 150;
    const means: number[] = [];
    for (const sigma of [0.02, 0.05, 0.15]) {
      const rngLib = stream(11, 'lib', sigma);
      const rngTest = stream(12, 'indep', sigma);
      let lib = 0;
      let ind = 0;
      for (let s = 0; s < S; s++) {
        lib += Math.sqrt(frob2(fromC(meshMatrix(mesh, realisePhases(mesh, { phaseNoise: sigma }, rngLib))), u));
        const th = Array.from(mesh.theta, (x) => x + (sigma * rngTest.normal()) / 2);
        const ph = Array.from(mesh.phi, (x) => x + sigma * rngTest.normal());
        const op = Array.from(mesh.outPhase, (x) => x + sigma * rngTest.normal());
        ind += Math.sqrt(frob2(naiveMesh(mesh, th, ph, op), u));
      }
      expect(lib / ind).toBeGreaterThan(0.9);
      expect(lib / ind).toBeLessThan(1.1);
      means.push(lib / S);
    }
    expect(means[1]!).toBeGreaterThan(means[0]!);
    expect(means[2]!).toBeGreaterThan(means[1]!);
  });

  it('b-bit quantisation puts every heater voltage on the 2^b-level grid', () => {
    for (const bits of [3, 6, 8]) {
      const v = heaterVoltages(mesh, { phaseBits: bits, vMax: 10.8, vPi: 4.36 });
      const step = 10.8 / (2 ** bits - 1);
      const levels = new Set<number>();
      for (const x of v) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(10.8 + 1e-12);
        const k = x / step;
        expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-9);
        levels.add(Math.round(k));
      }
      expect(levels.size).toBeLessThanOrEqual(2 ** bits);
      // the unquantised voltages follow phi = pi V^2 / V_pi^2 with the phase in [0, 2 pi)
      const raw = heaterVoltages(mesh, {});
      for (const x of raw) expect(x).toBeLessThanOrEqual(4.36 * Math.SQRT2 + 1e-12);
      for (let h = 0; h < v.length; h++) expect(Math.abs(v[h]! - raw[h]!)).toBeLessThanOrEqual(step / 2 + 1e-12);
    }
  });

  it('quantisation error shrinks with more bits', () => {
    const err = [4, 8, 12].map((b) => maxDiff(fromC(meshMatrix(mesh, realisePhases(mesh, { phaseBits: b }))), u));
    expect(err[0]!).toBeGreaterThan(err[1]!);
    expect(err[1]!).toBeGreaterThan(err[2]!);
    expect(err[2]!).toBeLessThan(0.02);
  });

  it('gamma error scales each heater phase by (1 + e), e ~ N(0, g^2)', () => {
    const big = decomposeUnitary(toC(haarUnitary(24, stream(9, 'gamma'))));
    const g = 0.05;
    const p = realisePhases(big, { gammaError: g }, stream(9, 'gamma-draws'));
    const rel: number[] = [];
    for (let t = 0; t < big.phi.length; t++) if (big.phi[t]! > 0.5) rel.push((p.phi[t]! - big.phi[t]!) / big.phi[t]!);
    const mean = rel.reduce((s, x) => s + x, 0) / rel.length;
    const sd = Math.sqrt(rel.reduce((s, x) => s + (x - mean) ** 2, 0) / (rel.length - 1));
    expect(rel.length).toBeGreaterThan(100);
    expect(sd).toBeGreaterThan(0.85 * g);
    expect(sd).toBeLessThan(1.15 * g);
  });

  it('thermal crosstalk adds kappa times the neighbouring heater phases of the same column', () => {
    const big = decomposeUnitary(toC(haarUnitary(10, stream(4, 'xt'))));
    const kappa = 0.02;
    const p = realisePhases(big, { crosstalk: kappa });
    const wrap = (x: number) => ((x % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    let checked = 0;
    for (let t = 0; t < big.mode.length; t++) {
      let sumExt = 0;
      let sumInt = 0;
      for (let s = 0; s < big.mode.length; s++) {
        if (big.layer[s] === big.layer[t] && Math.abs(big.mode[s]! - big.mode[t]!) === 2) {
          sumExt += wrap(big.phi[s]!);
          sumInt += wrap(2 * big.theta[s]!);
        }
      }
      expect(p.phi[t]! - big.phi[t]!).toBeCloseTo(kappa * sumExt, 12);
      expect(p.theta[t]! - big.theta[t]!).toBeCloseTo((kappa * sumInt) / 2, 12);
      if (sumExt > 0) checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('the same seed gives the same realised phases', () => {
    const a = realisePhases(mesh, { phaseNoise: 0.1, gammaError: 0.02 }, stream(1, 'same'));
    const b = realisePhases(mesh, { phaseNoise: 0.1, gammaError: 0.02 }, stream(1, 'same'));
    const c = realisePhases(mesh, { phaseNoise: 0.1, gammaError: 0.02 }, stream(2, 'same'));
    expect(Array.from(a.theta)).toEqual(Array.from(b.theta));
    expect(Array.from(a.theta)).not.toEqual(Array.from(c.theta));
  });
});
