/** The one shape of every energy figure in fusemix: a total and the items that add up to it. */
export interface EnergyBreakdown {
  /** joules */
  total: number;
  /** joules per item; the items sum to total */
  items: Record<string, number>;
  /** where each item's constants come from (preset and source) */
  sources?: Record<string, string>;
}

/** Build a breakdown whose total is the sum of its items. */
export function sumItems(items: Record<string, number>, sources?: Record<string, string>): EnergyBreakdown {
  let total = 0;
  for (const v of Object.values(items)) total += v;
  return { total, items, ...(sources ? { sources } : {}) };
}
