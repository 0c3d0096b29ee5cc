/**
 * The behavioral path against SPICE (level-1 cards), on both engines: every cell bound within 2 mV,
 * the default 4-bit ReLU unit's codes agreeing on >= 99.9 % of the inputs farther than 2 mV from a
 * bound, and a seeded Monte Carlo with the same deviations in both paths.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/io.ts';
import { loadMacamCell } from '../src/devices/macam.ts';
import type { EngineKind } from '../src/spice/engine.ts';
import { spiceMonteCarlo } from '../src/spice/montecarlo.ts';
import { binaryTests } from './helpers/spice.ts';
import type { EnginePool } from '../src/spice/pool.ts';
import { enginePool } from '../src/spice/bound-search.ts';
import { verifyCell, verifyUnit } from '../src/spice/verify.ts';
import { createFusedUnit } from '../src/units/fused.ts';

const engines: EngineKind[] = binaryTests ? ['ngspice', 'wasm'] : ['wasm'];
const cell = loadMacamCell('macam-measured');
const pools: EnginePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe.each(engines)('verify against SPICE (%s, level1)', (kind) => {
  const pool = enginePool(kind, 2);
  pools.push(pool);

  it('cell: all ten stable bounds within 2 mV of the behavioral bounds', async () => {
    const r = await verifyCell(cell, { pool });
    expect(r.engine).toBe(kind);
    expect(r.bounds.length).toBe(10);
    for (const b of r.bounds) {
      expect(Number.isFinite(b.spice), `${b.branch} f=${b.f}`).toBe(true);
      expect(b.error, `${b.branch} f=${b.f}`).toBeLessThan(2e-3);
    }
    // the SPICE bounds themselves fall as the AP fraction rises (independent of the behavioral path)
    const lo = r.bounds.filter((b) => b.branch === 'lo');
    for (let i = 1; i < lo.length; i++) expect(lo[i]!.spice).toBeLessThan(lo[i - 1]!.spice - 0.01);
    expect(r.pass).toBe(true);
  });

  it('unit: relu 4-bit codes over 200 inputs agree (>= 99.9 % away from bounds), bounds within 2 mV', async () => {
    const unit = createFusedUnit({ fn: 'relu', bits: 4, cell: 'macam-measured' });
    const r = await verifyUnit(unit, { pool, count: 200 });
    expect(r.inputs).toBe(200);
    expect(r.inputsAway).toBeGreaterThan(100);
    expect(r.maxBoundError).toBeLessThan(2e-3);
    expect(r.codeAgreementAway).toBeGreaterThanOrEqual(0.999);
    expect(r.maxDriveError).toBeLessThan(1e-6);
    // the comparison is not vacuous: the inputs span many codes
    const distinct = new Set(Array.from({ length: 200 }, (_, i) => unit.evaluate(unit.inputRange[0] + ((unit.inputRange[1] - unit.inputRange[0]) * (i + 0.5)) / 200)));
    expect(distinct.size).toBeGreaterThanOrEqual(5);
    expect(r.pass).toBe(true);
  });
});

describe.skipIf(!binaryTests)('Monte Carlo and CLI (ngspice binary)', () => {
  it('40-sample SPICE Monte Carlo matches boundDistribution sample by sample (same seed, same deviations)', async () => {
    const r = await spiceMonteCarlo(cell, { samples: 40, seed: 7, engine: 'ngspice', threads: 2, start: 'nominal' });
    expect(r.samples).toBe(40);
    expect(r.spice.lo.std).toBeGreaterThan(5e-3); // real spread from the deviations
    expect(r.maxDiff.lo).toBeLessThan(1e-4);
    expect(r.maxDiff.hi).toBeLessThan(1e-4);
    expect(Math.abs(r.spice.hi.mean - r.behavioral.hi.mean)).toBeLessThan(1e-4);
  });

  it('verify --json reports the fields and exits 3 when the tolerance is not met', () => {
    const out = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'verify', 'cell', '--engine', 'ngspice', '--json', '--tolerance', '1nV', '--threads', '2'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(out.status).toBe(3);
    expect(out.stderr).toMatch(/verification failed/);
    const j = JSON.parse(out.stdout) as { maxBoundErrorV: number; engine: string; pass: boolean };
    expect(j.engine).toBe('ngspice');
    expect(j.pass).toBe(false);
    expect(j.maxBoundErrorV).toBeGreaterThan(1e-9);
    expect(j.maxBoundErrorV).toBeLessThan(2e-3);
    expect(j).toHaveProperty('codeAgreement');
    expect(j).toHaveProperty('codeAgreementAway');
  });
});
