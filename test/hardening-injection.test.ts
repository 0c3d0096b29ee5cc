/**
 * Untrusted presets, flags and netlists: a string with a newline and a `.control ... shell touch`
 * payload must never reach ngspice's control language, on either engine.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UnsafeNetlist } from '../src/core/errors.ts';
import { loadMacamCell } from '../src/devices/macam.ts';
import { createEngine, type EngineKind } from '../src/spice/engine.ts';
import { checkGeneratedDeck, unsafeControlLines } from '../src/spice/guard.ts';
import { renderCell } from '../src/spice/netlist.ts';
import { renderTestbench } from '../src/spice/testbench.ts';
import { runCli } from './helpers/cli.ts';
import { binaryTests } from './helpers/spice.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-inject-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const marker = (tag: string) => join(dir, `pwned-${tag}`);
const payload = (tag: string) => `evil\n.control\nshell touch ${marker(tag)}\n.endc\n*`;

/** The shipped cell preset with one string field replaced by a payload, written to the temp dir. */
function evilPreset(tag: string, edit: (p: Record<string, any>) => void): string {
  const p = JSON.parse(readFileSync(join(ROOT, 'devices/macam-measured.json'), 'utf8')) as Record<string, any>;
  edit(p);
  const file = join(dir, `evil-${tag}.json`);
  writeFileSync(file, JSON.stringify(p, null, 2));
  return file;
}

const engines: EngineKind[] = binaryTests ? ['wasm', 'ngspice'] : ['wasm'];

