// `@autorec/core/internals`: the pieces the benchmarks (tools/bench) measure below the public
// API — the sparse kernels and AutoRec's bias baseline. No stability promise: for this
// repository's tools, not for applications.
export {
  Arena,
  type ArenaBlock,
  createKernels,
  kernelModuleBytes,
  paddedStride,
  type RowStep,
  rawArgs,
} from './engine/kernels.ts';
export { fitBiases } from './models/autorec-biases.ts';
