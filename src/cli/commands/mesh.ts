/**
 * fusemix mesh --size N [--decomposition clements|reck] [--seed s]
 * fusemix mesh --matrix file.csv --block k [--phase-bits b --phase-noise rad --gamma-error x --loss-db dB
 *              --crosstalk x --detection coherent|intensity --samples n --out eff.csv]
 */
import type { CommandModule } from 'yargs';
import { DEFAULT_SEED, stream } from '../../core/rng.ts';
import { writeFileAtomic } from '../../core/io.ts';
import { formatQuantity, parseQuantity } from '../../core/units.ts';
import {
  cmaxAbsDiff,
  DECOMPOSITIONS,
  type Decomposition,
  decomposeUnitary,
  DETECTIONS,
  type Detection,
  effectiveWeights,
  ENERGY_ITEMS,
  formatMatrixCsv,
  isRandom,
  layoutForMapping,
  layoutForMesh,
  loadPhotonicCore,
  mapWeights,
  mappingMziCount,
  meshMatrix,
  type NonIdealities,
  type PhotonicEnergy,
  photonicEnergy,
  randomUnitary,
  readMatrixCsv,
  realisePhases,
  unitarityError,
  weightError,
} from '../../photonic/index.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, printJson, say, table } from '../util.ts';
import { UsageArgError } from './errors.ts';

interface MeshArgs extends GlobalArgs {
  size?: number;
  matrix?: string;
  block?: number;
  decomposition: Decomposition;
  field?: 'real' | 'complex';
  seed: string;
  core: string;
  'phase-bits'?: number;
  'phase-noise'?: number;
  'gamma-error'?: number;
  'loss-db'?: string;
  crosstalk?: number;
  detection: Detection;
  samples?: number;
  out?: string;
}

