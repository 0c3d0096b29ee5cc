import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { listPresetNames, loadPreset, PRESET_DIR, specOf } from '../src/devices/index.ts';
import '../src/devices/photodetector.ts';
import '../src/photonic/index.ts';
import { runCli } from './helpers/cli.ts';

describe('presets', () => {
  it('every shipped preset loads, and every value in it names a source', () => {
    const names = listPresetNames();
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of names) {
      const raw = JSON.parse(readFileSync(join(PRESET_DIR, `${n}.json`), 'utf8'));
      const p = loadPreset(n);
      expect(p.name).toBe(n);
      expect(specOf(p.kind)).toBeDefined();
      for (const [k, v] of Object.entries(raw.params as Record<string, { source: string }>)) {
        expect(typeof v.source, `${n}.${k}`).toBe('string');
        expect(v.source.trim().length, `${n}.${k}`).toBeGreaterThan(3);
      }
    }
  });

  it('a wrong type, a missing source or an unknown field is a ConfigError naming the field', () => {
    const raw = JSON.parse(readFileSync(join(PRESET_DIR, 'mtj-alamdar.json'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-preset-'));
    const cases: Array<[string, (o: any) => void, string]> = [
      ['wrong-type', (o) => (o.params.tmr0.value = 'lots'), 'params.tmr0.value'],
      ['wrong-unit', (o) => (o.params.ra.value = '10 fF'), 'params.ra.value'],
      ['no-source', (o) => delete o.params.vh.source, 'params.vh.source'],
      ['unknown', (o) => (o.params.colour = { value: 1, source: 'x' }), 'params.colour'],
      ['missing', (o) => delete o.params.area, 'params.area'],
      ['negative', (o) => (o.params.area.value = -1), 'params.area.value'],
    ];
    for (const [name, mutate, field] of cases) {
      const o = structuredClone(raw);
      mutate(o);
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify(o));
      let err: unknown;
      try {
        loadPreset(f);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as Error).message, name).toContain(field);
      expect((err as Error).message, name).toContain(f);
    }
  });
});

describe('devices CLI', () => {
  it('lists the presets and shows one as JSON with units and sources', () => {
    const list = runCli(['devices', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('macam-measured');
    const show = runCli(['devices', 'show', 'mtj-alamdar', '--json']);
    expect(show.code).toBe(0);
    const j = JSON.parse(show.stdout);
    expect(j.params.ra.value).toBeCloseTo(29e-12, 20);
    expect(j.params.ra.source).toContain('Alamdar');
  });

  it('a preset copy with a field of the wrong type exits 2 with a one-line message naming the field', () => {
    const raw = JSON.parse(readFileSync(join(PRESET_DIR, 'dwmtj-pt-projected.json'), 'utf8'));
    raw.params.trackWidth.value = true;
    const f = join(mkdtempSync(join(tmpdir(), 'fusemix-bad-')), 'bad.json');
    writeFileSync(f, JSON.stringify(raw));
    const r = runCli(['devices', 'show', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('params.trackWidth.value');
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });

  it('evaluates a device law and rejects bad arguments with exit 2', () => {
    const r = runCli(['devices', 'eval', 'mtj-alamdar', '--state', 'AP', '--bias', '0.5', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows[0].resistanceOhm).toBeCloseTo(5000 * (1 + 1.71 / 2), 3);
    expect(runCli(['devices', 'eval', 'mtj-alamdar', '--state', 'XX']).code).toBe(2);
    expect(runCli(['devices', 'show', 'no-such-preset']).code).toBe(2);
    expect(runCli(['no-such-command']).code).toBe(2);
  });
});

describe('unit and cell CLI', () => {
  it('fusemix unit --fn relu --bits 4 --json has thresholds, codes, both energies and the saving', () => {
    const r = runCli(['unit', '--fn', 'relu', '--bits', '4', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Array.isArray(j.thresholds)).toBe(true);
    expect(j.codes.length).toBe(j.thresholds.length + 1);
    for (const k of ['macam', 'digital']) {
      expect(j.energy[k].totalJ).toBeGreaterThan(0);
      const sum = Object.values(j.energy[k].itemsJ as Record<string, number>).reduce((s, x) => s + x, 0);
      expect(j.energy[k].totalJ).toBeCloseTo(sum, 20);
    }
    expect(j.energy.macam.totalJ).toBeLessThan(j.energy.digital.totalJ);
    expect(j.saving).toBeCloseTo(1 - j.energy.macam.totalJ / j.energy.digital.totalJ, 12);
  });
  it('fusemix cell --json prints the bounds', () => {
    const r = runCli(['cell', '--preset', 'macam-projected', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.bounds.vHiV).toBeGreaterThan(j.bounds.vLoV);
  });
});
