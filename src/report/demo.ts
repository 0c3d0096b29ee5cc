/**
 * `fusemix demo`: the whole chain on the embedded defaults, in one folder.
 *   1. the default devices and the source of every constant;
 *   2. a 4-bit fused MACAM relu (the measured 5-state cell and the projected continuous one) beside
 *      ADC + digital activation;
 *   3. its ngspice netlists, and a verification of the behavioral path on the embedded WASM engine;
 *   4. SuperMixer on the default data for one budget;
 *   5. report.md, report.json, SVG plots, the netlists and the run manifest.
 */
import { join, resolve } from 'node:path';
import { makeManifest, writeFileAtomic, writeJsonAtomic } from '../core/io.ts';
import { formatQuantity } from '../core/units.ts';
import { loadMacamCell } from '../devices/macam.ts';
import { loadPreset } from '../devices/preset.ts';
import { presetView } from '../devices/view.ts';
import { type MixOptions, type MixResult, resolveMixOptions } from '../mixer/index.ts';
import { runMixParallel } from '../mixer/worker.ts';
import { loadPhotonicCore } from '../photonic/index.ts';
import type { EngineKind } from '../spice/engine.ts';
import { renderCell, renderUnit } from '../spice/netlist.ts';
import { defaultInputs, type UnitVerifyReport, verifyUnit } from '../spice/verify.ts';
import { compareUnit, type UnitComparison } from '../units/compare.ts';
import { transferCurve } from '../units/fused.ts';
import { linePlot } from '../core/svg.ts';

export interface DemoOptions {
  out: string;
  quick?: boolean;
  engine?: EngineKind;
  seed?: number | string;
  budget?: number;
  log?: (line: string) => void;
}

export interface DemoReport {
  out: string;
  quick: boolean;
  seed: number | string;
  engine: EngineKind;
  /** the options `fusemix mix` needs to reproduce the SuperMixer run */
  mixOptions: Partial<MixOptions>;
  unit: { measured: UnitComparison; projected: UnitComparison };
  verify: Pick<UnitVerifyReport, 'engine' | 'model' | 'maxBoundError' | 'codeAgreement' | 'codeAgreementAway' | 'inputs' | 'pass' | 'tolerance'>;
  mix: MixResult;
  files: string[];
  timings: Record<string, number>;
}

