/** Sweeps: a spec of axes and repeats, content-addressed point results, and the runners (local, Slurm arrays, BullMQ workers). */
import '../devices/index.ts';
export * from './spec.ts';
export * from './plan.ts';
export * from './point.ts';
export * from './store.ts';
export * from './merge.ts';
export * from './local.ts';
export * from './slurm.ts';
export * from './queue.ts';
