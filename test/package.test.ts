/**
 * fusemix as a dependency: `npm pack` of a copy of this checkout (its prepack builds the bundle and
 * the type declarations), the tarball installed into an empty project, then imported from a plain
 * .mjs file and from a .ts file compiled by tsc (NodeNext, strict, the declarations type-checked too,
 * with @types/node as a Node project has it) against the shipped declarations.
 * The numbers the project prints are checked against the sources of this checkout, and a type error
 * in the .ts file must be caught (the declarations are real types, not `any`).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMacamCell, lowerBound, upperBound } from '../src/index.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fusemix-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sh = (cmd: string, args: string[], cwd: string, timeout = 240_000) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
};

describe('the packed tarball as a dependency', () => {
  it('installs into an empty project and imports from .mjs and from compiled .ts', () => {
    // a copy of the tracked files (the checkout itself is left as it is: the CLI tests running
    // beside this one use its build/js), with the checkout's node_modules for the build tools
    const src = join(dir, 'src-copy');
    const tracked = sh('git', ['ls-files', '-z'], ROOT).stdout.split('\0').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(50);
    for (const f of tracked) {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(ROOT, f), join(src, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    const pack = sh('npm', ['pack', '--pack-destination', dir, '--silent'], src);
    expect(pack.code, pack.out).toBe(0);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz, pack.out).toBeTruthy();
    const list = sh('tar', ['tzf', join(dir, tgz!)], dir).stdout;
    for (const f of ['package/lib/index.mjs', 'package/build/js/index.mjs', 'package/build/js/manifest.json', 'package/build/types/index.d.ts', 'package/devices/macam-measured.json'])
      expect(list, `${f} in the tarball`).toContain(f);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const inst = sh('npm', ['install', '--prefer-offline', join(dir, tgz!), '@types/node@20'], app, 480_000);
    expect(inst.code, inst.out).toBe(0);

    const expected = (() => {
      const cell = loadMacamCell('macam-measured');
      return { lo: lowerBound(cell, 1), hi: upperBound(cell, 0) };
    })();
    writeFileSync(
      join(app, 'use.mjs'),
      `import { loadMacamCell, lowerBound, upperBound, photonic, calibrate } from 'fusemix';
const cell = loadMacamCell('macam-measured');
import { stream } from 'fusemix';
const m = photonic.decomposeUnitary(photonic.randomUnitary(4, stream(1, 'pkg')));
console.log(JSON.stringify({ lo: lowerBound(cell, 1), hi: upperBound(cell, 0), mzis: m.theta.length, fit: typeof calibrate.calibrateMtj }));
`,
    );
    const mjs = sh(process.execPath, ['use.mjs'], app);
    expect(mjs.code, mjs.out).toBe(0);
    const got = JSON.parse(mjs.stdout) as { lo: number; hi: number; mzis: number; fit: string };
    expect(got).toEqual({ lo: expected.lo, hi: expected.hi, mzis: 6, fit: 'function' });

    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false }, include: ['use.ts'] }));
    writeFileSync(
      join(app, 'use.ts'),
      `import { loadMacamCell, lowerBound, upperBound, type MacamCell } from 'fusemix';
const cell: MacamCell = loadMacamCell('macam-measured');
const window: [number, number] = [lowerBound(cell, 1), upperBound(cell, 0)];
console.log(JSON.stringify({ lo: window[0], hi: window[1] }));
`,
    );
    const ts = sh(process.execPath, [tsc, '-p', '.'], app);
    expect(ts.code, ts.out).toBe(0);
    const run = sh(process.execPath, [join('out', 'use.js')], app);
    expect(run.code, run.out).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ lo: expected.lo, hi: expected.hi });

    // the declarations carry the real types: a cell is not a number
    writeFileSync(join(app, 'use.ts'), `import { loadMacamCell } from 'fusemix';\nconst n: number = loadMacamCell('macam-measured');\nconsole.log(n);\n`);
    const bad = sh(process.execPath, [tsc, '-p', '.', '--noEmit'], app);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/TS2322/);
  }, 600_000);
});
