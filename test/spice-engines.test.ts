import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConvergenceError, EngineNotFound, EngineTimeout, NetlistError } from '../src/core/errors.ts';
import { createEngine, type SpiceResult, vector } from '../src/spice/engine.ts';
import { prepareNetlist, scanLog } from '../src/spice/ngspice.ts';
import { binaryTests } from './helpers/spice.ts';
import { runMany } from '../src/spice/pool.ts';

const FIX = join(import.meta.dirname, 'fixtures/spice');
const RC_DIODE = readFileSync(join(FIX, 'rc-diode.cir'), 'utf8');
const LINEAR = readFileSync(join(FIX, 'linear-rc.cir'), 'utf8');
// ngspice stops Newton at reltol (1e-3 by default); tight tolerances make the DC point exact enough
// for a 1e-6 check against the independent solution below.
const RC_DIODE_TIGHT = RC_DIODE.replace('.dc ', '.options reltol=1e-9 vntol=1e-12 abstol=1e-18\n.dc ');


/** Independent solution of the rc-diode DC point: (vin - v)/R1 = v/R2 + Is (exp(v/(n Vt)) - 1). */
function diodeNode(vin: number): number {
  const Vt = (1.380649e-23 * 300.15) / 1.602176634e-19;
  const f = (v: number) => (vin - v) / 1e3 - v / 2e3 - 1e-14 * (Math.exp(v / (1.5 * Vt)) - 1);
  let lo = 0;
  let hi = Math.max(vin, 1e-12);
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function expectClose(a: Float64Array, b: Float64Array, rel: number) {
  expect(a.length).toBe(b.length);
  const scale = Math.max(...Array.from(a, Math.abs), ...Array.from(b, Math.abs));
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(rel * Math.max(Math.abs(a[i]!), Math.abs(b[i]!)) + 1e-12 * scale);
  }
}

// A run that would take hours: 1e12 steps.
const HANGING = 'hanging transient\nv1 in 0 pulse(0 1 0 1p 1p 1n 2n)\nr1 in out 1k\nc1 out 0 1p\n.tran 1p 1 0 1p\n.end\n';
const BAD_MODEL = RC_DIODE.replace('r1 in out 1k', 'r1 in out 1k\nq1 c b e nosuchmodel');
const BAD_SWEEP = RC_DIODE.replace('.dc v1', '.dc vnosuch');
const CONFLICT = 'two sources in parallel\nv1 a 0 1\nv2 a 0 2\nr1 a 0 1k\n.op\n.end\n';
const INCLUDING = 'included model\n.include models/diode.lib\nv1 in 0 1\nr1 in out 1k\nd1 out 0 dinc\n.dc v1 0 1 0.5\n.end\n';
const LOOP = `parameter loop
.param rl=1k
v1 in 0 1
r1 in out 1k
r2 out 0 {rl}
.dc v1 1 1 1
.control
foreach r 1k 3k 9k
  alterparam rl = $r
  reset
  run
end
quit
.endc
.end
`;

// One wasm instance for the whole file (each costs ~0.5-1.5 s to start and ~200 MB).
const wasm = createEngine('wasm');
afterAll(async () => {
  await wasm.close();
});

describe('wasm engine (eecircuit-engine)', () => {

  it('runs dc, tran and ac in one netlist and matches the independent diode solution', async () => {
    const r = await wasm.run(RC_DIODE_TIGHT);
    expect(r.plots.map((p) => p.type).sort()).toEqual(['ac', 'dc', 'tran']);
    const vin = vector(r, 'v-sweep', 'dc');
    const vout = vector(r, 'out', 'dc');
    vin.forEach((v, i) => expect(Math.abs(vout[i]! - diodeNode(v))).toBeLessThan(1e-6 * Math.max(vout[i]!, 1e-3)));
  });

  it('raises NetlistError with ngspice words and never returns the previous vectors', async () => {
    await wasm.run(RC_DIODE); // a good run first: its vectors must not come back
    await expect(wasm.run(BAD_MODEL, { name: 'bad.cir' })).rejects.toThrow(NetlistError);
    await expect(wasm.run(BAD_MODEL, { name: 'bad.cir' })).rejects.toThrow(/could not find a valid modelname/);
    const e = await wasm.run(BAD_SWEEP).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetlistError);
    expect((e as NetlistError).spiceMessage).toMatch(/vnosuch/);
  });

  it('raises ConvergenceError when the operating point cannot be found', async () => {
    await expect(wasm.run(CONFLICT)).rejects.toThrow(ConvergenceError);
  });

  it('writes include files into its file system and runs control-block loops', async () => {
    const r = await wasm.run(INCLUDING, { includes: { 'models/diode.lib': '.model dinc d(is=1e-14 n=1)\n' } });
    expect(vector(r, 'out').length).toBe(3);
    const loop = await wasm.run(LOOP);
    expect(loop.plots.map((p) => vector([p], 'out')[0]!)).toEqual([0.5, 0.75, 0.9].map((x) => expect.closeTo(x, 12)));
  });

  it('stops a hanging run at the timeout, then works again', async () => {
    const t0 = performance.now();
    await expect(wasm.run(HANGING, { timeoutMs: 800 })).rejects.toThrow(EngineTimeout);
    expect(performance.now() - t0).toBeLessThan(20_000);
    const r = await wasm.run(LINEAR);
    expect(vector(r, 'out', 'dc').at(-1)).toBeCloseTo(1.5, 12);
  });
});

