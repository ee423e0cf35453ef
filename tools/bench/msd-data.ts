import { applyTransform, fitTransform, syntheticDataset, type TrainSet } from '@autorec/data';

/**
 * The whole synthetic `msd` preset (571,355 users × 41,140 songs × 33.6M plays) as one training
 * set with `global-quantiles` ratings — what the scale benchmarks train on (no split: they time
 * epochs). Generation takes about a minute here.
 */
export function msdTrainSet(): { train: TrainSet; generateSeconds: number } {
  const t = performance.now();
  const ds = syntheticDataset('msd');
  const generateSeconds = (performance.now() - t) / 1000;
  const transform = fitTransform('global-quantiles', ds.counts);
  const train: TrainSet = {
    ratings: applyTransform(transform, ds.counts),
    users: ds.users,
    items: ds.items,
    scale: transform.scale,
    transform,
  };
  return { train, generateSeconds };
}
