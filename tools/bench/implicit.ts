/**
 * Implicit-feedback models on Last.fm HetRec 2K under implicit's own protocol, so our figures
 * sit next to `implicit` 0.7.2's (ALS 64 factors bm25: NDCG@10 0.1749, fit 0.44–1.0 s on this
 * machine kind with 2 threads; issue 13): an 80/20 seeded random per-interaction split of the
 * raw play counts (`--transform none`: the model weights counts itself), NDCG@10 per user over
 * users with test plays, training artists left out of each list.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/implicit.ts [--data DIR] [--models LIST]
 *     [--seeds 42,1,2] [--threads 2,1] [--kernels auto] [--transform none] [--params KEY=VALUE,…]
 *
 * Each model is fitted once per seed and thread count (and, for ials, kernel set: `--kernels
 * wasm-simd,js` runs them back to back); popularity is the bar every model must beat. Fit time
 * is the model's own `FitResult.seconds` (`fitSeconds`), beside the wall time of the whole
 * `fit` call and the process's CPU time over it (all threads), and the 1-minute load average
 * when it ended. Progress goes to stderr;
 * one JSON line per (model, seed, threads) to stdout, then the artist names of the lists of
 * made-up new listeners (metal, pop, hip-hop, Brazilian pop) for each model but popularity.
 */

import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createModel,
  evaluateRanking,
  isModelName,
  type ModelParams,
  type Recommender,
  setupCompute,
} from '@autorec/core';
import { joinItemInfo, prepareDataset, type TransformName } from '@autorec/data';
import { readInteractionsFile, readItemInfoFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(sharedDataDir(), 'lastfm-hetrec-2k') },
    /** lastfm (user_artists.dat in --data) or ml-100k (u.data in ../ml-100k beside it, ratings as plays). */
    dataset: { type: 'string', default: 'lastfm' },
    models: { type: 'string', default: 'ials,popularity' },
    seeds: { type: 'string', default: '42' },
    threads: { type: 'string', default: '2,1' },
    /** ials's kernel sets to run one after the other (auto, wasm-simd, js). */
    kernels: { type: 'string', default: 'auto' },
    /** Play-count transform before the model (implicit's protocol: none, the raw counts). */
    transform: { type: 'string', default: 'none' },
    /** Extra hyper-parameters, MODEL.KEY=VALUE,… (a bare KEY is ials's). */
    params: { type: 'string', default: '' },
  },
});
const models = values.models.split(',').map((m) => m.trim());
for (const m of models) if (!isModelName(m)) throw new Error(`unknown model '${m}'`);
const seeds = values.seeds.split(',').map(Number);
const threadCounts = values.threads.split(',').map(Number);
const kernelSets = values.kernels.split(',').map((k) => k.trim());
/** `MODEL.KEY=VALUE` (a bare KEY is ials's), numbers parsed. */
const extra: Record<string, ModelParams> = {};
for (const kv of values.params.split(',').filter(Boolean)) {
  const [key, v] = kv.split('=');
  const [model, option] = key.includes('.') ? key.split('.') : ['ials', key];
  extra[model] ??= {};
  extra[model][option] = Number.isNaN(Number(v)) ? v : Number(v);
}

const movielens = values.dataset === 'ml-100k';
const dataset = movielens
  ? await readInteractionsFile(resolve(values.data, '..', 'ml-100k', 'u.data'), { format: 'movielens' })
  : await readInteractionsFile(resolve(values.data, 'user_artists.dat'), { format: 'lastfm-hetrec' });
if (!movielens)
  joinItemInfo(dataset, await readItemInfoFile(resolve(values.data, 'artists.dat'), 'lastfm-hetrec'));

