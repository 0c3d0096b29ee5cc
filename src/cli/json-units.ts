/**
 * The units of every command's --json output (docs/json.md): numbers are SI, and a number's unit is
 * in its field name (`errorV`, `totalJ`, `sampleRateHz`, `elapsedMs`). A suffix on a field whose value
 * is an object or array of numbers (`itemsJ`, `windowV`) applies to every number in it. Fields with
 * no suffix are counts, codes, LSBs (named so), dB (named so) or dimensionless fractions
 * (`accuracy`, `saving`, `ratio`, AP fractions `f`), never a physical quantity. Where one list mixes
 * units (preset values, fitted parameters, SPICE vectors) each entry carries `{ value, unit }`.
 *
 * The library's objects keep their shapes; these rules rename fields at the CLI's output only.
 */

/**
 * Renames by path: a pattern is a dotted tail of the path of a field (`*` matches any key or array
 * index); its value is a unit suffix (`V`) or, after `=`, the new name (`=boundV`).
 */
export type UnitRules = Readonly<Record<string, string>>;

/** The field-name suffix of an SI unit. */
export function unitSuffix(unit: string): string {
  const map: Record<string, string> = { '': '', rad: 'Rad', V: 'V', A: 'A', J: 'J', W: 'W', s: 'S', Hz: 'Hz', ohm: 'Ohm', F: 'F', m: 'M', 'm^2': 'M2', S: 'Siemens' };
  const s = map[unit];
  if (s === undefined) throw new Error(`no field-name suffix for unit "${unit}"`);
  return s;
}

function matches(pattern: string[], path: string[]): boolean {
  if (pattern.length > path.length) return false;
  const off = path.length - pattern.length;
  return pattern.every((p, i) => p === '*' || p === path[off + i]);
}

/** An energy breakdown ({ total, items, ... }) anywhere: total -> totalJ, items -> itemsJ. */
function isBreakdown(o: Record<string, unknown>): boolean {
  return typeof o.total === 'number' && typeof o.items === 'object' && o.items !== null && !Array.isArray(o.items);
}

/** A copy of `value` with its fields renamed by `rules` (and every energy breakdown's total and items). */
export function withUnits(value: unknown, rules: UnitRules = {}): unknown {
  const compiled = Object.entries(rules).map(([p, r]) => ({ pattern: p.split('.'), rename: r }));
  const walk = (v: unknown, path: string[]): unknown => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const breakdown = isBreakdown(o);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const p = [...path, k];
      let name = k;
      if (breakdown && k === 'total') name = 'totalJ';
      else if (breakdown && k === 'items') name = 'itemsJ';
      else {
        const rule = compiled.find((c) => matches(c.pattern, p));
        if (rule) name = rule.rename.startsWith('=') ? rule.rename.slice(1) : `${k}${rule.rename}`;
      }
      out[name] = walk(x, p);
    }
    return out;
  };
  return walk(value, []);
}

const verifyCommon: Record<string, string> = {
  'bounds.*.behavioral': 'V',
  'bounds.*.spice': 'V',
  'bounds.*.error': 'V',
  maxBoundError: 'V',
  tolerance: 'V',
  maxDriveError: 'V',
  'mismatches.*.vdl': 'V',
  'mismatches.*.margin': 'V',
  awayMargin: 'V',
};

/** The rules of each command with --json. */
export const UNIT_RULES = {
  verify: verifyCommon,
  cell: {
    'bounds.vLo': 'V',
    'bounds.vHi': 'V',
    'staticApproximation.vLo': 'V',
    'staticApproximation.vHi': 'V',
    'boundRange.lo': 'V',
    'boundRange.hi': 'V',
    window: 'V',
    'energy.vdl': 'V',
    'achievable.lo.*.v': '=boundV',
    'achievable.hi.*.v': '=boundV',
    'monteCarlo.lo': 'V',
    'monteCarlo.hi': 'V',
  },
  unit: {
    window: 'V',
    thresholdsVolts: '=thresholdsV',
    'rows.*.vLoTarget': 'V',
    'rows.*.vHiTarget': 'V',
    'rows.*.vLo': 'V',
    'rows.*.vHi': 'V',
    'details.*.sampleRate': 'Hz',
    'details.*.items': 'J',
  },
  mesh: { laserElectricalPower: 'W', phaseNoise: 'Rad' },
  mix: {
    'baselines.runs.*.energy': 'J',
    analogPerActivation: 'J',
    digitalPerActivation: 'J',
    readoutPerConversion: 'J',
    'details.*.sampleRate': 'Hz',
    'details.*.items': 'J',
    phaseNoise: 'Rad',
  },
  pareto: {
    'points.*.energy': 'J',
    'points.*.random.energy': 'J',
    'points.*.budgetRandom.energy': 'J',
    'points.*.heuristics.*.energy': 'J',
    'points.*.systemEnergy': 'J',
    'digital.energy': 'J',
    'digital.systemEnergy': 'J',
    'analog.energy': 'J',
    'analog.systemEnergy': 'J',
    analogPerActivation: 'J',
    digitalPerActivation: 'J',
    readoutPerConversion: 'J',
    phaseNoise: 'Rad',
  },
  calibrate: {
    'gateError.*.before.max': 'V',
    'gateError.*.before.rms': 'V',
    'gateError.*.after.max': 'V',
    'gateError.*.after.rms': 'V',
    'bounds.rows.*.before': 'V',
    'bounds.rows.*.after': 'V',
    'bounds.rows.*.shift': 'V',
    'spice.*.rows.*.spice': 'V',
    'spice.*.rows.*.behavioral': 'V',
    'spice.*.rows.*.error': 'V',
    'spice.*.max': 'V',
    'spice.*.rms': 'V',
    'spice.*.maxFinite': 'V',
    'spice.*.rmsFinite': 'V',
  },
  doctor: {},
  simulate: {},
  devices: {},
} as const satisfies Record<string, UnitRules>;
