/**
 * The outputs of a MOSFET fit (mosfet.ts, mosfet-bounds.ts): the mosfet preset file with the fitted
 * values and their sources (mosfetPresetFile), and the SVG of SPICE points against the fitted law
 * (mosfetPlot).
 */
import { basename } from 'node:path';
import { DataError } from '../core/errors.ts';
import { linePlot } from '../core/svg.ts';
import { mosfetCurrent } from '../devices/mosfet.ts';
import { type PresetFile, loadPreset } from '../devices/preset.ts';
import { type DataSource, type FitMetadata, type FitParam, fitMetadata, sourceName, uncertaintyNote, withUnit } from './common.ts';
import type { MosfetFit } from './mosfet.ts';

export interface MosfetPresetOptions {
  name: string;
  /** the card file as a data source */
  src: DataSource;
  /** base preset for cgate (default nmos-level1 / pmos-level1) */
  base?: string;
  engine: string;
  cardName: string;
  date?: string;
  extra?: Record<string, unknown>;
}

/** A mosfet preset with the fitted values (level 1: VTO, KP, LAMBDA; EKV: also n, THETA, ETA) at the sweep's W and L. */
export function mosfetPresetFile(f: MosfetFit, o: MosfetPresetOptions): PresetFile & { fit: FitMetadata } {
  const b = loadPreset(o.base ?? `${f.polarity}-level1`, 'mosfet');
  if (b.params.polarity !== f.polarity) throw new DataError(`base preset ${b.name} is ${String(b.params.polarity)}, the fit is ${f.polarity}`);
  const card = sourceName(o.src.file);
  const vmax = Number(Math.max(...Array.from(f.sweep.vds, Math.abs)).toPrecision(6));
  const wls = [...new Set(f.sweeps.map((s) => Number((s.w / s.l).toPrecision(6))))].join(', ');
  const ekv = f.model === 'ekv';
  const weighting = ekv ? `gate-voltage residuals above ${f.floor * 1e9} nA, W/L ${wls}` : `relative errors with a ${f.floor * 1e9} nA floor`;
  const refined = f.refined ? `; refined jointly with the other polarity to ${f.refined.targets} MACAM bounds found in SPICE with the card` : '';
  const from = `fitted to ${card} by fusemix calibrate mosfet (${o.cardName}, ngspice DC sweeps V_GS, V_DS 0..${f.polarity === 'pmos' ? '-' : ''}${vmax} V, ${weighting}${refined})`;
  const raw = JSON.parse(JSON.stringify(b.raw)) as PresetFile;
  raw.params.model = ekv
    ? { value: 'ekv', source: 'EKV-style smooth model (src/devices/mosfet.ts) as the behavioral form of the fitted card' }
    : { value: 'level1', source: 'SPICE level 1 (Shichman-Hodges) as the behavioral form of the fitted card' };
  raw.params.polarity = { value: f.polarity, source: `${card}: ${o.cardName} is a${f.polarity === 'nmos' ? 'n' : ''} ${f.polarity} card` };
  raw.params.vto = { value: withUnit(f.vto.value, 'V', 'voltage'), source: from, note: uncertaintyNote(f.vto, 'V', 'voltage') };
  raw.params.kp = { value: withUnit(f.kp.value, 'uA/V^2', 'transconductance'), source: from, note: uncertaintyNote(f.kp, 'uA/V^2', 'transconductance') };
  raw.params.lambda = { value: withUnit(f.lambda.value, '', 'inverse-voltage'), source: from, note: uncertaintyNote(f.lambda, '', 'inverse-voltage') };
  if (ekv) {
    raw.params.n = { value: withUnit(f.n!.value, '', 'dimensionless'), source: from, note: uncertaintyNote(f.n!, '', 'dimensionless') };
    raw.params.theta = { value: withUnit(f.theta!.value, '', 'inverse-voltage'), source: from, note: uncertaintyNote(f.theta!, '', 'inverse-voltage') };
    raw.params.eta = { value: withUnit(f.eta!.value, '', 'dimensionless'), source: from, note: uncertaintyNote(f.eta!, '', 'dimensionless') };
    raw.params.temperature = { value: '300.15 K', source: 'ngspice default temperature (27 C) of the fitted sweeps' };
  } else {
    for (const k of ['n', 'theta', 'eta', 'temperature']) delete raw.params[k];
  }
  raw.params.w = { value: withUnit(f.w, 'nm', 'length'), source: 'the channel width of the fitted unit-device sweep' };
  raw.params.l = { value: withUnit(f.l, 'nm', 'length'), source: 'the channel length of the fitted sweeps' };
  const { $schema: _s, ...rest } = raw;
  const values: Record<string, FitParam> = { vto: f.vto, kp: f.kp, lambda: f.lambda, ...(ekv ? { n: f.n!, theta: f.theta!, eta: f.eta! } : {}) };
  const fmt = (x: number, d = 4) => Number(x.toPrecision(d));
  const desc = ekv
    ? `EKV ${f.polarity.toUpperCase()} fitted to the ${o.cardName} card in ${basename(o.src.file)}${f.refined ? ' and refined to its MACAM bounds' : ''} (VTO ${fmt(f.vto.value)} V, KP ${fmt(f.kp.value * 1e6)} uA/V^2, LAMBDA ${fmt(f.lambda.value, 3)} 1/V, n ${fmt(f.n!.value, 3)}, THETA ${fmt(f.theta!.value, 3)} 1/V, ETA ${fmt(f.eta!.value, 3)})`
    : `Level-1 ${f.polarity.toUpperCase()} fitted to the ${o.cardName} card in ${basename(o.src.file)} (VTO ${fmt(f.vto.value)} V, KP ${fmt(f.kp.value * 1e6)} uA/V^2, LAMBDA ${fmt(f.lambda.value, 3)} 1/V)`;
  return {
    ...rest,
    name: o.name,
    kind: 'mosfet',
    description: desc,
    fit: fitMetadata(
      o.src,
      ekv
        ? `EKV (src/devices/mosfet.ts), residuals (I_fit - I_spice) / g_m,spice (gate-voltage error)${f.refined ? ', then refined jointly with the other polarity to MACAM bounds found in SPICE (bound residuals / sigma_b plus the DC residuals as a prior)' : ''}`
        : 'SPICE level 1 (src/devices/mosfet.ts), residuals (I_fit - I_spice) / (|I_spice| + floor)',
      f.stats,
      values,
      { engine: o.engine, card: o.cardName, floor: f.floor, relRms: f.relRms, ...(f.gateRms !== undefined ? { gateRms: f.gateRms } : {}), ...(f.refined ? { refined: f.refined } : {}), ...(o.extra ?? {}) },
      o.date,
    ),
  };
}

