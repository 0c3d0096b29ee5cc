/** fusemix doctor: versions, the active numeric kernel backend, what else is available and why not. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { fusemixVersion, PACKAGE_ROOT } from '../../core/io.ts';
import { runningFromBundle } from '../../core/modules.ts';
import {
  AUTO_ORDER,
  getKernelBackend,
  getKernelPrecision,
  kernelBackends,
  kernelChoice,
  loadKernelBackend,
  setKernelBackend,
  setKernelPrecision,
  type KernelName,
  type KernelPrecision,
} from '../../kernels/backend.ts';
import { getDefaultThreads } from '../../kernels/parallel.ts';
import { WASM_PATH } from '../../kernels/wasm.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';

type DoctorArgs = GlobalArgs & { measure?: boolean; kernels?: string; kernelPrecision?: string };

/** Version of an installed npm package, or undefined. */
function packageVersion(name: string): string | undefined {
  try {
    const req = createRequire(join(PACKAGE_ROOT, 'package.json'));
    for (const dir of req.resolve.paths(name) ?? []) {
      const f = join(dir, name, 'package.json');
      if (existsSync(f)) return (JSON.parse(readFileSync(f, 'utf8')) as { version?: string }).version;
    }
  } catch {
    // not installed
  }
  return undefined;
}

function ngspiceVersion(): string | undefined {
  const r = spawnSync('ngspice', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return undefined;
  return /ngspice-?\s*([0-9][\w.+-]*)/.exec(r.stdout)?.[1] ?? r.stdout.trim().split('\n')[0];
}

/** Median GFLOP/s of a dense 128^3 float64 product on one backend (~0.3 s). */
function measure(name: KernelName, precision: KernelPrecision): number | undefined {
  const r = loadKernelBackend(name);
  if (!r.ok || !r.backend.precisions.includes(precision)) return undefined;
  const n = 128;
  const A = new Float64Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const B = new Float64Array(n * n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const C = new Float64Array(n * n);
  const f = () => r.backend.gemm('nn', A, B, C, n, n, n, false, undefined, precision);
  f();
  const t: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    let it = 0;
    do {
      f();
      it++;
    } while (performance.now() - t0 < 100);
    t.push((performance.now() - t0) / it / 1000);
  }
  t.sort((a, b) => a - b);
  return (2 * n * n * n) / t[1]! / 1e9;
}

export const doctorCommand: CommandModule<GlobalArgs, DoctorArgs> = {
  command: 'doctor',
  describe: 'show versions, the active numeric kernel backend (js | wasm | blas), what is available and why not',
  builder: (y) =>
    y
      .option('measure', { type: 'boolean', describe: 'also time a 128^3 matrix product on each available backend' })
      .example('$0 doctor', 'which kernels run, and why the others do not')
      .example('FUSEMIX_KERNELS=js $0 doctor --measure --json', 'force the JavaScript kernels and time each backend'),
  handler: (args) => {
    // the global --kernels / --kernel-precision flags (when main.ts defines them) are applied by its
    // middleware; applying them again here is harmless and keeps doctor right if they are not.
    if (typeof args.kernels === 'string') setKernelBackend(args.kernels as KernelName | 'auto');
    if (typeof args.kernelPrecision === 'string') setKernelPrecision(args.kernelPrecision as KernelPrecision);
    const active = getKernelBackend();
    const precision = getKernelPrecision();
    const backends = kernelBackends().map((b) => ({
      ...b,
      active: b.name === active.name,
      ...(args.measure
        ? {
            gflops: Object.fromEntries(b.precisions.map((p) => [p, Number((measure(b.name, p) ?? Number.NaN).toFixed(2))])),
          }
        : {}),
    }));
    const ng = ngspiceVersion();
    const report = {
      fusemix: fusemixVersion(),
      node: process.version,
      v8: process.versions.v8,
      platform: `${platform()} ${arch()}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      threads: getDefaultThreads(),
      /** bundle: build/js (scripts/bundle.mjs, made on npm install); sources: src/ through tsx */
      runtime: runningFromBundle() ? 'bundle (build/js)' : 'sources (tsx)',
      /** large malloc blocks on transparent huge pages (bin/fusemix.js restarts node with the glibc tunable) */
      memory: memoryPages(),
      kernels: {
        active: active.name,
        choice: kernelChoice(),
        precision: precision === 'f32' && active.name === 'js' ? 'f64 (js computes float64 only)' : precision,
        autoOrder: AUTO_ORDER,
        env: { FUSEMIX_KERNELS: process.env.FUSEMIX_KERNELS ?? null, FUSEMIX_KERNELS_PRECISION: process.env.FUSEMIX_KERNELS_PRECISION ?? null },
        wasmFile: existsSync(WASM_PATH) ? WASM_PATH : null,
        backends,
      },
      packages: {
        koffi: packageVersion('koffi') ?? null,
        assemblyscript: packageVersion('assemblyscript') ?? null,
        'eecircuit-engine': packageVersion('eecircuit-engine') ?? null,
        'ml-matrix': packageVersion('ml-matrix') ?? null,
      },
      spice: { wasm: packageVersion('eecircuit-engine') ? 'eecircuit-engine installed' : 'not installed', ngspice: ng ?? 'not found on PATH (apt-get install ngspice)' },
    };
    if (args.json) {
      printJson(report, UNIT_RULES.doctor);
      return;
    }
    say(args, `fusemix ${report.fusemix}, node ${report.node} (V8 ${report.v8}), ${report.platform}, ${report.cores} cores (${report.cpu}), worker threads ${report.threads}, running from ${report.runtime}`);
    say(args, `memory: ${report.memory}`);
    say(args, `kernels: ${active.name} active (${report.kernels.choice === 'auto' ? `auto, order ${AUTO_ORDER.join(' > ')}` : 'forced'}), precision ${report.kernels.precision}`);
    say(
      args,
      table(
        backends.map((b) => [
          b.active ? `* ${b.name}` : `  ${b.name}`,
          b.available ? 'yes' : 'no',
          b.precisions.join('/') || '-',
          ...(args.measure ? [Object.entries((b as { gflops?: Record<string, number> }).gflops ?? {}).map(([p, g]) => `${p} ${g}`).join(', ') || '-'] : []),
          b.detail,
        ]),
        ['backend', 'available', 'precision', ...(args.measure ? ['GFLOP/s (128^3)'] : []), 'details / why not'],
      ),
    );
    say(args, `packages: ${Object.entries(report.packages).map(([k, v]) => `${k} ${v ?? 'missing'}`).join(', ')}`);
    say(args, `spice engines: wasm ${report.spice.wasm}; ngspice ${report.spice.ngspice}`);
  },
};

/** Whether glibc's malloc is asked for transparent huge pages (GLIBC_TUNABLES, set by bin/fusemix.js). */
function memoryPages(): string {
  if (platform() !== 'linux') return 'system default pages';
  let thp = 'unknown';
  try {
    thp = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    thp = 'not available';
  }
  const tunable = /glibc\.malloc\.hugetlb=(\d)/.exec(process.env.GLIBC_TUNABLES ?? '')?.[1];
  if (tunable === '1' && thp !== 'never' && thp !== 'not available') return `malloc on transparent huge pages (GLIBC_TUNABLES glibc.malloc.hugetlb=1, THP ${thp})`;
  const why = thp === 'never' || thp === 'not available' ? `THP ${thp}` : process.env.FUSEMIX_HUGEPAGES !== 'on' ? 'FUSEMIX_HUGEPAGES=on not set' : 'not started through bin/fusemix.js';
  return `4 KiB malloc pages (${why})`;
}
