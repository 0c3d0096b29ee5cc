/**
 * Calibration: fit device parameters to measured data (CSV) or to SPICE sweeps of a model card, and
 * write presets (`<name>.json` in the working directory, or where --out points) whose fitted values carry `fitted to <file>` sources and a
 * `fit` block (uncertainties, residual RMS, R^2, points, data sha256, date).
 *
 * Each `calibrate*` function reads, fits and builds the preset and the plot in memory; nothing is
 * written until `writeCalibration`, so bad data (a DataError) leaves no file behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, DataError } from '../core/errors.ts';
import { parseQuantity } from '../core/units.ts';
import { type PresetFile, loadPreset, parsePreset } from '../devices/preset.ts';
import { createEngine, type EngineKind } from '../spice/engine.ts';
import { type AdcFit, type AdcFitModel, adcModelWritable, adcPlot, adcPresetFile, fitAdc, readAdcCsv } from './adc.ts';
import { type DataSource, type FitParam, checkPresetName, defaultName, isFolder, presetPath, readDataFile, sourceName, writePlot, writePresetFile } from './common.ts';
import { type DwmtjFit, dwmtjBase, dwmtjFitSummary, dwmtjPlot, dwmtjPresetFile, fitDwmtj, readDwmtjCsv } from './dwmtj.ts';
import { type BoundErrorSummary, type BoundRow, type SpiceBoundTarget, boundErrors, boundShift, refineToBounds, withTransistors } from './mosfet-bounds.ts';
import { mosfetPlot, mosfetPresetFile } from './mosfet-preset.ts';
import { type FitModel, type GateError, type MosfetFit, fitEkv, fitLevel1, gateVoltageError } from './mosfet.ts';
import { type ModelCard, type Polarity, cardLibrary, parseModelCards, pickCard } from '../spice/model-cards.ts';
import { type IvSweep, spiceSweep } from '../spice/mosfet-sweep.ts';
import { type MtjFit, fitMtj, mtjFitSummary, mtjPlot, mtjPresetFile, readMtjCsv } from './mtj.ts';
import type { MosfetParams } from '../devices/mosfet.ts';
import { type MacamCell, loadMacamCell } from '../devices/macam.ts';
import { presetSearchPath } from '../devices/preset.ts';
import { renderBsim4Library, renderTemplate } from '../spice/netlist.ts';
import type { CustomLibrary, SearchStats } from '../spice/bound-search.ts';
import { dirname, resolve as resolvePath } from 'node:path';

export * from './adc.ts';
export * from './common.ts';
export * from './csv.ts';
export * from './dwmtj.ts';
export * from './lm.ts';
export * from './mosfet-bounds.ts';
export * from './mosfet-preset.ts';
export {
  type FitModel,
  type GateError,
  type GatePoint,
  type MosfetFit,
  type MosfetFitOptions,
  ekvParams,
  fitEkv,
  fitLevel1,
  gatePoints,
  gateResiduals,
  gateVoltageError,
} from './mosfet.ts';
// the model cards and the I-V sweep decks live in spice/; calibrate has always exported them
export * from '../spice/model-cards.ts';
export * from '../spice/mosfet-sweep.ts';
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
  /** MACAM cell preset the bounds are computed for (default macam-measured) */
  cell?: string;
  /** behavioral model to fit: auto = level1 for a level-1 card, else ekv */
  fitModel?: FitModel | 'auto';
  /**
   * refine the EKV fits against MACAM bounds found in SPICE with the card (needs both polarities);
   * default true for EKV fits of both polarities. The before/after SPICE bound errors are reported
   * whenever this runs.
   */
  refine?: boolean;
  /** wall positions of the SPICE bound targets (both branches), default 0, 0.25, 0.5, 0.75, 1 */
  grid?: readonly number[];
  /** write a cell preset of this name: the `cell` preset with the fitted transistors */
  cellName?: string;
  /** engines in parallel for the bound search */
  threads?: number;
  timeoutMs?: number;
  date?: string;
}

