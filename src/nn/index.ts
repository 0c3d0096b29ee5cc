/** fusemix NN engine: kernels, layers, losses, optimisers, Sequential models and training. */
export * from './kernels.ts';
export * from './param.ts';
export * from './layer.ts';
export * from './layers.ts';
export * from './pool.ts';
export * from './batchnorm.ts';
export * from './loss.ts';
export * from './quant.ts';
export * from './optim.ts';
export * from './state.ts';
export * from './sequential.ts';
export * from './train.ts';
export * from './checkpoint.ts';
export {
  buildModel,
  describeModel,
  evaluateParallel,
  type EvaluateParallelOptions,
  type LayerSpec,
  type ModelRecipe,
} from './evaluate.ts';
