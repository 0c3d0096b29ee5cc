/** fusemix calibrate mtj | dwmtj | mosfet | adc: fit parameters to data or SPICE, write a preset. */
import type { Argv, CommandModule } from 'yargs';
import { formatQuantity } from '../../core/units.ts';
import type { Calibration, FitParam } from '../../calibrate/index.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';

interface Common extends GlobalArgs {
  data?: string;
  out?: string;
  name?: string;
  plot?: string;
  force?: boolean;
}

function common<T>(y: Argv<T>, data = true) {
  const z = y
    .option('out', { type: 'string', describe: 'preset file to write, or a folder (existing, or ending in "/") for <name>.json; default <name>.json in the working directory' })
    .option('name', { type: 'string', describe: 'preset name (default from the data file)' })
    .option('plot', { type: 'string', describe: 'write an SVG of the data and the fit' })
    .option('force', { type: 'boolean', describe: 'replace an existing preset file' });
  return data ? z.option('data', { type: 'string', demandOption: true, describe: 'CSV data file (header with units, e.g. resistance[kohm])' }) : z;
}

const fmtParam = (k: string, p: FitParam) => [k, formatQuantity(p.value, p.unit), formatQuantity(p.uncertainty, p.unit)];

async function finish(args: Common, c: Calibration<unknown>, extra: Record<string, unknown> = {}) {
  const { writeCalibration } = await import('../../calibrate/index.ts');
  const written = writeCalibration(c, { ...(args.plot ? { plot: args.plot } : {}), ...(args.force ? { force: true } : {}) });
  const fitBlock = c.presets[0]?.preset.fit as Record<string, unknown> | undefined;
  if (args.json) {
    printJson({
      kind: c.kind,
      params: Object.fromEntries(
        Object.entries(c.summary).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((p) => ({ value: p.value, uncertainty: p.uncertainty, unit: p.unit })) : { value: v.value, uncertainty: v.uncertainty, unit: v.unit },
        ]),
      ),
      presets: c.presets.map((p) => ({ name: p.name, path: p.path, fit: p.preset.fit })),
      written,
      ...(c.report ? { report: c.report } : {}),
      ...extra,
    }, UNIT_RULES.calibrate);
    return;
  }
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(c.summary)) {
    if (Array.isArray(v)) v.forEach((p, i) => rows.push(fmtParam(`${k}[${i}]`, p)));
    else rows.push(fmtParam(k, v));
  }
  say(args, table(rows, ['param', 'value', '1 sigma']));
  if (fitBlock) {
    say(args, `points ${fitBlock.points}, rms ${formatQuantity(fitBlock.rms as number, fitBlock.rmsUnit as string)}, R^2 ${(fitBlock.r2 as number).toFixed(6)}`);
  }
  for (const w of written) say(args, `wrote ${w}`);
}

const mtj: CommandModule<GlobalArgs, Common & { area?: string; voltageUnit?: string; resistanceUnit?: string; currentUnit?: string; state?: 'P' | 'AP'; base?: string }> = {
  command: 'mtj',
  describe: 'fit R_P (or RA), TMR0 and V_h to I-V or R-V data (columns voltage, resistance or current, state)',
  builder: (y) =>
    common(y)
      .option('area', { type: 'string', describe: 'junction area (e.g. 0.0058um^2): fit RA = R_P * area' })
      .option('voltage-unit', { type: 'string', describe: 'unit of the voltage column when the header has none' })
      .option('resistance-unit', { type: 'string', describe: 'unit of the resistance column when the header has none' })
      .option('current-unit', { type: 'string', describe: 'unit of the current column when the header has none' })
      .option('state', { choices: ['P', 'AP'] as const, describe: 'state of every row when there is no state column' })
      .option('base', { type: 'string', describe: 'base preset for the area when --area is not given (default mtj-alamdar)' })
      .example('$0 calibrate mtj --data iv.csv --area 0.0058um^2 --plot fit.svg', 'fit and write ./mtj-iv.json'),
  handler: async (a) => {
    const { calibrateMtj } = await import('../../calibrate/index.ts');
    const c = calibrateMtj({
      data: a.data!,
      ...pick(a, ['name', 'out', 'area', 'voltageUnit', 'resistanceUnit', 'currentUnit', 'state', 'base']),
    });
    await finish(a, c);
  },
};