export interface SpiceBoundReport {
  cell: string;
  engine: EngineKind;
  /** the transistor library the SPICE bounds ran with: the shipped bsim4 library, or the card file's cards */
  library: string;
  /** bounds of the base cell's own transistor presets (before), the DC fit, and the refined fit (after) vs SPICE */
  before: BoundErrorSummary;
  dcFit: BoundErrorSummary;
  after: BoundErrorSummary;
  refined: boolean;
  search: SearchStats;
}

export interface MosfetReport {
  /** gate-voltage error at equal current vs the SPICE card, with the level-1 preset and with the fit (V) */
  gateError: Record<string, { before: GateError; after: GateError; reference: string }>;
  /** MACAM bounds computed behaviorally with the level-1 presets and with the fitted devices */
  bounds: { cell: string; rows: BoundRow[] };
  /** behavioral bounds against SPICE bounds with the card (both polarities fitted, refine on) */
  spice?: SpiceBoundReport;
}

/** The widths to sweep: the unit device and every W/L the cell gives this polarity. */
function sweepWidths(cell: MacamCell, t: Polarity, w: number): number[] {
  const p = cell.params;
  const wls = t === 'nmos' ? [p.wlT1, p.wlT2, p.wlT3, p.wlT5, p.wlT6] : [p.wlT4];
  return [...new Set([1, ...wls])].map((x) => x * w);
}

/** The library the cell netlists use for these cards: the shipped bsim4 one when the cards are its own. */
function libraryFor(cards: { nmos: ModelCard; pmos: ModelCard }, file: string): { library?: CustomLibrary; name: string } {
  const shipped = parseModelCards(renderBsim4Library());
  const same = (c: ModelCard) => shipped.some((s) => s.type === c.type && s.text.replace(/^\.model\s+\S+/i, '') === c.text.replace(/^\.model\s+\S+/i, ''));
  if (same(cards.nmos) && same(cards.pmos)) return { name: `${sourceName(file)} (the cards of the shipped bsim4 library)` };
  const description = `${sourceName(file)} (cards ${cards.nmos.name}, ${cards.pmos.name})`;
  return { library: { text: cardLibrary(cards.nmos, cards.pmos, renderTemplate('models/fet-wrappers.lib.hbs', {})), description }, name: description };
}

