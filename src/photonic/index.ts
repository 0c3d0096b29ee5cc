/** Photonic MZI meshes and the photonic tensor core (behavioral), with energy. */
export * from './complex.ts';
export * from './mzi.ts';
export * from './mesh.ts';
export * from './nonideal.ts';
export * from './weights.ts';
// the block SVD of the weight mapping (numeric, in core/); photonic has always exported it
export { svdScratch, svdSquare, type SvdScratch } from '../core/svd.ts';
export * from './energy.ts';
export * from './csv.ts';
