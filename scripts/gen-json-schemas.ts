/**
 * Writes docs/json/<command>.schema.json, the JSON Schema of each command's --json output, from the
 * zod definitions in src/cli/json-schemas.ts. test/json-output.test.ts fails when they are stale.
 *
 *   npx tsx scripts/gen-json-schemas.ts
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../src/core/io.ts';
import { JSON_SCHEMAS, type JsonCommand, jsonSchemaOf } from '../src/cli/json-schemas.ts';
import { sweepSpecJsonSchema } from '../src/sweep/spec.ts';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'docs', 'json');
export const schemaFile = (cmd: string) => join(SCHEMA_DIR, `${cmd}.schema.json`);
export const schemaText = (cmd: JsonCommand) => `${JSON.stringify(jsonSchemaOf(cmd), null, 2)}\n`;
/** docs/json/sweep-spec.schema.json: the input of `fusemix sweep` (editors complete a spec with it) */
export const SWEEP_SPEC_FILE = join(SCHEMA_DIR, 'sweep-spec.schema.json');
export const sweepSpecText = () => `${JSON.stringify(sweepSpecJsonSchema(), null, 2)}\n`;

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  for (const cmd of Object.keys(JSON_SCHEMAS) as JsonCommand[]) {
    writeFileAtomic(schemaFile(cmd), schemaText(cmd));
    process.stdout.write(`wrote ${schemaFile(cmd)}\n`);
  }
  writeFileAtomic(SWEEP_SPEC_FILE, sweepSpecText());
  process.stdout.write(`wrote ${SWEEP_SPEC_FILE}\n`);
}
