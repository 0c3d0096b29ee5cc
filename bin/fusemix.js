#!/usr/bin/env node
// fusemix command-line entry. Runs the bundle (build/js/main.mjs, built by scripts/bundle.mjs on
// npm install) when it is newer than every source file, else the TypeScript sources through tsx
// (no build step needed). FUSEMIX_FROM_SOURCE=1 forces the sources.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'build', 'js', 'main.mjs');

/** Newest modification time (ms) of the files under `dir`, and of package.json. */
function newestSource(dir) {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

function bundleIsFresh() {
  if (process.env.FUSEMIX_FROM_SOURCE === '1') return false;
  try {
    return statSync(bundle).mtimeMs > newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (bundleIsFresh()) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
