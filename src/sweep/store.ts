/**
 * A sweep's output folder: `spec.json` (the spec, axes expanded), `plan.json` (every point's index,
 * id, axis values and seed), `points/<id>.json` (one per finished point) and, after merge, the table
 * and plots. Every runner writes the same spec and plan first; a folder that holds another sweep's
 * plan is refused, so points of two sweeps never mix. Merge reads the plan, not the presets, so it
 * gives the same table wherever it runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, DataError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/io.ts';
import { planSweep, type SweepPoint } from './plan.ts';
import { parseSweepSpec, specToJson, type SweepSpec } from './spec.ts';

export interface StoredPlan {
  format: 'fusemix-sweep-plan/1';
  kind: SweepSpec['kind'];
  axes: string[];
  points: Array<Pick<SweepPoint, 'index' | 'id' | 'axes' | 'seed'>>;
}

const planFile = (out: string) => join(out, 'plan.json');
export const specFile = (out: string) => join(out, 'spec.json');

function storedPlan(spec: SweepSpec, points: readonly SweepPoint[]): StoredPlan {
  return {
    format: 'fusemix-sweep-plan/1',
    kind: spec.kind,
    axes: spec.axes.map((a) => a.name),
    points: points.map((p) => ({ index: p.index, id: p.id, axes: p.axes, seed: p.seed })),
  };
}

/** Plan the spec and record spec and plan in `out` (or check they match what is there). */
export function prepareOut(spec: SweepSpec, out: string): SweepPoint[] {
  const points = planSweep(spec);
  const plan = `${JSON.stringify(storedPlan(spec, points), null, 2)}\n`;
  const dir = resolve(out);
  if (existsSync(planFile(dir))) {
    const old = readFileSync(planFile(dir), 'utf8');
    if (old !== plan) {
      throw new ConfigError(spec.file, '--out', `a folder of this sweep (its plan.json lists other points: another spec, or presets or the fusemix version changed), or a new folder`, dir);
    }
  } else {
    writeFileAtomic(specFile(dir), `${JSON.stringify(specToJson(spec), null, 2)}\n`);
    writeFileAtomic(planFile(dir), plan);
  }
  return points;
}

/** The plan recorded in a sweep folder. */
export function readPlan(out: string): StoredPlan {
  const file = planFile(resolve(out));
  if (!existsSync(file)) throw new DataError('not a sweep folder (no plan.json): run `fusemix sweep run` (or enqueue) with --out here first', resolve(out));
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as StoredPlan;
    if (p.format !== 'fusemix-sweep-plan/1' || !Array.isArray(p.points)) throw new Error('format');
    return p;
  } catch {
    throw new DataError('plan.json is not a fusemix sweep plan', file);
  }
}

/** The spec recorded in a sweep folder. */
export function readStoredSpec(out: string): SweepSpec {
  const file = specFile(resolve(out));
  try {
    return parseSweepSpec(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new DataError('spec.json is missing or not JSON', file);
  }
}
