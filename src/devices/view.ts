/** A preset as a table: each value in SI, with its unit, a human rendering, its source and its doc. */
import { DIMENSIONS, formatQuantity } from '../core/units.ts';
import { type LoadedPreset, specOf } from './preset.ts';

export interface PresetParamView {
  value: unknown;
  unit: string;
  display: string;
  /** 1-sigma fit uncertainty in SI (same unit as value) when the preset was fitted */
  uncertainty?: number | number[];
  /** the uncertainty rendered with its unit */
  uncertaintyDisplay?: string;
  source: string;
  doc: string;
}

export function presetView(p: LoadedPreset) {
  const spec = specOf(p.kind)!;
  const params: Record<string, PresetParamView> = {};
  for (const [k, fs] of Object.entries(spec)) {
    const v = (p.params as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const unit = fs.kind === 'quantity' || fs.kind === 'list' ? DIMENSIONS[fs.dim] : '';
    const display = Array.isArray(v)
      ? `[${(v as number[]).map((x) => formatQuantity(x, unit)).join(', ')}]`
      : typeof v === 'number'
        ? formatQuantity(v, unit)
        : String(v);
    const sigma = fitUncertainty(p.fit, k);
    const sigmaDisplay =
      sigma === undefined ? undefined : Array.isArray(sigma) ? `[${sigma.map((x) => formatQuantity(x, unit)).join(', ')}]` : formatQuantity(sigma, unit);
    params[k] = { value: v, unit, display, ...(sigma !== undefined ? { uncertainty: sigma, uncertaintyDisplay: sigmaDisplay! } : {}), source: p.sources[k] ?? '', doc: fs.doc };
  }
  return { name: p.name, kind: p.kind, description: p.description ?? '', file: p.file, params, ...(p.fit ? { fit: p.fit } : {}) };
}


/** The 1-sigma uncertainty a fit block stores for parameter k (`fit.params[k].uncertainty`, SI). */
function fitUncertainty(fit: Record<string, unknown> | undefined, k: string): number | number[] | undefined {
  const params = fit?.params as Record<string, unknown> | undefined;
  const e = params?.[k];
  const one = (x: unknown) => (x && typeof x === 'object' && typeof (x as { uncertainty?: unknown }).uncertainty === 'number' ? (x as { uncertainty: number }).uncertainty : undefined);
  if (Array.isArray(e)) {
    const xs = e.map(one);
    return xs.every((x) => x !== undefined) ? (xs as number[]) : undefined;
  }
  return one(e);
}
