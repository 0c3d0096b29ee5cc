/**
 * The shape of a weight mapping (weights.ts builds it, effective.ts reads it). A file of its own so
 * that the two need not import each other (no import cycle).
 */
import type { Decomposition, MeshField, MziMesh } from './mesh.ts';

export interface WeightBlock {
  /** first row and column of the block in W */
  readonly row0: number;
  readonly col0: number;
  /** mesh of U (left singular vectors) */
  readonly u: MziMesh;
  /** mesh of V^T */
  readonly vh: MziMesh;
  /** singular values, descending */
  readonly s: Float64Array;
  /** the ideal block, k x k row-major, zero-padded */
  readonly ideal: Float64Array;
}

export interface WeightMapping {
  readonly rows: number;
  readonly cols: number;
  readonly block: number;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly decomposition: Decomposition;
  readonly field: MeshField;
  /** row-major over the block grid */
  readonly blocks: readonly WeightBlock[];
  /** the mapped matrix, M x N row-major */
  readonly weights: Float64Array;
}
