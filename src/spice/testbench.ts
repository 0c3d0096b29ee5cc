/**
 * The decks built on the netlist builder (netlist.ts): the testbenches of a MACAM cell and a fused
 * unit (dc, tran, mc: renderTestbench), the element decks that check the device laws in SPICE (MTJ:
 * renderMtjTest, level-1 MOSFET: renderMosfetTest), and the committed netlists of the default presets
 * (defaultNetlists, written by scripts/gen-netlists.ts).
 */
import { ConfigError } from '../core/errors.ts';
import { stream } from '../core/rng.ts';
import { type DwmtjParams, dwmtjRp, readSeriesResistance } from '../devices/dwmtj.ts';
import { type MacamCell, cellSigmas, lowerBound, sampleDeviation, upperBound } from '../devices/macam.ts';
import type { MosfetParams } from '../devices/mosfet.ts';
import type { MtjParams } from '../devices/mtj.ts';
import type { FusedUnit } from '../units/fused.ts';
import { checkGeneratedDeck } from './guard.ts';
import {
  type CellInstance,
  CELL_SUBCKT,
  type TransistorModel,
  cellInstanceParams,
  cellSubckts,
  defaultPositions,
  modelLibrary,
  mtjSubckts,
  renderBsim4Library,
  renderCell,
  renderCellArray,
  renderHeader,
  renderLevel1Library,
  renderUnit,
  spiceNum,
} from './netlist.ts';

export type TestbenchKind = 'dc' | 'tran' | 'mc';
export const TESTBENCH_KINDS: readonly TestbenchKind[] = ['dc', 'tran', 'mc'];

// ---------------------------------------------------------------------------------------------
// Testbenches

export interface TestbenchOptions {
  cell: MacamCell;
  model?: TransistorModel;
  fLo?: number;
  fHi?: number;
  /** dc: sweep step of V_DL (V), default 1 mV */
  step?: number;
  /** tran: the unit and its inputs (default: 33 inputs evenly over the input range) */
  unit?: FusedUnit;
  inputs?: readonly number[] | Float64Array;
  /** mc: seed and sample count (default 1 and 100) */
  seed?: number | string;
  samples?: number;
}

/**
 * Testbenches:
 *  - dc:   one cell (both branches), ML held at V_DD, DC sweep of V_DL over [0, V_DD]: G1, G2 and the
 *          inverter output (x1.g1, x1.g2, x1.inv) vs V_DL;
 *  - tran: the unit's searches over a list of inputs (codes at t_eval), see renderUnit;
 *  - mc:   `samples` Monte Carlo instances of one cell, each branch alone at its nominal behavioral
 *          bound, with the deviations of sample i drawn from stream(seed, 'macam-mc', i) (the same
 *          draws as boundDistribution) rendered explicitly; V_ML(t_eval) - V_sense shows the spread.
 */
