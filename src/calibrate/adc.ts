/**
 * Calibrate an ADC energy model (src/devices/adc.ts) to published or measured converters: columns
 * `bits`, `sample rate` and `energy` (per conversion) or `power` (E = P / f_s).
 * Models (all fitted on ln E, i.e. relative errors, since ADC energies span decades):
 *  - sar-linear:  E = e_b N                           -> preset energyModel sar-linear, energyPerBit
 *  - flash:       E = c (2^N - 1) + e_enc N           -> preset flash, comparatorEnergy, encoderEnergyPerBit
 *  - walden:      E = k 2^N (Walden FoM k per step, ENOB = N) -> preset flash with comparatorEnergy
 *                 k 2^Nb / (2^Nb - 1) at the base preset's Nb bits (exact at Nb)
 *  - murmann:     E = E_frontier(N, f_s) 10^(d / 10)  (d dB above the Murmann-survey frontier):
 *                 reported only; adc presets have no frontier-offset field.
 */
import { DataError } from '../core/errors.ts';
import { type AdcParams, adcEnergyPerConversion, adcParamsOf, murmannEnergy } from '../devices/adc.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import { linePlot } from '../core/svg.ts';
import {
  type DataSource,
  type FitMetadata,
  type FitParam,
  type FitStats,
  fitMetadata,
  nonPhysical,
  param,
  requireGoodFit,
  sourceName,
  statsOf,
  uncertaintyNote,
  withUnit,
} from './common.ts';
import { findColumn, numericColumn, parseCsvTable, requireColumn } from './csv.ts';
import { type LmResult, levenbergMarquardt } from './lm.ts';

export const ADC_FIT_MODELS = ['sar-linear', 'flash', 'walden', 'murmann'] as const;
export type AdcFitModel = (typeof ADC_FIT_MODELS)[number];

export interface AdcData {
  file?: string;
  bits: Float64Array;
  sampleRate: Float64Array;
  /** energy per conversion (J) */
  energy: Float64Array;
  lines?: number[];
}

export interface AdcReadOptions {
  energyUnit?: string;
  powerUnit?: string;
  rateUnit?: string;
}

/** Read bits, sample rate and energy or power columns. */
export function readAdcCsv(text: string, file?: string, opts: AdcReadOptions = {}): AdcData {
  const t = parseCsvTable(text, file);
  const bc = requireColumn(t, ['bits', 'n', 'resolution'], 'the resolution in bits');
  const fc = requireColumn(t, ['samplerate', 'fs', 'rate', 'samplingrate'], 'the sample rate');
  const ec = findColumn(t, ['energy', 'energyperconversion', 'e']);
  const pc = findColumn(t, ['power', 'p']);
  if (!ec && !pc) requireColumn(t, ['energy', 'power'], 'the energy per conversion or the power');
  if (t.rows.length === 0) throw new DataError('too few points: no data rows', file);
  const bits = numericColumn(t, bc, 'dimensionless', { integer: true, positive: true });
  const sampleRate = numericColumn(t, fc, 'frequency', { positive: true, ...(opts.rateUnit ? { unit: opts.rateUnit } : {}) });
  let energy: Float64Array;
  if (ec) energy = numericColumn(t, ec, 'energy', { positive: true, ...(opts.energyUnit ? { unit: opts.energyUnit } : {}) });
  else {
    const pw = numericColumn(t, pc!, 'power', { positive: true, ...(opts.powerUnit ? { unit: opts.powerUnit } : {}) });
    energy = Float64Array.from(pw, (p, i) => p / sampleRate[i]!);
  }
  return { ...(file !== undefined ? { file } : {}), bits, sampleRate, energy, lines: t.lines };
}

interface ModelDef {
  names: string[];
  units: string[];
  energy: (p: ArrayLike<number>, n: number, fs: number) => number;
  start: (d: AdcData) => number[];
}

/** Geometric mean of E / g(N) over the data: the least-squares start of a one-coefficient log fit. */
function logMeanRatio(d: AdcData, g: (n: number, fs: number) => number): number {
  let s = 0;
  for (let i = 0; i < d.bits.length; i++) s += Math.log(d.energy[i]! / g(d.bits[i]!, d.sampleRate[i]!));
  return Math.exp(s / d.bits.length);
}

