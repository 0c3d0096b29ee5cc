/**
 * Two guards between strings and ngspice:
 *
 *  - checkGeneratedDeck: a deck fusemix renders (netlist.ts) holds only the cards fusemix writes:
 *    no `.control`/`.endc` block, no `.include`/`.lib` of a file, no `*ng_script` title. The engines
 *    add their own control block later (ngspice.ts prepareNetlist). Together with the check of every
 *    interpolated value (checkTemplateValues), a crafted preset or flag cannot open a control block.
 *  - checkControlCommands: a user's netlist (`fusemix simulate`) may carry a control block, and
 *    ngspice's control language can run programs (`shell`, an unknown command with `unixcom` set,
 *    backquote substitution), load code (`codemodel`, `osdi`) or read further command files
 *    (`source`). Those are refused unless the caller allows them (`--allow-shell`, allowShell).
 */
import { UnsafeNetlist, ConfigError } from '../core/errors.ts';
import { checkPlainText, describeControlChar, stringsIn } from '../core/text.ts';

/** Control-block commands that can run programs, load code or read command files. */
export const SHELL_COMMANDS = ['shell', 'rehash', 'unixcom', 'edit', 'gnuplot', 'hardcopy', 'codemodel', 'osdi', 'pre_osdi', 'source', 'alias', 'sendmail', 'cd'] as const;

const SHELL_RE = new RegExp(`^(?:pre_)?(${SHELL_COMMANDS.join('|')})\\b`, 'i');

/** Refuse a newline or control character in any string a template interpolates. */
export function checkTemplateValues(template: string, ctx: object): void {
  for (const [path, v] of stringsIn(ctx)) checkPlainText(v, undefined, `${template}: ${path}`);
}

/** Refuse a rendered deck that carries a card fusemix does not write (see the module note). */
export function checkGeneratedDeck(deck: string, what = 'generated netlist'): string {
  const lines = deck.split('\n');
  lines.forEach((line, i) => {
    const bad = describeControlChar(line.replace(/\r$/, ''));
    if (bad) throw new ConfigError(undefined, `${what} line ${i + 1}`, 'netlist text without control characters', `${bad}`);
    const t = line.trim();
    if (i === 0 && /^\*\s*ng_script/i.test(t)) throw new ConfigError(undefined, `${what} line 1`, 'a title line (not *ng_script)', t);
    if (/^\.(control|endc|include|inc|lib)\b/i.test(t)) {
      throw new ConfigError(undefined, `${what} line ${i + 1}`, 'only the cards fusemix writes (no .control/.endc/.include/.lib in a generated deck)', t);
    }
  });
  return deck;
}

/** One refused control line: where it is and why. */
export interface UnsafeLine {
  file: string;
  line: number;
  text: string;
  why: string;
}

/** The control-language lines of a netlist that can run programs (see SHELL_COMMANDS). */
export function unsafeControlLines(netlist: string, file = 'netlist'): UnsafeLine[] {
  const out: UnsafeLine[] = [];
  const lines = netlist.replace(/\r\n?/g, '\n').split('\n');
  // `*ng_script` as the title makes the whole file control language
  let inControl = /^\*\s*ng_script/i.test((lines[0] ?? '').trim());
  lines.forEach((line, i) => {
    const t = line.trim();
    if (!inControl) {
      if (/^\.control\b/i.test(t)) inControl = true;
      return;
    }
    if (/^\.endc\b/i.test(t)) {
      inControl = false;
      return;
    }
    if (t === '' || t.startsWith('*') || t.startsWith('#')) return;
    const m = SHELL_RE.exec(t) ?? (/^set\s+.*\bunixcom\b/i.test(t) ? (['unixcom', 'unixcom'] as const) : null);
    if (m) out.push({ file, line: i + 1, text: t, why: `control command '${m[1]!.toLowerCase()}' can run programs or load code` });
    else if (t.includes('`')) out.push({ file, line: i + 1, text: t, why: 'backquote substitution runs a command' });
  });
  return out;
}

/**
 * Refuse a netlist (and the files it includes) whose control block can run programs, unless
 * `allowShell`. Throws UnsafeNetlist naming the file, the line and the command.
 */
export function checkControlCommands(netlist: string, name: string, includes: Record<string, string> = {}, allowShell = false): void {
  if (allowShell) return;
  const bad = [...unsafeControlLines(netlist, name), ...Object.entries(includes).flatMap(([f, text]) => unsafeControlLines(text, f))];
  if (bad.length === 0) return;
  const b = bad[0]!;
  throw new UnsafeNetlist(
    `${b.file} line ${b.line}: "${b.text.length > 60 ? `${b.text.slice(0, 57)}...` : b.text}": ${b.why}; refused${bad.length > 1 ? ` (${bad.length} such lines)` : ''}. A netlist's control block can run commands on this machine: pass --allow-shell (allowShell: true) only for a netlist you trust`,
  );
}
