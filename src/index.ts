/**
 * fusemix public API. Everything the CLI does, a script can do by importing from here.
 *
 *   import { createFusedUnit, compareUnit, loadMacamCell, cellBounds } from 'fusemix';
 */
export * from './core/errors.ts';
export { parseQuantity, formatSpice, formatQuantity, DIMENSIONS, type Dimension } from './core/units.ts';
export { stream, Rng, type Seed } from './core/rng.ts';
export { acquireRunLock, LOCK_NAME, RunLocked, type RunLock } from './core/lock.ts';
export { writeFileAtomic, writeJsonAtomic, makeManifest, fusemixVersion, sha256, type RunManifest } from './core/io.ts';
export * from './devices/index.ts';
export { erf, erfc, normalCdf, normalPdf } from './core/erf.ts';
export * from './units/activations.ts';
export * from './units/quantise.ts';
export * from './units/digital-path.ts';
export * from './units/fused.ts';
export * from './units/compare.ts';
export * as photonic from './photonic/index.ts';
export * as spice from './spice/index.ts';
export { linePlot, type Series, type PlotOptions } from './core/svg.ts';
export * as nn from './nn/index.ts';
export * as data from './data/index.ts';
export * as mixer from './mixer/index.ts';
export * as kernels from './kernels/index.ts';
export { setKernelBackend, setKernelPrecision } from './kernels/index.ts';
export * as calibrate from './calibrate/index.ts';
export * as sweep from './sweep/index.ts';
export { runDemo, type DemoOptions, type DemoReport } from './report/demo.ts';
