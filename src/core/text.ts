/**
 * Rules for strings that end up inside generated files (ngspice netlists above all): a newline in a
 * preset name or a flag would start a new netlist line, and a netlist line can open a `.control`
 * block whose `shell` command runs anything. So every string from a preset, a config file or a flag
 * that can reach a netlist is checked where it enters (and once more when a deck is rendered).
 */
import { ConfigError } from './errors.ts';

/** Control characters (C0 including newline, carriage return and tab; DEL; C1; line/paragraph separators). */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A preset name: a letter or digit, then letters, digits, '_', '-', '.' or '+'; at most 64 characters. */
export const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
export const PRESET_NAME_RULE = "a name of letters, digits, '_', '-', '.', '+' (starting with a letter or digit, at most 64 characters)";

/** What a control character is, for messages ("newline (U+000A) at index 3"). */
export function describeControlChar(s: string): string | undefined {
  const m = CONTROL_CHARS.exec(s);
  if (!m) return undefined;
  const c = m[0].charCodeAt(0);
  const names: Record<number, string> = { 9: 'tab', 10: 'newline', 13: 'carriage return', 0: 'NUL' };
  return `${names[c] ?? 'control character'} (U+${c.toString(16).toUpperCase().padStart(4, '0')}) at index ${m.index}`;
}

/** Refuse a string with a newline or any other control character (ConfigError naming file and field). */
export function checkPlainText(value: string, file: string | undefined, field: string): string {
  const bad = describeControlChar(value);
  if (bad) throw new ConfigError(file, field, `a single line of text without control characters (found a ${bad})`, value);
  return value;
}

/** Refuse a string that is not a preset name (see PRESET_NAME). */
export function checkPresetName(value: string, file: string | undefined, field: string): string {
  checkPlainText(value, file, field);
  if (!PRESET_NAME.test(value)) throw new ConfigError(file, field, PRESET_NAME_RULE, value);
  return value;
}

/** Every string inside a value (objects, arrays), with its path, e.g. ["params.nmos.value", "nmos-level1"]. */
export function* stringsIn(v: unknown, path = ''): Generator<[string, string]> {
  if (typeof v === 'string') yield [path || '(value)', v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* stringsIn(v[i], `${path}[${i}]`);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* stringsIn(x, path ? `${path}.${k}` : k);
}
