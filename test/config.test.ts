import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

describe('fusemix init and --config', () => {
  it('init writes a config and a JSON Schema; the config feeds a command and flags override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-init-'));
    expect(runCli(['init', dir]).code).toBe(0);
    const schema = JSON.parse(readFileSync(join(dir, 'fusemix.schema.json'), 'utf8'));
    expect(schema.properties.unit.properties.bits.type).toBe('number');
    const cfgFile = join(dir, 'fusemix.config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.unit = { fn: 'sigmoid', bits: 3, preset: 'macam-projected' };
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const a = JSON.parse(runCli(['unit', '--config', cfgFile, '--json']).stdout);
    expect(a.fn).toBe('sigmoid');
    expect(a.bits).toBe(3);
    const b = JSON.parse(runCli(['unit', '--config', cfgFile, '--bits', '2', '--json']).stdout);
    expect(b.bits).toBe(2);
    expect(b.fn).toBe('sigmoid');
    // init refuses to overwrite without --force
    expect(runCli(['init', dir]).code).toBe(2);
  });
  it('an unknown option or a wrong type in the config exits 2 naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-cfg-'));
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ unit: { bitz: 3 } }));
    const r = runCli(['unit', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unit.bitz');
    writeFileSync(f, JSON.stringify({ unit: { bits: 'four' } }));
    const r2 = runCli(['unit', '--config', f]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('unit.bits');
  });
});
