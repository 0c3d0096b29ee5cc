/**
 * The fast bound solver of issue 9 ('root') against the bisection it replaces ('bisect') and against
 * closed forms: the same bounds bit for bit (Object.is) at many seeded random cells with variation,
 * and the switching point it finds where a level-1 closed form exists.
 */
import { describe, expect, it } from 'vitest';
import { bisectPredicate, brent, brentBracket, replayBisection } from '../src/core/numeric.ts';
import { stream } from '../src/core/rng.ts';
import {
  type CellDeviation,
  type MacamCell,
  branchModel,
  dischargeTime,
  dwmtjReadCurrent,
  inverterOutput,
  loadMacamCell,
  lowerBound,
  lowerGateVoltage,
  matchLineVoltage,
  readSeriesResistance,
  sampleDeviation,
  upperBound,
  upperNodeVoltage,
  withCellParams,
} from '../src/devices/index.ts';
import { createActivationHardware } from '../src/mixer/hardware.ts';
import { createFusedUnit, type FusedUnit } from '../src/units/fused.ts';

const measured = loadMacamCell('macam-measured');
const projected = loadMacamCell('macam-projected');
const bsim4 = loadMacamCell('macam-bsim4');
/** wider than any preset's spread, to reach odd corners */
const WIDE = { rp: 0.08, tmr: 0.08, vto: 0.03, positionLo: 0.05, positionHi: 0.05 };

describe('replayBisection', () => {
  it('returns bisectPredicate’s answer and evaluates the predicate only inside (p, q)', () => {
    const r = stream(1, 'replay');
    for (let i = 0; i < 400; i++) {
      const lo = r.uniformIn(-2, 1);
      const hi = lo + r.uniformIn(0.01, 3);
      const s = r.uniformIn(lo, hi);
      const plo = r.uniform() < 0.5;
      // switching at s: plo strictly below s, !plo at and above it
      const pred = (x: number) => (x < s ? plo : !plo);
      const tol = [1e-3, 1e-7, 1e-9, 1e-12][i % 4]!;
      const want = bisectPredicate(pred, lo, hi, tol)!;
      // a bracket of the switching point: tight, loose, or the whole interval
      const width = [0, 1e-15, 1e-10, 1e-4, 10][i % 5]!;
      const p = Math.max(lo, s - width * r.uniform() - Number.EPSILON * Math.abs(s) * 2);
      const q = Math.min(hi, s + width * r.uniform());
      let outside = 0;
      const got = replayBisection(
        (x) => {
          if (!(x > p && x < q)) outside++;
          return pred(x);
        },
        lo,
        hi,
        tol,
        p,
        q,
        plo,
      );
      expect(Object.is(got, want)).toBe(true);
      expect(outside).toBe(0);
    }
  });

  it('follows a wrong bracket (so a wrong root would show in the bounds below)', () => {
    const pred = (x: number) => x < 0.3;
    const want = bisectPredicate(pred, 0, 1, 1e-6)!;
    expect(Math.abs(want - 0.3)).toBeLessThan(1e-6);
    expect(Math.abs(replayBisection(pred, 0, 1, 1e-6, 0.5, 0.5 + 1e-9, true) - 0.5)).toBeLessThan(1e-6);
  });
});

describe('brentBracket', () => {
  it('takes brent’s iterates and ends with a tight sign-change bracket', () => {
    const cases: Array<[(x: number) => number, number, number, number]> = [
      [(x) => x * x * x - 2, 0, 2, Math.cbrt(2)],
      [(x) => Math.cos(x) - x, 0, 1, 0.7390851332151607],
      [(x) => 1 - Math.exp(-50 * (x - 0.2)), -1, 3, 0.2],
      [(x) => Math.tanh(40 * (0.61 - x)), 0, 0.8, 0.61],
    ];
    for (const [f, a, b, root] of cases) {
      for (const tol of [1e-6, 1e-10, 1e-15]) {
        const r = brentBracket(f, a, b, f(a), f(b), tol);
        expect(r.x).toBe(brent(f, a, b, tol));
        expect(r.lo).toBeLessThanOrEqual(r.hi);
        expect(r.flo).toBe(f(r.lo));
        expect(r.fhi).toBe(f(r.hi));
        if (r.flo === 0) expect([r.lo, r.hi, r.fhi]).toEqual([r.x, r.x, 0]);
        else expect(r.flo * r.fhi).toBeLessThan(0);
        expect(r.hi - r.lo).toBeLessThanOrEqual(2 * tol + 8 * Number.EPSILON);
        expect(root).toBeGreaterThanOrEqual(r.lo - 4 * Number.EPSILON);
        expect(root).toBeLessThanOrEqual(r.hi + 4 * Number.EPSILON);
      }
    }
    expect(() => brentBracket((x) => x * x + 1, -1, 1, 2, 2)).toThrow(RangeError);
  });
});

