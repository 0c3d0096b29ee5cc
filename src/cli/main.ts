/**
 * The fusemix command line. Thin: it parses, calls library functions and prints.
 * Exit codes: 0 success, 2 bad input (any FusemixError or bad arguments), 1 internal error.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { FusemixError } from '../core/errors.ts';
import { checkPlainText, stringsIn } from '../core/text.ts';
import { fusemixVersion } from '../core/io.ts';
import { commands } from './commands/index.ts';
import { describeCommands, givenOnCommandLine, loadConfig } from './config.ts';
import { type KernelName, type KernelPrecision, setKernelBackend, setKernelPrecision } from '../kernels/backend.ts';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const cli = yargs(argv)
    .scriptName('fusemix')
    .usage('$0 <command> [options]\n\nMACAM-enabled analog activation: devices, netlists, photonic meshes and SuperMixer.')
    .option('json', { type: 'boolean', describe: 'machine-readable JSON on stdout' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress or chatter' })
    .option('config', { type: 'string', describe: 'project config (JSON, one section per command; see fusemix init); flags override it' })
    .middleware((a) => {
      if (!a.config) return;
      const cmd = String(a._[0] ?? '');
      const cfg = loadConfig(String(a.config), describeCommands(commands));
      for (const [k, v] of Object.entries(cfg[cmd] ?? {})) {
        if (givenOnCommandLine(argv, k)) continue;
        a[k] = v;
        a[k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
      }
    }, true)
    .middleware((a) => {
      for (const [k, v] of Object.entries(a)) {
        if (k === '_' || k === '$0' || /[A-Z]/.test(k)) continue;
        for (const [, s] of stringsIn(v)) checkPlainText(s, undefined, `--${k}`);
      }
    })
    .option('kernels', { choices: ['auto', 'js', 'wasm', 'blas'] as const, describe: 'numeric kernel backend (default auto: blas > wasm > js; env FUSEMIX_KERNELS)' })
    .option('kernel-precision', { choices: ['f64', 'f32'] as const, describe: 'precision of the wasm/blas matrix products (default f64; env FUSEMIX_KERNELS_PRECISION)' })
    .middleware((a) => {
      if (a.kernels) setKernelBackend(a.kernels as KernelName | 'auto');
      if (a.kernelPrecision) setKernelPrecision(a.kernelPrecision as KernelPrecision);
    })
    .version(fusemixVersion())
    .strict()
    .demandCommand(1, 'Give a command; see fusemix --help')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  for (const c of commands) cli.command(c);
  try {
    await cli.parseAsync();
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode;
}

class UsageError extends FusemixError {}

function reportError(e: unknown): number {
  if (e instanceof FusemixError) {
    process.stderr.write(`fusemix: ${e.message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
    return e.exitCode;
  }
  process.stderr.write(`fusemix: internal error (a bug; please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

// a closed pipe (fusemix ... | head) is not an error
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const code = await main(hideBin(process.argv));
process.exitCode = code;
