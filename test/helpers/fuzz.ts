/**
 * Seeded fuzzing of fusemix's file parsers: each case is a real input, truncated or mutated, fed to
 * a parser. Every outcome is counted: parsed (the mutation left a valid file), a clear typed error
 * (a FusemixError: DataError, ConfigError), a crash (anything else: RangeError, TypeError, ...), or
 * a hang (a case that took longer than `hangMs`). Used by test/fuzz-parsers.test.ts and
 * bench/reliability.ts (which prints the README's reliability table).
 */
import { FusemixError } from '../../src/core/errors.ts';
import { type Rng, stream } from '../../src/core/rng.ts';

export interface FuzzCounts {
  family: string;
  cases: number;
  parsed: number;
  clearErrors: number;
  crashes: number;
  hangs: number;
  /** the first few crash messages (for a failing test's output) */
  crashSamples: string[];
}

const NUMBERS = ['0', '-1', '1', '4294967295', '99999999999', '1e308', '-0', 'NaN', 'inf', '', '18446744073709551616', '2.5', '0x10'];

/** One seeded mutation of `seed` (a copy; the seed is never changed). */
export function mutate(rng: Rng, seed: Uint8Array): { bytes: Uint8Array; how: string } {
  const n = seed.length;
  const k = rng.int(8);
  const copy = () => seed.slice();
  switch (k) {
    case 0: {
      // truncate anywhere
      const at = rng.int(n + 1);
      return { bytes: seed.slice(0, at), how: `truncate at ${at}` };
    }
    case 1: {
      // flip a few random bytes
      const b = copy();
      const m = 1 + rng.int(8);
      for (let i = 0; i < m; i++) b[rng.int(n)] = rng.int(256);
      return { bytes: b, how: `${m} random bytes` };
    }
    case 2: {
      // insert random bytes (sometimes newlines and separators)
      const at = rng.int(n + 1);
      const len = 1 + rng.int(16);
      const ins = Uint8Array.from({ length: len }, () => (rng.uniform() < 0.3 ? [10, 44, 58, 32, 9][rng.int(5)]! : rng.int(256)));
      const b = new Uint8Array(n + len);
      b.set(seed.subarray(0, at));
      b.set(ins, at);
      b.set(seed.subarray(at), at + len);
      return { bytes: b, how: `insert ${len} at ${at}` };
    }
    case 3: {
      // delete a range
      const a = rng.int(n + 1);
      const e = Math.min(n, a + 1 + rng.int(64));
      const b = new Uint8Array(n - (e - a));
      b.set(seed.subarray(0, a));
      b.set(seed.subarray(e), a);
      return { bytes: b, how: `delete ${a}..${e}` };
    }
    case 4: {
      // replace a decimal number of the text part (counts, indices, values) with a nasty one
      const text = Buffer.from(seed).toString('latin1');
      const nums = [...text.slice(0, 4096).matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
      if (nums.length === 0) return mutate(rng, seed);
      const m = nums[rng.int(nums.length)]!;
      const rep = NUMBERS[rng.int(NUMBERS.length)]!;
      const s = text.slice(0, m.index) + rep + text.slice(m.index! + m[0].length);
      return { bytes: Uint8Array.from(Buffer.from(s, 'latin1')), how: `number "${m[0]}" -> "${rep}"` };
    }
    case 5: {
      // duplicate a slice (repeated header lines, repeated plots)
      const a = rng.int(n + 1);
      const e = Math.min(n, a + 1 + rng.int(256));
      const b = new Uint8Array(n + (e - a));
      b.set(seed.subarray(0, e));
      b.set(seed.subarray(a), e);
      return { bytes: b, how: `duplicate ${a}..${e}` };
    }
    case 6: {
      // zero a run of bytes
      const b = copy();
      const a = rng.int(n + 1);
      b.fill(0, a, Math.min(n, a + 1 + rng.int(32)));
      return { bytes: b, how: `zero from ${a}` };
    }
    default: {
      // two mutations at once
      const first = mutate(rng, seed);
      const second = mutate(rng, first.bytes);
      return { bytes: second.bytes, how: `${first.how}; ${second.how}` };
    }
  }
}

/**
 * Run `n` seeded cases over the seed inputs (cycled; every fourth case a clean truncation so the
 * cut-everywhere family is well covered) and count the outcomes.
 */
export function fuzz(family: string, seeds: readonly Uint8Array[], n: number, parse: (b: Uint8Array) => unknown, opts: { seed?: number | string; hangMs?: number } = {}): FuzzCounts {
  const rng = stream(opts.seed ?? 1, 'fuzz', family);
  const hangMs = opts.hangMs ?? 2000;
  const c: FuzzCounts = { family, cases: 0, parsed: 0, clearErrors: 0, crashes: 0, hangs: 0, crashSamples: [] };
  for (let i = 0; i < n; i++) {
    const s = seeds[i % seeds.length]!;
    const m = i % 4 === 0 ? { bytes: s.slice(0, rng.int(s.length + 1)), how: 'truncate' } : mutate(rng, s);
    const t0 = performance.now();
    try {
      parse(m.bytes);
      c.parsed++;
    } catch (e) {
      if (e instanceof FusemixError) c.clearErrors++;
      else {
        c.crashes++;
        if (c.crashSamples.length < 5) c.crashSamples.push(`case ${i} (${m.how}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }
    if (performance.now() - t0 > hangMs) c.hangs++;
    c.cases++;
  }
  return c;
}
