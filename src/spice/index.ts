/** SPICE layer: engines (wasm, ngspice binary), raw-file parser, parallel runs. */
export {
  complexVector,
  createEngine,
  DEFAULT_TIMEOUT_MS,
  ENGINE_KINDS,
  findVector,
  vector,
  type EngineKind,
  type EngineOptions,
  type RunOptions,
  type SpiceEngine,
  type SpiceResult,
} from './engine.ts';
export { parseRaw, plotTypeOf, type AnalysisType, type SpicePlot } from './raw.ts';
export {
  checkIncludeName,
  findNgspice,
  includePaths,
  NgspiceEngine,
  prepareNetlist,
  readHostIncludes,
  scanLog,
  type LogScan,
  type NgspiceEngineOptions,
} from './ngspice.ts';
export { WasmEngine, type WasmEngineOptions } from './wasm.ts';
export { checkControlCommands, checkGeneratedDeck, SHELL_COMMANDS, unsafeControlLines, type UnsafeLine } from './guard.ts';
export { EnginePool, runMany, type RunItem, type RunManyOptions } from './pool.ts';
export { renderCell, renderUnit, modelLibrary, type TransistorModel } from './netlist.ts';
export { renderTestbench, renderMtjTest } from './testbench.ts';
export { verifyCell, verifyUnit, type CellVerifyReport, type UnitVerifyReport } from './verify.ts';
export { spiceMonteCarlo, type MonteCarloReport } from './montecarlo.ts';
