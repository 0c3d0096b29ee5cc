/**
 * The bound solvers against the tolerance contract (issue 15): 'root' (default) against 'bisect' (the
 * plain bisection, the reference) at many seeded random cells with variation, where they must agree to
 * the tolerance asked for (an infinite bound the same infinity); the bounds against computations that
 * share none of the solvers' code (the ML's ODE integrated in time; a level-1 closed form); and the
 * fused units and the column pool built with either solver: the same codes, thresholds within the
 * solver tolerance.
 */
import { describe, expect, it } from 'vitest';
import { brent, brentBracket } from '../src/core/numeric.ts';
import { stream } from '../src/core/rng.ts';
import {
  type CellDeviation,
  type MacamCell,
  boundSolverFor,
  branchModel,
  dischargeTime,
  dwmtjReadCurrent,
  inverterOutput,
  loadMacamCell,
  lowerBound,
  lowerGateVoltage,
  matchLineCurrent,
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
/** rounding slack on top of a solver tolerance (volts near 1 V) */
const ULP = 1e-15;

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

const bound = (c: MacamCell, branch: 'lo' | 'hi', f: number, dev: CellDeviation | undefined, tol: number, solver: 'root' | 'bisect') =>
  branch === 'lo' ? lowerBound(c, f, dev, tol, solver) : upperBound(c, f, dev, tol, solver);

describe("bounds: 'root' agrees with 'bisect' to the tolerance", () => {
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
      const perCell = boundSolverFor(cell);
      for (let i = 0; i < n; i++) {
        const { f, dev } = instance(name, i);
        const tol = [1e-7, 1e-9, 1e-10][i % 3]!;
        for (const branch of ['lo', 'hi'] as const) {
          const want = bound(cell, branch, f, dev, tol, 'bisect');
          const gots = [bound(cell, branch, f, dev, tol, 'root'), perCell.bound(branch, f, dev, tol)];
          for (const got of gots) {
            const what = `${name} ${branch} f=${f} tol=${tol}: root ${got} vs bisect ${want}`;
            if (!Number.isFinite(want)) expect(got, what).toBe(want);
            else expect(Math.abs(got - want), what).toBeLessThanOrEqual(tol + ULP);
          }
          if (!Number.isFinite(want)) infinite++;
          else {
            // within tol / 2 of the switching point: the predicate differs tol / 2 either side of it
            const m = branchModel(cell, branch, f, dev);
            const fast = (v: number) => m.time(v) <= cell.params.tEval;
            for (const got of gots) {
              expect(fast(got - 0.5 * tol - ULP), `${name} ${branch} f=${f}: below`).toBe(branch === 'lo');
              expect(fast(got + 0.5 * tol + ULP), `${name} ${branch} f=${f}: above`).toBe(branch !== 'lo');
            }
          }
        }
      }
      if (name.includes('t_eval')) expect(infinite).toBeGreaterThan(0);
      if (name.includes('every bound')) expect(infinite).toBe(2 * n);
    });
  }
});

/**
 * The time the ML takes from V_DD to V_sense with static pull-down gates, from the ODE
 * C_ML dV/dt = -I_ML(V) stepped in time (classical Runge-Kutta, fixed step), the crossing interpolated
 * within the last step: none of the quadrature of dischargeTime. Infinity beyond tMax.
 */
function odeDischargeTime(c: MacamCell, g2: number, g6: number, dev: CellDeviation | undefined, h: number, tMax: number): number {
  const { vdd, vSense, cMl } = c.params;
  const dv = (v: number) => -matchLineCurrent(c, g2, g6, v, dev) / cMl;
  let v = vdd;
  let t = 0;
  while (t < tMax) {
    const k1 = dv(v);
    const k2 = dv(v + 0.5 * h * k1);
    const k3 = dv(v + 0.5 * h * k2);
    const k4 = dv(v + h * k3);
    const next = v + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
    if (next <= vSense) return t + (h * (v - vSense)) / (v - next);
    v = next;
    t += h;
  }
  return Number.POSITIVE_INFINITY;
}

