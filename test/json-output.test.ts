/**
 * Every command's --json output validates against its schema (src/cli/json-schemas.ts), the schema
 * files in docs/json/ are those the definitions give, and no number is left under a bare physical
 * name (a voltage called `error`, an energy called `total`): the unit is in the field name.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMAS, type JsonCommand } from '../src/cli/json-schemas.ts';
import { withUnits } from '../src/cli/json-units.ts';
import { schemaFile, schemaText, SWEEP_SPEC_FILE, sweepSpecText } from '../scripts/gen-json-schemas.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const TINY_MIX = ['--epochs', '1', '--search-epochs', '1', '--finetune-epochs', '1', '--n-test', '200', '--threads', '1', '-q'];

/** Names that, holding a bare number, would hide a unit (the library's own names for V, J, W, ohm, A). */
const BARE = new Set([
  'behavioral', 'spice', 'error', 'tolerance', 'maxBoundError', 'maxDriveError', 'margin', 'vdl', 'vLo', 'vHi', 'vLoTarget', 'vHiTarget',
  'total', 'energy', 'bias', 'current', 'resistance', 'laserElectricalPower', 'analogPerActivation', 'digitalPerActivation',
  'readoutPerConversion', 'sampleRate', 'systemEnergy', 'shift', 'before', 'after', 'max', 'rms', 'maxFinite', 'rmsFinite', 'v',
]);

/** Paths of numbers under a bare physical name; `allowed` lists tails where the name is a code or count. */
function bareNumbers(v: unknown, allowed: string[] = [], path: string[] = []): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => bareNumbers(x, allowed, [...path, '*']));
  if (!v || typeof v !== 'object') return [];
  const out: string[] = [];
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    const p = [...path, k];
    // a unit suffix on a container covers what is inside; `rms` next to `rmsUnit` names its unit
    if (/[a-z0-9](V|J|W|A|Ohm|Hz|S|Rad|Ms|F|M2|M)$/.test(k)) continue;
    if (typeof o[`${k}Unit`] === 'string') continue;
    const isNum = typeof x === 'number' || (Array.isArray(x) && x.some((e) => typeof e === 'number'));
    if (isNum && BARE.has(k) && !allowed.some((a) => p.join('.').endsWith(a))) out.push(p.join('.'));
    out.push(...bareNumbers(x, allowed, p));
  }
  return out;
}

function json(cmd: JsonCommand, args: string[], opts: { cwd?: string; timeout?: number; allowed?: string[] } = {}) {
  const r = runCli([...args, '--json'], { ...(opts.cwd ? { cwd: opts.cwd } : {}), timeout: opts.timeout ?? 180_000 });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  const j = JSON.parse(r.stdout) as unknown;
  const check = JSON_SCHEMAS[cmd].safeParse(j);
  expect(check.success ? [] : check.error.issues.slice(0, 5), `${args.join(' ')} against docs/json/${cmd}.schema.json`).toEqual([]);
  expect(bareNumbers(j, opts.allowed), `${args.join(' ')}: numbers without a unit in their name`).toEqual([]);
  return j as Record<string, any>;
}

