/**
 * What one served list costs in the core, in-process (no HTTP): `recommend` for a known listener,
 * `recommendForPlays` for a 10-song new listener and `similarItems`, k = 10, for an `ials` model
 * (64 factors) on the synthetic msd shape's 41,140 songs and on the `default` preset's catalogue,
 * once with the loops (tfjs `cpu`: no fast backend) and once with the matMul on tfjs-wasm — the
 * two ways `EmbeddingModel` scores. Both runs share one process and one model, so their ratio is
 * what the dense threshold buys on this machine.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/scoring.ts [--users N] [--calls N]
 *
 * One JSON line per (data, backend, call) on stdout; progress on stderr.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createModel, setupCompute } from '@autorec/core';
import { prepareDataset, type SyntheticPreset, syntheticDataset } from '@autorec/data';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '20000' },
    calls: { type: 'string', default: '300' },
  },
});
const calls = Number(values.calls);

for (const preset of ['default', 'msd'] as SyntheticPreset[]) {
  const dataset = syntheticDataset(preset, preset === 'msd' ? { users: Number(values.users) } : {});
  const prepared = prepareDataset(dataset, { split: { method: 'random', test: 0.1 }, seed: 1 });
  await setupCompute({ backend: 'wasm' });
  const model = createModel('ials', { factors: 64, iterations: 3 });
  const started = performance.now();
  await model.fit(prepared.trainSet);
  console.error(
    `${preset}: ${model.users.size} users × ${model.items.size} songs, fit in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const users = Array.from({ length: calls }, (_, j) => model.users.external((j * 7919) % model.users.size));
  const items = Array.from({ length: calls }, (_, j) =>
    model.items.external((j * 104729) % model.items.size),
  );
  const playsOf = (j: number) =>
    Array.from({ length: 10 }, (_, p) => ({ item: items[(j + p * 31) % calls], count: 1 + ((j + p) % 7) }));
  const scenarios: [string, (j: number) => unknown][] = [
    ['recommend, known listener', (j) => model.recommend(users[j], 10)],
    ['recommend for 10 plays (fold-in)', (j) => model.recommendForPlays(playsOf(j), 10)],
    ['similar songs', (j) => model.similarItems(items[j], 10)],
  ];
  for (const backend of ['cpu', 'wasm'] as const) {
    await setupCompute({ backend });
    for (const [scenario, call] of scenarios) {
      for (let j = 0; j < 20; j++) call(j); // warm-up: JIT, the dense operand
      const t = performance.now();
      for (let j = 0; j < calls; j++) call(j);
      const ms = (performance.now() - t) / calls;
      console.log(
        JSON.stringify({
          data: preset,
          songs: model.items.size,
          scoring: backend === 'cpu' ? 'loops (tfjs cpu)' : 'matMul (tfjs wasm)',
          scenario,
          msPerCall: Number(ms.toFixed(3)),
          load: Number(loadavg()[0].toFixed(2)),
        }),
      );
    }
  }
  model.dispose();
}