/** SVG: I_D against V_GS at a few V_DS, SPICE points and the fitted law. */
export function mosfetPlot(f: MosfetFit, title = 'MOSFET fit'): string {
  const s = f.sweep;
  const sg = s.polarity === 'nmos' ? 1 : -1;
  const dsVals = [...new Set(Array.from(s.vds, (v) => Math.round(Math.abs(v) * 1e6) / 1e6))].sort((a, b) => a - b);
  const pick = [dsVals[Math.round(dsVals.length * 0.25)]!, dsVals[Math.round(dsVals.length * 0.5)]!, dsVals[dsVals.length - 1]!];
  const series = [];
  for (const d of pick) {
    const idx = Array.from(s.vds.keys()).filter((i) => Math.abs(Math.abs(s.vds[i]!) - d) < 1e-6);
    series.push({ name: `SPICE |V_DS| ${d} V`, x: idx.map((i) => Math.abs(s.vgs[i]!)), y: idx.map((i) => s.id[i]! * 1e6), points: true });
    const grid = Array.from({ length: 81 }, (_, i) => (i / 80) * Math.max(...idx.map((k) => Math.abs(s.vgs[k]!))));
    series.push({ name: `fit |V_DS| ${d} V`, x: grid, y: grid.map((g) => mosfetCurrent(f.params, sg * g, sg * d, s.w / s.l) * 1e6) });
  }
  return linePlot({
    title: `${title} (${s.polarity}): VTO ${f.vto.value.toPrecision(3)} V, KP ${(f.kp.value * 1e6).toPrecision(3)} uA/V^2, LAMBDA ${f.lambda.value.toPrecision(3)}`,
    xLabel: '|V_GS| (V)',
    yLabel: 'drain current (uA)',
    series,
  });
}
