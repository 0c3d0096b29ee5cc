/** A preset as a table: each value in SI, with its unit, a human rendering, its source and its doc. */
import { DIMENSIONS, formatQuantity } from '../core/units.ts';
import { type LoadedPreset, specOf } from './preset.ts';

export interface PresetParamView {
  value: unknown;
  unit: string;
  display: string;
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
    params[k] = { value: v, unit, display, source: p.sources[k] ?? '', doc: fs.doc };
  }
  return { name: p.name, kind: p.kind, description: p.description ?? '', file: p.file, params, ...(p.fit ? { fit: p.fit } : {}) };
}

