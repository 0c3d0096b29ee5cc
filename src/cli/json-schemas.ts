/**
 * The shape of each command's --json output, written once with zod: the tests validate real outputs
 * against these, and `scripts/gen-json-schemas.ts` writes them as JSON Schema to docs/json/ (a test
 * fails when those files are stale). Objects are open (extra fields allowed) so that a new field does
 * not break a reader; the fields listed are the contract, with the units their names say
 * (docs/json.md).
 */
import { z } from 'zod';

/** A number in SI; a non-finite one is written as a string ("Infinity" for "no bound"). */
const num = z.union([z.number(), z.enum(['Infinity', '-Infinity', 'NaN'])]);
const fraction = z.number().min(0).max(1);
const breakdownJ = z.looseObject({
  totalJ: z.number().meta({ description: 'J' }),
  itemsJ: z.record(z.string(), z.union([z.number(), z.record(z.string(), z.number())])).meta({ description: 'each item in J' }),
});
const presets = z.record(z.string(), z.string());
const v = (d = 'V') => num.meta({ description: d });

const boundCheck = z.looseObject({ branch: z.enum(['lo', 'hi']), f: fraction, row: z.number().int().optional(), behavioralV: v(), spiceV: v(), errorV: v() });
const search = z.looseObject({ probes: z.number().int(), elapsedMs: z.number() });


const seedValue = z.union([z.number(), z.string()]);
const mcnemarTest = z.object({ onlyA: z.number().int(), onlyB: z.number().int(), pValue: z.number() });
/** one mix run (mix --json) */
const mixRun = z.looseObject({
  seed: seedValue,
  budget: z.number(),
  accuracy: z.record(z.string(), fraction),
  energy: z.record(z.string(), breakdownJ.extend({ ratio: z.number() })),
  saving: z.number(),
  systemEnergy: z.record(z.string(), breakdownJ),
  baselines: z.looseObject({
    runs: z.array(
      z.looseObject({
        name: z.string(),
        kind: z.string(),
        accuracy: fraction,
        energyJ: z.number(),
        saving: z.number(),
        analogChannels: z.array(z.array(z.number().int())),
        comparison: mcnemarTest,
      }),
    ),
    random: z.looseObject({ draws: z.number().int(), accuracyMean: fraction, accuracySd: z.number(), comparison: mcnemarTest }).optional(),
    budgetRandom: z.looseObject({ draws: z.number().int(), accuracyMean: fraction, accuracySd: z.number(), comparison: mcnemarTest }).optional(),
  }),
  hardware: z.looseObject({ analogPerActivationJ: z.number(), digitalPerActivationJ: z.number(), readoutPerConversionJ: z.number() }),
});
const spread = z.object({ mean: z.number(), sd: z.number(), values: z.array(z.number()) });
/** mix --seeds --json: the summary over seeds and every run */
const mixSeeds = z.looseObject({
  seeds: z.array(seedValue),
  budget: z.number(),
  summary: z.looseObject({
    seeds: z.array(seedValue),
    accuracy: z.record(z.string(), spread),
    saving: spread,
    savingAnalog: spread,
    drop: z.object({ mixed: spread, analog: spread }),
    comparison: z.record(z.string(), mcnemarTest),
  }),
  runs: z.array(mixRun),
});

