/**
 * Calibration: fit device parameters to measured data (CSV) or to SPICE sweeps of a model card, and
 * write presets (`devices/<name>.json`) whose fitted values carry `fitted to <file>` sources and a
 * `fit` block (uncertainties, residual RMS, R^2, points, data sha256, date).
 *
 * Each `calibrate*` function reads, fits and builds the preset and the plot in memory; nothing is
 * written until `writeCalibration`, so bad data (a DataError) leaves no file behind.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, DataError } from '../core/errors.ts';
import { parseQuantity } from '../core/units.ts';
import { type PresetFile, loadPreset, parsePreset } from '../devices/preset.ts';
import { createEngine, type EngineKind } from '../spice/engine.ts';
import { type AdcFit, type AdcFitModel, adcModelWritable, adcPlot, adcPresetFile, fitAdc, readAdcCsv } from './adc.ts';
import { type DataSource, type FitParam, checkPresetName, defaultName, presetPath, readDataFile, writePlot, writePresetFile } from './common.ts';
import { type DwmtjFit, dwmtjBase, dwmtjFitSummary, dwmtjPlot, dwmtjPresetFile, fitDwmtj, readDwmtjCsv } from './dwmtj.ts';
import {
  type BoundRow,
  type GateError,
  type MosfetFit,
  type Polarity,
  boundShift,
  fitLevel1,
  gateVoltageError,
  mosfetPlot,
  mosfetPresetFile,
  parseModelCards,
  pickCard,
  spiceSweep,
} from './mosfet.ts';
import { type MtjFit, fitMtj, mtjFitSummary, mtjPlot, mtjPresetFile, readMtjCsv } from './mtj.ts';
import type { MosfetParams } from '../devices/mosfet.ts';

export * from './adc.ts';
export * from './common.ts';
export * from './csv.ts';
export * from './dwmtj.ts';
export * from './lm.ts';
export * from './mosfet.ts';
export * from './mtj.ts';

/** One preset to write, with where it goes. */
export interface PresetOut {
  name: string;
  path: string;
  preset: PresetFile;
}

export interface Calibration<F> {
  kind: string;
  fit: F;
  /** fitted values in SI for reports and --json */
  summary: Record<string, FitParam | FitParam[]>;
  presets: PresetOut[];
  /** the plot of data and fit; several (by name) when one run fits several devices */
  svg: string | Record<string, string>;
  /** extra report items (mosfet: gate-voltage and bound errors) */
  report?: Record<string, unknown>;
}

export interface CommonOptions {
  data: string;
  name?: string;
  out?: string;
  date?: string;
}

function area(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  return parseQuantity(v, 'area', { field: '--area' });
}

export function calibrateMtj(o: CommonOptions & { area?: string | number; voltageUnit?: string; resistanceUnit?: string; currentUnit?: string; state?: 'P' | 'AP'; base?: string }): Calibration<MtjFit> {
  const src = readDataFile(o.data);
  const a = area(o.area);
  const d = readMtjCsv(src.text, o.data, {
    ...(o.voltageUnit ? { voltageUnit: o.voltageUnit } : {}),
    ...(o.resistanceUnit ? { resistanceUnit: o.resistanceUnit } : {}),
    ...(o.currentUnit ? { currentUnit: o.currentUnit } : {}),
    ...(o.state ? { state: o.state } : {}),
  });
  const fit = fitMtj(d, a !== undefined ? { area: a } : {});
  const name = checkPresetName(o.name ?? defaultName('mtj', o.data));
  const preset = mtjPresetFile(fit, { name, src, ...(o.base ? { base: o.base } : {}), ...(o.date ? { date: o.date } : {}) });
  return { kind: 'mtj', fit, summary: mtjFitSummary(fit), presets: [{ name, path: presetPath(name, o.out), preset }], svg: mtjPlot(fit) };
}

