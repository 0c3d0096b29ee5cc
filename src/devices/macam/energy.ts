/** The energy of one search of one MACAM cell, itemised. */
import { type EnergyBreakdown, sumItems } from '../../core/energy.ts';
import { dwmtjReadCurrent } from '../dwmtj.ts';
import { inverterCurrent, inverterOutput, lowerGateVoltage, matchLineVoltage, upperNodeVoltage } from './branch.ts';
import { type CellDeviation, type MacamCell, deviatedDwmtj, clampPosition } from './cell.ts';

/**
 * Energy of one search of one cell at data-line voltage vdl (J), itemised:
 *  lowerDivider, upperDivider: static current from SL x V_SL x t_eval;
 *  inverter: static inverter current x V_DD x t_eval;
 *  matchLine: recharging the ML to V_DD after the search, C_ML V_DD (V_DD - V_ML(t_eval)).
 */
export function searchEnergy(
  c: MacamCell,
  fLo: number,
  fHi: number,
  vdl: number,
  dev?: CellDeviation,
  enabled: { lo: boolean; hi: boolean } = { lo: true, hi: true },
): EnergyBreakdown {
  const p = c.params;
  const g1 = enabled.lo ? lowerGateVoltage(c, fLo, vdl, dev) : 0;
  const g2n = enabled.hi ? upperNodeVoltage(c, fHi, vdl, dev) : 0;
  const mLo = deviatedDwmtj(c.lo, dev?.rpLo, dev?.tmrLo);
  const mHi = deviatedDwmtj(c.hi, dev?.rpHi, dev?.tmrHi);
  const iLo = enabled.lo ? dwmtjReadCurrent(mLo, clampPosition(fLo + (dev?.dfLo ?? 0)), p.vsl - g1) : 0;
  const iHi = enabled.hi ? dwmtjReadCurrent(mHi, clampPosition(fHi + (dev?.dfHi ?? 0)), p.vsl - g2n) : 0;
  const g6 = enabled.hi ? inverterOutput(c, g2n, dev) : 0;
  const vml = matchLineVoltage(c, g1, g6, p.tEval, dev);
  return sumItems({
    lowerDivider: iLo * p.vsl * p.tEval,
    upperDivider: iHi * p.vsl * p.tEval,
    inverter: enabled.hi ? inverterCurrent(c, g2n, dev) * p.vdd * p.tEval : 0,
    matchLine: p.cMl * p.vdd * (p.vdd - vml),
  });
}
