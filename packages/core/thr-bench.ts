import { applyTransform, fitTransform, syntheticDataset } from '@autorec/data';
import { UAutoRecModel } from './src/models/autorec.ts';

const ds = syntheticDataset('msd');
const transform = fitTransform('global-quantiles', ds.counts);
const train = {
  ratings: applyTransform(transform, ds.counts),
  users: ds.users,
  items: ds.items,
  scale: transform.scale,
  transform,
};
for (const threads of (process.env.T ?? '1,2').split(',').map(Number)) {
  const controller = new AbortController();
  let last = { batch: 0, batches: 1, elapsed: 0 };
  const model = new UAutoRecModel({ hiddenUnits: 500, batchSize: 1024, epochs: 1, threads });
  const fit = await model.fit(train, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.phase !== 'batch') return;
      last = { batch: p.batch, batches: p.batches, elapsed: p.elapsedSeconds };
      if (p.elapsedSeconds > 20) controller.abort();
    },
  });
  console.log(
    threads,
    fit.backend,
    last.batch,
    last.elapsed.toFixed(1),
    ((last.elapsed / last.batch) * last.batches).toFixed(1),
  );
  model.dispose();
}
