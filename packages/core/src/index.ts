// Public API of @autorec/core (browser-safe; Node-only helpers are in '@autorec/core/node'):
// the model contract (types, Recommender, topK), the models and their registry, metrics,
// evaluation protocols and the in-memory and HTTP (read-only) model stores.

export {
  BACKEND_NAMES,
  type BackendInfo,
  type BackendName,
  type BackendOptions,
  backendInfo,
  initBackend,
  isBackendName,
} from './engine/backend.ts';
export {
  type ComputeContext,
  type ComputeOptions,
  computeContext,
  setupCompute,
} from './engine/compute.ts';
export { type KernelKind, type KernelPreference, wasmSimdAvailable } from './engine/kernels.ts';
export { type Platform, platform } from './engine/platform.ts';
export { ModelFormatError, OptionError, TrainingDivergedError } from './errors.ts';
export * from './evaluation/compare.ts';
export * from './evaluation/compare-folds.ts';
export * from './evaluation/cross-validation.ts';
export * from './evaluation/fit-on-split.ts';
export * from './evaluation/held-out-users.ts';
export * from './evaluation/holdout.ts';
export * from './evaluation/ranking.ts';
export { type ErrorSummary, evaluateRatings, type RatingEvaluation } from './evaluation/rating.ts';
export * from './evaluation/search-tasks.ts';
export * from './evaluation/significance.ts';
export * from './evaluation/tune.ts';
export * from './known-plays.ts';
export { invertSymmetricPositive, solveSymmetricPositive } from './linalg.ts';
export * from './metrics/ranking.ts';
export * from './metrics/rating.ts';
export * from './metrics/significance.ts';
// AutoRec (U- and I-AutoRec on sparse WebAssembly kernels, dense scoring on tfjs) and its engine.
export {
  type AutoRecInput,
  AutoRecModel,
  type AutoRecOptions,
  type AutoRecVariant,
  autoRecDefaults,
  IAutoRecModel,
  resolveBatchSize,
  UAutoRecModel,
} from './models/autorec.ts';
export type { DecoderActivation, EncoderActivation } from './models/autorec-activation.ts';
export type { OptimizerName } from './models/autorec-network.ts';
export {
  BaselineOnlyModel,
  type BaselineOptions,
  GlobalMeanModel,
  PopularityModel,
} from './models/baselines.ts';
export { BprModel, type BprOptions } from './models/bpr.ts';
export { EaseModel, type EaseOptions, easeRequirements } from './models/ease.ts';
export { IalsModel, type IalsOptions, type IalsWeighting } from './models/ials.ts';
export {
  checkModelParams,
  createModel,
  describeParams,
  isModelName,
  loadModel,
  MODEL_NAMES,
  type ModelClass,
  type ModelEntry,
  type ModelParams,
  modelEntry,
  type RegisteredModelName,
  readManifest,
} from './models/registry.ts';
export type { ParamSpec, ParamValue } from './models/shared.ts';
export { SvdModel, type SvdOptions } from './models/svd.ts';
export { SvdppModel, type SvdppOptions } from './models/svdpp.ts';
export * from './recommender.ts';
// The comparison report (table columns, verdict, markdown, JSON, training-curves SVG): pure text, shared by the CLI, TUI and web app.
export * from './report/index.ts';
export * from './stores/archive.ts';
export * from './stores/fetch.ts';
export * from './stores/memory.ts';
export * from './topk.ts';
export * from './types.ts';
