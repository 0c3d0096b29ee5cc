/** Photonic MZI meshes and the photonic tensor core (behavioral), with energy. */
export * from './complex.ts';
export * from './mzi.ts';
export * from './mesh.ts';
export * from './nonideal.ts';
export * from './weights.ts';
export * from './energy.ts';
export * from './csv.ts';
