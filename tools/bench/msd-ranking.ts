/**
 * Top-10 ranking for every user of the synthetic `msd` preset (the Mult-VAE-filtered Taste
 * Profile shape: 571K users × 41K songs × 33.6M plays) with U-AutoRec (500 hidden) after one
 * training epoch: scoring runs in batches of 256 users, so memory stays at one batch's
 * 256 × 41K scores and no users × songs matrix is ever held. Reports the time per user, the
 * total, peak RSS and Recall/NDCG@10.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/msd-ranking.ts [--max-users N]
 *
 * `--max-users` ranks a seeded sample and extrapolates the full time (said so in the output).
 * Progress goes to stderr; one JSON line of results to stdout.
 */

import { parseArgs } from 'node:util';
import { backendInfo, createModel, evaluateRanking, setupCompute } from '@autorec/core';
import { prepareDataset, syntheticDataset } from '@autorec/data';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const { values } = parseArgs({ options: { 'max-users': { type: 'string' } } });
const maxUsers = values['max-users'] ? Number(values['max-users']) : undefined;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const t0 = performance.now();
const dataset = syntheticDataset('msd');
const prepared = prepareDataset(dataset, { split: { method: 'random', test: 0.1 }, seed: 1 });
const { rows: users, cols: items } = prepared.trainSet.ratings;
log(
  `msd preset: ${users} users × ${items} songs, prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const model = createModel('u-autorec', { hiddenUnits: 500, epochs: 1 });
const fitStart = performance.now();
const fit = await model.fit(prepared.trainSet);
const fitSeconds = (performance.now() - fitStart) / 1000;
log(`u-autorec: 1 epoch in ${fitSeconds.toFixed(1)} s on ${fit.backend}`);

const rankStart = performance.now();
let lastLog = 0;
const ranking = await evaluateRanking(model, prepared.ratings.test, {
  k: 10,
  batchSize: 256,
  maxUsers,
  onProgress: (done, total) => {
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`ranked ${done}/${total} users`);
    }
  },
});
const rankSeconds = (performance.now() - rankStart) / 1000;
const ranked = ranking.users;
const usersWithTest = countUsersWithTest(prepared.ratings.test.indptr);
const at10 = ranking.atK[0];
const result = {
  bench: 'msd-ranking',
  users,
  items,
  usersWithTest,
  ranked,
  sampled: maxUsers !== undefined && ranked < usersWithTest,
  backend: `${backendInfo()?.name ?? 'unknown'} (${fit.backend})`,
  fitSecondsOneEpoch: round(fitSeconds),
  rankSeconds: round(rankSeconds),
  msPerUser: round((rankSeconds * 1000) / ranked, 3),
  rankSecondsAllUsers: round((rankSeconds / ranked) * usersWithTest),
  recallAt10: round(at10.truncatedRecall, 4), // Mult-VAE's Recall@R, as its tables
  ndcgAt10: round(at10.ndcg, 4),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
log(
  `ranked ${ranked} users in ${result.rankSeconds} s (${result.msPerUser} ms/user; all ${usersWithTest}: ` +
    `${result.rankSecondsAllUsers} s${result.sampled ? ', extrapolated' : ''}), peak RSS ${result.peakRssMb} MB`,
);
console.log(JSON.stringify(result));
model.dispose();

function countUsersWithTest(indptr: Uint32Array): number {
  let n = 0;
  for (let u = 0; u + 1 < indptr.length; u++) if (indptr[u + 1] > indptr[u]) n++;
  return n;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
