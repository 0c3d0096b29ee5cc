/**
 * MACAM cell: an analog CAM cell (6T2M style, Li et al., Nat. Commun. 11, 1638, 2020) whose two
 * resistive elements are DW-MTJ read paths. It stores an interval [V_lo, V_hi) of the data-line
 * voltage; the match line (ML) stays above the sense threshold after t_eval only inside it.
 *
 * The model lives in ./macam/, one idea a file (each file imports only those before it):
 *   cell.ts       the preset kind, loading a cell, the per-instance deviations applied to its devices;
 *   branch.ts     the circuit's equations: divider nodes, inverter, ML current, discharge time;
 *   bounds.ts     V_lo and V_hi from t_eval (the solvers), the static approximation, the range;
 *   program.ts    stable wall positions, achievable bounds, the position for a target bound;
 *   variation.ts  sigmas, seeded deviation draws, Monte Carlo of the bounds;
 *   energy.ts     the energy of one search.
 * This module is the public face: the names below, nothing of the internals the files share.
 */
export { type CellDeviation, type MacamCell, type MacamCellParams, type Transistor, TRANSISTORS, loadMacamCell, macamCellSpec, resolveMacamCell, withCellParams } from './macam/cell.ts';
export {
  type BoundSolver,
  cellMatches,
  dataLineRange,
  dischargeTime,
  inverterCurrent,
  inverterOutput,
  lowerGateVoltage,
  matchLineCurrent,
  matchLineVoltage,
  pullDownGates,
  searchDischargeTime,
  upperNodeVoltage,
} from './macam/branch.ts';
export { type Bounds, type CellBoundSolver, boundRange, boundSolverFor, branchModel, cellBounds, lowerBound, staticBounds, upperBound } from './macam/bounds.ts';
export { achievableBounds, positionForBound, snapPositionForBound, stablePositions, synthesizePositions } from './macam/program.ts';
export { type BoundStats, type VariationSigmas, MAX_MC_SAMPLES, boundDistribution, boundDistributionAsync, cellSigmas, sampleDeviation } from './macam/variation.ts';
export { searchEnergy } from './macam/energy.ts';
export { type EnergyBreakdown, sumItems } from '../core/energy.ts';
