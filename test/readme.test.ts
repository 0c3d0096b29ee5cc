/**
 * The README check (scripts/readme-check.mjs): its rules on small inputs, then the real README.md,
 * every bash block run against this checkout in fresh temporary folders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import * as check from '../scripts/readme-check.mjs';

const ROOT = join(import.meta.dirname, '..');
const c = check as {
  extractBlocks: (md: string) => Array<{ line: number; skip: boolean; commands: Array<{ text: string; line: number }> }>;
  planCommand: (t: string, o?: { ngspice?: boolean }) => { run?: string; skip?: string; note?: string };
  fusemixCalls: (cmd: string) => Array<{ words: string[]; flags: string[] }>;
  unknownFlags: (flags: string[], help: string) => string[];
  runReadme: (o?: { readme?: string; log?: (s: string) => void; jobs?: number }) => Promise<{
    ok: boolean;
    results: Array<{ line: number; command: string; status: string; reason?: string; seconds?: number }>;
    checkoutChanged: string[];
    gitChecked: boolean;
    seconds: number;
  }>;
};

describe('README check rules', () => {
  it('extracts bash blocks, joins continuations, drops comments and honours the skip marker', () => {
    const md = [
      '```bash',
      '# a comment',
      'npx fusemix cell \\',
      '  --json   # bounds',
      '```',
      '',
      '<!-- readme-test: skip -->',
      '```bash',
      'npx fusemix mix',
      '```',
      '```ts',
      'not shell',
      '```',
    ].join('\n');
    const b = c.extractBlocks(md);
    expect(b).toHaveLength(2);
    expect(b[0]!.commands).toEqual([{ text: 'npx fusemix cell --json   # bounds', line: 3 }]);
    expect(b[0]!.skip).toBe(false);
    expect(b[1]!.skip).toBe(true);
  });

  it('skips machine set-up by explicit rules and keeps what follows npm install &&', () => {
    expect(c.planCommand('npm install && npx fusemix demo --quick   # the chain')).toMatchObject({ run: 'npx fusemix demo --quick' });
    expect(c.planCommand('npm test   # the tests').skip).toMatch(/test suite/);
    expect(c.planCommand('apt-get install ngspice').skip).toMatch(/system packages/);
    expect(c.planCommand('npx fusemix simulate a.cir --engine ngspice', { ngspice: false }).skip).toMatch(/ngspice/);
    expect(c.planCommand('npx fusemix simulate a.cir --engine ngspice', { ngspice: true }).run).toBeDefined();
  });

  it('finds the flags of each fusemix call and the ones its help does not list', () => {
    expect(c.fusemixCalls("npx fusemix mix --budget 0.4 --out 'runs/b 04' --json > b04.json")).toEqual([{ words: ['mix'], flags: ['--budget', '--out', '--json'] }]);
    const help = '  -o, --out  file\n      --json  JSON\n      --refine  refine [boolean]';
    expect(c.unknownFlags(['-o', '--json', '--no-refine', '--bogus', '--js'], help)).toEqual(['--bogus', '--js']);
  });
});

describe('README.md', () => {
  it('every bash block runs against the checkout, with known flags, and writes nothing into it', async () => {
    const lines: string[] = [];
    const r = await c.runReadme({ log: (s) => lines.push(s) });
    const failed = r.results.filter((x) => x.status === 'failed');
    expect(failed.map((x) => `README.md:${x.line}: ${x.command}: ${x.reason}`)).toEqual([]);
    expect(r.checkoutChanged).toEqual([]);
    // the README's fusemix commands really ran (not all skipped)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const expected = c.extractBlocks(readme).flatMap((b) => b.commands).filter((x) => /fusemix/.test(x.text)).length;
    expect(r.results.filter((x) => x.status === 'ok').length).toBeGreaterThanOrEqual(expected - 1);
    if (process.env.CI === 'true') expect(r.gitChecked).toBe(true);
    process.stdout.write(`README check: ${r.results.length} commands in ${r.seconds.toFixed(1)} s\n`);
  }, 600_000);
});
