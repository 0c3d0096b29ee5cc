/** Timing helpers shared by the benches. */

/** The median of xs (the upper middle value for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Median seconds per call of f over `runs` timed groups of calls lasting >= minMs each (after one warm-up call). */
export function timeIt(f: () => void, runs: number, minMs: number): number {
  f();
  const t: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    let n = 0;
    do {
      f();
      n++;
    } while (performance.now() - t0 < minMs);
    t.push((performance.now() - t0) / n / 1000);
  }
  return median(t);
}