describe('a crafted preset never reaches a netlist', () => {
  it.each([
    ['name', (p: Record<string, any>, s: string) => (p.name = s)],
    ['description', (p: Record<string, any>, s: string) => (p.description = s)],
    ['params.nmos.value', (p: Record<string, any>, s: string) => (p.params.nmos.value = s)],
    ['params.nmos.source', (p: Record<string, any>, s: string) => (p.params.nmos.source = s)],
  ])('refuses a newline in %s with a ConfigError naming file and field', (field, edit) => {
    const file = evilPreset(field.replace(/\W/g, '_'), (p) => edit(p, payload('load')));
    const e = (() => {
      try {
        loadMacamCell(file);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).file).toBe(file);
    expect((e as ConfigError).field).toBe(field);
    expect((e as Error).message).toMatch(/newline/);
  });

  it('refuses a name that is not a preset name (spaces, quotes)', () => {
    const file = evilPreset('spaces', (p) => (p.name = 'my cell "x"'));
    expect(() => loadMacamCell(file)).toThrow(/field 'name': expected a name of letters/);
  });

  it.each(engines)('the CLI exits 2 naming the file and field, and the payload makes no file (%s)', (engine) => {
    const tag = `cli-${engine}`;
    const file = evilPreset(tag, (p) => (p.name = payload(tag)));
    const r = runCli(['verify', 'cell', '--preset', file, '--engine', engine], { timeout: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("field 'name'");
    expect(existsSync(marker(tag))).toBe(false);
  });

  it('a flag with a newline is refused before anything runs (exit 2, flag named)', () => {
    const r = runCli(['netlist', 'testbench', '--kind', 'mc', '--samples', '1', '--seed', `1\n.control\nshell touch ${marker('flag')}\n.endc`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field '--seed': expected a single line of text without control characters \(found a newline/);
    expect(existsSync(marker('flag'))).toBe(false);
  });

  it('a config string with a newline is refused naming the config file and field', () => {
    const cfg = join(dir, 'fusemix.json');
    writeFileSync(cfg, JSON.stringify({ netlist: { seed: `1\n.control\nshell touch ${marker('cfg')}\n.endc` } }));
    const r = runCli(['netlist', 'testbench', '--kind', 'mc', '--samples', '1', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}: field 'netlist.seed'`);
    expect(existsSync(marker('cfg'))).toBe(false);
  });
});

describe('the render-time guard (a value that got past validation)', () => {
  it('refuses a newline in any interpolated value and any control card in a rendered deck', () => {
    const cell = loadMacamCell();
    const evil = { ...cell, name: payload('render') };
    expect(() => renderCell(evil)).toThrow(ConfigError);
    expect(() => renderCell(evil)).toThrow(/field 'header\.cir\.hbs: what': expected a single line of text without control characters \(found a newline/);
    // a string seed lands in the header comment
    expect(() => renderTestbench('mc', { cell, samples: 1, seed: 'a\n.control' })).toThrow(/header\.cir\.hbs: seedLine/);
    // the deck check on its own
    for (const card of ['.control', '.endc', '.include /etc/passwd', '.lib /x/y.lib tt', ' .CONTROL']) {
      expect(() => checkGeneratedDeck(`title\nr1 a 0 1\n${card}\n.end\n`)).toThrow(/only the cards fusemix writes/);
    }
    expect(() => checkGeneratedDeck('*ng_script\n.end\n')).toThrow(/ng_script/);
    // the shipped decks pass it unchanged
    expect(checkGeneratedDeck(renderCell(cell))).toBe(renderCell(cell));
  });
});

describe('user netlists: control commands that run programs', () => {
  const deck = (tag: string, ctl: string) => `shell payload\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nrun\n${ctl.replace('@', marker(tag))}\n.endc\n.end\n`;

  it('finds shell-style commands (and leaves ordinary ones)', () => {
    const bad = ['shell touch x', 'SHELL ls', '  source evil.cir', 'codemodel /tmp/x.cm', 'osdi /tmp/x.osdi', 'set unixcom', 'alias r shell', 'echo `date`', 'edit', 'gnuplot x v(a)', 'rehash'];
    for (const b of bad) expect(unsafeControlLines(`t\n.control\n${b}\n.endc\n`).length, b).toBe(1);
    const ok = ['run', 'print v(a)', 'foreach r 1k 2k', 'alterparam rl = $r', 'let x = v(a) * 2', 'set appendwrite', 'write out.raw v(a)', '* shell in a comment', 'meas tran x find v(a) at=1n'];
    for (const o of ok) expect(unsafeControlLines(`t\n.control\n${o}\n.endc\n`), o).toEqual([]);
    // outside a control block `shell` is just a (bad) element line; *ng_script makes the whole file a script
    expect(unsafeControlLines('t\nshell x\n.end\n')).toEqual([]);
    expect(unsafeControlLines('*ng_script\nshell touch x\n').length).toBe(1);
  });

  it.each(engines)('%s refuses a shell payload (no file made), also inside an include', async (kind) => {
    const eng = createEngine(kind);
    try {
      const tag = `engine-${kind}`;
      await expect(eng.run(deck(tag, 'shell touch @'), { name: 'payload.cir' })).rejects.toThrow(UnsafeNetlist);
      await expect(eng.run(deck(tag, 'shell touch @'), { name: 'payload.cir' })).rejects.toThrow(/payload\.cir line 7: "shell touch .*--allow-shell/);
      const inc = `included\n.include sub.cir\n.end\n`;
      await expect(eng.run(inc, { includes: { 'sub.cir': deck(tag, 'shell touch @') } })).rejects.toThrow(/sub\.cir line 7/);
      expect(existsSync(marker(tag))).toBe(false);
    } finally {
      await eng.close();
    }
  });

  it.skipIf(!binaryTests)('the payload is real: with allowShell the binary runs it (so the refusal above is what stops it)', async () => {
    const eng = createEngine('ngspice');
    try {
      await eng.run(deck('allowed', 'shell touch @'), { allowShell: true });
      expect(existsSync(marker('allowed'))).toBe(true);
    } finally {
      await eng.close();
    }
  });

  it('simulate refuses it with exit 2 and says how to allow it; --help says a netlist can run commands', () => {
    const file = join(dir, 'payload.cir');
    writeFileSync(file, deck('sim', 'shell touch @'));
    const r = runCli(['simulate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/control command 'shell' can run programs.*--allow-shell/);
    expect(existsSync(marker('sim'))).toBe(false);
    const h = runCli(['simulate', '--help']);
    expect(h.stdout.replace(/\s+/g, ' ')).toMatch(/A netlist can run commands on this machine/);
    expect(h.stdout).toMatch(/--allow-shell/);
  });
});
