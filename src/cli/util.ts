/** Small helpers shared by CLI commands: output, options, progress. */
import { jsonReplacer, writeFileAtomic } from '../core/io.ts';
import { type UnitRules, withUnits } from './json-units.ts';

export interface GlobalArgs {
  json?: boolean;
  quiet?: boolean;
}

/**
 * Print JSON to stdout (the only thing on stdout when --json is given). `units` renames fields so
 * that each number's unit is in its name (src/cli/json-units.ts, docs/json.md).
 */
export function printJson(value: unknown, units?: UnitRules): void {
  process.stdout.write(`${JSON.stringify(units ? withUnits(value, units) : value, jsonReplacer, 2)}\n`);
}

export { jsonReplacer } from '../core/io.ts';

export function writeJsonFile(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** Human output goes to stdout unless --quiet; with --json it goes to stderr so stdout stays JSON. */
export function say(args: GlobalArgs, line = ''): void {
  if (args.quiet) return;
  if (args.json) process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** A plain text table with aligned columns. */
export function table(rows: Array<Array<string | number>>, header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  const fmt = (r: Array<string | number>) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = all.map(fmt);
  if (header) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}

/**
 * Progress on a terminal: a single updating line on stderr when stderr is a TTY and not in CI, and
 * nothing otherwise (CI logs stay clean). `quiet` silences it.
 */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;
  private readonly start = Date.now();
  constructor(
    private readonly label: string,
    private readonly total: number,
    quiet = false,
  ) {
    this.enabled = !quiet && Boolean(process.stderr.isTTY) && !process.env.CI;
  }
  update(done: number, extra = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const frac = this.total > 0 ? done / this.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const el = (now - this.start) / 1000;
    const eta = frac > 0 ? (el / frac - el).toFixed(0) : '?';
    process.stderr.write(`\r${this.label} [${bar}] ${done}/${this.total} ${el.toFixed(1)}s eta ${eta}s ${extra}`.slice(0, 160).padEnd(80));
  }
  done(extra = ''): void {
    if (!this.enabled) return;
    this.update(this.total, extra);
    process.stderr.write('\n');
  }
}