export function renderTestbench(kind: TestbenchKind, opts: TestbenchOptions): string {
  const cell = opts.cell;
  const model = opts.model ?? 'level1';
  const d = defaultPositions(cell);
  const fLo = opts.fLo ?? d.fLo;
  const fHi = opts.fHi ?? d.fHi;
  const p = cell.params;
  if (kind === 'dc') {
    const step = opts.step ?? 1e-3;
    const out: string[] = [];
    out.push(renderHeader({ what: `DC sweep of the data line of MACAM cell ${cell.name} (fLo=${spiceNum(fLo)}, fHi=${spiceNum(fHi)}): G1, G2, inverter output vs V_DL`, presets: cell.presets, model }));
    out.push('.options reltol=1e-9 abstol=1e-18 vntol=1e-12', '', modelLibrary(cell, model), mtjSubckts(), cellSubckts(cell));
    out.push(`Vsl sl 0 ${spiceNum(p.vsl)}`, `Vdd vdd 0 ${spiceNum(p.vdd)}`, `* ML held at its precharge level V_DD`, `Vml ml 0 ${spiceNum(p.vdd)}`);
    out.push(`Vdl dl 0 0`, `X1 sl dl ml vdd ${CELL_SUBCKT.both} ${cellInstanceParams(cell, fLo, fHi)}`);
    out.push('.save v(dl) v(x1.g1) v(x1.g2) v(x1.inv) i(vml)');
    out.push(`.dc Vdl 0 ${spiceNum(p.vdd)} ${spiceNum(step)}`, '.end', '');
    return checkGeneratedDeck(out.join('\n'));
  }
  if (kind === 'tran') {
    if (!opts.unit) throw new ConfigError(undefined, 'unit', 'a fused unit for the tran testbench', 'none');
    const u = opts.unit;
    const inputs = opts.inputs ?? Array.from({ length: 33 }, (_, i) => u.inputRange[0] + ((u.inputRange[1] - u.inputRange[0]) * i) / 32);
    return renderUnit(u, { inputs, model, what: `transient searches of the fused ${u.fn.name} ${u.bits}-bit unit over ${inputs.length} input${inputs.length === 1 ? '' : 's'} (codes at t_eval)` });
  }
  if (kind === 'mc') {
    const n = opts.samples ?? 100;
    const seed = opts.seed ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(undefined, '--samples', 'a positive integer', n);
    const vlo = lowerBound(cell, fLo);
    const vhi = upperBound(cell, fHi);
    const sig = cellSigmas(cell);
    const instances: CellInstance[] = [];
    const comments: string[] = [];
    for (let i = 0; i < n; i++) {
      const dev = sampleDeviation(stream(seed, 'macam-mc', i), sig);
      instances.push({ variant: 'lo', fLo, fHi, vdl: finiteOr(vlo, 0), dev }, { variant: 'hi', fLo, fHi, vdl: finiteOr(vhi, p.vdd), dev });
      comments.push(`sample ${i}, lower branch at the nominal V_lo`, `sample ${i}, upper branch at the nominal V_hi`);
    }
    return renderCellArray(cell, instances, {
      model,
      comments,
      what: `Monte Carlo of MACAM cell ${cell.name} (fLo=${spiceNum(fLo)}, fHi=${spiceNum(fHi)}): ${n} samples, each branch at its nominal bound`,
      seed: { value: seed, what: `deviations of sample i from stream(seed, 'macam-mc', i), fusemix sampleDeviation` },
    }).netlist;
  }
  throw new ConfigError(undefined, '--kind', `one of ${TESTBENCH_KINDS.join(', ')}`, kind);
}

const finiteOr = (x: number, d: number) => (Number.isFinite(x) ? x : d);

// ---------------------------------------------------------------------------------------------
// MTJ element test

export interface MtjTestOptions {
  /** two-state MTJs to render, each in state P (f = 0) and AP (f = 1) */
  mtj?: MtjParams;
  /** DW-MTJ read paths to render at these AP fractions */
  dwmtj?: DwmtjParams;
  fractions?: readonly number[];
  /** sweep of the common bias source (V) */
  sweep?: { from: number; to: number; step: number };
}

/**
 * A DC-sweep deck of MTJ elements in parallel on one bias source `vb`, each through its own 0 V
 * ammeter: `vsm_p`, `vsm_ap` (two-state MTJ), `vsd<i>` (DW-MTJ read path at fractions[i]).
 * Currents are i(vsm_p) etc. (positive from vb into the device).
 */
export function renderMtjTest(opts: MtjTestOptions): string {
  const sw = opts.sweep ?? { from: -1, to: 1, step: 0.05 };
  const out: string[] = [];
  out.push(renderHeader({ what: 'MTJ / DW-MTJ read-path elements on a swept bias (DC)', presets: {}, model: 'none' }));
  out.push('.options reltol=1e-12 abstol=1e-20 vntol=1e-15 gmin=1e-30', '', mtjSubckts());
  out.push('Vb vb 0 0');
  const save: string[] = [];
  if (opts.mtj) {
    const m = opts.mtj;
    const rp = m.ra / m.area;
    for (const [st, f] of [
      ['p', 0],
      ['ap', 1],
    ] as const) {
      out.push(`Vsm_${st} vb nm_${st} 0`, `Xm_${st} nm_${st} 0 fm_mtj f=${f} rp=${spiceNum(rp)} tmr0=${spiceNum(m.tmr0)} vh=${spiceNum(m.vh)}`);
      save.push(`i(vsm_${st})`);
    }
  }
  if (opts.dwmtj) {
    const d = opts.dwmtj;
    const rs = readSeriesResistance(d);
    (opts.fractions ?? [0, 0.5, 1]).forEach((f, i) => {
      const sub = rs > 0 ? `fm_dwmtj f=${spiceNum(f)} rp=${spiceNum(dwmtjRp(d))} tmr0=${spiceNum(d.tmr0)} vh=${spiceNum(d.vh)} rs=${spiceNum(rs)}` : `fm_mtj f=${spiceNum(f)} rp=${spiceNum(dwmtjRp(d))} tmr0=${spiceNum(d.tmr0)} vh=${spiceNum(d.vh)}`;
      out.push(`Vsd${i} vb nd${i} 0`, `Xd${i} nd${i} 0 ${sub}`);
      save.push(`i(vsd${i})`);
    });
  }
  out.push(`.save v(vb) ${save.join(' ')}`, `.dc Vb ${spiceNum(sw.from)} ${spiceNum(sw.to)} ${spiceNum(sw.step)}`, '.end', '');
  return checkGeneratedDeck(out.join('\n'));
}

