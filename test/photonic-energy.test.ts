import { describe, expect, it } from 'vitest';
import { stream } from '../src/core/rng.ts';
import {
  decomposeUnitary,
  ENERGY_ITEMS,
  layoutForMapping,
  layoutForMesh,
  layoutForShape,
  loadPhotonicCore,
  mapWeights,
  photonicEnergy,
  randomUnitary,
} from '../src/photonic/index.ts';

describe('photonic core energy per matrix-vector product', () => {
  const pc = loadPhotonicCore();

  it('the items add to the total and each item uses sourced constants', () => {
    const e = photonicEnergy(pc, layoutForShape(128, 784, 8));
    const sum = ENERGY_ITEMS.reduce((s, k) => s + e.items[k], 0);
    expect(e.total).toBeCloseTo(sum, 25);
    expect(Math.abs(e.total - sum) / e.total).toBeLessThan(1e-12);
    for (const k of ENERGY_ITEMS) {
      expect(e.items[k]).toBeGreaterThan(0);
      for (const c of e.uses[k]) {
        expect(e.constants[c], c).toBeDefined();
        expect(e.constants[c]!.source.length).toBeGreaterThan(3);
      }
    }
    for (const [name, c] of Object.entries(e.constants)) {
      expect(/assumption|Lightening-Transformer|torchonn|docs\/reference.md|Clements|fusemix/.test(c.source), name).toBe(true);
    }
  });

  it('laser, DAC, modulator, PD and TIA terms match a hand computation from the reference figures', () => {
    // 784 inputs, 128 outputs, 8 x 8 blocks: 16 x 98 = 1568 blocks, 12544 detectors
    const e = photonicEnergy(pc, layoutForShape(128, 784, 8));
    const det = 1568 * 8;
    const pSens = 1e-3 * 10 ** (-25 / 10); // -25 dBm
    const lossDb = 2 * 8 * 0.99; // Clements depth 8, two meshes, 0.99 dB per MZI
    const t = 1 / 5e9; // assumed clock
    const laser = (det * pSens * 10 ** (lossDb / 10)) / 0.2 * t;
    expect(e.laser.pathLossDb).toBeCloseTo(15.84, 12);
    expect(e.items.laser / laser).toBeCloseTo(1, 12);
    expect(e.items.dac / ((784 * 50e-3) / 14e9)).toBeCloseTo(1, 12);
    expect(e.items.modulator / (det * 8 * 450e-15)).toBeCloseTo(1, 12);
    expect(e.items.photodetector / (det * 1.1e-3 * t)).toBeCloseTo(1, 12);
    expect(e.items.tia / (det * 3e-3 * t)).toBeCloseTo(1, 12);
    // heaters at the mean phase pi: each draws P_pi (assumed 20 mW)
    const heaters = 1568 * 2 * (2 * 28 + 8);
    expect(e.items.heater / (heaters * 20e-3 * t)).toBeCloseTo(1, 12);
  });

  it('Reck meshes are deeper, so the laser must supply more power', () => {
    const c = photonicEnergy(pc, layoutForShape(64, 64, 8, 'clements'));
    const r = photonicEnergy(pc, layoutForShape(64, 64, 8, 'reck'));
    expect(r.items.laser / c.items.laser).toBeCloseTo(10 ** ((2 * (13 - 8) * 0.99) / 10), 10);
  });

  it('a single mesh and a mapped matrix use their actual heater phases', () => {
    const mesh = decomposeUnitary(randomUnitary(8, stream(1, 'e')));
    const lay = layoutForMesh(mesh);
    const wrap = (x: number) => ((x % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    let sum = 0;
    for (let t = 0; t < mesh.mode.length; t++) sum += wrap(2 * mesh.theta[t]!) + wrap(mesh.phi[t]!);
    for (const p of mesh.outPhase) sum += wrap(p);
    expect(lay.heaterPhaseSum).toBeCloseTo(sum, 10);
    expect(lay.heaters).toBe(2 * 28 + 8);
    expect(lay.pathMzis).toBe(8);
    const map = mapWeights(stream(2, 'w').fillNormal(new Float64Array(10 * 12)), 10, 12, { block: 4 });
    const ml = layoutForMapping(map);
    expect(ml.blocks).toBe(9);
    expect(ml.pathMzis).toBe(8);
    expect(ml.heaters).toBe(9 * 2 * (2 * 6 + 4));
  });
});