describe.skipIf(!binaryTests)('ngspice binary engine', () => {
  const ng = createEngine('ngspice');

  it('gives the same vectors as the wasm engine within 1e-6 relative (dc, tran, ac)', async () => {
    const [a, b]: SpiceResult[] = [await ng.run(RC_DIODE), await wasm.run(RC_DIODE)];
    expect(a.engine).toBe('ngspice');
    expect(b.engine).toBe('wasm');
    expect(a.plots.map((p) => [p.type, p.names])).toEqual(b.plots.map((p) => [p.type, p.names]));
    a.plots.forEach((pa, i) => {
      const pb = b.plots[i]!;
      for (const n of pa.names) {
        expectClose(pa.vectors[n]!, pb.vectors[n]!, 1e-6);
        if (pa.complex) expectClose(pa.imag![n]!, pb.imag![n]!, 1e-6);
      }
    });
    const t = await ng.run(RC_DIODE_TIGHT);
    const vin = vector(t, 'v-sweep', 'dc');
    vector(t, 'v(out)', 'dc').forEach((v, i) => expect(Math.abs(v - diodeNode(vin[i]!))).toBeLessThan(1e-6 * Math.max(v, 1e-3)));
  });

  it('raises NetlistError / ConvergenceError with ngspice words (it exits 0 on some of them)', async () => {
    await expect(ng.run(BAD_MODEL)).rejects.toThrow(/could not find a valid modelname/);
    const e = await ng.run(BAD_SWEEP).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetlistError);
    expect((e as NetlistError).spiceMessage).toMatch(/vnosuch/);
    await expect(ng.run(CONFLICT)).rejects.toThrow(ConvergenceError);
  });

  it('reports a missing binary as EngineNotFound with an install hint', async () => {
    const missing = createEngine('ngspice', { binary: '/nonexistent/bin/ngspice' });
    await expect(missing.run(LINEAR)).rejects.toThrow(EngineNotFound);
    await expect(missing.run(LINEAR)).rejects.toThrow(/apt-get install ngspice/);
  });

  it('kills a hanging run at the timeout', async () => {
    await expect(ng.run(HANGING, { timeoutMs: 800 })).rejects.toThrow(EngineTimeout);
    expect(vector(await ng.run(LINEAR), 'out', 'dc').at(-1)).toBeCloseTo(1.5, 12);
  });

  it('supports includes and control-block loops', async () => {
    const r = await ng.run(INCLUDING, { includes: { 'models/diode.lib': '.model dinc d(is=1e-14 n=1)\n' } });
    expect(vector(r, 'out').length).toBe(3);
    const loop = await ng.run(LOOP);
    expect(loop.plots.map((p) => vector([p], 'out')[0]!)).toEqual([0.5, 0.75, 0.9].map((x) => expect.closeTo(x, 12)));
  });

  it('runMany spreads independent netlists over processes and keeps their order', async () => {
    const rs = [1e3, 2e3, 5e3, 10e3, 20e3, 50e3];
    const nets = rs.map((r) => `divider ${r}\nv1 in 0 1\nr1 in out 1k\nr2 out 0 ${r}\n.op\n.end\n`);
    const out = await runMany(nets, { engine: 'ngspice', threads: 2 });
    out.forEach((res, i) => expect(vector(res, 'out', 'op')[0]).toBeCloseTo(rs[i]! / (1e3 + rs[i]!), 12));
  });
});

describe('runMany on wasm workers', () => {
  it('keeps input order over 2 threads', async () => {
    const rs = [1e3, 3e3, 7e3, 15e3];
    const nets = rs.map((r) => ({ netlist: `divider\nv1 in 0 2\nr1 in out 1k\nr2 out 0 ${r}\n.op\n.end\n`, name: `r=${r}` }));
    const out = await runMany(nets, { engine: 'wasm', threads: 2 });
    out.forEach((res, i) => expect(vector(res, 'out')[0]).toBeCloseTo((2 * rs[i]!) / (1e3 + rs[i]!), 12));
  });
});

describe('netlist wrapping and log scanning', () => {
  it('lifts user control blocks, drops quit (and set filetype for wasm), writes every plot', () => {
    const w = prepareNetlist(LOOP.replace('quit', 'set filetype=ascii\nquit'), 'wasm', '/x.raw');
    expect(w).not.toMatch(/^\s*quit/m);
    expect(w).not.toMatch(/filetype=ascii/);
    expect(w.match(/^\.control/gm)).toHaveLength(1);
    expect(w).toMatch(/alterparam/);
    expect(w.split('\n')[0]).toBe('parameter loop');
    const n = prepareNetlist(LINEAR, 'ngspice', 'f.raw');
    expect(n).toMatch(/^run$/m);
    expect(n.trimEnd().split('\n').slice(-3)).toEqual(['quit', '.endc', '.end']);
  });

  it('classifies ngspice messages', () => {
    expect(scanLog('Warning: singular matrix:  check node a\nNote: One successful gmin step').error).toBeUndefined();
    expect(scanLog('doAnalyses: TRAN:  Timestep too small; time = 1e-9\nrun simulation(s) aborted').error?.kind).toBe('convergence');
    expect(scanLog('Error: no such vector v(foo)').error).toEqual({ kind: 'netlist', message: 'Error: no such vector v(foo)' });
    expect(scanLog('Note: No compatibility mode selected!\n').error).toBeUndefined();
  });
});