const MODELS: Record<AdcFitModel, ModelDef> = {
  'sar-linear': {
    names: ['energyPerBit'],
    units: ['J'],
    energy: (p, n) => p[0]! * n,
    start: (d) => [logMeanRatio(d, (n) => n)],
  },
  flash: {
    names: ['comparatorEnergy', 'encoderEnergyPerBit'],
    units: ['J', 'J'],
    energy: (p, n) => p[0]! * (2 ** n - 1) + p[1]! * n,
    start: (d) => {
      const c = logMeanRatio(d, (n) => 2 ** n - 1);
      return [0.9 * c, (0.1 * c * (2 ** 4 - 1)) / 4];
    },
  },
  walden: {
    names: ['waldenFom'],
    units: ['J'],
    energy: (p, n) => p[0]! * 2 ** n,
    start: (d) => [logMeanRatio(d, (n) => 2 ** n)],
  },
  murmann: {
    names: ['frontierOffsetDb'],
    units: ['dB'],
    energy: (p, n, fs) => murmannEnergy(n, fs) * 10 ** (p[0]! / 10),
    start: (d) => [10 * Math.log10(logMeanRatio(d, (n, fs) => murmannEnergy(n, fs)))],
  },
};

export interface AdcFit {
  kind: 'adc';
  model: AdcFitModel;
  params: Record<string, FitParam>;
  /** fitted values in order of the model's names */
  values: number[];
  /** the model's energy per conversion at (N, f_s) with the fitted values (J) */
  energyAt: (bits: number, sampleRate: number) => number;
  /** rms of ln(E_fit / E): the typical relative error */
  logRms: number;
  stats: FitStats;
  lm: LmResult;
  data: AdcData;
}

/** Fit the model's coefficients on ln E. */
export function fitAdc(d: AdcData, model: AdcFitModel = 'sar-linear'): AdcFit {
  const file = d.file;
  const def = MODELS[model];
  const m = d.bits.length;
  const need = def.names.length + 1;
  if (m < need) throw new DataError(`too few points: ${m} converter(s), need at least ${need} to fit ${def.names.join(', ')} with an uncertainty`, file);
  if (model === 'flash' && new Set(d.bits).size < 2) throw new DataError('the flash model needs at least 2 different resolutions (bits)', file);
  const res = (p: Float64Array) => {
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const e = def.energy(p, d.bits[i]!, d.sampleRate[i]!);
      out[i] = e > 0 ? Math.log(e / d.energy[i]!) : Number.NaN;
    }
    return out;
  };
  const p0 = def.start(d);
  const scale = model === 'murmann' ? [Math.max(1, Math.abs(p0[0]!))] : p0.map((x) => Math.abs(x) || 1e-15);
  const lm = levenbergMarquardt(res, p0, { scale });
  requireGoodFit(lm, file, def.names);
  const params: Record<string, FitParam> = {};
  def.names.forEach((nm, k) => {
    const v = lm.params[k]!;
    if (def.units[k] === 'J' && !(v >= 0)) nonPhysical(file, nm, v, 'a non-negative energy');
    params[nm] = param(v, lm.sigma[k]!, def.units[k]!);
  });
  const values = Array.from(lm.params);
  const energyAt = (n: number, fs: number) => def.energy(values, n, fs);
  const ef = Float64Array.from({ length: m }, (_, i) => energyAt(d.bits[i]!, d.sampleRate[i]!));
  return {
    kind: 'adc',
    model,
    params,
    values,
    energyAt,
    logRms: Math.sqrt(lm.cost / m),
    stats: statsOf(lm, d.energy, ef, 'J'),
    lm,
    data: d,
  };
}

const DEFAULT_BASE: Record<AdcFitModel, string> = {
  'sar-linear': 'adc-sar-default',
  flash: 'adc-flash',
  walden: 'adc-flash',
  murmann: 'adc-murmann',
};

export interface AdcPresetOptions {
  name: string;
  src: DataSource;
  base?: string;
  date?: string;
}

/** Can this model be written as a preset? (murmann cannot: no offset field) */
export function adcModelWritable(model: AdcFitModel): boolean {
  return model !== 'murmann';
}

