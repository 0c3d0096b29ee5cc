/**
 * Seeded random streams. One run seed derives any number of independent named streams:
 * `stream(seed, 'mc', 17)` is always the same sequence for the same seed and path, and streams with
 * different paths do not overlap in any practical sense (xoshiro128** seeded through a 128-bit hash of
 * seed and path). Nothing in fusemix calls Math.random.
 */

/** cyrb128-style string hash to four 32-bit words (non-zero state guaranteed by the caller). */
function hash128(str: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export type Seed = number | string;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(
    readonly seed: Seed,
    readonly path: string,
  ) {
    const [a, b, c, d] = hash128(`fusemix:${String(seed)}:${path}`);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    if ((a | b | c | d) === 0) this.a = 1;
    // discard a few outputs so weak hash states are mixed
    for (let i = 0; i < 8; i++) this.nextUint32();
  }

  /** xoshiro128** */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Normal deviate (Marsaglia polar method). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return mean + sd * s;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return mean + sd * u * f;
  }

  /** Gumbel(0, 1) deviate. */
  gumbel(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return -Math.log(-Math.log(u));
  }

  fillUniform(out: Float64Array, lo = 0, hi = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  fillNormal(out: Float64Array, mean = 0, sd = 1): Float64Array {
    return this.fillNormalRange(out, 0, out.length, mean, sd);
  }

  /**
   * out[from .. to) = the next (to - from) normal deviates: exactly the numbers that as many calls of
   * `normal(mean, sd)` would return, leaving the stream in the same state (including a pending spare
   * deviate), but without a method call and state round trip per number (the generator state lives
   * in locals for the whole batch). The four generator steps of a pair are written out, not looped:
   * a loop over them was measurably slower here, and the photonic noise draws are a hot path.
   */
  fillNormalRange(out: Float64Array, from: number, to: number, mean = 0, sd = 1): Float64Array {
    let i = from;
    if (i < to && !Number.isNaN(this.spare)) {
      out[i++] = mean + sd * this.spare;
      this.spare = NaN;
    }
    if (i >= to) return out;
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    while (i < to) {
      let u: number, v: number, s: number;
      do {
        // four xoshiro128** outputs (two 53-bit uniforms), as nextUint32 / uniform compute them
        let r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        let t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = (d << 11) | (d >>> 21);
        const h1 = r >>> 5;
        r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = (d << 11) | (d >>> 21);
        const l1 = r >>> 6;
        r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = (d << 11) | (d >>> 21);
        const h2 = r >>> 5;
        r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = (d << 11) | (d >>> 21);
        const l2 = r >>> 6;
        u = 2 * ((h1 * 67108864 + l1) / 9007199254740992) - 1;
        v = 2 * ((h2 * 67108864 + l2) / 9007199254740992) - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = mean + sd * u * f;
      const second = v * f;
      if (i < to) out[i++] = mean + sd * second;
      else this.spare = second;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(arr: T[] | Int32Array | Uint32Array | Float64Array): typeof arr {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t as never;
    }
    return arr;
  }

  /** A child stream, independent of this one and of its other children. */
  child(...path: Array<string | number>): Rng {
    return new Rng(this.seed, [this.path, ...path].join('/'));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The stream named by `path` under run seed `seed`. */
export function stream(seed: Seed, ...path: Array<string | number>): Rng {
  return new Rng(seed, path.join('/'));
}

/** The default run seed when none is given. */
export const DEFAULT_SEED = 1;
