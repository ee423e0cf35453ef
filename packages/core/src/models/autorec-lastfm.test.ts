import { join } from 'node:path';
import { joinItemInfo, type PreparedDataset, prepareDataset } from '@autorec/data';
import { readInteractionsFile, readItemInfoFile } from '@autorec/data/node';
import { METAL_AND_HARD_ROCK } from '@autorec/test-utils';
import { describeRealData } from '@autorec/test-utils/real-data';
import { beforeAll, expect, it } from 'vitest';
import { evaluateRanking } from '../evaluation/ranking.ts';
import { validationRmse } from '../evaluation/rating.ts';
import { IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { BaselineOnlyModel } from './baselines.ts';

// U-AutoRec on real listening data: its output columns are artists, most with a handful of
// listeners. With the paper's plain sigmoid code it kept its epoch-1 weights (validation RMSE
// rose from the first epoch, never below the bias baseline); trained on the centred code it
// learns over epochs.
describeRealData('lastfm-hetrec-2k', 'U-AutoRec on Last.fm 2K: learns over epochs', (dir) => {
  let prepared: PreparedDataset;
  let centredBest = Number.NaN;

  beforeAll(async () => {
    const dataset = await readInteractionsFile(join(dir, 'user_artists.dat'), { format: 'lastfm-hetrec' });
    prepared = prepareDataset(dataset, {
      transform: 'global-quantiles',
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 7,
    });
  }, 60_000);

  const fit = async (codeCentring: 'auto' | 'none') => {
    const model = new UAutoRecModel({ codeCentring, epochs: 15, patience: 15 });
    const result = await model.fit(prepared.trainSet, { validation: prepared.ratings.validation });
    const curve = result.epochs.map((e) => e.validationRmse ?? Number.NaN);
    return { model, result, curve };
  };

  it('keeps a later epoch than the first, below the bias baseline, with ratings on the scale', async () => {
    const baseline = new BaselineOnlyModel();
    await baseline.fit(prepared.trainSet);
    const baselineRmse = validationRmse(baseline, prepared.ratings.validation!)!;
    const { model, result, curve } = await fit('auto');
    expect(result.bestEpoch).toBeGreaterThan(3);
    const best = curve[result.bestEpoch - 1];
    expect(best).toBeLessThan(curve[0] - 0.005);
    expect(best).toBeLessThan(baselineRmse - 0.005);
    centredBest = best;
    const test = prepared.ratings.test;
    const users: number[] = [];
    const items: number[] = [];
    for (let u = 0; u < test.rows; u++)
      for (let p = test.indptr[u]; p < test.indptr[u + 1]; p++) {
        users.push(u);
        items.push(test.indices[p]);
      }
    const predictions = model.predictIndices(Int32Array.from(users), Int32Array.from(items));
    const { min, max } = prepared.trainSet.scale;
    for (const y of predictions) {
      expect(y).toBeGreaterThanOrEqual(min);
      expect(y).toBeLessThanOrEqual(max);
    }
    model.dispose();
  }, 120_000);

  it('with the plain sigmoid code (the old behaviour) stops improving at once', async () => {
    const { model, result, curve } = await fit('none');
    // The failure the centring fixes: no epoch after the second is better than the first two.
    expect(result.bestEpoch).toBeLessThanOrEqual(2);
    expect(Math.min(...curve)).toBeGreaterThan(centredBest + 0.005);
    model.dispose();
  }, 120_000);
});

// The implicit objective on implicit's protocol (80/20 per-interaction split, seed 42), with
// the epochs validation chose (19; docs/benchmarks.md): the paper's model trained for ranking.
describeRealData('lastfm-hetrec-2k', 'I-AutoRec, implicit objective, on Last.fm 2K', (dir) => {
  let prepared: PreparedDataset;
  let model: IAutoRecModel;

  beforeAll(async () => {
    const dataset = await readInteractionsFile(join(dir, 'user_artists.dat'), { format: 'lastfm-hetrec' });
    joinItemInfo(dataset, await readItemInfoFile(join(dir, 'artists.dat'), 'lastfm-hetrec'));
    prepared = prepareDataset(dataset, {
      transform: 'global-quantiles',
      split: { method: 'random', test: 0.2 },
      seed: 42,
    });
    model = new IAutoRecModel({ objective: 'implicit', epochs: 19 });
    await model.fit(prepared.trainSet);
  }, 120_000);

  it('ranks far above popularity and above implicit’s ALS (NDCG@10)', async () => {
    const { atK } = await evaluateRanking(model, prepared.ratings.test, { k: 10 });
    // Measured 0.239; popularity 0.087, implicit's ALS 0.1749 (raw counts), the ratings objective 0.087.
    expect(atK[0].ndcg).toBeGreaterThan(0.2);
  });

  it('gives a new listener of Metallica and Iron Maiden mostly metal and hard rock', () => {
    const idOf = new Map<string, string>();
    for (const id of model.items.toArray()) {
      const artist = model.itemInfo(id)?.artist;
      if (artist) idOf.set(artist, id);
    }
    const plays = [
      { item: idOf.get('Metallica')!, count: 707 },
      { item: idOf.get('Iron Maiden')!, count: 917 },
    ];
    const top = model.recommendForPlays(plays, 10).map((r) => model.itemInfo(r.item)?.artist ?? r.item);
    expect(top.filter((a) => METAL_AND_HARD_ROCK.has(a)).length, top.join(', ')).toBeGreaterThanOrEqual(7);
  });
});