/** The SuperMixer options of the demo: the defaults, or a shortened schedule with --quick. */
export function demoMixOptions(quick: boolean, seed: number | string, budget: number): Partial<MixOptions> {
  return quick ? { seed, budget, pretrainEpochs: 3, searchEpochs: 1, finetuneEpochs: 1 } : { seed, budget };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const J = (x: number) => formatQuantity(x, 'J');

export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const out = resolve(o.out);
  const quick = Boolean(o.quick);
  const seed = o.seed ?? 1;
  const engine = o.engine ?? 'wasm';
  const budget = o.budget ?? 0.4;
  const log = o.log ?? (() => {});
  const files: string[] = [];
  const timings: Record<string, number> = {};
  const started = new Date().toISOString();
  const write = (name: string, text: string) => {
    writeFileAtomic(join(out, name), text);
    files.push(name);
  };
  let t0 = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = (t - t0) / 1000;
    t0 = t;
  };

  // 1. devices
  const cell = loadMacamCell('macam-measured');
  const presetNames = [...new Set([...Object.values(cell.presets), 'adc-sar-default', 'digital-45nm', 'photonic-core-default'])];
  const views = presetNames.map((n) => presetView(loadPreset(n)));
  loadPhotonicCore();
  lap('devices');
  log(`devices: ${presetNames.join(', ')}`);

  // 2. the fused unit beside the digital path
  const measured = compareUnit({ fn: 'relu', bits: 4, cell: 'macam-measured' });
  const projected = compareUnit({ fn: 'relu', bits: 4, cell: 'macam-projected' });
  const curveM = transferCurve(measured.unit, 801);
  const curveP = transferCurve(projected.unit, 801);
  write(
    'transfer.svg',
    linePlot({
      title: 'fused MACAM relu, 4 bits: transfer curve against the ideal',
      xLabel: 'input x (pre-activation)',
      yLabel: 'output code',
      series: [
        { name: 'ideal Q(relu(x))', x: curveM.x, y: curveM.ideal, step: true, color: '#999', dashed: true },
        { name: `measured cell (5 states): ${measured.report.rowsUsed} rows`, x: curveM.x, y: curveM.actual, step: true },
        { name: `projected cell (continuous): ${projected.report.rowsUsed} rows`, x: curveP.x, y: curveP.actual, step: true },
      ],
    }),
  );
  lap('unit');
  log(`unit: relu 4 bits, MACAM ${J(measured.report.energy.macam.total)} vs ADC + digital ${J(measured.report.energy.digital.total)} per activation`);

  // 3. netlists and verification on the embedded engine
  write('netlists/cell.cir', renderCell(cell));
  const inputs = defaultInputs(measured.unit, quick ? 40 : 200);
  write('netlists/unit-relu-4b.cir', renderUnit(measured.unit, { inputs }));
  const v = await verifyUnit(measured.unit, { engine, inputs });
  const verify = {
    engine: v.engine,
    model: v.model,
    maxBoundError: v.maxBoundError,
    codeAgreement: v.codeAgreement,
    codeAgreementAway: v.codeAgreementAway,
    inputs: v.inputs,
    pass: v.pass,
    tolerance: v.tolerance,
  };
  lap('verify');
  log(`verify (${engine}): max bound error ${formatQuantity(v.maxBoundError, 'V')}, code agreement ${pct(v.codeAgreement)}`);

  // 4. SuperMixer
  const mixOptions = demoMixOptions(quick, seed, budget);
  const run = await runMixParallel(mixOptions, { outDir: join(out, 'mix'), log });
  if (!run.result) throw new Error('SuperMixer stopped early');
  const mix = run.result;
  const E = mix.energy;
  write(
    'accuracy-energy.svg',
    linePlot({
      title: `SuperMixer (budget ${budget}): accuracy against A/D + activation energy`,
      xLabel: 'A/D + activation energy per inference (pJ)',
      yLabel: 'test accuracy (%)',
      series: [
        { name: 'all digital (ADC + digital activation)', x: [E.digital.total * 1e12], y: [100 * mix.accuracy.digital], points: true },
        { name: 'all analog (MACAM)', x: [E.analog.total * 1e12], y: [100 * mix.accuracy.analog], points: true },
        { name: 'mixed (SuperMixer)', x: [E.mixed.total * 1e12], y: [100 * mix.accuracy.mixed], points: true },
        ...mix.baselines.runs.map((b) => ({ name: `baseline ${b.name} (same analog count)`, x: [b.energy * 1e12], y: [100 * b.accuracy], points: true })),
      ],
    }),
  );
  lap('mix');

  // 5. the report
  const report: DemoReport = {
    out,
    quick,
    seed,
    engine,
    mixOptions,
    unit: { measured: measured.report, projected: projected.report },
    verify,
    mix,
    files: [...files, 'report.md', 'report.json', 'manifest.json'],
    timings,
  };
  write('report.md', renderReport(report, views, resolveMixOptions(mixOptions)));
  writeJsonAtomic(join(out, 'report.json'), JSON.parse(JSON.stringify(report, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x))));
  writeJsonAtomic(
    join(out, 'manifest.json'),
    makeManifest('demo', {
      seed,
      engine,
      presets: { ...cell.presets, adc: 'adc-sar-default', digital: 'digital-45nm', photonicCore: 'photonic-core-default' },
      started,
      finished: new Date().toISOString(),
      options: { quick, budget, mix: mixOptions },
      outputs: report.files,
    }),
  );
  return report;
}

