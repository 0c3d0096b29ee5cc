/** fusemix devices list | show | eval */
import type { CommandModule } from 'yargs';
import { listPresets, loadPreset, presetSearchPath, presetView } from '../../devices/index.ts';
import { unitSuffix } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';

export const devicesCommand: CommandModule<GlobalArgs, GlobalArgs & { action?: string; preset?: string; state?: string; bias?: string; vgs?: string; vds?: string }> = {
  command: 'devices <action> [preset]',
  describe: 'list the device presets, show one (values in SI, with units and sources), or evaluate it',
  builder: (y) =>
    y
      .positional('action', { choices: ['list', 'show', 'eval'] as const, describe: 'what to do' })
      .positional('preset', { type: 'string', describe: 'preset name (see devices list) or path to a JSON file' })
      .option('state', { type: 'string', describe: 'eval: MTJ state P,AP; DW-MTJ AP fractions 0,0.5,1; MACAM "fLo,fHi"' })
      .option('bias', { type: 'string', describe: 'eval: bias voltages, e.g. 0,0.1,0.2 or "300 mV"' })
      .option('vgs', { type: 'string', describe: 'eval (mosfet): gate-source voltages' })
      .option('vds', { type: 'string', describe: 'eval (mosfet): drain-source voltages' })
      .example('$0 devices list', 'every preset on the search path (working directory, FUSEMIX_PRESETS, shipped) and where it comes from')
      .example('$0 devices show dwmtj-pt-5notch-hi --json', 'values in SI with their sources')
      .example('$0 devices eval mtj-alamdar --state P,AP --bias 0,0.5', 'R and I at two biases'),
  handler: async (args) => {
    if (args.action === 'list') {
      const rows = listPresets().map((e) => {
        try {
          const p = loadPreset(e.file);
          return { name: e.name, kind: p.kind, origin: e.origin, file: e.file, description: p.description ?? '' };
        } catch (err) {
          return { name: e.name, kind: '(invalid)', origin: e.origin, file: e.file, description: (err as Error).message.replace(/\s*\n\s*/g, ' ') };
        }
      });
      if (args.json) printJson(rows);
      else {
        say(args, table(rows.map((r) => [r.name, r.kind, r.origin === 'shipped' ? 'shipped' : r.file, r.description]), ['preset', 'kind', 'from', 'description']));
        say(args, `search path: ${presetSearchPath().map((f) => `${f.dir} (${f.origin})`).join(', ')}`);
      }
      return;
    }
    const { UsageArgError } = await import('./errors.ts');
    if (!args.preset) throw new UsageArgError('preset', `a preset name or path after "devices ${args.action}"`);
    const p = loadPreset(args.preset);
    if (args.action === 'show') {
      const v = presetView(p);
      if (args.json) printJson(v);
      else {
        say(args, `${v.name} (${v.kind})${v.description ? `: ${v.description}` : ''}`);
        const fitted = Object.values(v.params).some((e) => e.uncertaintyDisplay !== undefined);
        const rows = Object.entries(v.params).map(([k, e]) => (fitted ? [k, e.display, e.uncertaintyDisplay ?? '', e.source] : [k, e.display, e.source]));
        say(args, `file: ${v.file ?? '(in memory)'}`);
        say(args, table(rows, fitted ? ['param', 'value', '1 sigma (fit)', 'source'] : ['param', 'value', 'source']));
      }
      return;
    }
    const { evaluateDevice } = await import('../evaluate.ts');
    const out = evaluateDevice(p, args as unknown as Record<string, unknown>);
    if (args.json) {
      // each column's SI unit in its name: bias -> biasV, current -> currentA, resistance -> resistanceOhm
      const named = (r: Record<string, number | string>) => Object.fromEntries(Object.entries(r).map(([k, x]) => [`${k}${unitSuffix(out.units[k] ?? '')}`, x]));
      printJson({ kind: out.kind, preset: out.preset, rows: out.values.map(named) });
    }
    else say(args, table(out.rows, out.header));
  },
};
