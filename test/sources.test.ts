/**
 * Every preset `source` (and `note`) that names a file of the repository names one that exists, and
 * every `file.md#section` names a heading of that file. The sources are what `devices show` and the
 * demo report print, so a user must be able to open each one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const FILE = /(?:^|[\s(,;:'"`])((?:[\w.-]+\/)*[\w.-]+\.(?:md|csv|lib|hbs|cir|ts|json|svg|txt))(#[\w-]+)?(?=$|[\s),;:'"`])/g;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** [preset file, field, file named, anchor] for every file named in a source or note. */
function citations(): Array<[string, string, string, string | undefined]> {
  const out: Array<[string, string, string, string | undefined]> = [];
  for (const f of readdirSync(join(ROOT, 'devices')).filter((x) => x.endsWith('.json'))) {
    const j = JSON.parse(readFileSync(join(ROOT, 'devices', f), 'utf8')) as { params: Record<string, { source: string; note?: string }> };
    for (const [k, v] of Object.entries(j.params)) {
      for (const text of [v.source, v.note ?? '']) {
        for (const m of text.matchAll(FILE)) out.push([f, k, m[1]!, m[2]?.slice(1)]);
      }
    }
  }
  return out;
}

describe('preset sources', () => {
  it('the file pattern finds a file and its section, and the slug follows GitHub', () => {
    const m = [...'Worked example, docs/reference.md#worked-example (ours)'.matchAll(FILE)];
    expect(m.map((x) => [x[1], x[2]])).toEqual([['docs/reference.md', '#worked-example']]);
    expect([...'Kull et al., ISSCC 2013 (8 b, 1.2 GS/s, 3.1 mW)'.matchAll(FILE)]).toHaveLength(0);
    expect(slug('Worked example: the cell (6T2M)')).toBe('worked-example-the-cell-6t2m');
  });

  it('every file a source names exists in the repository, with the section it names', () => {
    const cites = citations();
    // the presets cite docs/reference.md sections, model cards and source files
    expect(cites.some(([, , file, a]) => file === 'docs/reference.md' && a === 'worked-example')).toBe(true);
    const missing: string[] = [];
    for (const [preset, field, file, anchor] of cites) {
      if (!existsSync(join(ROOT, file))) missing.push(`${preset} params.${field}: ${file} does not exist`);
      else if (anchor && !anchors(file).has(anchor)) missing.push(`${preset} params.${field}: ${file} has no section #${anchor}`);
    }
    expect(missing).toEqual([]);
  });

  it('no source or document cites the REFERENCE.md that the repository does not have', () => {
    const texts = [
      ...readdirSync(join(ROOT, 'devices')).map((f) => join('devices', f)),
      'README.md',
    ];
    const bad = texts.filter((f) => /(^|[^/\w])REFERENCE\.md/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
