/** The result of a mix run (MixResult), assembled from the phase states and evaluations of its chains. */
import { baselineSummary, type BaselineSummary } from './baselines.ts';
import { baselineKind, type RunContext } from './context.ts';
import { energyReport, type EnergyReport } from './energy.ts';
import type { MixOptions } from './options.ts';
import type { Pretrained } from './phases.ts';
import { mcnemar } from './stats.ts';
import type { EpochLog, NetworkEval, PhaseState } from './store.ts';

export interface MixResult {
  seed: number | string;
  budget: number;
  config: MixOptions;
  data: { source: string; train: number; test: number; features: number; classes: number };
  accuracy: { float: number; digital: number; analog: number; mixed: number };
  /** digital - mixed accuracy (fraction; 0.01 = 1 point) */
  accuracyDrop: number;
  /** paired test-set comparisons (McNemar): mixed vs all-analog, mixed vs all-digital */
  comparison: { mixedVsAnalog: ReturnType<typeof mcnemar>; mixedVsDigital: ReturnType<typeof mcnemar> };
  energy: { digital: EnergyReport; mixed: EnergyReport; analog: EnergyReport };
  /**
   * Other assignments with the searched analog-channel count per site, each fine-tuned like the
   * all-digital and all-analog networks and evaluated on the same test samples: seeded random draws
   * and the heuristics (options HEURISTICS); `comparison` is McNemar's test of the searched (mixed)
   * network against it. `random` pools the draws (mean and sd of accuracy; discordant samples summed
   * over the draws for the test).
   */
  baselines: BaselineSummary;
  /** 1 - E_mixed / E_digital (A/D + activation) */
  saving: number;
  savingAnalog: number;
  systemEnergy: Record<'digital' | 'mixed' | 'analog', { total: number; items: Record<string, number> }>;
  systemSaving: number;
  assignment: {
    granularity: string;
    met: boolean;
    ratio: number;
    expectedRatio: number;
    sites: Array<{ site: string; channels: number; analog: number; digital: number; analogChannels: number[]; digitalChannels: number[] }>;
  };
  hardware: {
    presets: Record<string, string>;
    /** J per activation */
    analogPerActivation: number;
    digitalPerActivation: number;
    readoutPerConversion: number;
    scales: number[];
    columns: Array<{ column: number; thresholds: number[]; codes: number[] }>;
    photonic: { enabled: boolean; preset: string; nonIdealities: Record<string, number>; note: string };
  };
  history: Record<string, EpochLog[]>;
}

/** The phase states and evaluations a result is assembled from. */
export interface RunParts {
  dig: PhaseState;
  srch: PhaseState;
  mix: PhaseState;
  ana: PhaseState;
  evF: NetworkEval;
  evD: NetworkEval;
  evA: NetworkEval;
  evM: NetworkEval;
  bases: Array<{ name: string; assignment: number[][]; ev: NetworkEval }>;
}

/** The MixResult of a run whose chains are all complete. */
export function assembleResult(ctx: RunContext, p: Pretrained, parts: RunParts): MixResult {
  const { o, hw, data } = ctx;
  const { train, test } = data;
  const { em, pre, scales } = p;
  const { dig, srch, mix, ana, evF, evD, evA, evM, bases } = parts;
  const assignment = srch.assignment!;
  const zeros = em.sites.map((s) => new Uint8Array(s.channels));
  const ones = em.sites.map((s) => new Uint8Array(s.channels).fill(1));
  const eD = energyReport(em, hw, zeros);
  const eA = energyReport(em, hw, ones);
  const eM = energyReport(em, hw, assignment);
  const system = (e: EnergyReport, ev: NetworkEval) => {
    const items: Record<string, number> = { adActivation: e.total };
    let total = e.total;
    for (const [layer, pe] of Object.entries(ev.photonic)) {
      for (const [k, v] of Object.entries(pe.items)) items[`photonic.${layer}.${k}`] = v;
      total += pe.total;
    }
    return { total, items };
  };
  const sysD = system(eD, evD);
  const sysM = system(eM, evM);
  return {
    seed: o.seed,
    budget: o.budget,
    config: o,
    data: { source: data.source, train: train.n, test: test.n, features: train.features, classes: train.classes },
    accuracy: { float: evF.accuracy, digital: evD.accuracy, analog: evA.accuracy, mixed: evM.accuracy },
    accuracyDrop: evD.accuracy - evM.accuracy,
    comparison: { mixedVsAnalog: mcnemar(evM.correctMask, evA.correctMask), mixedVsDigital: mcnemar(evM.correctMask, evD.correctMask) },
    energy: { digital: eD, mixed: eM, analog: eA },
    baselines: baselineSummary(
      bases.map((b) => {
        const e = energyReport(em, hw, b.assignment);
        const analogChannels = b.assignment.map((a) => a.flatMap((v, c) => (v ? [c] : [])));
        const kind = baselineKind(b.name);
        return { name: b.name, kind, accuracy: b.ev.accuracy, energy: e.total, saving: 1 - e.total / eD.total, analogChannels, mask: b.ev.correctMask };
      }),
      evM.correctMask,
    ),
    saving: 1 - eM.total / eD.total,
    savingAnalog: 1 - eA.total / eD.total,
    systemEnergy: { digital: sysD, mixed: sysM, analog: system(eA, evA) },
    systemSaving: 1 - sysM.total / sysD.total,
    assignment: {
      granularity: o.granularity,
      met: srch.assignmentInfo!.met,
      ratio: srch.assignmentInfo!.ratio,
      expectedRatio: srch.assignmentInfo!.expectedRatio,
      sites: em.sites.map((s, k) => {
        const a = assignment[k]!;
        const analogChannels: number[] = [];
        const digitalChannels: number[] = [];
        a.forEach((v, c) => (v ? analogChannels : digitalChannels).push(c));
        return { site: s.name, channels: s.channels, analog: analogChannels.length, digital: digitalChannels.length, analogChannels, digitalChannels };
      }),
    },
    hardware: {
      presets: { ...hw.presets, photonicCore: o.photonicPreset },
      analogPerActivation: hw.analogEnergy[0]!.total,
      digitalPerActivation: hw.digitalEnergy.total,
      readoutPerConversion: hw.readoutEnergy.total,
      scales,
      columns: hw.pool.map((u, k) => ({ column: k, thresholds: Array.from(u.actual.breakpoints), codes: Array.from(u.actual.codes) })),
      photonic: {
        enabled: o.photonic,
        preset: o.photonicPreset,
        nonIdealities: { phaseBits: o.phaseBits, phaseNoise: o.phaseNoise, gammaError: o.gammaError },
        note: 'non-idealities are assumptions (the photonic-core preset names none): 8-bit heater DACs and 0.01 rad phase noise by default; energy per matrix-vector product from photonicEnergy(layoutForMapping) of each Dense layer, one product per Dense layer and one per output position of a Conv2d per inference',
      },
    },
    history: { pretrain: pre.history, digital: dig.history, search: srch.history, mixed: mix.history, analog: ana.history },
  };
}
