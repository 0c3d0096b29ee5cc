/** fusemix kernel layer: backend choice (js | wasm | blas), the reference kernels, worker-thread helpers. */
export {
  AUTO_ORDER,
  KERNEL_NAMES,
  SMALL_PRODUCT,
  SMALL_VECTOR,
  axpy,
  gemm,
  getKernelBackend,
  getKernelPrecision,
  jsBackend,
  kernelBackends,
  kernelChoice,
  loadKernelBackend,
  setKernelBackend,
  setKernelPrecision,
  type GemmOp,
  type KernelBackend,
  type KernelName,
  type KernelPrecision,
  type KernelStatus,
} from './backend.ts';
export { axpyJs, matmulJs, matmulTAJs, matmulTBJs } from './js.ts';
export { WASM_PATH, loadWasmBackend } from './wasm.ts';
export { BLAS_CANDIDATES, loadBlasBackend } from './blas.ts';
export { defaultThreads, getDefaultThreads, parallelMap, setDefaultThreads, WorkerPool, type ParallelOptions } from './parallel.ts';
