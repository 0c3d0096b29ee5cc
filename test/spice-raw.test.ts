import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.ts';
import { complexVector, vector } from '../src/spice/engine.ts';
import { findNgspice } from '../src/spice/ngspice.ts';
import { binaryTests } from './helpers/spice.ts';
import { parseRaw, type SpicePlot } from '../src/spice/raw.ts';

const FIX = join(import.meta.dirname, 'fixtures/spice');
const load = (f: string) => parseRaw(readFileSync(join(FIX, f)), f);

// Circuit of the fixtures (linear-rc.cir / raw-gen.cir): R1 = 1k, R2 = 3k, C = 1u.
const K = 0.75;
const TAU = (1e-6 * 1e3 * 3e3) / 4e3;

function expectSamePlots(a: SpicePlot[], b: SpicePlot[], rel: number) {
  expect(a.map((p) => [p.name, p.type, p.complex, p.scale, p.names])).toEqual(b.map((p) => [p.name, p.type, p.complex, p.scale, p.names]));
  a.forEach((pa, i) => {
    const pb = b[i]!;
    for (const n of pa.names) {
      const parts: Array<[Float64Array, Float64Array]> = [[pa.vectors[n]!, pb.vectors[n]!]];
      if (pa.complex) parts.push([pa.imag![n]!, pb.imag![n]!]);
      for (const [x, y] of parts) {
        expect(x.length).toBe(y.length);
        for (let k = 0; k < x.length; k++) expect(Math.abs(x[k]! - y[k]!)).toBeLessThanOrEqual(rel * Math.max(Math.abs(x[k]!), Math.abs(y[k]!)) + 1e-300);
      }
    }
  });
}

describe('raw parser on ngspice 39 fixtures', () => {
  it('reads a multi-plot binary file: dc, ac (complex) and tran, each against the closed form', () => {
    const plots = load('multi-binary.raw');
    expect(plots.map((p) => p.type)).toEqual(['ac', 'dc', 'tran']);
    expect(plots.map((p) => p.name)).toEqual(['AC Analysis', 'DC transfer characteristic', 'Transient Analysis']);
    // dc: a divider
    const vin = vector(plots, 'v-sweep', 'dc');
    const vout = vector(plots, 'out', 'dc');
    expect(vin.length).toBe(9);
    vin.forEach((v, i) => expect(vout[i]).toBeCloseTo(K * v, 12));
    // ac: first-order low pass
    const ac = plots[0]!;
    expect(ac.complex).toBe(true);
    const f = vector(plots, 'frequency', 'ac');
    const h = complexVector(plots, 'v(out)', 'ac');
    expect(f.length).toBe(17);
    f.forEach((fi, i) => {
      const wt = 2 * Math.PI * fi * TAU;
      const den = 1 + wt * wt;
      expect(h.re[i]).toBeCloseTo(K / den, 10);
      expect(h.im[i]).toBeCloseTo((-K * wt) / den, 10);
    });
    // tran: RC charging (ngspice's own truncation error, default tolerances)
    const t = vector(plots, 'time', 'tran');
    const vt = vector(plots, 'v(out)', 'tran');
    t.forEach((ti, i) => expect(Math.abs(vt[i]! - K * (1 - Math.exp(-ti / TAU)))).toBeLessThan(2e-3));
    // currents named i(v1); the v1#branch spelling finds it too
    expect(vector(plots, 'v1#branch', 'dc')).toBe(vector(plots, 'i(v1)', 'dc'));
  });

  it('reads the ASCII version of the same run identically (15 significant digits)', () => {
    expectSamePlots(load('multi-ascii.raw'), load('multi-binary.raw'), 1e-14);
  });

  it('reads padded and unpadded plots with a short vector, binary and ASCII alike', () => {
    const pb = load('padded-binary.raw')[0]!;
    const ub = load('unpadded-binary.raw')[0]!;
    const pa = load('padded-ascii.raw')[0]!;
    const ua = load('unpadded-ascii.raw')[0]!;
    for (const p of [pb, ub, pa, ua]) {
      expect(Array.from(p.vectors.short!)).toEqual([0, 1, 2, 3, 4]);
      expect(p.vectors.time!.length).toBe(pb.vectors.time!.length);
      expect(p.vectors.time!.length).toBeGreaterThan(100);
    }
    expectSamePlots([ub], [pb], 0);
    expectSamePlots([ua], [pb], 1e-14);
    expectSamePlots([pa], [pb], 1e-14);
    // and the tran plot equals the one in the multi-plot file
    const multi = load('multi-binary.raw')[2]!;
    expect(Array.from(pb.vectors['v(out)']!)).toEqual(Array.from(multi.vectors['v(out)']!));
  });

  it('rejects a truncated file with a DataError', () => {
    const b = readFileSync(join(FIX, 'multi-binary.raw'));
    expect(() => parseRaw(b.subarray(0, b.length - 5), 'cut.raw')).toThrow(DataError);
    expect(() => parseRaw(b.subarray(0, 200), 'cut.raw')).toThrow(/cut\.raw/);
  });
});

// The same check on files written just now by the installed binary (ngspice must be there in CI).

describe.skipIf(!binaryTests)('raw parser on a fresh ngspice run', () => {
  it('binary and ASCII outputs of one run parse identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-rawtest-'));
    try {
      copyFileSync(join(FIX, 'raw-gen.cir'), join(dir, 'raw-gen.cir'));
      execFileSync(findNgspice(), ['-b', 'raw-gen.cir'], { cwd: dir, stdio: 'ignore' });
      const bin = parseRaw(readFileSync(join(dir, 'multi-binary.raw')));
      const asc = parseRaw(readFileSync(join(dir, 'multi-ascii.raw')));
      expect(bin.length).toBe(3);
      expectSamePlots(asc, bin, 1e-14);
      expect(bin[0]!.complex).toBe(true);
      const un = parseRaw(readFileSync(join(dir, 'unpadded-binary.raw')))[0]!;
      expect(Array.from(un.vectors.short!)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