describe('bounds against an independent computation', () => {
  /**
   * Where the discharge time is continuous in V_DL (the lower branch; EKV cards) the ML, integrated in
   * time at V_DL = the bound, reaches V_sense at t_eval; where it jumps (a level-1 inverter's vertical
   * transfer: from no discharge at all to one far shorter than t_eval) the jump lies within the
   * tolerance: slow on one side, fast on the other, by the ODE too.
   */
  it('at V_DL = the bound the ML, integrated in time, reaches V_sense at t_eval (1e-6 relative), or its jump is there', () => {
    let continuous = 0;
    let jumps = 0;
    for (const cell of [measured, projected, bsim4]) {
      const tEval = cell.params.tEval;
      for (let i = 0; i < 4; i++) {
        const { f, dev } = instance(`ode/${cell.name}`, i + 1);
        for (const branch of ['lo', 'hi'] as const) {
          const tol = 1e-9;
          const v = bound(cell, branch, f, dev, tol, 'root');
          if (!Number.isFinite(v)) continue;
          const odeAt = (x: number) => {
            const g2 = branch === 'lo' ? lowerGateVoltage(cell, f, x, dev) : 0;
            const g6 = branch === 'hi' ? inverterOutput(cell, upperNodeVoltage(cell, f, x, dev), dev) : 0;
            return odeDischargeTime(cell, g2, g6, dev, tEval / 20000, 4 * tEval);
          };
          const t = odeAt(v);
          const what = `${cell.name} ${branch} f=${f}: ODE ${t} vs t_eval ${tEval}`;
          if (Math.abs(t - tEval) <= 1e-6 * tEval) continuous++;
          else {
            // below the bound the lower branch is fast (t <= t_eval), the upper one slow
            const below = odeAt(v - tol);
            const above = odeAt(v + tol);
            expect(branch === 'lo' ? below <= tEval && above > tEval : below > tEval && above <= tEval, `${what}; ${below} below, ${above} above`).toBe(true);
            expect(Math.min(below, above) < 0.5 * tEval && Math.max(below, above) > 2 * tEval, `${what}: not a jump`).toBe(true);
            jumps++;
          }
        }
      }
    }
    expect(continuous).toBeGreaterThanOrEqual(10);
    expect(jumps).toBeGreaterThan(0);
  });
});