const dwmtj: CommandModule<GlobalArgs, Common & { base?: string; resistanceUnit?: string; readBias?: string; subtractTrack?: boolean; ends?: boolean }> = {
  command: 'dwmtj',
  describe: 'fit R_P, R_AP (TMR0) and notch positions to resistance against position (AP fraction) or notch index',
  builder: (y) =>
    common(y)
      .option('base', { type: 'string', default: 'dwmtj-pt-projected', describe: 'preset the other fields are copied from' })
      .option('resistance-unit', { type: 'string', describe: 'unit of the resistance column when the header has none' })
      .option('read-bias', { type: 'string', describe: 'bias of the reads (TMR0 referred to zero bias with the base V_h), default 0' })
      .option('subtract-track', { type: 'boolean', describe: "subtract the base preset's heavy-metal read-path resistance from each reading" })
      .option('ends', { type: 'boolean', describe: 'notch data without P/AP rows: lowest notch is fully P, highest fully AP' })
      .example('$0 calibrate dwmtj --data r_vs_notch.csv --name dwmtj-measured', 'fit notch positions'),
  handler: async (a) => {
    const { calibrateDwmtj } = await import('../../calibrate/index.ts');
    const c = calibrateDwmtj({ data: a.data!, ...pick(a, ['name', 'out', 'base', 'resistanceUnit', 'readBias', 'subtractTrack', 'ends']) });
    await finish(a, c);
  },
};

const adc: CommandModule<GlobalArgs, Common & { model?: 'sar-linear' | 'flash' | 'walden' | 'murmann'; base?: string; energyUnit?: string; powerUnit?: string; rateUnit?: string }> = {
  command: 'adc',
  describe: 'fit an ADC energy model to converters (columns bits, sample rate, energy or power)',
  builder: (y) =>
    common(y)
      .option('model', { choices: ['sar-linear', 'flash', 'walden', 'murmann'] as const, default: 'sar-linear' as const, describe: 'energy model to fit (murmann: frontier offset, report only)' })
      .option('base', { type: 'string', describe: 'preset for bits, range, sample rate (default by model)' })
      .option('energy-unit', { type: 'string', describe: 'unit of the energy column when the header has none' })
      .option('power-unit', { type: 'string', describe: 'unit of the power column when the header has none' })
      .option('rate-unit', { type: 'string', describe: 'unit of the sample-rate column when the header has none' })
      .example('$0 calibrate adc --data adcs.csv --model sar-linear', 'energy per bit'),
  handler: async (a) => {
    const { calibrateAdc } = await import('../../calibrate/index.ts');
    const c = calibrateAdc({ data: a.data!, ...pick(a, ['name', 'out', 'model', 'base', 'energyUnit', 'powerUnit', 'rateUnit']) });
    if (!c.presets.length) say(a, `(${a.model} fit: reported only, adc presets have no frontier-offset field)`);
    await finish(a, c);
  },
};

const mosfet: CommandModule<
  GlobalArgs,
  Common & {
    fromSpice?: string;
    type?: 'nmos' | 'pmos' | 'both';
    engine?: 'wasm' | 'ngspice';
    modelName?: string;
    w?: string;
    l?: string;
    vmax?: string;
    step?: string;
    currentFloor?: string;
    cell?: string;
    fitModel?: 'auto' | 'level1' | 'ekv';
    refine?: boolean;
    cellName?: string;
    threads?: number;
  }
