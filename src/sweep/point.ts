/**
 * One sweep point: computed in this process through the library (runMix, compareUnit, the cell
 * model), written atomically to `<out>/points/<id>.json` with its manifest. A point whose file is
 * there and valid (its id, its format and the checksum of its result) is not computed again. The
 * result part is a function of the configuration alone (no times, no host): those are in the
 * manifest, so the merged table is the same bytes however and wherever the points were run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { jsonReplacer, makeManifest, sha256, writeFileAtomic, type RunManifest } from '../core/io.ts';
import { boundDistribution, boundRange, cellBounds, loadMacamCell, searchEnergy } from '../devices/macam.ts';
import { runMix } from '../mixer/run.ts';
import type { MixOptions } from '../mixer/options.ts';
import { compareUnit, type CompareOptions } from '../units/compare.ts';
import { canonicalJson, type SweepPoint } from './plan.ts';

export const POINT_FORMAT = 'fusemix-sweep-point/1';

export interface PointFile {
  format: typeof POINT_FORMAT;
  id: string;
  kind: SweepPoint['kind'];
  axes: Record<string, unknown>;
  seed: number | string;
  config: Record<string, unknown>;
  presets: SweepPoint['presets'];
  result: Record<string, unknown>;
  /** sha256 of the canonical JSON of `result` */
  checksum: string;
  manifest: RunManifest & { runner: string; host: string; elapsedMs: number };
}

export const pointPath = (out: string, id: string) => join(out, 'points', `${id}.json`);

/** A point's finished result, or undefined when its file is missing, torn, of another id or corrupt. */
export function readPoint(out: string, id: string): PointFile | undefined {
  const file = pointPath(out, id);
  if (!existsSync(file)) return undefined;
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as PointFile;
    if (p.format !== POINT_FORMAT || p.id !== id || !p.result || typeof p.result !== 'object') return undefined;
    if (p.checksum !== sha256(canonicalJson(p.result))) return undefined;
    return p;
  } catch {
    return undefined;
  }
}

/** Plain JSON (typed arrays as arrays, non-finite numbers as strings): what the point file stores. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, jsonReplacer)) as Record<string, unknown>;

/** The computation of one point, as the library does it (no files). */
export function computePoint(p: SweepPoint): Record<string, unknown> {
  const c = p.config;
  switch (p.kind) {
    case 'mix': {
      const run = runMix(c as unknown as Partial<MixOptions>, { threads: 1 });
      return plain(run.result);
    }
    case 'unit': {
      const { seed, variation, ...rest } = c;
      const opts = { ...rest, ...(variation ? { variation: { seed: seed as number | string } } : {}) } as unknown as CompareOptions;
      const { report } = compareUnit(opts);
      return plain(report);
    }
    case 'cell': {
      const cell = loadMacamCell(String(c.cell));
      const fLo = Number(c.fLo);
      const fHi = Number(c.fHi);
      const bounds = cellBounds(cell, fLo, fHi);
      const range = boundRange(cell);
      // the search energy at the middle of the window, as `fusemix cell` reports it
      const vdl = 0.5 * (Math.max(bounds.vLo, range.lo[0]) + Math.min(bounds.vHi, range.hi[1]));
      const energy = searchEnergy(cell, fLo, fHi, vdl);
      const n = Number(c.mcSamples);
      const mc = n > 0 ? boundDistribution(cell, fLo, fHi, { samples: n, seed: p.seed }) : undefined;
      return plain({
        presets: cell.presets,
        bounds,
        vdl,
        energy,
        ...(mc ? { monteCarlo: { samples: n, lo: mc.lo, hi: mc.hi } } : {}),
      });
    }
  }
}

/** Run a point unless its valid result is there; returns whether it was computed. */
export function runPoint(p: SweepPoint, out: string, runner: string): { computed: boolean; file: string } {
  const file = pointPath(out, p.id);
  if (readPoint(out, p.id)) return { computed: false, file };
  const started = new Date();
  const t0 = performance.now();
  const result = computePoint(p);
  const body: PointFile = {
    format: POINT_FORMAT,
    id: p.id,
    kind: p.kind,
    axes: { ...p.axes },
    seed: p.seed,
    config: { ...p.config },
    presets: p.presets,
    result,
    checksum: sha256(canonicalJson(result)),
    manifest: {
      ...makeManifest(`sweep ${p.kind} point`, {
        seed: p.seed,
        presets: Object.fromEntries(Object.entries(p.presets).map(([k, v]) => [k, v.name])),
        engine: null,
        started: started.toISOString(),
        finished: new Date().toISOString(),
        options: { ...p.config },
      }),
      runner,
      host: hostname(),
      elapsedMs: Math.round(performance.now() - t0),
    },
  };
  writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`);
  return { computed: true, file };
}
