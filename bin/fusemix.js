#!/usr/bin/env node
// fusemix command-line entry. Runs the bundle (build/js/main.mjs, built by scripts/bundle.mjs on
// npm install) when the content hash of the current sources (src/** and package.json,
// scripts/source-hash.mjs) equals the one the bundle was built from (build/js/manifest.json), else
// the TypeScript sources through tsx (no build step needed). FUSEMIX_FROM_SOURCE=1 forces the
// sources. Hashing the ~130 source files costs a few milliseconds per start (README, "Speed").
//
// FUSEMIX_HUGEPAGES=on (opt-in, Linux): restart once (~0.1 s) with glibc's malloc asked to back its
// large blocks with transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc >= 2.35;
// older glibc and other C libraries ignore it). A long run allocates several hundred MB of typed
// arrays, and on virtual machines a 4 KiB page fault costs ~10 us. Signals are passed on to the child
// and its exit status is ours. Not when the tunable is already set (export it yourself to skip the
// restart). (A shebang with `env -S VAR=... node` would save the restart but fails where env has no
// -S, e.g. BusyBox.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST, sourceHash } from '../scripts/source-hash.mjs';

const TUNABLE = 'glibc.malloc.hugetlb=1';

function hugePagesWanted() {
  if (process.platform !== 'linux' || process.env.FUSEMIX_HUGEPAGES !== 'on') return false;
  if ((process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) return false;
  try {
    // "always [madvise] never": huge pages on request (or always); nothing to gain with [never]
    return !readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[never]');
  } catch {
    return false;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'build', 'js', 'main.mjs');

function bundleIsFresh() {
  if (process.env.FUSEMIX_FROM_SOURCE === '1') return false;
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'build', 'js', MANIFEST), 'utf8'));
    return typeof manifest.sourceHash === 'string' && manifest.sourceHash === sourceHash(root);
  } catch {
    return false; // no bundle, no manifest, or sources that cannot be read: run the sources
  }
}

async function main() {
  if (bundleIsFresh()) {
    await import(bundle);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}

if (hugePagesWanted()) {
  const env = { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, TUNABLE].filter(Boolean).join(':') };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  const forward = (sig) => () => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward(sig));
  child.on('error', (e) => {
    console.error(`fusemix: cannot restart node (${e.message}); run without FUSEMIX_HUGEPAGES=on`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(sig);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  await main();
}
