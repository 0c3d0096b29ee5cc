/** SuperMixer: differentiable analog (MACAM) / digital (ADC + logic) activation assignment under an energy budget. */
export * from './hardware.ts';
export * from './site.ts';
export * from './relax.ts';
export * from './energy.ts';
export * from './photonic.ts';
export * from './options.ts';
export * from './models.ts';
export * from './data.ts';
export * from './run.ts';
export * from './stats.ts';
export * from './baselines.ts';
export * from './pareto.ts';
export * from './seeds.ts';