/** Models whose new-listener lists are printed (once each: the first seed and thread count). */
const listed = new Set<string>();
const transform = values.transform as TransformName;
for (const seed of seeds) {
  const prepared = prepareDataset(dataset, {
    transform,
    split: { method: 'random', test: 0.2 },
    seed,
  });
  for (const name of models) {
    const ials = name === 'ials';
    const runs = (ials ? threadCounts : [1]).flatMap((t) =>
      (ials ? kernelSets : ['auto']).map((k) => [t, k] as const),
    );
    for (const [t, kernels] of runs) {
      const params: ModelParams = {
        ...(ials ? { factors: 64, weighting: 'bm25', iterations: 15, threads: t, kernels } : {}),
        ...extra[name],
      };
      const model = createModel(name as never, params);
      const cpu = process.cpuUsage();
      const wall = performance.now();
      const fit = await model.fit(prepared.trainSet);
      const fitWallSeconds = (performance.now() - wall) / 1000;
      const used = process.cpuUsage(cpu);
      const ranking = await evaluateRanking(model, prepared.ratings.test, { k: [10, 20, 50] });
      const row = {
        bench: 'implicit',
        dataset: values.dataset,
        model: name,
        params,
        seed,
        transform,
        threads: t,
        backend: fit.backend,
        fitSeconds: Number(fit.seconds.toFixed(3)),
        fitWallSeconds: Number(fitWallSeconds.toFixed(3)),
        fitCpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(3)),
        load1: Number(loadavg()[0].toFixed(2)),
        users: ranking.users,
        ndcg10: Number(ranking.atK[0].ndcg.toFixed(4)),
        recall20: Number(ranking.atK[1].truncatedRecall.toFixed(4)), // Mult-VAE's Recall@20
        coverage10: Number(ranking.atK[0].coverage.toFixed(4)),
      };
      console.log(JSON.stringify(row));
      console.error(
        `${name} seed ${seed} threads ${t} ${row.backend}: NDCG@10 ${row.ndcg10}, fit ${row.fitSeconds} s ` +
          `(call ${row.fitWallSeconds} s wall, ${row.fitCpuSeconds} s CPU; load ${row.load1})`,
      );
      if (name !== 'popularity' && !listed.has(name) && !movielens) {
        listed.add(name);
        listNewListeners(model);
      }
      model.dispose();
    }
  }
}

/** Top 10 with artist names for three new listeners built from a few artists each. */
function listNewListeners(model: Recommender): void {
  const byName = new Map<string, string>();
  for (const id of model.items.toArray()) {
    const artist = model.itemInfo(id)?.artist;
    if (artist) byName.set(artist, id);
  }
  // The listener (Metallica 707 plays, Iron Maiden 917) and four six-artist ones.
  const listeners: Record<string, [string, number][]> = {
    'metallica+maiden': [
      ['Metallica', 707],
      ['Iron Maiden', 917],
    ],
  };
  const six: Record<string, string[]> = {
    metal: ['Metallica', 'Iron Maiden', 'Slayer', 'Megadeth', 'Judas Priest', 'Black Sabbath'],
    pop: ['Britney Spears', 'Lady Gaga', 'Katy Perry', 'Rihanna', 'Christina Aguilera', 'Beyoncé'],
    'hip-hop': ['Eminem', 'Jay-Z', '50 Cent', 'Kanye West', 'Snoop Dogg', 'Dr. Dre'],
    'brazilian pop': ['Ivete Sangalo', 'Claudia Leitte', 'Kelly Key', 'Wanessa', 'Sandy', 'Pitty'],
  };
  for (const [genre, artists] of Object.entries(six)) listeners[genre] = artists.map((a) => [a, 500]);
  for (const [genre, artists] of Object.entries(listeners)) {
    const plays = artists
      .filter(([a]) => byName.has(a))
      .map(([a, count]) => ({ item: byName.get(a)!, count }));
    const top = model.recommendForPlays(plays, 10).map((r) => model.itemInfo(r.item)?.artist ?? r.item);
    console.log(
      JSON.stringify({
        bench: 'implicit-lists',
        model: model.name,
        listener: genre,
        from: artists.map(([a]) => a),
        top,
      }),
    );
  }
}
