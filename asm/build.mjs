// Compile asm/kernels.ts (AssemblyScript, SIMD) to asm/build/kernels.wasm.
// Run by `npm run build:wasm` and by the `prepare` script on npm install / npm ci. When the compiler is
// not installed (npm ci --omit=dev) or fails, it says so and exits 0: fusemix then runs on the other
// kernel backends (see `fusemix doctor`).
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'kernels.wasm');
const strict = process.argv.includes('--strict');

function skip(why) {
  process.stderr.write(`fusemix: WebAssembly kernels not built (${why}); the js/blas kernels still work\n`);
  process.exit(strict ? 1 : 0);
}

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (e) {
  skip(`assemblyscript is not installed: ${String(e.message).split('\n')[0]}`);
}
mkdirSync(join(here, 'build'), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const { error, stderr } = await asc.main(
  [join(here, 'kernels.ts'), '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--initialMemory', '1', '-o', tmp],
  {},
);
if (error) skip(`asc failed: ${error.message}\n${stderr.toString()}`);
renameSync(tmp, out);
process.stdout.write(`fusemix: built ${out}\n`);