> = {
  command: 'mosfet',
  describe: 'fit the behavioral MOSFET (level 1 or EKV) to ngspice DC sweeps of a model card, refine it to the MACAM bounds SPICE gives with the card, report the bound errors before and after',
  builder: (y) =>
    common(y, false)
      .option('from-spice', { type: 'string', demandOption: true, describe: 'model card file (.lib/.cir; .model lines are used)' })
      .option('type', { choices: ['nmos', 'pmos', 'both'] as const, default: 'both' as const, describe: 'which card(s) to fit' })
      .option('engine', { choices: ['wasm', 'ngspice'] as const, default: 'wasm' as const, describe: 'SPICE engine' })
      .option('model-name', { type: 'string', describe: 'the .model name when the file has several of one type' })
      .option('w', { type: 'string', describe: 'channel width of the sweep (default 100nm)' })
      .option('l', { type: 'string', describe: 'channel length of the sweep (default 100nm)' })
      .option('vmax', { type: 'string', describe: 'sweep V_GS and V_DS over 0..vmax (default 0.8 V)' })
      .option('step', { type: 'string', describe: 'sweep step (default 20 mV)' })
      .option('current-floor', { type: 'string', describe: 'current floor of the relative weighting (default 100 nA)' })
      .option('cell', { type: 'string', default: 'macam-measured', describe: 'MACAM cell preset for the bound comparison (its transistors are the "before")' })
      .option('fit-model', { choices: ['auto', 'level1', 'ekv'] as const, default: 'auto' as const, describe: 'behavioral model to fit (auto: level1 for a level-1 card, else ekv)' })
      .option('refine', { type: 'boolean', describe: 'refine EKV fits to MACAM bounds found in SPICE with the card (default: on for EKV fits of both types; --no-refine for the DC fit alone)' })
      .option('cell-name', { type: 'string', describe: 'also write a cell preset of this name: --cell with the fitted transistors' })
      .option('threads', { type: 'number', describe: 'engines in parallel for the SPICE bound search (default: one per core)' })
      .example('$0 calibrate mosfet --from-spice card.lib --out my-devices/ --name card-fit --cell-name macam-card', 'my-devices/nmos-card-fit.json, pmos-card-fit.json (EKV, refined to SPICE bounds) and the cell macam-card.json'),
  handler: async (a) => {
    const { calibrateMosfet } = await import('../../calibrate/index.ts');
    const c = await calibrateMosfet({
      card: a.fromSpice!,
      ...pick(a, ['type', 'engine', 'modelName', 'name', 'out', 'w', 'l', 'vmax', 'step', 'cell', 'fitModel', 'refine', 'cellName', 'threads']),
      ...(a.currentFloor !== undefined ? { floor: a.currentFloor } : {}),
    });
    if (!a.json) {
      for (const [t, g] of Object.entries(c.report.gateError)) {
        say(
          a,
          `${t}: gate-voltage error at equal current vs the card: ${g.reference} max ${(g.before.max * 1e3).toFixed(1)} mV rms ${(g.before.rms * 1e3).toFixed(1)} mV; fitted max ${(g.after.max * 1e3).toFixed(1)} mV rms ${(g.after.rms * 1e3).toFixed(1)} mV`,
        );
      }
      // a bound SPICE or the behavioral cell does not find in [0, V_DD] is "none", and its error "n/a"
      let missing = false;
      const mv = (v: number, none = 'n/a') => {
        if (Number.isFinite(v)) return `${(v * 1e3).toFixed(2)} mV`;
        missing = true;
        return none;
      };
      say(a, `MACAM bounds of ${c.report.bounds.cell} (behavioral): level-1 presets vs fitted devices`);
      say(a, table(c.report.bounds.rows.map((r) => [r.branch, r.f, mv(r.before, 'none'), mv(r.after, 'none'), mv(r.shift)]), ['branch', 'f', 'level-1', 'fitted', 'shift']));
      const sp = c.report.spice;
      if (sp) {
        say(a, `MACAM bounds of ${sp.cell}: behavioral vs SPICE with ${sp.library} (${sp.search.probes} probes, ${sp.search.elapsedMs} ms)`);
        say(
          a,
          table(
            sp.after.rows.map((r, i) => [r.branch, r.f, mv(r.spice, 'none'), mv(sp.before.rows[i]!.error), mv(sp.dcFit.rows[i]!.error), mv(r.error)]),
            ['branch', 'f', 'spice', 'error before', 'error DC fit', 'error after'],
          ),
        );
        const sum = (e: typeof sp.before) => `max ${mv(e.max)}${e.unmatched ? ` (${e.unmatched} unmatched; ${mv(e.maxFinite)} where both find a bound)` : ''}`;
        if (missing) say(a, 'none: no bound in [0, V_DD]; n/a: one side finds a bound and the other does not');
        say(a, `bound error vs SPICE: before (${sp.cell}'s transistors) ${sum(sp.before)}; DC fit ${sum(sp.dcFit)}; after (refined) ${sum(sp.after)}, rms ${mv(sp.after.rms)}`);
      } else if (missing) say(a, 'none: no bound in [0, V_DD]; n/a: one side finds a bound and the other does not');
    }
    await finish(a, c);
  },
};

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export const calibrateCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'calibrate',
  describe: 'fit device parameters to measured data or to SPICE sweeps and write presets',
  builder: (y) => y.command(mtj).command(dwmtj).command(mosfet).command(adc).demandCommand(1, 'Give what to calibrate: mtj, dwmtj, mosfet or adc'),
  handler: () => {},
};
