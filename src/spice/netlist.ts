/**
 * Netlist builder: renders fusemix's device models, MACAM cells, fused activation columns and
 * testbenches as ngspice netlists from the handlebars templates in templates/ (one law, two
 * renderings: the equations live in src/devices; the templates only print them).
 *
 * Everything printed is deterministic (no dates): the same inputs give the same bytes. Numbers go
 * through `formatSpice` (one formatter). Each netlist starts with a comment header naming the
 * fusemix version, the presets, the transistor library and the seed (or "none").
 * The testbenches, the element decks and the committed netlists built from these pieces are in
 * testbench.ts.
 *
 * Precharge: the match line (ML) capacitor starts at V_DD by an explicit initial condition
 * (`C ... ic=V_DD` with `.tran ... uic`). The gate nodes (G1, G2, inverter output) carry no
 * capacitance with the level-1 cards, so they sit at their static values from the first time point,
 * and the ML discharges through T2/T6 for t_eval. That is exactly the behavioral model's definition
 * (ML at V_DD at t = 0, static pull-down gates, V_ML(t_eval) vs V_sense). A precharge transistor on
 * a PRE pulse would add a finite precharge edge and charge sharing that the behavioral model leaves
 * out, so the comparison would no longer be exact. (`.ic` without UIC is equivalent for level 1 but
 * makes ngspice's matrix load several times slower on netlists with many instances; the bsim4 decks,
 * whose gates carry capacitance, use it so that the gates start settled: see usesUic.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { ConfigError } from '../core/errors.ts';
import { fusemixVersion, PACKAGE_ROOT } from '../core/io.ts';
import { stream } from '../core/rng.ts';
import { formatSpice } from '../core/units.ts';
import { dwmtjRp, readSeriesResistance } from '../devices/dwmtj.ts';
import {
  type CellDeviation,
  type MacamCell,
  lowerBound,
  stablePositions,
  upperBound,
} from '../devices/macam.ts';
import type { MosfetParams } from '../devices/mosfet.ts';
import type { FusedUnit } from '../units/fused.ts';
import { checkGeneratedDeck, checkTemplateValues } from './guard.ts';

export type TransistorModel = 'level1' | 'bsim4';
export const TRANSISTOR_MODELS: readonly TransistorModel[] = ['level1', 'bsim4'];

export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

/** The one number formatter for netlists (SPICE suffixes, 10 significant digits). */
export function spiceNum(x: number): string {
  return formatSpice(x);
}

// ---------------------------------------------------------------------------------------------
// Handlebars environment

let hbs: typeof Handlebars | undefined;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function env(): typeof Handlebars {
  if (hbs) return hbs;
  const h = Handlebars.create();
  h.registerPartial('fetwrappers', readFileSync(join(TEMPLATES_DIR, 'models', 'fet-wrappers.lib.hbs'), 'utf8'));
  hbs = h;
  return h;
}

