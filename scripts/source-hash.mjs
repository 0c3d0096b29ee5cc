// The content hash of what the CLI bundle (build/js) is built from: every file under src/ and
// package.json, by relative path, size and bytes (SHA-256). scripts/bundle.mjs writes it into
// build/js/manifest.json before it builds; bin/fusemix.js runs the bundle only when the hash of the
// current sources equals it. File dates play no part, so a copy or checkout that keeps old dates
// cannot run a stale bundle. Plain JavaScript with no dependencies: bin/fusemix.js imports it before
// anything else is loaded.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Files the bundle is built from, relative to `root` with '/' separators, sorted. */
export function bundleSources(root) {
  const files = ['package.json'];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(join(root, 'src'));
  return files.sort();
}

/** SHA-256 (hex) over (path, size, bytes) of every file bundleSources lists. */
export function sourceHash(root) {
  const h = createHash('sha256');
  for (const f of bundleSources(root)) {
    const bytes = readFileSync(join(root, f));
    h.update(`${f}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** Name of the manifest inside build/js. */
export const MANIFEST = 'manifest.json';