describe('JSON output', () => {
  it('the rules rename by path and every energy breakdown, and leave the rest alone', () => {
    const out = withUnits({ bounds: [{ behavioral: 1, spice: 2 }], mismatches: [{ spice: 3 }], energy: { total: 4, items: { a: 4 }, ratio: 0.5 }, n: 5 }, {
      'bounds.*.behavioral': 'V',
      'bounds.*.spice': 'V',
    });
    expect(out).toEqual({ bounds: [{ behavioralV: 1, spiceV: 2 }], mismatches: [{ spice: 3 }], energy: { totalJ: 4, itemsJ: { a: 4 }, ratio: 0.5 }, n: 5 });
    // the check below would catch a bare field
    expect(bareNumbers({ a: { error: 1e-3 }, b: [{ totalJ: 1 }] })).toEqual(['a.error']);
  });

  it('docs/json/*.schema.json are the schemas the definitions give', () => {
    for (const cmd of Object.keys(JSON_SCHEMAS) as JsonCommand[]) {
      expect(readFileSync(schemaFile(cmd), 'utf8'), `${cmd}: run npx tsx scripts/gen-json-schemas.ts`).toBe(schemaText(cmd));
    }
    expect(readFileSync(SWEEP_SPEC_FILE, 'utf8'), 'sweep spec: run npx tsx scripts/gen-json-schemas.ts').toBe(sweepSpecText());
  });

  it('cell, unit, mesh, devices, doctor and simulate', () => {
    const cell = json('cell', ['cell', '--preset', 'macam-projected', '--mc', '50']);
    expect(cell.bounds.vHiV).toBeGreaterThan(cell.bounds.vLoV);
    expect(cell.energy.totalJ).toBeCloseTo(Object.values(cell.energy.itemsJ as Record<string, number>).reduce((s, x) => s + x, 0), 25);
    const unit = json('unit', ['unit', '--fn', 'relu', '--bits', '4']);
    expect(unit.thresholdsV.length).toBe(unit.thresholds.length);
    json('mesh', ['mesh', '--size', '8']);
    const list = json('devicesList', ['devices', 'list']);
    expect(list.length).toBeGreaterThan(10);
    json('devicesShow', ['devices', 'show', 'macam-measured']);
    const ev = json('devicesEval', ['devices', 'eval', 'mtj-alamdar', '--state', 'P', '--bias', '0.1']);
    // R_P = RA / area, with TMR irrelevant in P
    expect(ev.rows[0].resistanceOhm).toBeCloseTo(5000, 6);
    expect(ev.rows[0].currentA).toBeCloseTo(0.1 / 5000, 12);
    json('doctor', ['doctor']);
    const dir = mkdtempSync(join(tmpdir(), 'fm-json-'));
    expect(runCli(['netlist', 'cell', '-o', join(dir, 'c.cir'), '-q']).code).toBe(0);
    const sim = json('simulate', ['simulate', join(dir, 'c.cir')]);
    const units = Object.fromEntries(sim.plots[0].vectors.map((x: { name: string; unit: string }) => [x.name, x.unit]));
    expect(units.time).toBe('s');
    expect(units['v(ml0)']).toBe('V');
  }, 240_000);

  it('verify (SPICE) and calibrate', () => {
    const ver = json('verify', ['verify', 'cell', '--preset', 'macam-projected'], { allowed: [] });
    expect(ver.maxBoundErrorV).toBeLessThan(ver.toleranceV);
    const dir = mkdtempSync(join(tmpdir(), 'fm-json-cal-'));
    const cal = json('calibrate', ['calibrate', 'mtj', '--data', join(ROOT, 'examples', 'data', 'mtj-rv.csv'), '--out', join(dir, 'm.json')]);
    expect(cal.params.rp.unit).toBe('ohm');
    expect(cal.params.vh.unit).toBe('V');
  }, 240_000);

  it('sweep plan, run, slurm and merge (the unit-bits example)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-json-sweep-'));
    const spec = join(ROOT, 'examples', 'sweeps', 'unit-bits.json');
    const plan = json('sweepPlan', ['sweep', 'plan', spec]);
    // total: a count of points
    const run = json('sweepRun', ['sweep', 'run', spec, '--out', dir], { allowed: ['total'] });
    expect(run.computed).toBe(plan.points.length);
    const sl = json('sweepSlurm', ['sweep', 'slurm', spec, '--out', dir, '--tasks', '3']);
    expect(sl.tasks).toBe(3);
    const merged = json('sweepMerge', ['sweep', 'merge', dir]);
    expect(merged.points).toBe(plan.points.length);
  }, 120_000);

  it('mix and pareto (a tiny schedule)', () => {
    // mismatches' spice/behavioral are codes, assignment counts are counts
    const mix = json('mix', ['mix', ...TINY_MIX]);
    expect(mix.energy.mixed.totalJ).toBeLessThanOrEqual(mix.energy.digital.totalJ);
    const dir = mkdtempSync(join(tmpdir(), 'fm-json-pareto-'));
    const par = json('pareto', ['pareto', '--budgets', '0.4', '--out', dir, '--baselines', '1', '--heuristics', 'variance', ...TINY_MIX]);
    expect(par.points[0].budgetRandom.draws).toBe(1);
    expect(mix.baselines.runs.map((b: { name: string }) => b.name)).toEqual(['budget-random-1', 'budget-random-2', 'budget-random-3', 'sensitivity', 'variance']);
    const seeds = json('mix', ['mix', '--seeds', '1,2', '--baselines', '1', '--heuristics', 'none', ...TINY_MIX]);
    expect(seeds.summary.accuracy.mixed.values).toHaveLength(2);
  }, 400_000);
});