/**
 * Fit behavioral MOSFET presets to SPICE DC sweeps of a model card (nmos, pmos or both): level 1
 * (VTO, KP, LAMBDA) or EKV (also n, THETA, ETA); with both polarities and EKV, refine them against
 * MACAM bounds found in SPICE with the card and report the bound errors before and after.
 */
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
  if (o.out && types.length > 1 && !isFolder(o.out)) throw new ConfigError(undefined, '--out', 'a folder (ending in "/" or existing) or a single --type (nmos or pmos) when --out names one file', o.out);
  const num = (v: string | number | undefined, dim: 'length' | 'voltage' | 'current', flag: string) =>
    v === undefined ? undefined : parseQuantity(v, dim, { field: flag });
  const sweepOpts = {
    ...(o.l !== undefined ? { l: num(o.l, 'length', '--l')! } : {}),
    ...(o.vmax !== undefined ? { vmax: num(o.vmax, 'voltage', '--vmax')! } : {}),
    ...(o.step !== undefined ? { step: num(o.step, 'voltage', '--step')! } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  };
  const w = o.w !== undefined ? num(o.w, 'length', '--w')! : 100e-9;
  const floor = num(o.floor, 'current', '--current-floor');
  const engineKind = o.engine ?? 'wasm';
  const baseCell = loadMacamCell(o.cell ?? 'macam-measured');
  const picked = Object.fromEntries(types.map((t) => [t, pickCard(cards, t, o.modelName, o.card)])) as Partial<Record<Polarity, ModelCard>>;
  const modelOf = (c: ModelCard): FitModel => (o.fitModel === 'level1' || o.fitModel === 'ekv' ? o.fitModel : c.level === 1 ? 'level1' : 'ekv');
  const engine = createEngine(engineKind);
  let fits: Record<string, MosfetFit> = {};
  const gateError: MosfetReport['gateError'] = {};
  const tag = o.name ?? defaultName('', o.card).split('.')[0]!;
  try {
    for (const t of types) {
      const card = picked[t]!;
      const model = modelOf(card);
      const widths = model === 'ekv' ? sweepWidths(baseCell, t, w) : [w];
      const sweeps: IvSweep[] = [];
      for (const wi of widths) sweeps.push(await spiceSweep(engine, card, { ...sweepOpts, w: wi }));
      fits[t] = model === 'ekv' ? fitEkv(sweeps, { file: o.card, ...(floor !== undefined ? { floor } : {}) }) : fitLevel1(sweeps[0]!, { file: o.card, ...(floor !== undefined ? { floor } : {}) });
    }
  } finally {
    await engine.close();
  }

  // SPICE bounds with the card, and the EKV refinement against them
  let spice: SpiceBoundReport | undefined;
  const both = fits.nmos && fits.pmos;
  const refine = o.refine ?? Boolean(both && fits.nmos!.model === 'ekv' && fits.pmos!.model === 'ekv');
  if (refine) {
    if (!both) throw new ConfigError(undefined, '--refine', 'both polarities fitted (--type both, a card file with an nmos and a pmos card)', types.join(','));
    if (fits.nmos!.model !== 'ekv' || fits.pmos!.model !== 'ekv') throw new ConfigError(undefined, '--refine', 'EKV fits (--fit-model ekv)', `${fits.nmos!.model}/${fits.pmos!.model}`);
    const { enginePool, spiceBounds } = await import('../spice/bound-search.ts');
    const lib = libraryFor({ nmos: picked.nmos!, pmos: picked.pmos! }, o.card);
    const grid = o.grid ?? [0, 0.25, 0.5, 0.75, 1];
    const list = [...grid.map((f) => ({ branch: 'lo' as const, fLo: f, fHi: 0 })), ...grid.map((f) => ({ branch: 'hi' as const, fLo: 0, fHi: f }))];
    const pool = enginePool(engineKind, o.threads);
    let found: Awaited<ReturnType<typeof spiceBounds>>;
    try {
      found = await spiceBounds(baseCell, list, pool, { model: 'bsim4', tol: 5e-5, ...(lib.library ? { library: lib.library } : {}) });
    } finally {
      await pool.close();
    }
    const targets: SpiceBoundTarget[] = list.map((t, i) => ({ branch: t.branch, f: t.branch === 'lo' ? t.fLo : t.fHi, spice: found.bounds[i]! }));
    const dc = { nmos: fits.nmos!, pmos: fits.pmos! };
    const r = refineToBounds(baseCell, dc, targets, { file: o.card });
    fits = { nmos: r.nmos, pmos: r.pmos };
    spice = {
      cell: baseCell.name,
      engine: engineKind,
      library: lib.name,
      before: boundErrors(baseCell, targets),
      dcFit: boundErrors(withTransistors(baseCell, { nmos: dc.nmos.params, pmos: dc.pmos.params }), targets),
      after: boundErrors(withTransistors(baseCell, { nmos: r.nmos.params, pmos: r.pmos.params }), targets),
      refined: true,
      search: found.stats,
    };
  }

  const presets: PresetOut[] = [];
  for (const t of types) {
    const fit = fits[t]!;
    const ref = loadPreset(`${t}-level1`, 'mosfet');
    gateError[t] = { before: gateVoltageError(fit.sweep, ref.params as unknown as MosfetParams), after: gateVoltageError(fit.sweep, fit.params), reference: ref.name };
    const name = checkPresetName(o.name && types.length === 1 ? o.name : `${t}-${tag}`);
    const preset = mosfetPresetFile(fit, {
      name,
      src,
      engine: engineKind,
      cardName: picked[t]!.name,
      ...(o.date ? { date: o.date } : {}),
      extra: {
        gateVoltageError: gateError[t],
        ...(spice ? { boundError: boundErrorMeta(spice) } : {}),
      },
    });
    presets.push({ name, path: presetPath(name, o.out), preset });
  }
  if (o.cellName) {
    if (!both) throw new ConfigError(undefined, '--cell-name', 'both polarities fitted (a cell needs an nmos and a pmos preset)', types.join(','));
    presets.push(cellPreset(o.cellName, baseCell.name, presets, o.card, spice, o.out));
  }
  const bounds = boundShift({ ...(fits.nmos ? { nmos: fits.nmos.params } : {}), ...(fits.pmos ? { pmos: fits.pmos.params } : {}) }, o.cell);
  const summary: Record<string, FitParam> = {};
  for (const [t, f] of Object.entries(fits)) {
    summary[`${t}.vto`] = f.vto;
    summary[`${t}.kp`] = f.kp;
    summary[`${t}.lambda`] = f.lambda;
    if (f.n) summary[`${t}.n`] = f.n;
    if (f.theta) summary[`${t}.theta`] = f.theta;
    if (f.eta) summary[`${t}.eta`] = f.eta;
  }
  const plots = Object.fromEntries(Object.entries(fits).map(([t, f]) => [t, mosfetPlot(f)]));
  const svg = types.length === 1 ? plots[types[0]!]! : plots;
  return { kind: 'mosfet', fit: fits, summary, presets, svg, report: { gateError, bounds, ...(spice ? { spice } : {}) } };
}