/** An adc preset from the base preset (bits, range, sample rate kept) with the fitted energy model. */
export function adcPresetFile(f: AdcFit, o: AdcPresetOptions): PresetFile & { fit: FitMetadata } {
  if (!adcModelWritable(f.model)) {
    throw new DataError(`the ${f.model} fit cannot be written as an adc preset (no frontier-offset field); use --model sar-linear, flash or walden`, o.src.file);
  }
  const b = loadPreset(o.base ?? DEFAULT_BASE[f.model], 'adc');
  const bp = adcParamsOf(b);
  const from = `fitted to ${sourceName(o.src.file)}`;
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  for (const k of ['energyPerBit', 'comparatorEnergy', 'encoderEnergyPerBit', 'energyFloor']) delete raw.params[k];
  const e = (x: number) => withUnit(x, 'fJ', 'energy');
  if (f.model === 'sar-linear') {
    raw.params.energyModel = { value: 'sar-linear', source: `${from} (E = energyPerBit * N)` };
    raw.params.energyPerBit = { value: e(f.values[0]!), source: from, note: uncertaintyNote(f.params.energyPerBit!, 'fJ', 'energy') };
  } else if (f.model === 'flash') {
    raw.params.energyModel = { value: 'flash', source: `${from} (E = comparatorEnergy (2^N - 1) + encoderEnergyPerBit N)` };
    raw.params.comparatorEnergy = { value: e(f.values[0]!), source: from, note: uncertaintyNote(f.params.comparatorEnergy!, 'fJ', 'energy') };
    raw.params.encoderEnergyPerBit = { value: e(f.values[1]!), source: from, note: uncertaintyNote(f.params.encoderEnergyPerBit!, 'fJ', 'energy') };
  } else {
    const nb = bp.bits;
    const c = (f.values[0]! * 2 ** nb) / (2 ** nb - 1);
    raw.params.energyModel = { value: 'flash', source: `${from} (Walden law E = k 2^N, written as a flash model exact at ${nb} bits)` };
    raw.params.comparatorEnergy = {
      value: e(c),
      source: `${from}: Walden FoM k = ${withUnit(f.values[0]!, 'fJ', 'energy', 6)} per step, times 2^${nb} / (2^${nb} - 1)`,
      note: `fit uncertainty ${withUnit((f.params.waldenFom!.uncertainty * 2 ** nb) / (2 ** nb - 1), 'fJ', 'energy', 3)} (1 sigma)`,
    };
    raw.params.encoderEnergyPerBit = { value: '0 fJ', source: `${from} (the Walden law has no encoder term)` };
  }
  const { $schema: _s, ...rest } = raw;
  return {
    ...rest,
    name: o.name,
    kind: 'adc',
    description: `ADC energy model "${f.model}" fitted to ${sourceName(o.src.file)}; bits, range and sample rate from ${b.name}`,
    fit: fitMetadata(o.src, `${f.model} energy per conversion, fitted on ln E`, f.stats, f.params, { base: b.name, logRms: f.logRms }, o.date),
  };
}

/** Energy per conversion a preset gives at (N, f_s): for checking that a written preset reproduces the fit. */
export function presetEnergy(p: AdcParams, bits: number, sampleRate: number): number {
  return adcEnergyPerConversion({ ...p, bits, sampleRate }).total;
}

/** SVG: log10 energy per conversion against bits, data and fit. */
export function adcPlot(f: AdcFit, title = 'ADC energy fit'): string {
  const d = f.data;
  const x = Array.from(d.bits);
  const series = [
    { name: 'data', x, y: Array.from(d.energy, (e) => Math.log10(e)), points: true },
    { name: `${f.model} fit (at each point)`, x, y: x.map((n, i) => Math.log10(f.energyAt(n, d.sampleRate[i]!))), points: true, color: '#d62728' },
  ];
  if (f.model !== 'murmann') {
    const lo = Math.min(...x);
    const hi = Math.max(...x);
    const grid = Array.from({ length: 41 }, (_, i) => lo + ((hi - lo) * i) / 40);
    series.push({ name: `${f.model} fit`, x: grid, y: grid.map((n) => Math.log10(f.energyAt(n, 1e9))), points: false, color: '#d62728' });
  }
  return linePlot({ title: `${title} (${f.model})`, xLabel: 'resolution N (bits)', yLabel: 'log10 energy per conversion (J)', series });
}
