import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stream } from '../../src/core/rng.ts';

/**
 * A small synthetic CSV in `dir` (tiny.csv): 240 rows, label first, 3 classes of 12 features (class k
 * lights every third feature from k: 0.7 against 0.2, plus normal noise 0.15 from stream(seed,
 * 'tiny-data'), clipped to [0, 1]). Returns its path.
 */
export function tinyCsv(dir: string, seed: number): string {
  const rng = stream(seed, 'tiny-data');
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) {
    const k = i % 3;
    const f = Array.from({ length: 12 }, (_, j) => Math.min(1, Math.max(0, (j % 3 === k ? 0.7 : 0.2) + 0.15 * rng.normal())).toFixed(4));
    lines.push([k, ...f].join(','));
  }
  const file = join(dir, 'tiny.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