export function calibrateDwmtj(
  o: CommonOptions & { base?: string; resistanceUnit?: string; readBias?: string | number; subtractTrack?: boolean; ends?: boolean },
): Calibration<DwmtjFit> {
  const src = readDataFile(o.data);
  const d = readDwmtjCsv(src.text, o.data, o.resistanceUnit ? { resistanceUnit: o.resistanceUnit } : {});
  const base = dwmtjBase(o.base);
  const readBias = o.readBias === undefined ? 0 : parseQuantity(o.readBias, 'voltage', { field: '--read-bias' });
  const fit = fitDwmtj(d, {
    readBias,
    vh: base.params.vh,
    seriesResistance: o.subtractTrack ? base.seriesResistance : 0,
    ...(o.ends ? { ends: true } : {}),
  });
  const name = checkPresetName(o.name ?? defaultName('dwmtj', o.data));
  const preset = dwmtjPresetFile(fit, { name, src, base: base.preset.name, ...(o.date ? { date: o.date } : {}) });
  return { kind: 'dwmtj', fit, summary: dwmtjFitSummary(fit), presets: [{ name, path: presetPath(name, o.out), preset }], svg: dwmtjPlot(fit) };
}

export function calibrateAdc(
  o: CommonOptions & { model?: AdcFitModel; base?: string; energyUnit?: string; powerUnit?: string; rateUnit?: string },
): Calibration<AdcFit> {
  const src = readDataFile(o.data);
  const d = readAdcCsv(src.text, o.data, {
    ...(o.energyUnit ? { energyUnit: o.energyUnit } : {}),
    ...(o.powerUnit ? { powerUnit: o.powerUnit } : {}),
    ...(o.rateUnit ? { rateUnit: o.rateUnit } : {}),
  });
  const model = o.model ?? 'sar-linear';
  const fit = fitAdc(d, model);
  const presets: PresetOut[] = [];
  if (adcModelWritable(model)) {
    const name = checkPresetName(o.name ?? defaultName('adc', o.data));
    const preset = adcPresetFile(fit, { name, src, ...(o.base ? { base: o.base } : {}), ...(o.date ? { date: o.date } : {}) });
    presets.push({ name, path: presetPath(name, o.out), preset });
  }
  return { kind: 'adc', fit, summary: fit.params, presets, svg: adcPlot(fit), report: { logRms: fit.logRms, presetWritten: presets.length > 0 } };
}

export interface MosfetCalibrationOptions {
  /** the model card file */
  card: string;
  type?: Polarity | 'both';
  engine?: EngineKind;
  modelName?: string;
  name?: string;
  out?: string;
  w?: string | number;
  l?: string | number;
  vmax?: string | number;
  step?: string | number;
  floor?: string | number;
  cell?: string;
  timeoutMs?: number;
  date?: string;
}

export interface MosfetReport {
  /** gate-voltage error at equal current vs the SPICE card, with the level-1 preset and with the fit (V) */
  gateError: Record<string, { before: GateError; after: GateError; reference: string }>;
  /** MACAM bounds computed behaviorally with the level-1 presets and with the fitted devices */
  bounds: { cell: string; rows: BoundRow[] };
}

