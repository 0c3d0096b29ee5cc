import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import { effectiveWeights, mapWeights, type MziMesh, weightError } from '../src/photonic/index.ts';
import { mul as cmul, naiveMesh } from './helpers/naive-photonic.ts';

const randMatrix = (m: number, n: number, seed: number): Float64Array => stream(seed, 'test-w').fillNormal(new Float64Array(m * n));
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('SVD mapping onto k x k blocks', () => {
  it('reproduces a random matrix to 1e-10 without non-idealities (padding, both mesh fields, both detections)', () => {
    for (const [m, n, k] of [[20, 13, 4], [16, 16, 8], [9, 30, 8], [5, 3, 2]] as const) {
      const w = randMatrix(m, n, m * 100 + n);
      for (const field of ['real', 'complex'] as const) {
        for (const decomposition of ['clements', 'reck'] as const) {
          const map = mapWeights(w, m, n, { block: k, field, decomposition });
          expect(map.blocks.length).toBe(Math.ceil(m / k) * Math.ceil(n / k));
          expect(maxAbs(effectiveWeights(map), w)).toBeLessThan(1e-10);
          expect(maxAbs(effectiveWeights(map, { detection: 'intensity' }), w)).toBeLessThan(1e-10);
        }
      }
    }
  });

  it('each block is U diag(S) V^T with orthogonal meshes and S >= 0', () => {
    const w = randMatrix(8, 8, 3);
    const map = mapWeights(w, 8, 8, { block: 8 });
    const b = map.blocks[0]!;
    for (let i = 0; i < 8; i++) expect(b.s[i]!).toBeGreaterThanOrEqual(0);
    // sum of squared singular values = squared Frobenius norm
    expect(b.s.reduce((s, x) => s + x * x, 0)).toBeCloseTo(w.reduce((s, x) => s + x * x, 0), 10);
  });

  it('handles rank-deficient blocks and nested-array / ml-matrix input', () => {
    const rows = [
      [1, 2, 3, 0, 0],
      [2, 4, 6, 0, 0],
      [0, 0, 0, 0, 0],
    ];
    for (const input of [rows, new Matrix(rows)]) {
      const map = mapWeights(input, undefined, undefined, { block: 4 });
      expect(maxAbs(effectiveWeights(map), rows.flat())).toBeLessThan(1e-10);
    }
  });

  it('insertion loss without compensation: a 2x2 block (one MZI per mesh) scales by 10^(-2 IL/20)', () => {
    const w = randMatrix(2, 2, 8);
    const map = mapWeights(w, 2, 2, { block: 2 });
    const eff = effectiveWeights(map, { lossDb: 0.99, compensateLoss: false });
    const a2 = 10 ** (-0.99 / 10);
    expect(maxAbs(eff, w.map((x) => x * a2))).toBeLessThan(1e-12);
    // with the calibrated gain the uniform loss is undone
    expect(maxAbs(effectiveWeights(map, { lossDb: 0.99 }), w)).toBeLessThan(1e-12);
  });

  it('phase noise: error grows with sigma and matches an independent Monte Carlo of U diag(S) V^T', () => {
    const k = 6;
    const w = randMatrix(k, k, 21);
    const map = mapWeights(w, k, k, { block: k, field: 'complex' });
    const b = map.blocks[0]!;
    const S = 200;
    const means: number[] = [];
    for (const sigma of [0.01, 0.04, 0.12]) {
      const rngLib = stream(31, 'lib', sigma);
      const rngInd = stream(32, 'ind', sigma);
      let lib = 0;
      let ind = 0;
      for (let s = 0; s < S; s++) {
        lib += weightError(map, effectiveWeights(map, { phaseNoise: sigma }, rngLib)).relativeError;
        // the test's own model: each heater phase gets N(0, sigma); theta moves by half the internal phase
        const pert = (mesh: MziMesh) =>
          naiveMesh(
            mesh,
            Array.from(mesh.theta, (x) => x + (sigma * rngInd.normal()) / 2),
            Array.from(mesh.phi, (x) => x + sigma * rngInd.normal()),
            Array.from(mesh.outPhase, (x) => x + sigma * rngInd.normal()),
          );
        const uu = pert(b.u);
        const vv = pert(b.vh);
        let num = 0;
        let den = 0;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            let re = 0;
            for (let p = 0; p < k; p++) re += b.s[p]! * cmul(uu[i]![p]!, vv[p]![j]!)[0];
            num += (re - w[i * k + j]!) ** 2;
            den += w[i * k + j]! ** 2;
          }
        }
        ind += Math.sqrt(num / den);
      }
      expect(lib / ind).toBeGreaterThan(0.9);
      expect(lib / ind).toBeLessThan(1.1);
      means.push(lib / S);
    }
    expect(means[1]!).toBeGreaterThan(2 * means[0]!);
    expect(means[2]!).toBeGreaterThan(2 * means[1]!);
  });

  it('quantisation: error falls with more heater-DAC bits; seeded draws repeat', () => {
    const w = randMatrix(16, 24, 5);
    const map = mapWeights(w, 16, 24, { block: 8 });
    const e = [4, 8, 12].map((bits) => weightError(map, effectiveWeights(map, { phaseBits: bits })).relativeError);
    expect(e[0]!).toBeGreaterThan(e[1]!);
    expect(e[1]!).toBeGreaterThan(e[2]!);
    const ni = { phaseNoise: 0.02, gammaError: 0.01, crosstalk: 0.005, phaseBits: 10 };
    const a = effectiveWeights(map, ni, stream(1, 'eval', 0));
    const b = effectiveWeights(map, ni, stream(1, 'eval', 0));
    const c = effectiveWeights(map, ni, stream(1, 'eval', 1));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(maxAbs(a, c)).toBeGreaterThan(0);
  });

  it('random non-idealities without an rng are a programming error', () => {
    const map = mapWeights(randMatrix(4, 4, 1), 4, 4, { block: 4 });
    expect(() => effectiveWeights(map, { phaseNoise: 0.1 })).toThrow(/rng/);
  });
});