function mdTable(header: string[], rows: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function renderReport(r: DemoReport, views: ReturnType<typeof presetView>[], mo: MixOptions): string {
  const m = r.unit.measured;
  const p = r.unit.projected;
  const mix = r.mix;
  const L: string[] = [];
  L.push('# fusemix demo report', '');
  L.push(`Seed ${r.seed}; SPICE engine ${r.engine}; ${r.quick ? 'quick schedule' : 'default schedule'}. Run manifest: manifest.json.`, '');
  L.push('## Result', '');
  L.push(
    `SuperMixer on MNIST (${mix.data.train} training and ${mix.data.test} test digits, seeded split), MLP 784-${mo.hidden.join('-')}-10 on the photonic core model, A/D + activation budget ${r.mix.budget}:`,
    '',
  );
  L.push(
    mdTable(
      ['network', 'test accuracy', 'A/D + activation energy per inference', 'saving vs all-digital'],
      [
        ['all digital (ADC + digital activation)', pct(mix.accuracy.digital), J(mix.energy.digital.total), '0 %'],
        ['all analog (MACAM)', pct(mix.accuracy.analog), J(mix.energy.analog.total), pct(1 - mix.energy.analog.total / mix.energy.digital.total)],
        ['mixed (SuperMixer)', pct(mix.accuracy.mixed), J(mix.energy.mixed.total), pct(mix.saving)],
        ...mix.baselines.runs.map((b) => [`baseline: ${b.name} (same analog count, McNemar p = ${b.comparison.pValue.toPrecision(3)})`, pct(b.accuracy), J(b.energy), pct(b.saving)]),
      ],
    ),
    '',
  );
  L.push(`Accuracy drop of the mixed network against all-digital: ${(100 * mix.accuracyDrop).toFixed(2)} points. Plot: accuracy-energy.svg.`, '');
  L.push('## The fused MACAM activation unit', '');
  L.push('One MACAM column search gives the 4-bit relu code directly. Transfer curves: transfer.svg.', '');
  L.push(
    mdTable(
      ['cell preset', 'rows', 'inputs whose code differs from ideal', 'energy per activation (MACAM)', 'ADC + digital', 'saving'],
      [m, p].map((u) => [u.presets.cell!, u.rowsUsed, pct(u.error.macam.mismatchFraction), J(u.energy.macam.total), J(u.energy.digital.total), pct(u.saving)]),
    ),
    '',
  );
  L.push('Energy items of one activation on the measured cell:', '');
  L.push(mdTable(['item', 'energy', 'constants from'], Object.entries(m.energy.macam.items).map(([k, x]) => [k, J(x), m.energy.macam.sources?.[k] ?? ''])), '');
  L.push(mdTable(['digital path item', 'energy'], Object.entries(m.energy.digital.items).map(([k, x]) => [k, J(x)])), '');
  L.push('Programmed rows (measured cell):', '');
  L.push(
    mdTable(
      ['row', 'code', 'x from', 'x to', 'f(M1)', 'f(M2)', 'V_lo', 'V_hi'],
      m.rows.map((row, k) => [k, row.code, row.xLo.toFixed(3), row.xHi.toFixed(3), row.fLo.toFixed(4), row.fHi.toFixed(4), row.loEnabled ? formatQuantity(row.vLo, 'V') : 'off', row.hiEnabled ? formatQuantity(row.vHi, 'V') : 'off']),
    ),
    '',
  );
  L.push('## SPICE verification', '');
  L.push(
    `The unit's netlist (netlists/unit-relu-4b.cir, level-1 cards) ran on the ${r.verify.engine} engine over ${r.verify.inputs} inputs: max bound error ${formatQuantity(r.verify.maxBoundError, 'V')} (tolerance ${formatQuantity(r.verify.tolerance, 'V')}), code agreement ${pct(r.verify.codeAgreement)}, ${pct(r.verify.codeAgreementAway)} for inputs farther than 2 mV from a bound: ${r.verify.pass ? 'pass' : 'FAIL'}.`,
    '',
  );
  L.push('## Assignment', '');
  L.push(mdTable(['activation site', 'analog channels', 'digital channels'], mix.assignment.sites.map((l) => [l.site, l.analog, l.digital])), '');
  L.push('## Where every constant comes from', '');
  for (const v of views) {
    L.push(`### ${v.name} (${v.kind})`, '', v.description, '');
    L.push(mdTable(['parameter', 'value', 'source'], Object.entries(v.params).map(([k, e]) => [k, e.display, e.source.replace(/\|/g, '/')])), '');
  }
  L.push('## Reconstruction', '');
  L.push(
    "The paper's internals are not public. The cell topology, the t_eval-defined bounds, the row programming (thresholds at f^-1 of the level boundaries, priority encoder, overlapping lower bounds), the Gumbel-softmax assignment and the energy accounting are fusemix's reconstruction; see the README.",
    '',
  );
  L.push('## Timings', '', mdTable(['step', 'seconds'], Object.entries(r.timings).map(([k, s]) => [k, s.toFixed(1)])), '');
  return `${L.join('\n')}\n`;
}
