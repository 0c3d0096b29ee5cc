/**
 * Project configuration: one JSON file with a section per command, e.g.
 *   { "$schema": "./fusemix.schema.json", "unit": { "fn": "gelu", "bits": 4 }, "mix": { "budget": 0.3 } }
 * Every command accepts it through `--config file`; flags given on the command line override it.
 * The sections are checked against the commands' own yargs options, so the config can never drift
 * from the CLI; `fusemix init` writes a starter config and a JSON Schema generated the same way.
 */
import { readFileSync } from 'node:fs';
import yargs, { type CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.ts';
import { checkPlainText, stringsIn } from '../core/text.ts';

export interface OptionInfo {
  type: 'number' | 'string' | 'boolean' | 'array';
  choices?: unknown[];
  default?: unknown;
  describe?: string;
}

const GLOBAL = new Set(['help', 'version', 'json', 'quiet', 'config', 'q']);

/** The options of every command, read from the commands' own builders. */
// biome-ignore lint: heterogeneous command argument types
export function describeCommands(commands: Array<CommandModule<any, any>>): Record<string, Record<string, OptionInfo>> {
  const out: Record<string, Record<string, OptionInfo>> = {};
  for (const c of commands) {
    const name = String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]!;
    let y = yargs([]);
    if (typeof c.builder === 'function') y = c.builder(y) as typeof y;
    else if (c.builder) y = y.options(c.builder);
    const o = (y as unknown as { getOptions(): unknown }).getOptions() as {
      key: Record<string, boolean>;
      number: string[];
      string: string[];
      boolean: string[];
      array: string[];
      choices: Record<string, unknown[]>;
      default: Record<string, unknown>;
    };
    const desc = (y as unknown as { getInternalMethods(): { getUsageInstance(): { getDescriptions(): Record<string, string | undefined> } } })
      .getInternalMethods()
      .getUsageInstance()
      .getDescriptions();
    const opts: Record<string, OptionInfo> = {};
    for (const k of Object.keys(o.key)) {
      if (GLOBAL.has(k)) continue;
      const type = o.array.includes(k) ? 'array' : o.number.includes(k) ? 'number' : o.boolean.includes(k) ? 'boolean' : 'string';
      opts[k] = {
        type,
        ...(o.choices[k] ? { choices: o.choices[k] } : {}),
        ...(o.default[k] !== undefined ? { default: o.default[k] } : {}),
        ...(desc[k] ? { describe: String(desc[k]).replace(/^__yargsString__:/, '') } : {}),
      };
    }
    out[name] = opts;
  }
  return out;
}

/** JSON Schema (draft-07) of the config file, for editor completion. */
export function configJsonSchema(info: Record<string, Record<string, OptionInfo>>): Record<string, unknown> {
  const props: Record<string, unknown> = { $schema: { type: 'string' } };
  for (const [cmd, opts] of Object.entries(info)) {
    const p: Record<string, unknown> = {};
    for (const [k, o] of Object.entries(opts)) {
      p[k] = {
        type: o.type === 'array' ? 'array' : o.type,
        ...(o.choices ? { enum: o.choices } : {}),
        ...(o.default !== undefined ? { default: o.default } : {}),
        ...(o.describe ? { description: o.describe } : {}),
      };
    }
    props[cmd] = { type: 'object', description: `options of "fusemix ${cmd}"`, additionalProperties: false, properties: p };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'fusemix project configuration',
    type: 'object',
    additionalProperties: false,
    properties: props,
  };
}

/** Read and check a config file against the commands' options. */
export function loadConfig(file: string, info: Record<string, Record<string, OptionInfo>>): Record<string, Record<string, unknown>> {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, '(file)', 'a readable JSON config file', (e as Error).message);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError(file, '(top level)', 'an object with one section per command', obj);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [cmd, section] of Object.entries(obj as Record<string, unknown>)) {
    if (cmd === '$schema') continue;
    const opts = info[cmd];
    if (!opts) throw new ConfigError(file, cmd, `a command name (${Object.keys(info).join(', ')})`, cmd);
    if (!section || typeof section !== 'object' || Array.isArray(section)) throw new ConfigError(file, cmd, 'an object of options', section);
    for (const [k, v] of Object.entries(section as Record<string, unknown>)) {
      const o = opts[k];
      if (!o) throw new ConfigError(file, `${cmd}.${k}`, `an option of "fusemix ${cmd}" (${Object.keys(opts).join(', ')})`, k);
      const ok =
        o.type === 'array' ? Array.isArray(v) : o.type === 'string' ? typeof v === 'string' || typeof v === 'number' : typeof v === o.type;
      if (!ok) throw new ConfigError(file, `${cmd}.${k}`, `a ${o.type}`, v);
      for (const [p, str] of stringsIn(v)) checkPlainText(str, file, `${cmd}.${k}${p === '(value)' ? '' : p}`);
      if (o.choices && !o.choices.includes(v)) throw new ConfigError(file, `${cmd}.${k}`, `one of ${o.choices.join(', ')}`, v);
    }
    out[cmd] = section as Record<string, unknown>;
  }
  return out;
}

/** Was `--key` (or an alias/negation) given on the command line? */
export function givenOnCommandLine(raw: string[], key: string): boolean {
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return raw.some((t) => [key, kebab].some((k) => t === `--${k}` || t.startsWith(`--${k}=`) || t === `--no-${k}`));
}
