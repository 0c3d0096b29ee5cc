/**
 * scripts/check-architecture.mjs: the layer order and the absence of import cycles under src/. The
 * package's own tree passes; fixture trees with an upward import or a cycle (test/fixtures/arch/)
 * fail with exit 1 and name the offending files; so does a file over 500 lines without a reason in its
 * header.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'check-architecture.mjs');
const check = (root?: string) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('architecture check', () => {
  it('passes on the package tree', () => {
    const r = check();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no upward import, no cycle/);
  });

  it('fails on an upward import (a device importing CLI code) and names it', () => {
    const r = check(join(ROOT, 'test', 'fixtures', 'arch', 'upward'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/upward import: src\/devices\/mtj\.ts \(devices, layer 1\) imports src\/cli\/format\.ts \(cli, layer 6\)/);
    // the allowed imports in the same tree are not reported
    expect(r.err).not.toMatch(/src\/cli\/format\.ts \(cli, layer 6\) imports/);
  });

  it('fails on cycles between files and between folders', () => {
    const r = check(join(ROOT, 'test', 'fixtures', 'arch', 'cycle'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/import cycle between files: src\/core\/a\.ts, src\/core\/b\.ts/);
    expect(r.err).toMatch(/import cycle between folders: devices, units/);
  });

  it('fails when one upward import is added to a copy of the real tree, also a dynamic one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-arch-'));
    try {
      cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
      writeFileSync(join(dir, 'src', 'core', 'late.ts'), "export const load = () => import('../mixer/index.ts');\n");
      const r = check(dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/upward import: src\/core\/late\.ts \(core, layer 0\) imports src\/mixer\/index\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on a file over 500 lines without a reason in its header, passes once the header gives one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-arch-'));
    try {
      cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
      const body = Array.from({ length: 510 }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
      const file = join(dir, 'src', 'core', 'long.ts');
      writeFileSync(file, `/**\n * Many constants.\n */\n${body}`);
      const r = check(dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/src\/core\/long\.ts: 513 lines, over 500 without a reason/);
      writeFileSync(file, `/**\n * Many constants.\n * Over 500 lines because the table is one idea.\n */\n${body}`);
      const ok = check(dir);
      expect(ok.err).not.toMatch(/long\.ts/);
      // exactly 500 lines needs no reason
      writeFileSync(file, Array.from({ length: 500 }, (_, i) => `export const d${i} = ${i};`).join('\n') + '\n');
      expect(check(dir).err).not.toMatch(/long\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
