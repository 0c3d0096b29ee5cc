/**
 * Both engines on a missing binary (wasm: an engine that cannot start in time), a syntax error,
 * non-convergence, a run past its timeout and huge output: each a typed error, with no stale
 * vectors afterwards, no ngspice process and no temp run folder left behind.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type EngineKind } from '../src/spice/engine.ts';
import { FAULTS, HUGE, runFault } from './helpers/faults.ts';
import { runCli } from './helpers/cli.ts';
import { binaryTests } from './helpers/spice.ts';

const engines: EngineKind[] = binaryTests ? ['wasm', 'ngspice'] : ['wasm'];

describe.each(engines)('%s engine faults', (kind) => {
  // one engine for all faults of a kind (a wasm worker costs seconds to start); it must survive them
  const shared = createEngine(kind);
  afterAll(() => shared.close());
  it.each(FAULTS)('%s: typed error, no stale vectors, nothing left behind', async (fault) => {
    const c = await runFault(kind, fault, 2, shared);
    expect(c.samples).toEqual([]);
    expect(c).toMatchObject({ cases: 2, clearErrors: 2, crashes: 0, hangs: 0, leftoverProcesses: 0, halfWritten: 0, staleVectors: 0 });
  }, 90_000);
});

describe('simulate on a failing netlist writes no --out file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fusemix-simfault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('huge output with --timeout: exit 2, message, no output file', () => {
    const file = join(dir, 'hang.cir');
    writeFileSync(file, HUGE.replace('.tran 1u 20m 0 1u', '.tran 1p 1 0 1p'));
    const out = join(dir, 'out.csv');
    const r = runCli(['simulate', file, '--timeout', '300', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/timed out after 300 ms/);
    expect(existsSync(out)).toBe(false);
  });
});