/** The bound errors for a preset's fit block (finite numbers only, so the JSON stays valid). */
function boundErrorMeta(sp: SpiceBoundReport): Record<string, unknown> {
  const sum = (e: BoundErrorSummary) => ({ maxFinite: e.maxFinite, rmsFinite: e.rmsFinite, unmatched: e.unmatched });
  return {
    cell: sp.cell,
    library: sp.library,
    before: sum(sp.before),
    dcFit: sum(sp.dcFit),
    after: sum(sp.after),
    targets: sp.after.rows.map((x) => ({ branch: x.branch, f: x.f, spice: Number.isFinite(x.spice) ? x.spice : String(x.spice) })),
  };
}

/** A cell preset: the base cell's file with its nmos / pmos references pointing at the fitted presets. */
function cellPreset(name: string, base: string, mos: PresetOut[], card: string, spice?: SpiceBoundReport, out?: string): PresetOut {
  checkPresetName(name);
  const b = loadPreset(base, 'macam-cell');
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  // by name when the name finds this very file on the preset search path, else by absolute path
  const ref = (p: PresetOut) => {
    const dir = dirname(resolvePath(p.path));
    const first = presetSearchPath().find((f) => f.dir === dir || existsSync(resolvePath(f.dir, `${p.name}.json`)));
    return first?.dir === dir && p.path.endsWith(`${p.name}.json`) ? p.name : resolvePath(p.path);
  };
  for (const p of mos) {
    const t = p.preset.params.polarity?.value as Polarity;
    raw.params[t] = { value: ref(p), source: `fitted to ${sourceName(card)} by fusemix calibrate mosfet (preset ${p.name})` };
  }
  const { $schema: _s, ...rest } = raw;
  const un = (e: BoundErrorSummary) => (e.unmatched ? ` (and ${e.unmatched} position${e.unmatched > 1 ? 's' : ''} where SPICE finds no bound in [0, V_DD] but the behavioral cell does, or the reverse)` : '');
  const err = spice
    ? ` Behavioral bounds vs SPICE with the card at wall positions ${[...new Set(spice.after.rows.map((r) => r.f))].join(', ')} of both branches: max error ${(spice.before.maxFinite * 1e3).toFixed(1)} mV with ${base}'s transistors${un(spice.before)}, ${(spice.after.maxFinite * 1e3).toFixed(2)} mV with the fitted ones${un(spice.after)}.`
    : '';
  return {
    name,
    path: out !== undefined && isFolder(out) ? presetPath(name, out) : resolvePath(dirname(mos[0]!.path), `${name}.json`),
    preset: { ...rest, name, kind: 'macam-cell', description: `${b.raw.description ?? base} -- with its transistors fitted to ${sourceName(card)} by fusemix calibrate mosfet.${err}` },
  };
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