/** Fit level-1 presets to SPICE DC sweeps of a model card (nmos, pmos or both). */
export async function calibrateMosfet(o: MosfetCalibrationOptions): Promise<Calibration<Record<string, MosfetFit>> & { report: MosfetReport }> {
  let text: string;
  try {
    text = readFileSync(o.card, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read the model card file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, o.card);
  }
  const src: DataSource = { ...readDataFile(o.card), text };
  const cards = parseModelCards(text, o.card);
  const types: Polarity[] = o.type === 'nmos' || o.type === 'pmos' ? [o.type] : (['nmos', 'pmos'] as const).filter((t) => cards.some((c) => c.type === t));
  if (o.out && types.length > 1) throw new ConfigError(undefined, '--out', 'a single --type (nmos or pmos) when --out names one file', o.out);
  const num = (v: string | number | undefined, dim: 'length' | 'voltage' | 'current', flag: string) =>
    v === undefined ? undefined : parseQuantity(v, dim, { field: flag });
  const sweepOpts = {
    ...(o.w !== undefined ? { w: num(o.w, 'length', '--w')! } : {}),
    ...(o.l !== undefined ? { l: num(o.l, 'length', '--l')! } : {}),
    ...(o.vmax !== undefined ? { vmax: num(o.vmax, 'voltage', '--vmax')! } : {}),
    ...(o.step !== undefined ? { step: num(o.step, 'voltage', '--step')! } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  };
  const floor = num(o.floor, 'current', '--current-floor');
  const engineKind = o.engine ?? 'wasm';
  const engine = createEngine(engineKind);
  const fits: Record<string, MosfetFit> = {};
  const presets: PresetOut[] = [];
  const gateError: MosfetReport['gateError'] = {};
  const tag = o.name ?? defaultName('', o.card).replace(/^-/, '').split('.')[0]!;
  try {
    for (const t of types) {
      const card = pickCard(cards, t, o.modelName, o.card);
      const sweep = await spiceSweep(engine, card, sweepOpts);
      const fit = fitLevel1(sweep, { file: o.card, ...(floor !== undefined ? { floor } : {}) });
      fits[t] = fit;
      const ref = loadPreset(`${t}-level1`, 'mosfet');
      gateError[t] = { before: gateVoltageError(sweep, ref.params as unknown as MosfetParams), after: gateVoltageError(sweep, fit.params), reference: ref.name };
      const name = checkPresetName(o.name && types.length === 1 ? o.name : `${t}-${tag}`);
      const preset = mosfetPresetFile(fit, {
        name,
        src,
        engine: engineKind,
        cardName: card.name,
        ...(o.date ? { date: o.date } : {}),
        extra: { gateVoltageError: gateError[t] },
      });
      presets.push({ name, path: presetPath(name, o.out), preset });
    }
  } finally {
    await engine.close();
  }
  const bounds = boundShift({ ...(fits.nmos ? { nmos: fits.nmos.params } : {}), ...(fits.pmos ? { pmos: fits.pmos.params } : {}) }, o.cell);
  const summary: Record<string, FitParam> = {};
  for (const [t, f] of Object.entries(fits)) {
    summary[`${t}.vto`] = f.vto;
    summary[`${t}.kp`] = f.kp;
    summary[`${t}.lambda`] = f.lambda;
  }
  const plots = Object.fromEntries(Object.entries(fits).map(([t, f]) => [t, mosfetPlot(f)]));
  const svg = types.length === 1 ? plots[types[0]!]! : plots;
  return { kind: 'mosfet', fit: fits, summary, presets, svg, report: { gateError, bounds } };
}

/** Write the presets (validated, atomic) and the plot. Returns the paths written. */
export function writeCalibration(c: Calibration<unknown>, opts: { plot?: string; force?: boolean } = {}): string[] {
  // validate every preset and check every target before writing anything
  for (const p of c.presets) {
    parsePreset(p.preset, p.path, p.preset.kind);
    if (!opts.force) {
      try {
        readFileSync(p.path);
        throw new ConfigError(undefined, '--out', 'a preset path that does not exist yet (or --force to replace it)', p.path);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
      }
    }
  }
  const written: string[] = [];
  for (const p of c.presets) written.push(writePresetFile(p.path, p.preset, opts.force));
  if (opts.plot) {
    if (typeof c.svg === 'string') {
      writePlot(opts.plot, c.svg);
      written.push(opts.plot);
    } else {
      for (const [k, svg] of Object.entries(c.svg)) {
        const path = opts.plot.replace(/(\.svg)?$/i, `-${k}$1`);
        writePlot(path, svg);
        written.push(path);
      }
    }
  }
  return written;
}