/** a seeded random instance: wall position and deviations */
function instance(name: string, i: number): { f: number; dev: CellDeviation | undefined } {
  const r = stream(11, 'macam-fast', name, i);
  const f = i % 7 === 0 ? [0, 1][i % 2]! : r.uniform();
  return { f, dev: i % 5 === 4 ? undefined : sampleDeviation(r, WIDE) };
}

describe("bounds: 'root' equals 'bisect' bit for bit", () => {
  const cells: Array<[string, MacamCell, number]> = [
    ['macam-measured', measured, 14],
    ['macam-projected', projected, 10],
    ['macam-bsim4 (EKV cards)', bsim4, 8],
    // never / always discharging within t_eval: infinite bounds on the way
    ['short t_eval', withCellParams(measured, { tEval: 5e-11 }), 4],
    ['long t_eval', withCellParams(measured, { tEval: 2e-7 }), 4],
    ['low V_SL', withCellParams(projected, { vsl: 0.4 }), 4],
    ['very low V_SL (every bound -Infinity)', withCellParams(projected, { vsl: 0.3 }), 2],
    ['low V_DD (every bound +Infinity)', withCellParams(projected, { vdd: 0.6 }), 2],
  ];
  for (const [name, cell, n] of cells) {
    it(name, () => {
      let infinite = 0;
      for (let i = 0; i < n; i++) {
        const { f, dev } = instance(name, i);
        const tol = [1e-7, 1e-9, 1e-10][i % 3]!;
        for (const bound of [lowerBound, upperBound]) {
          const want = bound(cell, f, dev, tol, 'bisect');
          const got = bound(cell, f, dev, tol, 'root');
          if (!Object.is(got, want)) throw new Error(`${name} ${bound.name} f=${f} tol=${tol}: root ${got} vs bisect ${want}`);
          if (!Number.isFinite(want)) infinite++;
        }
      }
      if (name.includes('t_eval')) expect(infinite).toBeGreaterThan(0);
      if (name.includes('every bound')) expect(infinite).toBe(2 * n);
    });
  }
});

describe('branch model', () => {
  it('time(V_DL) is the bisection predicate’s discharge time, bit for bit', () => {
    for (const cell of [measured, bsim4]) {
      for (let i = 0; i < 12; i++) {
        const { f, dev } = instance(cell.name, 100 + i);
        const vdl = stream(2, 'vdl', i).uniformIn(0, cell.params.vdd);
        const lo = dischargeTime(cell, lowerGateVoltage(cell, f, vdl, dev), 0, cell.params.vSense, dev);
        const hi = dischargeTime(cell, 0, inverterOutput(cell, upperNodeVoltage(cell, f, vdl, dev), dev), cell.params.vSense, dev);
        expect(Object.is(branchModel(cell, 'lo', f, dev).time(vdl), lo)).toBe(true);
        expect(Object.is(branchModel(cell, 'hi', f, dev).time(vdl), hi)).toBe(true);
      }
    }
  });

  /**
   * Level 1, LAMBDA = 0, every transistor saturated (checked): t = C (V_DD - V_s) / (beta/2 vov^2)
   * gives the pull-down gate; the inverter with both devices saturated and T1/T3 carrying the
   * DW-MTJ's read current give the rest in closed form.
   */
  function closedFormSwitch(c: MacamCell, branch: 'lo' | 'hi', f: number, dev: CellDeviation): number {
    const p = c.params;
    const kp = c.nmos.kp;
    expect(c.nmos.lambda).toBe(0);
    expect(c.pmos.lambda).toBe(0);
    const vt = (t: 'T1' | 'T2' | 'T3' | 'T5' | 'T6') => c.nmos.vto + (dev.dvto?.[t] ?? 0);
    const isLo = branch === 'lo';
    const wlPd = isLo ? p.wlT2 : p.wlT6;
    const vov = Math.sqrt((2 * p.cMl * (p.vdd - p.vSense)) / (kp * wlPd * p.tEval));
    expect(vov).toBeLessThan(p.vSense); // saturated down to V_sense
    const gate = vt(isLo ? 'T2' : 'T6') + vov;
    let node = gate;
    if (!isLo) {
      const vtp = -c.pmos.vto + (dev.dvto?.T4 ?? 0);
      const a = Math.sqrt(c.pmos.kp * p.wlT4);
      const b = Math.sqrt(kp * p.wlT5);
      node = (a * (p.vdd - vtp) + b * vt('T5')) / (a + b);
      expect(node - vt('T5')).toBeLessThanOrEqual(gate); // T5 saturated
      expect(p.vdd - node - vtp).toBeLessThanOrEqual(p.vdd - gate); // T4 saturated
    }
    const d = isLo ? c.lo : c.hi;
    const m = { ...d, ra: d.ra * ((isLo ? dev.rpLo : dev.rpHi) ?? 1), tmr0: d.tmr0 * ((isLo ? dev.tmrLo : dev.tmrHi) ?? 1) };
    const ff = Math.min(1, Math.max(0, f + ((isLo ? dev.dfLo : dev.dfHi) ?? 0)));
    const i = dwmtjReadCurrent(m, ff, p.vsl - node, readSeriesResistance(m));
    const wlT = isLo ? p.wlT1 : p.wlT3;
    const vovT = Math.sqrt((2 * i) / (kp * wlT));
    expect(node).toBeGreaterThanOrEqual(vovT); // T1/T3 saturated
    return vt(isLo ? 'T1' : 'T3') + vovT;
  }

  it('switchPoint and the bounds agree with the closed form at level-1 cells with variation', () => {
    for (const cell of [measured, projected]) {
      for (let i = 0; i < 10; i++) {
        const r = stream(5, 'closed', cell.name, i);
        const f = r.uniform();
        const dev = sampleDeviation(r, { rp: 0.05, tmr: 0.05, vto: 0.01, positionLo: 0.02, positionHi: 0.02 });
        for (const branch of ['lo', 'hi'] as const) {
          const want = closedFormSwitch(cell, branch, f, dev);
          expect(Math.abs(branchModel(cell, branch, f, dev).switchPoint() - want)).toBeLessThan(1e-12);
          const bound = branch === 'lo' ? lowerBound(cell, f, dev, 1e-9) : upperBound(cell, f, dev, 1e-9);
          expect(Math.abs(bound - want)).toBeLessThan(0.5e-9 + 1e-12);
        }
      }
    }
  });
});