export const JSON_SCHEMAS = {
  verify: z.looseObject({
    kind: z.enum(['cell', 'unit']),
    engine: z.enum(['wasm', 'ngspice']),
    model: z.enum(['level1', 'bsim4']),
    preset: z.string(),
    bounds: z.array(boundCheck),
    maxBoundErrorV: v(),
    toleranceV: z.number(),
    pass: z.boolean(),
    codeAgreement: fraction.nullable().optional(),
    codeAgreementAway: fraction.nullable().optional(),
    maxDriveErrorV: z.number().optional(),
    mismatches: z.array(z.looseObject({ x: z.number(), vdlV: z.number(), spice: z.number(), behavioral: z.number(), marginV: z.number() })).optional(),
    elapsedMs: z.number().optional(),
    search: search.optional(),
  }),
  cell: z.looseObject({
    preset: z.string(),
    presets,
    state: z.object({ fLo: fraction, fHi: fraction }),
    bounds: z.object({ vLoV: v(), vHiV: v() }),
    staticApproximation: z.object({ vLoV: v(), vHiV: v() }),
    boundRange: z.object({ loV: z.array(z.number()), hiV: z.array(z.number()) }),
    windowV: z.array(z.number()),
    energy: breakdownJ.extend({ vdlV: z.number() }),
    achievable: z.looseObject({
      lo: z.array(z.object({ f: fraction, boundV: v() })),
      hi: z.array(z.object({ f: fraction, boundV: v() })),
      continuous: z.boolean(),
    }),
    monteCarlo: z.looseObject({ samples: z.number().int(), loV: z.looseObject({ mean: z.number(), std: z.number() }), hiV: z.looseObject({ mean: z.number(), std: z.number() }) }).optional(),
  }),
  unit: z.looseObject({
    fn: z.string(),
    bits: z.number().int(),
    presets,
    windowV: z.array(z.number()),
    thresholds: z.array(z.number()),
    thresholdsV: z.array(z.number()),
    codes: z.array(z.number().int()),
    rows: z.array(z.looseObject({ code: z.number().int(), xLo: num, xHi: num, vLoV: v(), vHiV: v(), vLoTargetV: v(), vHiTargetV: v(), fLo: fraction, fHi: fraction })),
    error: z.record(z.string(), z.looseObject({ samples: z.number().int(), maxLsb: z.number(), rmsLsb: z.number(), mismatchFraction: fraction })),
    energy: z.object({ macam: breakdownJ, digital: breakdownJ }),
    saving: z.number().meta({ description: 'fraction of the digital path energy saved' }),
  }),
  mesh: z.looseObject({
    decomposition: z.string().optional(),
    maxError: z.number(),
    depth: z.number().int(),
    mzis: z.number().int(),
    energy: breakdownJ.extend({ pathLossDb: z.number(), laserElectricalPowerW: z.number() }),
  }),
  mix: z.union([mixRun, mixSeeds]),
  pareto: z.looseObject({
    budgets: z.array(z.number()),
    points: z.array(
      z.looseObject({
        budget: z.number(),
        accuracy: fraction,
        energyJ: z.number(),
        systemEnergyJ: z.number(),
        ratio: z.number(),
        saving: z.number(),
        random: z.looseObject({ draws: z.number().int(), accuracyMean: fraction, accuracySd: z.number(), energyJ: z.number(), pValue: z.number() }).optional(),
        budgetRandom: z.looseObject({ draws: z.number().int(), accuracyMean: fraction, accuracySd: z.number(), energyJ: z.number(), pValue: z.number() }).optional(),
        heuristics: z.record(z.string(), z.looseObject({ accuracy: fraction, energyJ: z.number(), pValue: z.number() })).optional(),
      }),
    ),
    digital: z.looseObject({ accuracy: fraction, energyJ: z.number(), systemEnergyJ: z.number() }),
    analog: z.looseObject({ accuracy: fraction, energyJ: z.number(), systemEnergyJ: z.number() }),
    files: z.array(z.string()),
  }),
  calibrate: z.looseObject({
    kind: z.enum(['mtj', 'dwmtj', 'mosfet', 'adc']),
    params: z.record(
      z.string(),
      z.union([
        z.object({ value: z.number(), uncertainty: z.number(), unit: z.string() }),
        z.array(z.object({ value: z.number(), uncertainty: z.number(), unit: z.string() })),
      ]),
    ),
    presets: z.array(z.looseObject({ name: z.string(), path: z.string(), fit: z.looseObject({ rms: z.number(), rmsUnit: z.string() }).optional() })),
    written: z.array(z.string()),
    report: z.record(z.string(), z.unknown()).optional(),
  }),
  devicesList: z.array(z.object({ name: z.string(), kind: z.string(), origin: z.enum(['working directory', 'FUSEMIX_PRESETS', 'shipped']), file: z.string(), description: z.string() })),
  devicesShow: z.looseObject({
    name: z.string(),
    kind: z.string(),
    file: z.string().optional(),
    params: z.record(z.string(), z.looseObject({ value: z.unknown(), unit: z.string(), display: z.string(), uncertainty: z.union([z.number(), z.array(z.number())]).optional(), source: z.string() })),
  }),
  devicesEval: z.looseObject({ kind: z.string(), preset: z.string(), rows: z.array(z.record(z.string(), z.union([z.number(), z.string()]))) }),
  doctor: z.looseObject({ fusemix: z.string(), node: z.string(), cores: z.number().int(), kernels: z.looseObject({ active: z.string() }), spice: z.record(z.string(), z.unknown()) }),
  simulate: z.looseObject({
    file: z.string(),
    engine: z.enum(['wasm', 'ngspice']),
    elapsedMs: z.number(),
    plots: z.array(
      z.looseObject({
        label: z.string(),
        type: z.string(),
        scale: z.string(),
        points: z.number().int(),
        vectors: z.array(z.looseObject({ name: z.string(), kind: z.string(), unit: z.string(), length: z.number().int(), first: z.unknown(), last: z.unknown() })),
      }),
    ),
    warnings: z.array(z.string()),
  }),
  sweepPlan: z.looseObject({
    kind: z.enum(['mix', 'unit', 'cell']),
    axes: z.array(z.string()),
    points: z.array(z.looseObject({ index: z.number().int(), id: z.string().regex(/^[0-9a-f]{16}$/), axes: z.record(z.string(), z.unknown()), seed: z.union([z.number(), z.string()]) })),
  }),
  sweepRun: z.looseObject({ computed: z.number().int(), skipped: z.number().int(), total: z.number().int(), shard: z.string().nullable(), elapsedS: z.number(), out: z.string() }),
  sweepSlurm: z.looseObject({ script: z.string(), tasks: z.number().int(), points: z.number().int(), jobId: z.string().optional() }),
  sweepEnqueue: z.looseObject({ added: z.number().int(), done: z.number().int(), total: z.number().int(), queue: z.string() }),
  sweepWorker: z.looseObject({ processed: z.number().int(), failed: z.number().int() }),
  sweepMerge: z.looseObject({ rows: z.number().int(), points: z.number().int(), files: z.array(z.string()) }),
} as const;

export type JsonCommand = keyof typeof JSON_SCHEMAS;

/** The JSON Schema (draft 2020-12) of a command's output. */
export function jsonSchemaOf(cmd: JsonCommand): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(JSON_SCHEMAS[cmd], { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>),
    title: `fusemix ${cmd.replace(/^(devices|sweep)([A-Z])/, (_m, g: string, c: string) => `${g} ${c.toLowerCase()}`)} --json`,
  };
}
