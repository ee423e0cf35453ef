import { join } from 'node:path';
import { describeRealData } from '@autorec/test-utils/real-data';
import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.ts';
import { readInteractionsFile } from './node/files.ts';
import { DEFAULT_TRANSFORMS, datasetChecksum, defaultTransform, prepareDataset } from './prepare.ts';
import { type CsrMatrix, nnz, rowIndices, rowValues } from './sparse.ts';
import { SPLIT_LABEL } from './splits.ts';
import { syntheticDataset } from './synthetic.ts';
import { applyTransform, fitTransform, transformPlays } from './transforms.ts';

const tiny = syntheticDataset('tiny');

/** A copy of `d` whose counts at the positions where `labels` equals `label` are multiplied by 100. */
function inflate(d: Dataset, labels: Uint8Array, label: number): Dataset {
  const values = d.counts.values.slice();
  for (let p = 0; p < values.length; p++) if (labels[p] === label) values[p] *= 100;
  return { ...d, counts: { ...d.counts, values } };
}

function expectSamePattern(a: CsrMatrix, b: CsrMatrix): void {
  expect(a.indptr).toBe(b.indptr);
  expect(a.indices).toBe(b.indices);
}

describe('prepareDataset', () => {
  it('filters, splits, fits the transform on training and builds a TrainSet of matching shape', () => {
    const p = prepareDataset(tiny, {
      filter: { minItemsPerUser: 8, minUsersPerItem: 5 },
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 3,
    });
    const { dataset: d, ratings, split, trainSet } = p;
    expect(p.filterSummary?.removed.users).toBeGreaterThan(0);
    expect(d.counts.rows).toBe(d.users.size);
    expect(d.itemInfo).toHaveLength(d.items.size);
    expect(p.transform.name).toBe('log-bins');
    expect(p.transform).toEqual(fitTransform('log-bins', split.train));
    expect(trainSet.ratings).toBe(ratings.train);
    expect(trainSet.users).toBe(d.users);
    expect(trainSet.scale).toEqual({ min: 1, max: 5 });
    expect(trainSet.itemInfo).toBe(d.itemInfo);
    expectSamePattern(ratings.train, split.train);
    expectSamePattern(ratings.test, split.test);
    expectSamePattern(ratings.validation!, split.validation!);
    expect(Array.from(ratings.test.values)).toEqual(
      Array.from(transformPlays(p.transform, split.test.values)),
    );
    expect(nnz(split.train) + nnz(split.test) + nnz(split.validation!)).toBe(nnz(d.counts));
    expect(p.params).toEqual({
      filter: { minItemsPerUser: 8, minUsersPerItem: 5, order: 'items-first', iterate: false },
      transform: 'log-bins',
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 3,
    });
    expect(p.sourceChecksum).toBe(datasetChecksum(tiny));
  });

  it('leaks nothing from test counts into training: inflating them changes no training rating', () => {
    const options = {
      transform: 'global-quantiles' as const,
      split: { method: 'per-user' as const, test: 0.3 },
      seed: 9,
    };
    const a = prepareDataset(tiny, options);
    const b = prepareDataset(inflate(tiny, a.split.labels, SPLIT_LABEL.test), options);
    expect(b.transform).toEqual(a.transform);
    expect(b.trainSet.ratings.values).toEqual(a.trainSet.ratings.values);
    expect(b.ratings.test.values).not.toEqual(a.ratings.test.values);
    // Fitting on everything would have moved the cut points.
    expect(fitTransform('global-quantiles', b.dataset.counts).thresholds).not.toEqual(a.transform.thresholds);
  });

  it('user-quantiles: inputs ranked among their own part, targets among the whole history', () => {
    const p = prepareDataset(tiny, {
      transform: 'user-quantiles',
      split: { method: 'held-out-users', testUsers: 20, validationUsers: 10 },
      seed: 4,
    });
    const leaked = prepareDataset(inflate(tiny, p.split.labels, SPLIT_LABEL.test), {
      transform: 'user-quantiles',
      split: p.params.split,
      seed: 4,
    });
    expect(leaked.ratings.foldIn!.values).toEqual(p.ratings.foldIn!.values);
    expect(leaked.trainSet.ratings.values).toEqual(p.trainSet.ratings.values);
    const whole = applyTransform(p.transform, p.dataset.counts);
    const u = p.split.testUsers![0];
    const fold = p.ratings.foldIn!;
    expect(Array.from(rowValues(fold, u))).toEqual(
      Array.from(transformPlays(p.transform, rowValues(p.split.foldIn!, u))),
    );
    const testCols = Array.from(rowIndices(p.ratings.test, u));
    const wholeCols = Array.from(rowIndices(whole, u));
    expect(Array.from(rowValues(p.ratings.test, u))).toEqual(
      testCols.map((c) => rowValues(whole, u)[wholeCols.indexOf(c)]),
    );
  });

  it('held-out users and k-fold give fold-in and fold matrices with ratings', () => {
    const h = prepareDataset(tiny, {
      split: { method: 'held-out-users', testUsers: 30, validationUsers: 20 },
      seed: 1,
    });
    expect(h.split.testUsers).toHaveLength(30);
    expectSamePattern(h.ratings.foldIn!, h.split.foldIn!);
    expect(h.params.split).toEqual({
      method: 'held-out-users',
      testUsers: 30,
      validationUsers: 20,
      targetFraction: 0.2,
      minPlaysToSplit: 5,
    });
    const k = prepareDataset(tiny, { split: { method: 'k-fold', folds: 5, fold: 2 }, seed: 1 });
    const n = nnz(tiny.counts);
    expect(nnz(k.split.test)).toBe(Math.floor(n / 5) + (2 < n % 5 ? 1 : 0));
    expect(k.ratings.test.values).toEqual(applyTransform(k.transform, k.split.test).values);
  });

  it('records a given source checksum and tells data apart by content', () => {
    const p = prepareDataset(tiny, {
      split: { method: 'random' },
      seed: 1,
      sourceChecksum: 'sha256:abc',
    });
    expect(p.sourceChecksum).toBe('sha256:abc');
    expect(datasetChecksum(tiny)).toMatch(/^counts-fnv1a:[0-9a-f]{32}$/);
    expect(datasetChecksum(syntheticDataset('tiny', { seed: 2 }))).not.toBe(datasetChecksum(tiny));
  });

  it('picks a default transform per format', () => {
    expect(defaultTransform('movielens')).toBe('none');
    expect(defaultTransform('taste-profile')).toBe('log-bins');
    expect(defaultTransform('lastfm-hetrec')).toBe('global-quantiles');
    expect(defaultTransform('csv', true)).toBe('none');
    expect(Object.keys(DEFAULT_TRANSFORMS).sort()).toEqual(
      ['csv', 'lastfm-1k', 'lastfm-360k', 'lastfm-hetrec', 'movielens', 'msd-tracks', 'taste-profile'].sort(),
    );
  });
});

describeRealData('lastfm-hetrec-2k', 'prepareDataset on Last.fm 2K', (dir) => {
  it('prepares with global quantiles and reports the cold artists of a random split', async () => {
    const d = await readInteractionsFile(join(dir, 'user_artists.dat'), { format: 'lastfm-hetrec' });
    const p = prepareDataset(d, { split: { method: 'random', test: 0.1 }, seed: 42 });
    expect(p.transform.name).toBe('global-quantiles');
    expect(p.dataset.counts.rows).toBe(1892);
    expect(nnz(p.split.train) + nnz(p.split.test)).toBe(92834);
    // Most of Last.fm 2K's 17,632 artists have a single listener, so a random split has cold artists.
    expect(p.split.cold.test.items.length).toBeGreaterThan(1000);
    const hist = [0, 0, 0, 0, 0];
    for (const v of p.ratings.train.values) hist[v - 1]++;
    for (const h of hist) expect(h / nnz(p.ratings.train)).toBeGreaterThan(0.15);
  });
});
