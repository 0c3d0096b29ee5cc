/** fusemix cell: bounds and energy of one MACAM cell. */
import type { CommandModule } from 'yargs';
import { formatQuantity } from '../../core/units.ts';
import { achievableBounds, boundDistributionAsync, boundRange, MAX_MC_SAMPLES, cellBounds, loadMacamCell, searchEnergy, staticBounds } from '../../devices/macam.ts';
import { parseList } from '../evaluate.ts';
import { UsageArgError } from './errors.ts';
import { Interrupted } from '../../core/errors.ts';
import { UNIT_RULES } from '../json-units.ts';
import { type GlobalArgs, Progress, printJson, say, table } from '../util.ts';

interface CellArgs extends GlobalArgs {
  preset: string;
  state: string;
  vdl?: string;
  mc?: number;
  seed: string;
}

export const cellCommand: CommandModule<GlobalArgs, CellArgs> = {
  command: 'cell',
  describe: 'bounds [V_lo, V_hi) and energy of one MACAM cell; achievable bounds; optional Monte Carlo',
  builder: (y) =>
    y
      .option('preset', { type: 'string', default: 'macam-measured', describe: 'MACAM cell preset or path' })
      .option('state', { type: 'string', default: '1,0', describe: 'wall positions "fLo,fHi" (AP fractions of M1, M2)' })
      .option('vdl', { type: 'string', describe: 'data-line voltage for the energy figure (default: mid-window)' })
      .option('mc', { type: 'number', describe: `Monte Carlo samples of the bounds under device variation (at most ${MAX_MC_SAMPLES}; progress on a terminal; Ctrl-C stops it, exit 130)` })
      .option('seed', { type: 'string', default: '1', describe: 'seed of the Monte Carlo' }),
  handler: async (args) => {
    if (args.mc !== undefined && !(Number.isInteger(args.mc) && args.mc >= 1 && args.mc <= MAX_MC_SAMPLES)) {
      throw new UsageArgError('mc', `a whole number of samples from 1 to ${MAX_MC_SAMPLES} (the limit: ~0.1 ms and 16 bytes per sample; split bigger studies over seeds)`, args.mc);
    }
    const cell = loadMacamCell(args.preset);
    const fs = parseList(args.state, 'dimensionless', 'state');
    if (fs.length !== 2 || fs.some((f) => f < 0 || f > 1)) throw new UsageArgError('state', 'two AP fractions "fLo,fHi" in [0, 1]', args.state);
    const [fLo, fHi] = fs as [number, number];
    const b = cellBounds(cell, fLo, fHi);
    const st = staticBounds(cell, fLo, fHi);
    const range = boundRange(cell);
    const vdl = args.vdl !== undefined ? parseList(args.vdl, 'voltage', 'vdl')[0]! : 0.5 * (Math.max(b.vLo, range.lo[0]) + Math.min(b.vHi, range.hi[1]));
    const energy = searchEnergy(cell, fLo, fHi, vdl);
    const ach = achievableBounds(cell);
    const mc = args.mc ? await monteCarlo(args, cell, fLo, fHi) : undefined;
    const out = {
      preset: cell.name,
      presets: cell.presets,
      state: { fLo, fHi },
      bounds: b,
      staticApproximation: st,
      boundRange: range,
      window: [Math.max(range.lo[0], range.hi[0]), range.hi[1]],
      energy: { ...energy, vdl },
      achievable: { lo: ach.lo, hi: ach.hi, continuous: cell.lo.notches.length === 0 },
      ...(mc ? { monteCarlo: { samples: args.mc, seed: args.seed, lo: mc.lo, hi: mc.hi } } : {}),
    };
    if (args.json) return printJson(out, UNIT_RULES.cell);
    const V = (v: number) => formatQuantity(v, 'V');
    say(args, `${cell.name}: M1 f = ${fLo}, M2 f = ${fHi}`);
    say(args, `bounds [V_lo, V_hi) = [${V(b.vLo)}, ${V(b.vHi)}) (t_eval-defined); static approximation [${V(st.vLo)}, ${V(st.vHi)})`);
    say(args, `V_lo range ${V(range.lo[0])} .. ${V(range.lo[1])}; V_hi range ${V(range.hi[0])} .. ${V(range.hi[1])}`);
    say(args, `energy per search at V_DL = ${V(vdl)}: ${formatQuantity(energy.total, 'J')} (${Object.entries(energy.items).map(([k, v]) => `${k} ${formatQuantity(v, 'J')}`).join(', ')})`);
    if (!out.achievable.continuous) {
      say(args, '');
      say(args, table(ach.lo.map((e, i) => [i, e.f.toFixed(4), V(e.v), ach.hi[i] ? ach.hi[i]!.f.toFixed(4) : '', ach.hi[i] ? V(ach.hi[i]!.v) : '']), ['state', 'f(M1)', 'V_lo', 'f(M2)', 'V_hi']));
    }
    if (mc) {
      say(args, '');
      say(args, `Monte Carlo (${args.mc} samples, seed ${args.seed}): V_lo ${V(mc.lo.mean)} +- ${V(mc.lo.std)}, V_hi ${V(mc.hi.mean)} +- ${V(mc.hi.std)}`);
    }
  },
};

/** The Monte Carlo with a progress bar (terminal only) and Ctrl-C handling: stops, nothing printed, exit 130. */
async function monteCarlo(args: CellArgs, cell: ReturnType<typeof loadMacamCell>, fLo: number, fHi: number) {
  const total = args.mc!;
  const bar = new Progress('monte carlo', total, args.quiet);
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.on('SIGINT', onSigint);
  try {
    const r = await boundDistributionAsync(cell, fLo, fHi, {
      samples: total,
      seed: args.seed,
      signal: ac.signal,
      onProgress: (done) => bar.update(done),
      onAbort: (done) => new Interrupted(`interrupted (Ctrl-C) after ${done} of ${total} Monte Carlo samples; nothing written`),
    });
    bar.done();
    return r;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