describe("matchLineVoltage: 'root' equals 'bisect'", () => {
  it('at random gates, times and deviations', () => {
    for (const cell of [measured, bsim4]) {
      for (let i = 0; i < 30; i++) {
        const r = stream(3, 'mlv', cell.name, i);
        const g2 = r.uniformIn(0, 0.8);
        const g6 = i % 3 === 0 ? 0 : r.uniformIn(0, 0.8);
        const t = i === 0 ? -1e-9 : i === 1 ? 0 : r.uniformIn(0, 3e-9);
        const dev = i % 2 ? sampleDeviation(r, WIDE) : undefined;
        expect(Object.is(matchLineVoltage(cell, g2, g6, t, dev, 'root'), matchLineVoltage(cell, g2, g6, t, dev, 'bisect'))).toBe(true);
      }
    }
  });
});

const unitNumbers = (u: FusedUnit): number[] => [
  ...u.window,
  ...u.rows.flatMap((r) => [r.code, r.fLo, r.fHi, r.vLo, r.vHi, r.vLoActual ?? NaN, r.vHiActual ?? NaN, r.vLoTarget, r.vHiTarget, r.xLo, r.xHi]),
  ...u.ideal.breakpoints,
  ...u.programmed.breakpoints,
  ...u.programmed.codes,
  ...u.actual.breakpoints,
  ...u.actual.codes,
];
const sameNumbers = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('fused units and the column pool', () => {
  it("createFusedUnit: 'root' (cached nominal programming) equals 'bisect' for every column", () => {
    for (const [fn, bits] of [
      ['relu', 4],
      ['sigmoid', 3],
      ['gelu', 4],
    ] as const) {
      for (let k = 0; k < 3; k++) {
        const opts = { fn, bits, cell: measured, variation: { seed: `fast/${fn}/${k}` } };
        const a = createFusedUnit({ ...opts, boundSolver: 'bisect' });
        const b = createFusedUnit(opts);
        expect(sameNumbers(unitNumbers(b), unitNumbers(a))).toBe(true);
        // a unit's rows are its own: changing one does not reach the next unit
        b.rows[0]!.code = 99;
        expect(createFusedUnit(opts).rows[0]!.code).toBe(a.rows[0]!.code);
      }
    }
  });

  it('a cell changed in place is not served stale tables or bounds', () => {
    const cell = structuredClone(measured);
    const before = createFusedUnit({ fn: 'relu', bits: 4, cell, variation: { seed: 1 } });
    (cell.params as { tEval: number }).tEval = 1.3e-9;
    const after = createFusedUnit({ fn: 'relu', bits: 4, cell, variation: { seed: 1 } });
    const ref = createFusedUnit({ fn: 'relu', bits: 4, cell, variation: { seed: 1 }, boundSolver: 'bisect' });
    expect(sameNumbers(unitNumbers(after), unitNumbers(ref))).toBe(true);
    expect(sameNumbers(unitNumbers(after), unitNumbers(before))).toBe(false);
  });

  it("createActivationHardware: the same pool with either solver", () => {
    const opts = { seed: 'macam-fast', poolSize: 4 } as const;
    const a = createActivationHardware({ ...opts, boundSolver: 'bisect' });
    const b = createActivationHardware(opts);
    expect(b).not.toBe(a);
    expect(b.pool.length).toBe(4);
    b.pool.forEach((u, k) => expect(sameNumbers(unitNumbers(u), unitNumbers(a.pool[k]!))).toBe(true));
    // distinct columns (own variation instances)
    expect(sameNumbers(unitNumbers(b.pool[0]!), unitNumbers(b.pool[1]!))).toBe(false);
  });
});
