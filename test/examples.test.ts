import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

describe('examples/ run as written', () => {
  const scripts = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));
  it('there are examples', () => expect(scripts.length).toBeGreaterThanOrEqual(2));
  for (const s of scripts) {
    it(s, () => {
      const r = spawnSync(TSX, ['--conditions=fusemix-source', join('examples', s)], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.status).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
    });
  }
});
