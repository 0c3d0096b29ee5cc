// Bundle the CLI and its worker-thread entries into build/js/*.mjs with esbuild (installed with tsx).
// Run by `npm run build:js` and by the `prepare` script on npm install / npm ci. Starting from the
// bundle skips tsx's per-module work (~0.5 s per process and per worker thread). It writes
// build/js/manifest.json with the content hash of the sources it was built from (scripts/source-hash.mjs,
// taken before the build); bin/fusemix.js uses the bundle only while the sources hash the same, so
// edited sources are never shadowed by a stale bundle. The output is one flat folder two levels below the package root, like src/<area>/, so
// URLs relative to a module (PACKAGE_ROOT, asm/build/kernels.wasm) resolve the same; entry names are
// the source basenames (src/core/modules.ts siblingModule maps './x' to x.ts or x.mjs). If esbuild is
// missing or fails, it says so and exits 0 (or 1 with --strict): fusemix then runs from sources.
// The JavaScript dependencies are bundled too (resolving and translating each package through node's
// ESM loader cost ~0.1 s per process and per worker), except what must stay a package: koffi (native
// binary), eecircuit-engine (loaded in its own worker), mathjs (loaded lazily, only for unit strings)
// bullmq (loaded lazily, only by the sweep queue) and the build tools.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources, MANIFEST, sourceHash } from './source-hash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'js');
const strict = process.argv.includes('--strict');

function skip(why) {
  process.stderr.write(`fusemix: CLI bundle not built (${why}); the CLI runs from the TypeScript sources\n`);
  process.exit(strict ? 1 : 0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  skip(`esbuild is not installed: ${String(e.message).split('\n')[0]}`);
}

const EXTERNAL = ['koffi', 'eecircuit-engine', 'mathjs', 'bullmq', 'tsx', 'esbuild', 'assemblyscript'];

const ENTRIES = {
  main: 'src/cli/main.ts',
  // the library (package.json exports ".": what `import ... from 'fusemix'` loads in a project)
  index: 'src/index.ts',
  'worker-entry': 'src/mixer/worker-entry.ts',
  'parallel-worker': 'src/kernels/parallel-worker.ts',
  evaluate: 'src/nn/evaluate.ts',
  'wasm-worker': 'src/spice/wasm-worker.ts',
};

const tmp = `${out}.${process.pid}.tmp`;
rmSync(tmp, { recursive: true, force: true });
// hashed before esbuild reads the sources: an edit during the build leaves a hash that no longer
// matches, so the CLI then runs the sources
const manifest = { sourceHash: sourceHash(root), files: bundleSources(root).length };
try {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(root, v)])),
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  skip(`esbuild failed: ${String(e.message).split('\n')[0]}`);
}
writeFileSync(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
mkdirSync(dirname(out), { recursive: true });
if (existsSync(out)) rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
process.stdout.write(`fusemix: built ${out}\n`);
