/**
 * Engine faults, each run on an engine and classified: a typed error of the expected class (clear),
 * any other exception (crash), no answer within the fault's timeout plus 20 s (hang), an ngspice
 * child process left behind, a temp run folder left behind (half-written), or stale vectors (after
 * the fault, a good netlist must give its own vectors, and a bad one after a good one none).
 * Used by test/engine-faults.test.ts and bench/reliability.ts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvergenceError, EngineNotFound, EngineOutputTooLarge, EngineTimeout, NetlistError, type SpiceError } from '../../src/core/errors.ts';
import { createEngine, type EngineKind, type SpiceEngine, vector } from '../../src/spice/engine.ts';

export const GOOD = 'divider\nv1 in 0 1\nr1 in out 1k\nr2 out 0 3k\n.op\n.end\n';
export const SYNTAX = 'syntax error\nv1 in 0 1\nr1 in out 1k\nq1 c b e nosuchmodel\n.op\n.end\n';
export const NONCONVERGENT = 'two sources in parallel\nv1 a 0 1\nv2 a 0 2\nr1 a 0 1k\n.op\n.end\n';
export const HANGING = 'hanging transient\nv1 in 0 pulse(0 1 0 1p 1p 1n 2n)\nr1 in out 1k\nc1 out 0 1p\n.tran 1p 1 0 1p\n.end\n';
/** 20,001 time points of 3 vectors: 480 kB of raw data (limit 100 kB below) */
export const HUGE = 'huge output\nv1 in 0 sin(0 1 1k)\nr1 in out 1k\nc1 out 0 1u\n.tran 1u 20m 0 1u\n.end\n';

export type FaultName = 'missing binary' | 'syntax error' | 'non-convergence' | 'timeout' | 'huge output';
export const FAULTS: readonly FaultName[] = ['missing binary', 'syntax error', 'non-convergence', 'timeout', 'huge output'];

export interface FaultCounts {
  engine: EngineKind;
  fault: FaultName;
  cases: number;
  clearErrors: number;
  crashes: number;
  hangs: number;
  leftoverProcesses: number;
  halfWritten: number;
  staleVectors: number;
  samples: string[];
}

/** Pids of live ngspice processes whose parent is this process. */
export function ngspiceChildren(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
      if (m && m[1] === 'ngspice' && Number(m[3]) === process.pid && m[2] !== 'Z') out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

function expected(fault: FaultName): new (...a: never[]) => SpiceError {
  return { 'missing binary': EngineNotFound, 'syntax error': NetlistError, 'non-convergence': ConvergenceError, timeout: EngineTimeout, 'huge output': EngineOutputTooLarge }[fault] as never;
}

/** Give `p` `ms` to settle; undefined when it does not (a hang). */
async function within<T>(p: Promise<T>, ms: number): Promise<{ v: T } | { e: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p.then((v) => ({ v }), (e: unknown) => ({ e })), t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run `fault` `cases` times on a fresh engine of `kind`, or on `shared` (left open), with temp
 * folders redirected to a private TMPDIR so leftovers can be counted.
 */
export async function runFault(kind: EngineKind, fault: FaultName, cases: number, shared?: SpiceEngine): Promise<FaultCounts> {
  const c: FaultCounts = { engine: kind, fault, cases: 0, clearErrors: 0, crashes: 0, hangs: 0, leftoverProcesses: 0, halfWritten: 0, staleVectors: 0, samples: [] };
  const tmp = mkdtempSync(join(tmpdir(), 'fusemix-faults-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  const notExec = join(tmp, 'not-ngspice');
  writeFileSync(notExec, 'not a program\n');
  const engines: SpiceEngine[] = [];
  try {
    let eng: SpiceEngine;
    if (fault === 'missing binary') eng = kind === 'ngspice' ? createEngine('ngspice', { binary: '/nonexistent/bin/ngspice' }) : createEngine('wasm', { startTimeoutMs: 1 });
    else eng = shared ?? createEngine(kind);
    if (eng !== shared) engines.push(eng);
    for (let i = 0; i < cases; i++) {
      c.cases++;
      let run: Promise<unknown>;
      let limit = 30_000;
      if (fault === 'missing binary') {
        const alt = kind === 'ngspice' && i % 2 === 1 ? createEngine('ngspice', { binary: notExec }) : eng;
        if (alt !== eng) engines.push(alt);
        run = alt.run(GOOD);
      } else if (fault === 'syntax error') run = eng.run(SYNTAX);
      else if (fault === 'non-convergence') run = eng.run(NONCONVERGENT);
      else if (fault === 'timeout') {
        run = eng.run(HANGING, { timeoutMs: 300 });
        limit = 300 + 20_000;
      } else run = eng.run(HUGE, { maxOutputBytes: 100_000 });
      const r = await within(run, limit);
      if (r === undefined) c.hangs++;
      else if ('v' in r) {
        c.crashes++;
        c.samples.push(`case ${i}: the fault gave a result`);
      } else if (r.e instanceof expected(fault)) c.clearErrors++;
      else {
        c.crashes++;
        if (c.samples.length < 3) c.samples.push(`case ${i}: ${(r.e as Error)?.name}: ${(r.e as Error)?.message}`);
      }
      if (kind === 'ngspice') c.leftoverProcesses += ngspiceChildren().length;
      if (fault !== 'missing binary') {
        // the engine still works and gives this run's vectors, and a bad run after it gives none
        const good = await within(eng.run(GOOD), 30_000);
        const ok = good && 'v' in good && Math.abs(vector(good.v as never, 'out', 'op')[0]! - 0.75) < 1e-9;
        const after = await within(eng.run(SYNTAX), 30_000);
        if (!ok || !after || 'v' in after) c.staleVectors++;
      }
    }
  } finally {
    await Promise.all(engines.map((e) => e.close()));
    process.env.TMPDIR = saved ?? '';
    if (saved === undefined) delete process.env.TMPDIR;
    // fusemix's run folders and temp files (other tools, e.g. tsx's compile cache, may use TMPDIR too)
    const left = readdirSync(tmp).filter((f) => f !== 'not-ngspice' && (f.startsWith('fusemix') || f.endsWith('.tmp')));
    c.halfWritten += left.length;
    if (left.length && c.samples.length < 3) c.samples.push(`left behind: ${left.join(', ')}`);
    if (process.env.FUSEMIX_FAULTS_DEBUG) c.samples.push(`tmp: ${readdirSync(tmp).join(', ')}`);
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
  return c;
}