describe('branch model', () => {
  it('time(V_DL) is the discharge time of the bisection predicate (1e-12 relative)', () => {
    for (const cell of [measured, bsim4]) {
      for (let i = 0; i < 12; i++) {
        const { f, dev } = instance(cell.name, 100 + i);
        const vdl = stream(2, 'vdl', i).uniformIn(0, cell.params.vdd);
        const lo = dischargeTime(cell, lowerGateVoltage(cell, f, vdl, dev), 0, cell.params.vSense, dev);
        const hi = dischargeTime(cell, 0, inverterOutput(cell, upperNodeVoltage(cell, f, vdl, dev), dev), cell.params.vSense, dev);
        for (const [got, want] of [
          [branchModel(cell, 'lo', f, dev).time(vdl), lo],
          [branchModel(cell, 'hi', f, dev).time(vdl), hi],
        ] as const) {
          if (!Number.isFinite(want)) expect(got).toBe(want);
          else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * want);
        }
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

  it('switchPoint and both solvers agree with the closed form at level-1 cells with variation', () => {
    for (const cell of [measured, projected]) {
      for (let i = 0; i < 10; i++) {
        const r = stream(5, 'closed', cell.name, i);
        const f = r.uniform();
        const dev = sampleDeviation(r, { rp: 0.05, tmr: 0.05, vto: 0.01, positionLo: 0.02, positionHi: 0.02 });
        for (const branch of ['lo', 'hi'] as const) {
          const want = closedFormSwitch(cell, branch, f, dev);
          expect(Math.abs(branchModel(cell, branch, f, dev).switchPoint() - want)).toBeLessThan(1e-12);
          for (const solver of ['root', 'bisect'] as const) expect(Math.abs(bound(cell, branch, f, dev, 1e-9, solver) - want)).toBeLessThan(0.5e-9 + 1e-12);
        }
      }
    }
  });
});

describe("matchLineVoltage: 'root' agrees with 'bisect'", () => {
  it('within 1e-9 V at random gates, times and deviations, and inverts dischargeTime', () => {
    let inside = 0;
    for (const cell of [measured, bsim4]) {
      for (let i = 0; i < 30; i++) {
        const r = stream(3, 'mlv', cell.name, i);
        const g2 = r.uniformIn(0, 0.8);
        const g6 = i % 3 === 0 ? 0 : r.uniformIn(0, 0.8);
        const t = i === 0 ? -1e-9 : i === 1 ? 0 : r.uniformIn(0, 3e-9);
        const dev = i % 2 ? sampleDeviation(r, WIDE) : undefined;
        const root = matchLineVoltage(cell, g2, g6, t, dev, 'root');
        const bisect = matchLineVoltage(cell, g2, g6, t, dev, 'bisect');
        expect(Math.abs(root - bisect), `${cell.name} #${i}: ${root} vs ${bisect}`).toBeLessThanOrEqual(1e-9);
        if (root > 1e-6 && root < cell.params.vdd - 1e-6 && t > 0) {
          expect(Math.abs(dischargeTime(cell, g2, g6, root, dev) - t)).toBeLessThan(1e-6 * t);
          inside++;
        }
      }
    }
    expect(inside).toBeGreaterThan(10);
  });
});

/** Two units of the same options, one per solver: the same rows and codes, every voltage (and its image in x) within tolerance. */
function expectSameUnit(a: FusedUnit, b: FusedUnit, what: string): void {
  // nominal bounds are solved to 1e-9 V, the instance's actual bounds to 1e-7 V (createFusedUnit)
  const volt = 1e-7 + ULP;
  const xPerVolt = (a.inputRange[1] - a.inputRange[0]) / (a.window[1] - a.window[0]);
  const near = (x: number, y: number, tol: number, label: string) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) expect(x, `${what} ${label}`).toBe(y);
    else expect(Math.abs(x - y), `${what} ${label}: ${x} vs ${y}`).toBeLessThanOrEqual(tol);
  };
  a.window.forEach((v, i) => near(v, b.window[i]!, 1e-9 + ULP, `window[${i}]`));
  expect(b.rows.length, what).toBe(a.rows.length);
  a.rows.forEach((r, k) => {
    const s = b.rows[k]!;
    expect([s.code, s.fLo, s.fHi, s.loEnabled, s.hiEnabled], `${what} row ${k}`).toEqual([r.code, r.fLo, r.fHi, r.loEnabled, r.hiEnabled]);
    for (const key of ['vLo', 'vHi', 'vLoActual', 'vHiActual', 'vLoTarget', 'vHiTarget'] as const) near(r[key] ?? NaN, s[key] ?? NaN, volt, `row ${k} ${key}`);
    for (const key of ['xLo', 'xHi'] as const) near(r[key], s[key], 4 * volt * xPerVolt, `row ${k} ${key}`);
  });
  for (const t of ['ideal', 'programmed', 'actual'] as const) {
    expect(Array.from(b[t].codes), `${what} ${t} codes`).toEqual(Array.from(a[t].codes));
    expect(b[t].breakpoints.length, `${what} ${t} breakpoints`).toBe(a[t].breakpoints.length);
    a[t].breakpoints.forEach((x, i) => near(x, b[t].breakpoints[i]!, 4 * volt * xPerVolt, `${t} breakpoint ${i}`));
  }
}

describe('fused units and the column pool', () => {
  it("createFusedUnit: 'root' and 'bisect' give the same columns (codes identical, thresholds within tolerance)", () => {
    for (const [fn, bits, cell] of [
      ['relu', 4, measured],
      ['sigmoid', 3, measured],
      ['gelu', 4, measured],
      ['relu', 3, bsim4],
    ] as const) {
      for (let k = 0; k < 3; k++) {
        const opts = { fn, bits, cell, variation: { seed: `fast/${fn}/${k}` } };
        const a = createFusedUnit({ ...opts, boundSolver: 'bisect' });
        const b = createFusedUnit(opts);
        expectSameUnit(a, b, `${cell.name} ${fn} ${bits} bits #${k}`);
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
    const ref = createFusedUnit({ fn: 'relu', bits: 4, cell: structuredClone(cell), variation: { seed: 1 }, boundSolver: 'bisect' });
    expectSameUnit(ref, after, 'changed cell');
    // the change moves the thresholds by far more than the tolerance
    expect(Math.abs(after.rows[1]!.vLo - before.rows[1]!.vLo)).toBeGreaterThan(1e-4);
  });

  it('createActivationHardware: the same pool with either solver', () => {
    const opts = { seed: 'macam-fast', poolSize: 4 } as const;
    const a = createActivationHardware({ ...opts, boundSolver: 'bisect' });
    const b = createActivationHardware(opts);
    expect(b).not.toBe(a);
    expect(b.pool.length).toBe(4);
    b.pool.forEach((u, k) => expectSameUnit(a.pool[k]!, u, `pool column ${k}`));
    // distinct columns (own variation instances)
    expect(b.pool[0]!.rows.map((r) => r.vLoActual)).not.toEqual(b.pool[1]!.rows.map((r) => r.vLoActual));
  });
});