/** Render templates/<name> with a context (strict: a missing field is an error). */
export function renderTemplate(name: string, ctx: object): string {
  let t = compiled.get(name);
  if (!t) {
    t = env().compile(readFileSync(join(TEMPLATES_DIR, name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  checkTemplateValues(name, ctx);
  return t(ctx);
}

// ---------------------------------------------------------------------------------------------
// Header and libraries

export interface HeaderInfo {
  /** what the netlist is */
  what: string;
  presets: Record<string, string>;
  model: TransistorModel | 'none';
  /** the seed and what it seeds, or undefined for "none" */
  seed?: { value: number | string; what: string };
}

function modelDescription(model: TransistorModel | 'none', presets: Record<string, string>): string {
  if (model === 'none') return 'none';
  if (model === 'level1') return `level1 (SPICE level-1 cards rendered from ${presets.nmos ?? 'nmos'} / ${presets.pmos ?? 'pmos'})`;
  return 'bsim4 (templates/models/bsim4.lib.hbs; assumption card, see its comments)';
}

export function renderHeader(h: HeaderInfo): string {
  const presets = Object.entries(h.presets)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return renderTemplate('header.cir.hbs', {
    version: fusemixVersion(),
    what: h.what,
    presets: presets || 'none',
    modelDesc: modelDescription(h.model, h.presets),
    seedLine: h.seed ? `${String(h.seed.value)} (${h.seed.what})` : 'none (no random draws)',
  });
}

/** The level-1 library (fm_nch/fm_pch cards + fm_nfet/fm_pfet wrappers) rendered from two presets. */
export function renderLevel1Library(nmos: MosfetParams, pmos: MosfetParams, names: { nmos: string; pmos: string } = { nmos: 'nmos', pmos: 'pmos' }): string {
  if (nmos.polarity !== 'nmos' || pmos.polarity !== 'pmos') throw new ConfigError(undefined, 'nmos/pmos', 'an nmos and a pmos preset', `${nmos.polarity}/${pmos.polarity}`);
  return renderTemplate('models/level1.lib.hbs', {
    nmosName: names.nmos,
    pmosName: names.pmos,
    nVto: spiceNum(nmos.vto),
    nKp: spiceNum(nmos.kp),
    nLambda: spiceNum(nmos.lambda),
    pVto: spiceNum(pmos.vto),
    pKp: spiceNum(pmos.kp),
    pLambda: spiceNum(pmos.lambda),
  });
}

/** The BSIM4 library (assumption card + the same wrappers). */
export function renderBsim4Library(): string {
  return renderTemplate('models/bsim4.lib.hbs', {});
}

/** The transistor library of a cell for a model choice. */
export function modelLibrary(cell: MacamCell, model: TransistorModel): string {
  if (model === 'level1') return renderLevel1Library(cell.nmos, cell.pmos, { nmos: cell.presets.nmos ?? 'nmos', pmos: cell.presets.pmos ?? 'pmos' });
  if (model === 'bsim4') return renderBsim4Library();
  throw new ConfigError(undefined, '--model', `one of ${TRANSISTOR_MODELS.join(', ')}`, model);
}

/** The MTJ and DW-MTJ read-path subcircuits (fm_mtj, fm_dwmtj). */
export function mtjSubckts(): string {
  return `${renderTemplate('mtj.cir.hbs', {})}${renderTemplate('dwmtj.cir.hbs', {})}`;
}

// ---------------------------------------------------------------------------------------------
// MACAM cell

export type CellVariant = 'both' | 'lo' | 'hi';
export const CELL_SUBCKT: Record<CellVariant, string> = { both: 'fm_cell', lo: 'fm_cell_lo', hi: 'fm_cell_hi' };

/** The three cell subcircuits (both branches; lower branch only; upper branch only). */
export function cellSubckts(cell: MacamCell, nominal: { fLo: number; fHi: number } = { fLo: 0, fHi: 0 }): string {
  const p = cell.params;
  const rsLo = readSeriesResistance(cell.lo);
  const rsHi = readSeriesResistance(cell.hi);
  const lN = cell.nmos.l;
  const lP = cell.pmos.l;
  return renderTemplate('macam-cell.cir.hbs', {
    cellName: cell.name,
    variants: [
      { name: CELL_SUBCKT.both, doc: 'both branches', lo: true, hi: true },
      { name: CELL_SUBCKT.lo, doc: 'lower-bound branch only (T6 and the upper branch omitted)', lo: true, hi: false },
      { name: CELL_SUBCKT.hi, doc: 'upper-bound branch only (T2 and the lower branch omitted)', lo: false, hi: true },
    ],
    fLo: spiceNum(nominal.fLo),
    fHi: spiceNum(nominal.fHi),
    rpLo: spiceNum(dwmtjRp(cell.lo)),
    rpHi: spiceNum(dwmtjRp(cell.hi)),
    tmrLo: spiceNum(cell.lo.tmr0),
    tmrHi: spiceNum(cell.hi.tmr0),
    vhLo: spiceNum(cell.lo.vh),
    vhHi: spiceNum(cell.hi.vh),
    rsLoPositive: rsLo > 0,
    rsHiPositive: rsHi > 0,
    rsLo: spiceNum(rsLo),
    rsHi: spiceNum(rsHi),
    lN: spiceNum(lN),
    lP: spiceNum(lP),
    wT1: spiceNum(p.wlT1 * lN),
    wT2: spiceNum(p.wlT2 * lN),
    wT3: spiceNum(p.wlT3 * lN),
    wT4: spiceNum(p.wlT4 * lP),
    wT5: spiceNum(p.wlT5 * lN),
    wT6: spiceNum(p.wlT6 * lN),
  });
}

const clamp01 = (f: number) => Math.min(1, Math.max(0, f));

/** Instance parameters of a cell (wall positions, and every deviation explicitly when given). */
export function cellInstanceParams(cell: MacamCell, fLo: number, fHi: number, dev?: CellDeviation): string {
  const parts = [`f1=${spiceNum(clamp01(fLo + (dev?.dfLo ?? 0)))}`, `f2=${spiceNum(clamp01(fHi + (dev?.dfHi ?? 0)))}`];
  if (dev) {
    parts.push(
      `rp1=${spiceNum(dwmtjRp(cell.lo) * (dev.rpLo ?? 1))}`,
      `rp2=${spiceNum(dwmtjRp(cell.hi) * (dev.rpHi ?? 1))}`,
      `tmr1=${spiceNum(cell.lo.tmr0 * (dev.tmrLo ?? 1))}`,
      `tmr2=${spiceNum(cell.hi.tmr0 * (dev.tmrHi ?? 1))}`,
    );
    (['T1', 'T2', 'T3', 'T4', 'T5', 'T6'] as const).forEach((t, i) => parts.push(`dv${i + 1}=${spiceNum(dev.dvto?.[t] ?? 0)}`));
  }
  return parts.join(' ');
}

/**
 * Solver options of every transient deck. The bounds found with these agree with reltol=1e-6,
 * abstol=1e-15 and a t_eval/100 step to well under a microvolt, in less time (README, "Measured figures").
 */
export const TRAN_OPTIONS = '.options reltol=1e-4 abstol=1e-13 vntol=1e-7';

/** Largest time step, as a fraction of t_eval. */
export const TRAN_MAX_STEP_FRACTION = 1 / 50;

/**
 * `.tran` card from t = 0 (UIC: the capacitors' ic= values, no operating point) to t_eval, writing
 * only the points of the last 1 % (the state at t_eval is the last point).
 */
export function tranCard(tEval: number, maxStepFraction = TRAN_MAX_STEP_FRACTION, uic = true): string {
  const h = tEval * maxStepFraction;
  return `.tran ${spiceNum(h)} ${spiceNum(tEval)} ${spiceNum(tEval * 0.99)} ${spiceNum(h)}${uic ? ' uic' : ''}`;
}

/**
 * How the ML starts at V_DD: level1 (no gate capacitance) uses `C ... ic=V_DD` + UIC; bsim4 has
 * gate and junction capacitances, so it uses `.ic v(ml)=V_DD` and a real operating point instead
 * (the gate nodes then start settled at their static values, as in a precharged cell).
 */
export function usesUic(model: TransistorModel): boolean {
  return model === 'level1';
}

function mlCap(name: string, node: string, cMl: number, vdd: number, uic: boolean): string {
  return `${name} ${node} 0 ${spiceNum(cMl)}${uic ? ` ic=${spiceNum(vdd)}` : ''}`;
}

function icCards(nodes: string[], vdd: number, uic: boolean): string[] {
  return uic ? [] : nodes.map((n) => `.ic v(${n})=${spiceNum(vdd)}`);
}

/** One cell instance of a cell-array deck. */
export interface CellInstance {
  variant: CellVariant;
  fLo: number;
  fHi: number;
  /** data-line voltage (V) */
  vdl: number;
  dev?: CellDeviation;
}

export interface CellArrayOptions {
  model?: TransistorModel;
  what?: string;
  seed?: { value: number | string; what: string };
  /** extra comment lines per instance (e.g. the MC sample index) */
  comments?: string[];
}

/**
 * A transient deck of independent cell instances, each with its own data-line source and its own
 * match line `ml<i>` (capacitor C_ML, started at V_DD), all solved together to t_eval. Only the
 * match lines are saved.
 */
export function renderCellArray(cell: MacamCell, instances: readonly CellInstance[], opts: CellArrayOptions = {}): { netlist: string; mlNodes: string[] } {
  const model = opts.model ?? 'level1';
  const p = cell.params;
  const out: string[] = [];
  out.push(renderHeader({ what: opts.what ?? `${instances.length} MACAM cell instances, transient to t_eval`, presets: cell.presets, model, ...(opts.seed ? { seed: opts.seed } : {}) }));
  if (opts.seed) out.push(`.option seed=${seedNumber(opts.seed.value)}`);
  out.push(TRAN_OPTIONS, '', modelLibrary(cell, model), mtjSubckts(), cellSubckts(cell));
  out.push(`Vsl sl 0 ${spiceNum(p.vsl)}`, `Vdd vdd 0 ${spiceNum(p.vdd)}`);
  const mlNodes: string[] = [];
  instances.forEach((ins, i) => {
    if (opts.comments?.[i]) out.push(`* ${opts.comments[i]}`);
    out.push(`Vdl${i} dl${i} 0 ${spiceNum(ins.vdl)}`);
    out.push(`X${i} sl dl${i} ml${i} vdd ${CELL_SUBCKT[ins.variant]} ${cellInstanceParams(cell, ins.fLo, ins.fHi, ins.dev)}`);
    out.push(mlCap(`C${i}`, `ml${i}`, p.cMl, p.vdd, usesUic(model)));
    mlNodes.push(`ml${i}`);
  });
  out.push(...icCards(mlNodes, p.vdd, usesUic(model)), ...saveCards(mlNodes));
  out.push(tranCard(p.tEval, TRAN_MAX_STEP_FRACTION, usesUic(model)), '.end', '');
  return { netlist: checkGeneratedDeck(out.join('\n')), mlNodes };
}

function saveCards(nodes: string[], perLine = 16): string[] {
  const lines: string[] = [];
  for (let i = 0; i < nodes.length; i += perLine) lines.push(`.save ${nodes.slice(i, i + perLine).map((n) => `v(${n})`).join(' ')}`);
  return lines;
}

/** An integer for `.option seed` from a numeric or string run seed (strings hash to 31 bits). */
export function seedNumber(seed: number | string): number {
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31) return seed;
  return stream(seed, 'ngspice-seed').int(2 ** 31 - 1) + 1;
}

/** Default wall positions of a cell for netlists: the widest window (lowest V_lo, highest V_hi). */
export function defaultPositions(cell: MacamCell): { fLo: number; fHi: number } {
  const lo = stablePositions(cell.lo);
  const hi = stablePositions(cell.hi);
  return { fLo: lo.length ? Math.max(...lo) : 1, fHi: hi.length ? Math.min(...hi) : 0 };
}

export interface RenderCellOptions {
  fLo?: number;
  fHi?: number;
  model?: TransistorModel;
  /** data-line voltage of the example instance (default: middle of the nominal window) */
  vdl?: number;
}

/**
 * A runnable deck of one MACAM cell (both branches) at one data-line voltage: the cell subcircuits,
 * the library, one instance, ML started at V_DD, transient to t_eval.
 */
export function renderCell(cell: MacamCell, opts: RenderCellOptions = {}): string {
  const d = defaultPositions(cell);
  const fLo = opts.fLo ?? d.fLo;
  const fHi = opts.fHi ?? d.fHi;
  const vdl = opts.vdl ?? midWindow(cell, fLo, fHi);
  return renderCellArray(cell, [{ variant: 'both', fLo, fHi, vdl }], {
    model: opts.model ?? 'level1',
    what: `MACAM cell ${cell.name} (fLo=${spiceNum(fLo)}, fHi=${spiceNum(fHi)}) at V_DL=${spiceNum(vdl)} V, transient to t_eval`,
  }).netlist;
}

function midWindow(cell: MacamCell, fLo: number, fHi: number): number {
  const lo = lowerBound(cell, fLo);
  const hi = upperBound(cell, fHi);
  if (Number.isFinite(lo) && Number.isFinite(hi)) return 0.5 * (lo + hi);
  return 0.5 * cell.params.vdd;
}

// ---------------------------------------------------------------------------------------------
// Fused activation column

/** Priority-encoder expression: the lowest row whose sense output is high gives its code, else 0. */
function encoderExpr(codes: readonly number[], senseNode: (k: number) => string): string {
  let e = '0';
  for (let k = codes.length - 1; k >= 0; k--) e = `(V(${senseNode(k)}) > 0.5 ? ${codes[k]} : ${e})`;
  return e;
}

/** The fused activation column subcircuit `fm_col` (ports: xin dl sl vdd code ml0..ml<K-1>). */
export function columnSubckt(unit: FusedUnit, uic = true): string {
  const c = unit.cell;
  const p = c.params;
  const [x0, x1] = unit.inputRange;
  const [w0, w1] = unit.window;
  const k = unit.rows.length;
  const mls = Array.from({ length: k }, (_, i) => `ml${i}`);
  const lines: string[] = [];
  lines.push(`* fused activation column: ${unit.fn.name}, ${unit.bits} bits, ${k} rows of ${c.name} (src/units/fused.ts)`);
  lines.push('*   ports: xin = input x (V = x), dl = data line, code = priority-encoded output, ml<k> = match lines');
  lines.push(`.subckt fm_col xin dl sl vdd code ${mls.join(' ')}`);
  lines.push(`* input driver: x in [${spiceNum(x0)}, ${spiceNum(x1)}] -> V_DL in [${spiceNum(w0)}, ${spiceNum(w1)}] V, linear, clamped`);
  lines.push(`Bdrv dl 0 V = min(max(${spiceNum(w0)} + (V(xin) - (${spiceNum(x0)})) * ${spiceNum((w1 - w0) / (x1 - x0))}, ${spiceNum(w0)}), ${spiceNum(w1)})`);
  unit.rows.forEach((r, i) => {
    const variant: CellVariant | undefined = r.loEnabled && r.hiEnabled ? 'both' : r.loEnabled ? 'lo' : r.hiEnabled ? 'hi' : undefined;
    const bounds = `[${Number.isFinite(r.vLo) ? spiceNum(r.vLo) : '-inf'}, ${Number.isFinite(r.vHi) ? spiceNum(r.vHi) : 'inf'}) V`;
    lines.push(`* row ${i}: code ${r.code}, behavioral bounds ${bounds}${r.loEnabled ? '' : ', lower pull-down T2 omitted'}${r.hiEnabled ? '' : ', upper pull-down T6 omitted'}`);
    if (variant) lines.push(`Xr${i} sl dl ml${i} vdd ${CELL_SUBCKT[variant]} ${cellInstanceParams(c, r.fLo, r.fHi)}`);
    lines.push(mlCap(`Cml${i}`, `ml${i}`, p.cMl, p.vdd, uic));
  });
  lines.push(`* sense comparators: s<k> = 1 when V(ml<k>) > V_sense = ${spiceNum(p.vSense)} V`);
  unit.rows.forEach((_, i) => lines.push(`Bs${i} s${i} 0 V = V(ml${i}) > ${spiceNum(p.vSense)} ? 1 : 0`));
  lines.push('* priority encoder: the lowest matching row wins; no match gives code 0');
  lines.push(`Benc code 0 V = ${encoderExpr(unit.rows.map((r) => r.code), (i) => `s${i}`)}`);
  lines.push('.ends fm_col', '');
  return lines.join('\n');
}

export interface RenderUnitOptions {
  /** inputs x, one column instance each */
  inputs: readonly number[] | Float64Array;
  model?: TransistorModel;
  what?: string;
}

/** Node names of column instance i in a unit deck. */
export function unitNodes(i: number, rows: number): { x: string; dl: string; code: string; ml: string[] } {
  return { x: `x${i}`, dl: `dl${i}`, code: `code${i}`, ml: Array.from({ length: rows }, (_, k) => `ml${i}_${k}`) };
}

function unitPresets(unit: FusedUnit): Record<string, string> {
  return { unit: `fused-${unit.fn.name}-${unit.bits}b`, ...unit.cell.presets };
}

/**
 * A transient deck of the fused activation unit: one column instance per input (its own input
 * source, data line and match lines), all searched together to t_eval. Saves code, dl and ml nodes.
 */
export function renderUnit(unit: FusedUnit, opts: RenderUnitOptions): string {
  const model = opts.model ?? 'level1';
  const c = unit.cell;
  const p = c.params;
  const k = unit.rows.length;
  const inputs = Array.from(opts.inputs);
  const out: string[] = [];
  out.push(
    renderHeader({
      what: opts.what ?? `fused ${unit.fn.name} ${unit.bits}-bit unit, searches of ${inputs.length} input${inputs.length === 1 ? '' : 's'} (transient to t_eval)`,
      presets: unitPresets(unit),
      model,
    }),
  );
  const uic = usesUic(model);
  out.push(TRAN_OPTIONS, '', modelLibrary(c, model), mtjSubckts(), cellSubckts(c), columnSubckt(unit, uic));
  out.push(`Vsl sl 0 ${spiceNum(p.vsl)}`, `Vdd vdd 0 ${spiceNum(p.vdd)}`);
  const save: string[] = [];
  const ics: string[] = [];
  inputs.forEach((x, i) => {
    const n = unitNodes(i, k);
    out.push(`Vx${i} ${n.x} 0 ${spiceNum(x)}`);
    out.push(`Xc${i} ${n.x} ${n.dl} sl vdd ${n.code} ${n.ml.join(' ')} fm_col`);
    save.push(n.code, n.dl, ...n.ml);
    ics.push(...icCards(n.ml, p.vdd, uic));
  });
  out.push(...ics, ...saveCards(save), tranCard(p.tEval, TRAN_MAX_STEP_FRACTION, uic), '.end', '');
  return checkGeneratedDeck(out.join('\n'));
}
