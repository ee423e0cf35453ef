// @autorec/test-utils: test support shared by the packages' tests and the benchmarks (private,
// source only). This entry point is browser-safe and free of vitest; the contract suite is
// `@autorec/test-utils/contract`, the real-data helpers `@autorec/test-utils/real-data`.
export { contractTrainSet, tasteGroups, trainSetFromTriplets } from './fixtures.ts';
export { METAL_AND_HARD_ROCK } from './lastfm-genres.ts';
export {
  plantedRatings,
  type ShapedPlanted,
  type ShapedPlantedOptions,
  type UniformPlanted,
  type UniformPlantedOptions,
} from './planted.ts';
