/**
 * Resource guards: limits stated in the message (exit 2), and a long Monte Carlo that shows
 * progress in chunks and stops on Ctrl-C with exit 130.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundDistribution, boundDistributionAsync, loadMacamCell, MAX_MC_SAMPLES } from '../src/devices/macam.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');

describe('resource guards', () => {
  it.each([
    [['unit', '--bits', '13'], /field '--bits': expected an integer from 1 to 12 \(a column holds at most 2\^12 - 1 = 4095 rows/],
    [['mesh', '--size', '5000'], /field '--size': expected an integer N in \[2, 1024\] \(the limit: N\^2\/2 MZIs/],
    [['cell', '--mc', '1e12'], new RegExp(`field '--mc': expected a whole number of samples from 1 to ${MAX_MC_SAMPLES} \\(the limit`)],
    [['cell', '--mc', '2.5'], /field '--mc': expected a whole number of samples/],
  ])('%j exits 2 with the limit in the message', (args, msg) => {
    const r = runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg as RegExp);
  });

  it('the chunked Monte Carlo gives the same numbers as boundDistribution and reports progress', async () => {
    const cell = loadMacamCell();
    const a = boundDistribution(cell, 1, 0, { samples: 60, seed: 3 });
    const seen: number[] = [];
    const b = await boundDistributionAsync(cell, 1, 0, { samples: 60, seed: 3, chunk: 25, onProgress: (d) => seen.push(d) });
    expect(Array.from(b.vLo)).toEqual(Array.from(a.vLo));
    expect(Array.from(b.vHi)).toEqual(Array.from(a.vHi));
    expect(seen).toEqual([25, 50, 60]);
    const ac = new AbortController();
    const p = boundDistributionAsync(cell, 1, 0, { samples: 1000, chunk: 10, signal: ac.signal, onProgress: (d) => d >= 30 && ac.abort() });
    await expect(p).rejects.toThrow(/interrupted after 30 of 1000 samples/);
  });

  it('cell --mc 1000000 stops on SIGINT: exit 130, a message, no partial result on stdout', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fusemix.js'), 'cell', '--mc', String(MAX_MC_SAMPLES), '--json'], {
      env: { ...process.env, FUSEMIX_HUGEPAGES: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 4000)); // started and sampling (the whole run takes minutes)
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted \(Ctrl-C\) after \d+ of 1000000 Monte Carlo samples; nothing written/);
    expect(stdout).toBe('');
  }, 60_000);
});