function nonIdealitiesOf(a: MeshArgs, vPi: number, vMax: number): NonIdealities {
  const ni: NonIdealities = { vPi, vMax, detection: a.detection };
  const num = (flag: keyof MeshArgs & string, v: unknown, lo: number, hi = Number.POSITIVE_INFINITY, integer = false): number | undefined => {
    if (v === undefined) return undefined;
    const x = typeof v === 'number' ? v : Number.NaN;
    if (!Number.isFinite(x) || x < lo || x > hi || (integer && !Number.isInteger(x))) {
      throw new UsageArgError(flag, `${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, v);
    }
    return x;
  };
  const bits = num('phase-bits', a['phase-bits'], 1, 32, true);
  if (bits !== undefined) ni.phaseBits = bits;
  const pn = num('phase-noise', a['phase-noise'], 0, 10);
  if (pn !== undefined) ni.phaseNoise = pn;
  const ge = num('gamma-error', a['gamma-error'], 0, 1);
  if (ge !== undefined) ni.gammaError = ge;
  const ct = num('crosstalk', a.crosstalk, 0, 0.49);
  if (ct !== undefined) ni.crosstalk = ct;
  if (a['loss-db'] !== undefined) {
    const raw = String(a['loss-db']);
    const x = parseQuantity(/dB\s*$/.test(raw) ? raw : Number(raw), 'decibel', { field: '--loss-db' });
    if (!(x >= 0 && x <= 10)) throw new UsageArgError('loss-db', 'an insertion loss per MZI in [0, 10] dB', raw);
    ni.lossDb = x;
  }
  return ni;
}

function energyView(e: PhotonicEnergy) {
  return {
    total: e.total,
    items: e.items,
    pathLossDb: e.laser.pathLossDb,
    laserElectricalPower: e.laser.electricalPower,
    uses: e.uses,
    constants: e.constants,
    presets: e.presets,
  };
}

function energyLines(e: PhotonicEnergy): string {
  return table(
    [...ENERGY_ITEMS.map((k) => [k, formatQuantity(e.items[k], 'J'), `${((100 * e.items[k]) / e.total).toFixed(1)} %`]), ['total', formatQuantity(e.total, 'J'), '100 %']],
    ['energy per MVM', 'J', 'share'],
  );
}

export const meshCommand: CommandModule<GlobalArgs, MeshArgs> = {
  command: 'mesh',
  describe: 'decompose a random unitary into an MZI mesh, or map a weight matrix (CSV) onto k x k photonic blocks with non-idealities',
  builder: (y) =>
    y
      .option('size', { type: 'number', describe: 'decompose a random N x N unitary (seeded)' })
      .option('matrix', { type: 'string', describe: 'CSV file of a real weight matrix to map' })
      .option('block', { type: 'number', describe: 'block size k for --matrix (default: the core preset, 8)' })
      .option('decomposition', { choices: DECOMPOSITIONS, default: 'clements' as Decomposition, describe: 'mesh type' })
      .option('field', { choices: ['real', 'complex'] as const, describe: '--size: random unitary (complex, default) or orthogonal (real); --matrix: Givens meshes (real, default) or general meshes (complex)' })
      .option('seed', { type: 'string', default: String(DEFAULT_SEED), describe: 'run seed' })
      .option('core', { type: 'string', default: 'photonic-core-default', describe: 'photonic-core preset (name or path)' })
      .option('phase-bits', { type: 'number', describe: 'heater DAC bits (phase quantisation through V)' })
      .option('phase-noise', { type: 'number', describe: 'additive phase noise sigma (rad)' })
      .option('gamma-error', { type: 'number', describe: 'relative sigma of the phase-per-volt^2 coefficient' })
      .option('loss-db', { type: 'string', describe: 'insertion loss per MZI (dB), e.g. 0.99' })
      .option('crosstalk', { type: 'number', describe: 'thermal crosstalk fraction between neighbouring heaters' })
      .option('detection', { choices: DETECTIONS, default: 'coherent' as Detection, describe: 'coherent (in-phase) or intensity detection' })
      .option('samples', { type: 'number', describe: 'non-ideality draws to average (default 16 when random, else 1)' })
      .option('out', { type: 'string', describe: '--matrix: write the effective matrix (last draw) to this CSV' }),
  handler: (a) => {
    if ((a.size === undefined) === (a.matrix === undefined)) throw new UsageArgError('size', 'exactly one of --size N or --matrix file.csv', a.size ?? a.matrix);
    const pc = loadPhotonicCore(a.core);
    const ni = nonIdealitiesOf(a, pc.core.params.vPi, pc.core.params.vMax);
    const random = isRandom(ni);
    const samples = a.samples ?? (random ? 16 : 1);
    if (!Number.isInteger(samples) || samples < 1 || samples > 100000) throw new UsageArgError('samples', 'an integer in [1, 100000]', a.samples);

    if (a.size !== undefined) {
      const field = a.field ?? 'complex';
      const n = a.size;
      if (!Number.isInteger(n) || n < 2 || n > 1024) throw new UsageArgError('size', 'an integer N in [2, 1024] (the limit: N^2/2 MZIs, O(N^3) time and N^2 complex values)', a.size);
      const u = randomUnitary(n, stream(a.seed, 'mesh', 'unitary', n), field === 'real');
      const t0 = performance.now();
      const mesh = decomposeUnitary(u, { decomposition: a.decomposition, field, trusted: true });
      const ms = performance.now() - t0;
      const maxError = cmaxAbsDiff(meshMatrix(mesh), u);
      let nonIdealMaxError: number | undefined;
      let nonIdealMeanMaxError: number | undefined;
      const amp = 10 ** (-(ni.lossDb ?? 0) / 20);
      if (random || ni.phaseBits || ni.crosstalk || ni.lossDb) {
        let worst = 0;
        let mean = 0;
        const rng = stream(a.seed, 'mesh', 'nonideal');
        for (let s = 0; s < samples; s++) {
          const ph = realisePhases(mesh, ni, rng);
          const e = cmaxAbsDiff(meshMatrix(mesh, ph, amp), u);
          worst = Math.max(worst, e);
          mean += e / samples;
        }
        nonIdealMaxError = worst;
        nonIdealMeanMaxError = mean;
      }
      const meshEnergy = photonicEnergy(pc, layoutForMesh(mesh));
      const energy = energyView(meshEnergy);
      const out = {
        size: n,
        decomposition: a.decomposition,
        field,
        seed: a.seed,
        maxError,
        unitarityError: unitarityError(u),
        depth: mesh.depth,
        mzis: mesh.mode.length,
        decomposeMs: ms,
        ...(nonIdealMaxError !== undefined ? { nonIdealities: ni, samples, nonIdealMaxError, nonIdealMeanMaxError } : {}),
        energy,
      };
      if (a.json) printJson(out, UNIT_RULES.mesh);
      else {
        say(a, `${a.decomposition} mesh of a random ${n} x ${n} ${field === 'real' ? 'orthogonal' : 'unitary'} (seed ${a.seed})`);
        say(a, table([
          ['MZIs', out.mzis],
          ['depth (MZI columns)', out.depth],
          ['max |U_mesh - U|', maxError.toExponential(2)],
          ['decomposition time', `${ms.toFixed(2)} ms`],
          ...(nonIdealMaxError !== undefined
            ? [[`max error, non-ideal (worst of ${samples})`, nonIdealMaxError.toExponential(3)], ['mean of max error', nonIdealMeanMaxError!.toExponential(3)]]
            : []),
        ]));
        say(a);
        say(a, energyLines(meshEnergy));
      }
      return;
    }

    const field = a.field ?? 'real';
    const csv = readMatrixCsv(a.matrix!);
    const k = a.block ?? pc.core.params.block;
    if (!Number.isInteger(k) || k < 2 || k > 256) throw new UsageArgError('block', 'an integer block size k in [2, 256]', a.block);
    const t0 = performance.now();
    const map = mapWeights(csv.data, csv.rows, csv.cols, { block: k, decomposition: a.decomposition, field });
    const mapMs = performance.now() - t0;
    const ideal = weightError(map, effectiveWeights(map, {}));
    const rng = stream(a.seed, 'mesh', 'matrix', 'nonideal');
    let worst = 0;
    let rms = 0;
    let rel = 0;
    let eff: Float64Array = new Float64Array(csv.rows * csv.cols);
    for (let s = 0; s < samples; s++) {
      eff = effectiveWeights(map, ni, rng, eff);
      const e = weightError(map, eff);
      worst = Math.max(worst, e.maxError);
      rms += (e.rmsError * e.rmsError) / samples;
      rel += e.relativeError / samples;
    }
    if (a.out) writeFileAtomic(a.out, formatMatrixCsv(eff, csv.rows, csv.cols));
    const energy = photonicEnergy(pc, layoutForMapping(map));
    const b0 = map.blocks[0]!;
    const out = {
      matrix: a.matrix,
      rows: csv.rows,
      cols: csv.cols,
      block: k,
      blocks: map.blocks.length,
      decomposition: a.decomposition,
      field,
      seed: a.seed,
      nonIdealities: ni,
      samples,
      maxError: worst,
      rmsError: Math.sqrt(rms),
      meanRelativeError: rel,
      idealMaxError: ideal.maxError,
      depth: b0.u.depth + b0.vh.depth,
      mzis: mappingMziCount(map),
      mapMs,
      energy: energyView(energy),
      ...(a.out ? { out: a.out } : {}),
    };
    if (a.json) printJson(out, UNIT_RULES.mesh);
    else {
      say(a, `${a.matrix}: ${csv.rows} x ${csv.cols} in ${map.blocks.length} blocks of ${k} x ${k} (${a.decomposition}, ${field})`);
      say(a, table([
        ['MZIs', out.mzis],
        ['depth per block (V^T + U)', out.depth],
        ['max error, ideal mapping', ideal.maxError.toExponential(2)],
        [`max |W_eff - W| (worst of ${samples})`, worst.toExponential(3)],
        ['rms error', out.rmsError.toExponential(3)],
        ['mean ||W_eff - W||_F / ||W||_F', rel.toExponential(3)],
        ['mapping time', `${mapMs.toFixed(1)} ms`],
      ]));
      say(a);
      say(a, energyLines(energy));
    }
  },
};
