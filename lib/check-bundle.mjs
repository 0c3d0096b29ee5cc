// Evaluated before the bundle (lib/index.mjs imports it first): throws when build/js was built from
// other sources than the ones in this package folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST, sourceHash } from '../scripts/source-hash.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
let built;
try {
  built = JSON.parse(readFileSync(join(root, 'build', 'js', MANIFEST), 'utf8')).sourceHash;
} catch {
  built = undefined;
}
if (built !== sourceHash(root)) {
  throw new Error(
    `fusemix: ${built === undefined ? 'no bundle in' : 'the bundle in'} ${join(root, 'build', 'js')} ${built === undefined ? '' : 'was built from other sources '}` +
      `(the sources under ${join(root, 'src')} changed since). Run \`npm run build:js\` in ${root}, ` +
      'or load the TypeScript sources with node --conditions=fusemix-source (tsx passes it on).',
  );
}
