/**
 * Fuzzed parsers (seeded, see test/helpers/fuzz.ts): thousands of truncated and mutated real inputs
 * per family; every failure must be the parser's typed error (DataError / ConfigError), never a
 * RangeError, TypeError or a hang; a corrupt checkpoint is never trusted.
 */
import { describe, expect, it } from 'vitest';
import { fuzzAllFamilies, realRawFiles } from './helpers/fuzz.ts';
import { parseRaw } from '../src/spice/raw.ts';
import { binaryTests } from './helpers/spice.ts';

describe('parser fuzzing', () => {
  it('the seed inputs are real and parse (so the mutations start from valid files)', () => {
    const raws = realRawFiles();
    expect(raws.length).toBeGreaterThanOrEqual(binaryTests ? 8 : 6);
    for (const r of raws) expect(parseRaw(r.bytes, r.name).length, r.name).toBeGreaterThan(0);
    if (binaryTests) {
      const fresh = raws.filter((r) => r.name.startsWith('ngspice'));
      expect(fresh.map((r) => parseRaw(r.bytes).map((p) => p.type).join(','))).toEqual(['op,dc,ac,tran', 'op,dc,ac,tran']);
    }
  });

  it('every family: only clear errors, no crashes, no hangs', () => {
    const counts = fuzzAllFamilies(1);
    for (const c of counts) {
      expect(c.crashSamples, c.family).toEqual([]);
      expect(c.crashes, c.family).toBe(0);
      expect(c.hangs, c.family).toBe(0);
      expect(c.parsed + c.clearErrors, c.family).toBe(c.cases);
      // the mutations do break files: most cases must be refused
      expect(c.clearErrors, c.family).toBeGreaterThan(c.cases / 2);
    }
    expect(counts.reduce((a, c) => a + c.cases, 0)).toBeGreaterThanOrEqual(15_000);
  }, 60_000);
});
