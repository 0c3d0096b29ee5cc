/**
 * Where presets are found and where calibration writes: the working directory, then FUSEMIX_PRESETS,
 * then the shipped devices/; `calibrate` writes into the working directory (or --out), never into the
 * package.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultName, presetPath } from '../src/calibrate/common.ts';
import { PRESET_DIR } from '../src/devices/preset.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const DATA = join(ROOT, 'examples', 'data', 'mtj-rv.csv');
const tmp = () => mkdtempSync(join(tmpdir(), 'fm-presetpath-'));

describe('preset search path and calibration output', () => {
  it('a default preset name does not repeat the kind, and the default path is the working directory', () => {
    expect(defaultName('mtj', 'examples/data/mtj-rv.csv')).toBe('mtj-rv');
    expect(defaultName('mtj', 'iv.csv')).toBe('mtj-iv');
    expect(defaultName('adc', 'adc.csv')).toBe('adc');
    expect(presetPath('x')).toBe(join(process.cwd(), 'x.json'));
    const d = tmp();
    expect(presetPath('x', d)).toBe(join(d, 'x.json'));
    expect(presetPath('x', join(d, 'new') + '/')).toBe(join(d, 'new', 'x.json'));
    expect(presetPath('x', join(d, 'y.json'))).toBe(join(d, 'y.json'));
  });

  it('calibrate writes into the working directory, the package devices/ stays as it was, and the name is found from there', () => {
    const shipped = readdirSync(PRESET_DIR).sort();
    const cwd = tmp();
    const r = runCli(['calibrate', 'mtj', '--data', DATA, '--area', '0.01um^2'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, 'mtj-rv.json'))).toBe(true);
    expect(readdirSync(PRESET_DIR).sort()).toEqual(shipped);
    // found by name from the working directory, with its 1-sigma uncertainties and where it came from
    const show = runCli(['devices', 'show', 'mtj-rv'], { cwd });
    expect(show.code, show.stderr).toBe(0);
    const fit = JSON.parse(readFileSync(join(cwd, 'mtj-rv.json'), 'utf8')).fit.params;
    expect(show.stdout).toContain('1 sigma (fit)');
    expect(show.stdout).toContain(join(cwd, 'mtj-rv.json'));
    const tmrRow = show.stdout.split('\n').find((l) => l.startsWith('tmr0'))!;
    expect(tmrRow).toContain(String(Number(fit.tmr0.uncertainty.toPrecision(4))));
    const j = JSON.parse(runCli(['devices', 'show', 'mtj-rv', '--json'], { cwd }).stdout);
    expect(j.params.vh.uncertainty).toBe(fit.vh.uncertainty);
    // not from another directory
    expect(runCli(['devices', 'show', 'mtj-rv'], { cwd: tmp() }).code).toBe(2);
  });

  it('devices list shows the working directory, FUSEMIX_PRESETS and the shipped presets, first match wins', () => {
    const cwd = tmp();
    const extra = join(cwd, 'more');
    mkdirSync(extra);
    const base = JSON.parse(readFileSync(join(PRESET_DIR, 'mtj-alamdar.json'), 'utf8'));
    writeFileSync(join(cwd, 'mtj-alamdar.json'), JSON.stringify({ ...base, description: 'my own copy' }));
    writeFileSync(join(extra, 'mtj-extra.json'), JSON.stringify({ ...base, name: 'mtj-extra' }));
    writeFileSync(join(cwd, 'notes.json'), JSON.stringify({ hello: 1 })); // not a preset: not listed
    const r = runCli(['devices', 'list', '--json'], { cwd, env: { FUSEMIX_PRESETS: 'more' } });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; origin: string; file: string; description: string }>;
    const by = (n: string) => rows.find((x) => x.name === n);
    expect(by('mtj-alamdar')).toMatchObject({ origin: 'working directory', file: join(cwd, 'mtj-alamdar.json'), description: 'my own copy' });
    expect(by('mtj-extra')).toMatchObject({ origin: 'FUSEMIX_PRESETS', file: join(extra, 'mtj-extra.json') });
    expect(by('macam-measured')).toMatchObject({ origin: 'shipped', file: join(PRESET_DIR, 'macam-measured.json') });
    expect(by('notes')).toBeUndefined();
    expect(rows.filter((x) => x.name === 'mtj-alamdar')).toHaveLength(1);
  });
});
