/** fusemix simulate <file.cir>: run any ngspice netlist on either engine, summarise, export vectors. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { DataError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/io.ts';
import { createEngine, ENGINE_KINDS, type EngineKind, type SpiceResult } from '../../spice/engine.ts';
import { readHostIncludes } from '../../spice/ngspice.ts';
import type { SpicePlot } from '../../spice/raw.ts';
import { type GlobalArgs, printJson, say, table, writeJsonFile } from '../util.ts';
import { UsageArgError } from './errors.ts';

interface SimulateArgs extends GlobalArgs {
  file: string;
  engine: string;
  out?: string;
  timeout?: number;
  'allow-shell'?: boolean;
}

/** ngspice-style plot labels: dc1, tran1, ac1, dc2, ... */
function plotLabels(plots: SpicePlot[]): string[] {
  const seen: Record<string, number> = {};
  return plots.map((p) => `${p.type}${(seen[p.type] = (seen[p.type] ?? 0) + 1)}`);
}

/** All vectors as one wide CSV: a column per vector (re/im columns for complex), blank past a vector's end. */
export function resultToCsv(result: SpiceResult): string {
  const labels = plotLabels(result.plots);
  const cols: Array<{ head: string; data: Float64Array }> = [];
  result.plots.forEach((p, i) => {
    for (const n of p.names) {
      if (p.complex) {
        cols.push({ head: `${labels[i]}.${n}.re`, data: p.vectors[n]! });
        cols.push({ head: `${labels[i]}.${n}.im`, data: p.imag![n]! });
      } else cols.push({ head: `${labels[i]}.${n}`, data: p.vectors[n]! });
    }
  });
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = Math.max(0, ...cols.map((c) => c.data.length));
  const lines = [cols.map((c) => quote(c.head)).join(',')];
  for (let r = 0; r < rows; r++) lines.push(cols.map((c) => (r < c.data.length ? String(c.data[r]) : '')).join(','));
  return `${lines.join('\n')}\n`;
}

/** All plots with full vectors, for JSON export. */
export function resultToJson(result: SpiceResult, file: string) {
  const labels = plotLabels(result.plots);
  return {
    file,
    engine: result.engine,
    plots: result.plots.map((p, i) => ({
      label: labels[i],
      title: p.title,
      name: p.name,
      type: p.type,
      complex: p.complex,
      scale: p.scale,
      kinds: p.kinds,
      vectors: p.vectors,
      ...(p.imag ? { imag: p.imag } : {}),
    })),
    warnings: result.warnings,
  };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x);
}

/**
 * The output-code nodes of fusemix's fused columns: the fifth port of every `fm_col` instance
 * (xin dl sl vdd code ...). ngspice stores them as voltages; their value is the priority-encoded code.
 */
export function codeNodes(netlist: string): Set<string> {
  const out = new Set<string>();
  for (const m of netlist.matchAll(/^\s*X\S*\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s.*\bfm_col\s*$/gim)) out.add(`v(${m[1]!.toLowerCase()})`);
  return out;
}

/** SI unit of a vector by its ngspice type (a code and unknown types: ''). */
const VECTOR_UNITS: Record<string, string> = { voltage: 'V', current: 'A', time: 's', frequency: 'Hz', code: '' };

function summary(result: SpiceResult, codes: Set<string> = new Set()) {
  const labels = plotLabels(result.plots);
  return result.plots.map((p, i) => ({
    label: labels[i]!,
    name: p.name,
    type: p.type,
    complex: p.complex,
    scale: p.scale,
    points: p.vectors[p.scale]?.length ?? 0,
    vectors: p.names.map((n) => {
      const re = p.vectors[n]!;
      const im = p.imag?.[n];
      const at = (k: number) => (im ? { re: re[k]!, im: im[k]! } : re[k]!);
      const kind = codes.has(n.toLowerCase()) ? 'code' : p.kinds[n]!;
      return { name: n, kind, unit: VECTOR_UNITS[kind] ?? '', length: re.length, first: re.length ? at(0) : null, last: re.length ? at(re.length - 1) : null };
    }),
  }));
}

export const simulateCommand: CommandModule<GlobalArgs, SimulateArgs> = {
  command: 'simulate <file>',
  describe:
    'run an ngspice netlist (.dc/.tran/.ac/.op ...) and print or export its vectors. A netlist can run commands on this machine (control-block shell, source, codemodel, ...): those are refused unless --allow-shell',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'netlist file (.cir)' })
      .option('engine', { type: 'string', default: 'wasm', describe: `SPICE engine: ${ENGINE_KINDS.join(' | ')}` })
      .option('out', { type: 'string', describe: 'write all vectors to this file (.csv or .json)' })
      .option('timeout', { type: 'number', describe: 'time limit of the run in ms (default 60000)' })
      .option('allow-shell', {
        type: 'boolean',
        default: false,
        describe: 'let the netlist\'s .control block run programs and load code (shell, source, codemodel, osdi, unixcom, backquotes); only for a netlist you trust',
      }) as never,
  handler: async (args) => {
    const file = args.file;
    if (!existsSync(file) || !statSync(file).isFile()) throw new DataError('netlist file not found', file);
    if (!(ENGINE_KINDS as readonly string[]).includes(args.engine)) {
      throw new UsageArgError('engine', ENGINE_KINDS.join(' or '), args.engine);
    }
    const outExt = args.out ? extname(args.out).toLowerCase() : '';
    if (args.out && outExt !== '.csv' && outExt !== '.json') throw new UsageArgError('out', 'a file name ending in .csv or .json', args.out);
    if (args.timeout !== undefined && !(Number.isFinite(args.timeout) && args.timeout > 0)) {
      throw new UsageArgError('timeout', 'a positive number of milliseconds', args.timeout);
    }
    const text = readFileSync(file, 'utf8');
    const includes = Object.fromEntries(Object.entries(readHostIncludes(text, dirname(resolve(file)))).filter(([k]) => !isAbsolute(k)));
    const engine = createEngine(args.engine as EngineKind);
    let result: SpiceResult;
    try {
      result = await engine.run(text, { name: file, includes, allowShell: args['allow-shell'] === true, ...(args.timeout ? { timeoutMs: args.timeout } : {}) });
    } finally {
      await engine.close();
    }
    if (args.out) {
      if (outExt === '.csv') writeFileAtomic(args.out, resultToCsv(result));
      else writeJsonFile(args.out, resultToJson(result, file));
    }
    const plots = summary(result, codeNodes(text));
    if (args.json) {
      printJson({ file, engine: result.engine, elapsedMs: result.elapsedMs, plots, warnings: result.warnings, ...(args.out ? { out: args.out } : {}) });
      return;
    }
    say(args, `${file}: ${plots.length} plot(s) on ${result.engine} in ${result.elapsedMs.toFixed(1)} ms`);
    const show = (v: number | { re: number; im: number } | null) =>
      v === null ? '' : typeof v === 'number' ? fmt(v) : `${fmt(v.re)}${v.im < 0 ? '-' : '+'}${fmt(Math.abs(v.im))}j`;
    for (const p of plots) {
      say(args, '');
      say(args, `${p.label}: ${p.name} (${p.points} points${p.complex ? ', complex' : ''}, scale ${p.scale})`);
      say(args, table(p.vectors.map((v) => [v.name, v.kind, show(v.first), show(v.last)]), ['vector', 'type', 'first', 'last']));
    }
    for (const w of result.warnings) say(args, `warning: ${w}`);
    if (args.out) say(args, `\nwrote ${args.out}`);
  },
};
