import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

describe('fusemix demo --quick', () => {
  it('writes the report, and its numbers match the individual commands', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fusemix-demo-')), 'report');
    const r = runCli(['demo', '--quick', '--out', out, '--json'], { timeout: 300_000 });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const demo = JSON.parse(r.stdout);
    for (const f of ['report.md', 'report.json', 'manifest.json', 'transfer.svg', 'accuracy-energy.svg', 'netlists/unit-relu-4b.cir', 'netlists/cell.cir']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('Where every constant comes from');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.seed).toBe(1);
    expect(manifest.engine).toBe('wasm');

    // the unit section equals `fusemix unit --json`
    const unit = JSON.parse(runCli(['unit', '--fn', 'relu', '--bits', '4', '--json']).stdout);
    expect(demo.unit.measured.energy.macam.totalJ).toBe(unit.energy.macam.totalJ);
    expect(demo.unit.measured.energy.digital.totalJ).toBe(unit.energy.digital.totalJ);
    expect(demo.unit.measured.thresholds).toEqual(unit.thresholds);
    expect(md).toContain(`${(100 * unit.saving).toFixed(2)} %`);

    // the SuperMixer section equals `fusemix mix --json` with the same options
    const o = demo.mixOptions;
    const mix = JSON.parse(
      runCli(
        ['mix', '--json', '--seed', String(o.seed), '--budget', String(o.budget), '--epochs', String(o.pretrainEpochs), '--search-epochs', String(o.searchEpochs), '--finetune-epochs', String(o.finetuneEpochs)],
        { timeout: 300_000 },
      ).stdout,
    );
    expect(demo.mix.accuracy).toEqual(mix.accuracy);
    expect(demo.mix.saving).toBe(mix.saving);
    expect(demo.mix.energy.mixed.totalJ).toBe(mix.energy.mixed.totalJ);
    expect(md).toContain(`${(100 * mix.accuracy.mixed).toFixed(2)} %`);

    // the SPICE check passed on the embedded engine
    expect(demo.verify.engine).toBe('wasm');
    expect(demo.verify.maxBoundErrorV).toBeLessThan(2e-3);
    expect(demo.verify.codeAgreementAway).toBeGreaterThanOrEqual(0.999);
  }, 600_000);
});
