/**
 * (Re)generate the committed netlists (netlists/*.cir) and transistor libraries
 * (templates/models/*.lib) from the default presets. Deterministic: running it twice changes nothing.
 *   npx tsx scripts/gen-netlists.ts [--check]
 * --check writes nothing and exits 1 when a file is missing or differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, writeFileAtomic } from '../src/core/io.ts';
import { defaultNetlists } from '../src/spice/testbench.ts';

const check = process.argv.includes('--check');
const files = await defaultNetlists();
let stale = 0;
for (const [rel, content] of Object.entries(files)) {
  const path = join(PACKAGE_ROOT, rel);
  const same = existsSync(path) && readFileSync(path, 'utf8') === content;
  if (same) continue;
  stale++;
  if (check) process.stdout.write(`stale: ${rel}\n`);
  else {
    writeFileAtomic(path, content);
    process.stdout.write(`wrote ${rel}\n`);
  }
}
if (check && stale) process.exitCode = 1;
else if (!stale) process.stdout.write(`${Object.keys(files).length} files up to date\n`);