/** A DC deck of one level-1 MOSFET (fm_nfet or fm_pfet) with gate and drain sources: i(vd) vs V_DS, nested over V_GS. */
export function renderMosfetTest(
  nmos: MosfetParams,
  pmos: MosfetParams,
  which: 'nmos' | 'pmos',
  wl: number,
  sweep: { vds: [number, number, number]; vgs: [number, number, number] },
): string {
  const out: string[] = [];
  const p = which === 'nmos' ? nmos : pmos;
  out.push(renderHeader({ what: `level-1 ${which} DC sweep, W/L=${spiceNum(wl)}`, presets: {}, model: 'level1' }));
  out.push('.options reltol=1e-12 abstol=1e-20 vntol=1e-15 gmin=1e-30', '', renderLevel1Library(nmos, pmos));
  out.push('Vg g 0 0', 'Vd d 0 0');
  out.push(`X1 d g 0 0 ${which === 'nmos' ? 'fm_nfet' : 'fm_pfet'} wch=${spiceNum(wl * p.l)} lch=${spiceNum(p.l)}`);
  const [a, b, c] = sweep.vds;
  const [e, f, g] = sweep.vgs;
  out.push('.save v(d) v(g) i(vd)', `.dc Vd ${spiceNum(a)} ${spiceNum(b)} ${spiceNum(c)} Vg ${spiceNum(e)} ${spiceNum(f)} ${spiceNum(g)}`, '.end', '');
  return checkGeneratedDeck(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// The committed netlists

/** Default preset, activation and bits of the committed netlists. */
export const DEFAULT_NETLIST_SETUP = { preset: 'macam-measured', fn: 'relu', bits: 4, seed: 1, mcSamples: 100 } as const;

/**
 * Every generated file (path relative to the package root -> content): the transistor libraries in
 * templates/models/ and the netlists of the default presets in netlists/. scripts/gen-netlists.ts
 * writes them; a test fails if regenerating changes a byte.
 */
export async function defaultNetlists(): Promise<Record<string, string>> {
  const { loadMacamCell } = await import('../devices/macam.ts');
  const { createFusedUnit } = await import('../units/fused.ts');
  const s = DEFAULT_NETLIST_SETUP;
  const cell = loadMacamCell(s.preset);
  const unit = createFusedUnit({ fn: s.fn, bits: s.bits, cell });
  const mid = 0.5 * (unit.inputRange[0] + unit.inputRange[1]);
  const lib1 = `${renderHeader({ what: 'transistor library level1', presets: { nmos: cell.presets.nmos!, pmos: cell.presets.pmos! }, model: 'level1' })}${renderLevel1Library(cell.nmos, cell.pmos, { nmos: cell.presets.nmos!, pmos: cell.presets.pmos! })}`;
  const lib4 = `${renderHeader({ what: 'transistor library bsim4', presets: {}, model: 'bsim4' })}${renderBsim4Library()}`;
  return {
    'templates/models/level1.lib': lib1,
    'templates/models/bsim4.lib': lib4,
    'netlists/cell.cir': renderCell(cell),
    [`netlists/unit-${s.fn}-${s.bits}b.cir`]: renderUnit(unit, { inputs: [mid], what: `fused ${s.fn} ${s.bits}-bit unit (${unit.rows.length} rows), one search at x=${spiceNum(mid)}` }),
    'netlists/tb-dc.cir': renderTestbench('dc', { cell }),
    'netlists/tb-tran.cir': renderTestbench('tran', { cell, unit }),
    'netlists/tb-mc.cir': renderTestbench('mc', { cell, seed: s.seed, samples: s.mcSamples }),
  };
}
