/** fusemix init [dir]: a starter project config and its JSON Schema. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { writeJsonAtomic } from '../../core/io.ts';
import { configJsonSchema, describeCommands } from '../config.ts';
import { UsageArgError } from './errors.ts';
import { type GlobalArgs, printJson, say } from '../util.ts';

/**
 * The init command over the command list it describes (given by commands/index.ts, which lists init
 * too: passed in, not imported, so the two modules do not import each other).
 */
// biome-ignore lint: heterogeneous command argument types
export const makeInitCommand = (listCommands: () => Array<CommandModule<any, any>>): CommandModule<GlobalArgs, GlobalArgs & { dir: string; force?: boolean }> => ({
  command: 'init [dir]',
  describe: 'write fusemix.config.json (one section per command) and fusemix.schema.json for editor completion',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', default: '.', describe: 'project folder' })
      .option('force', { type: 'boolean', describe: 'overwrite existing files' }),
  handler: async (args) => {
    const info = describeCommands(listCommands());
    const dir = resolve(args.dir);
    const cfgPath = join(dir, 'fusemix.config.json');
    const schemaPath = join(dir, 'fusemix.schema.json');
    if (!args.force && existsSync(cfgPath)) throw new UsageArgError('force', `no existing ${cfgPath} (pass --force to overwrite it)`, 'file exists');
    const starter: Record<string, unknown> = { $schema: './fusemix.schema.json' };
    const pick = (cmd: string, keys: string[]) => {
      const o = info[cmd];
      if (!o) return;
      const sec: Record<string, unknown> = {};
      for (const k of keys) if (o[k]?.default !== undefined) sec[k] = o[k]!.default;
      starter[cmd] = sec;
    };
    pick('unit', ['fn', 'bits', 'preset']);
    pick('cell', ['preset', 'state']);
    pick('mix', ['data', 'budget', 'epochs', 'seed', 'out']);
    pick('verify', ['engine', 'model']);
    writeJsonAtomic(schemaPath, configJsonSchema(info));
    writeJsonAtomic(cfgPath, starter);
    if (args.json) printJson({ config: cfgPath, schema: schemaPath });
    else say(args, `wrote ${cfgPath} and ${schemaPath}; use it with: fusemix <command> --config ${cfgPath}`);
  },
});
