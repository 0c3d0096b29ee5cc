/**
 * Seeded fuzzing of fusemix's file parsers: each case is a real input, truncated or mutated, fed to
 * a parser. Every outcome is counted: parsed (the mutation left a valid file), a clear typed error
 * (a FusemixError: DataError, ConfigError), a crash (anything else: RangeError, TypeError, ...), or
 * a hang (a case that took longer than `hangMs`). Used by test/fuzz-parsers.test.ts and
 * bench/reliability.ts (which prints the README's reliability table).
 */
import { DataError, FusemixError } from '../../src/core/errors.ts';
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
  // warm-up, untimed: the first call pays one-off costs (lazy imports such as mathjs, JIT)
  for (const s of seeds) {
    try {
      parse(s.slice());
    } catch {
      /* counted below if it fails again */
    }
  }
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

// ---------------------------------------------------------------------------------------------
// The input families of the reliability table

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseCsv } from '../../src/data/csv.ts';
import { parseIdx } from '../../src/data/idx.ts';
import { loadPreset } from '../../src/devices/preset.ts';
import '../../src/devices/index.ts';
import { readCheckpoint, withChecksum } from '../../src/mixer/run.ts';
import { parseMatrixCsv } from '../../src/photonic/csv.ts';
import { parseRaw } from '../../src/spice/raw.ts';
import { findNgspice } from '../../src/spice/ngspice.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'spice');

/**
 * Real raw files: the committed fixtures (ngspice binary and ASCII, padded/unpadded, several plots
 * in one file) plus, when the ngspice binary is here, a fresh binary and ASCII pair of a run with
 * op, dc, ac (complex) and tran plots.
 */
export function realRawFiles(): { name: string; bytes: Uint8Array }[] {
  const out = readdirSync(FIX)
    .filter((f) => f.endsWith('.raw'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(FIX, f))) }));
  let bin: string | undefined;
  try {
    bin = findNgspice();
  } catch {
    return out;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fusemix-rawgen-'));
  try {
    const deck = [
      'fuzz seed deck: op, dc, ac, tran',
      'v1 in 0 dc 1 ac 1 sin(0 1 1k)',
      'r1 in out 1k',
      'c1 out 0 100n',
      'd1 out 0 dd',
      '.model dd d(is=1e-14)',
      '.op',
      '.dc v1 0 1 0.1',
      '.ac dec 5 10 1meg',
      '.tran 20u 1m',
      '.control',
      'run',
      'set appendwrite',
      'foreach p op1 dc1 ac1 tran1',
      '  setplot $p',
      '  set filetype=binary',
      '  write gen-binary.raw',
      '  set filetype=ascii',
      '  write gen-ascii.raw',
      'end',
      'quit',
      '.endc',
      '.end',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'gen.cir'), deck);
    spawnSync(bin, ['-b', 'gen.cir'], { cwd: dir, timeout: 30_000 });
    for (const f of ['gen-binary.raw', 'gen-ascii.raw']) {
      try {
        out.push({ name: `ngspice ${f}`, bytes: new Uint8Array(readFileSync(join(dir, f))) });
      } catch {
        /* not written */
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function idxBytes(type: number, dims: number[], vals: number[]): Uint8Array {
  const size = ({ 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 } as Record<number, number>)[type]!;
  const b = Buffer.alloc(4 + 4 * dims.length + size * vals.length);
  b[2] = type;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  vals.forEach((v, i) => {
    const o = 4 + 4 * dims.length + i * size;
    if (type === 8) b.writeUInt8(v, o);
    else if (type === 9) b.writeInt8(v, o);
    else if (type === 11) b.writeInt16BE(v, o);
    else if (type === 12) b.writeInt32BE(v, o);
    else if (type === 13) b.writeFloatBE(v, o);
    else b.writeDoubleBE(v, o);
  });
  return new Uint8Array(b);
}

const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** Case counts per family (the defaults are the README table's). */
export const FUZZ_CASES = { raw: 6000, idx: 3000, csv: 3000, matrix: 3000, preset: 1000, checkpoint: 1000 };

/** Every parser family, fuzzed; `scale` multiplies the case counts. */
export function fuzzAllFamilies(seed: number | string = 1, scale = 1): FuzzCounts[] {
  const n = (k: keyof typeof FUZZ_CASES) => Math.max(1, Math.round(FUZZ_CASES[k] * scale));
  const out: FuzzCounts[] = [];
  const raws = realRawFiles().map((r) => r.bytes);
  out.push(fuzz('raw files (binary + ASCII)', raws, n('raw'), (b) => parseRaw(b, 'fuzz.raw'), { seed }));

  const images = idxBytes(8, [3, 4, 4], Array.from({ length: 48 }, (_, i) => (i * 37) % 256));
  const idxs = [images, idxBytes(8, [6], [0, 1, 2, 3, 4, 5]), idxBytes(13, [2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), idxBytes(14, [2, 2], [1, 2, 3, 4]), idxBytes(11, [4], [1, -2, 3, -4]), new Uint8Array(gzipSync(images))];
  out.push(fuzz('IDX (plain + gzip)', idxs, n('idx'), (b) => parseIdx(b, 'fuzz.idx'), { seed }));

  const csvs = ['label,p0,p1,p2,p3\n0,0,128,255,3\n1,4,5,6,7\n2,255,0,1,2\n', '3,0.1,0.2\n1,0.5,0.9\n0,1,0\n'].map(text);
  out.push(fuzz('data CSV', csvs, n('csv'), (b) => parseCsv(utf8(b), {}, 'fuzz.csv'), { seed }));

  const mats = ['# weights\n1,2,3\n4,5,6\n', '0.5 -0.25\n1e-3 2\n', '1,0\n0,1\n'].map(text);
  out.push(fuzz('matrix CSV (photonic)', mats, n('matrix'), (b) => parseMatrixCsv(utf8(b), 'fuzz-matrix.csv'), { seed }));

  const dir = mkdtempSync(join(tmpdir(), 'fusemix-fuzz-'));
  try {
    const presets = ['macam-measured', 'mtj-alamdar', 'nmos-level1', 'adc-sar-default'].map((p) => new Uint8Array(readFileSync(join(ROOT, 'devices', `${p}.json`))));
    const pf = join(dir, 'fuzz-preset.json');
    out.push(
      fuzz('preset JSON', presets, n('preset'), (b) => {
        writeFileSync(pf, b);
        return loadPreset(pf);
      }, { seed }),
    );

    // checkpoints: a mutated file must be refused (undefined) unless its payload is unchanged
    const payload = { hash: 'abc123', phase: 'pretrain', epochsDone: 3, model: { layers: [[0.125, -1.5, 2.75e-3], [4, 5, 6]] }, history: [{ epoch: 0, loss: 1.25 }] };
    const good = text(`${JSON.stringify(withChecksum(payload), null, 2)}\n`);
    const cf = join(dir, 'fuzz.ckpt.json');
    const ref = JSON.stringify(payload);
    let trustedCorrupt = 0;
    const c = fuzz('checkpoints (sha256)', [good], n('checkpoint'), (b) => {
      writeFileSync(cf, b);
      const v = readCheckpoint(cf, () => {});
      if (v === undefined) throw new DataError('checkpoint refused (checksum)', cf);
      if (JSON.stringify(v) !== ref) trustedCorrupt++;
      return v;
    }, { seed });
    out.push({ ...c, crashes: c.crashes + trustedCorrupt, crashSamples: [...c.crashSamples, ...(trustedCorrupt ? [`${trustedCorrupt} corrupt checkpoints trusted`] : [])] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
