import { type CsrMatrix, nnz } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { IAutoRecModel } from '../models/autorec.ts';
import { createModel } from '../models/registry.ts';
import type { ModelName } from '../types.ts';
import { evaluateRatings } from './rating.ts';
import {
  higherIsBetter,
  holdOutValidation,
  paramGrid,
  type TuneProgress,
  tuneHyperParameters,
} from './tune.ts';

const { train: full } = plantedRatings({ users: 120, items: 80, seed: 11 });
const { train, validation } = holdOutValidation(full, 0.15, 3);

/** Builds any registry model from a candidate that names it. */
const byName = (p: Record<string, string | number | boolean>) => {
  const { model, ...rest } = p;
  return createModel(model as ModelName, rest);
};

function entries(m: CsrMatrix): Set<string> {
  const out = new Set<string>();
  for (let u = 0; u < m.rows; u++)
    for (let q = m.indptr[u]; q < m.indptr[u + 1]; q++) out.add(`${u}:${m.indices[q]}`);
  return out;
}

describe('holdOutValidation', () => {
  it('moves a seeded share of the training ratings, disjoint from what stays, nothing lost', () => {
    const a = entries(train.ratings);
    const b = entries(validation);
    expect([...b].filter((k) => a.has(k))).toEqual([]);
    expect(a.size + b.size).toBe(nnz(full.ratings));
    expect(b.size).toBe(Math.round(0.15 * nnz(full.ratings)));
    expect(train.users).toBe(full.users);
    const again = holdOutValidation(full, 0.15, 3);
    expect(entries(again.validation)).toEqual(b);
    expect(() => holdOutValidation(full, 0, 3)).toThrow(/share must be in \(0, 1\)/);
  });
});

describe('paramGrid', () => {
  it('lists every combination, the first key slowest', () => {
    expect(paramGrid({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(paramGrid({})).toEqual([{}]);
    expect(() => paramGrid({ a: [] })).toThrow(/'a' lists no values/);
  });
});

describe('tuneHyperParameters', () => {
  it('ranks any registry models on validation RMSE and picks the obviously better one', async () => {
    const events: TuneProgress[] = [];
    const r = await tuneHyperParameters({
      makeModel: byName,
      candidates: [{ model: 'global-mean' }, { model: 'baseline' }],
      train,
      validation,
      onProgress: (e) => events.push(e),
    });
    expect(r.best?.params).toEqual({ model: 'baseline' });
    expect(r.trials.map((t) => t.params.model)).toEqual(['baseline', 'global-mean']);
    expect(r.trials[0].rmse).toBeLessThan(r.trials[1].rmse - 0.1);
    expect(r.trials[0].score).toBe(r.trials[0].rmse);
    expect(events.filter((e) => e.stage === 'done').map((e) => e.index)).toEqual([0, 1]);
    expect(r.aborted).toBeUndefined();
  });

  it('picks the trained AutoRec over a barely trained one from a grid, and can keep it', async () => {
    const r = await tuneHyperParameters({
      makeModel: (p) => new IAutoRecModel({ hiddenUnits: 16, epochs: 15, batchSize: 16, seed: 1, ...p }),
      candidates: { learningRate: [1e-6, 0.01], residual: [true] },
      train,
      validation,
      keepBest: true,
      metric: 'mae',
    });
    expect(r.metric).toBe('mae');
    expect(r.best?.params).toEqual({ learningRate: 0.01, residual: true });
    expect(r.trials[0].mae).toBeLessThan(r.trials[1].mae);
    expect(r.best?.score).toBe(r.best?.mae);
    expect(r.best?.bestEpoch).toBeGreaterThan(0);
    expect(r.best?.epochSeconds).toBeGreaterThan(0);
    const kept = r.bestModel!;
    expect(evaluateRatings(kept, validation).all.rmse).toBeCloseTo(r.best!.rmse, 6);
    kept.dispose();
  });

  it('averages the score over seeds when asked, and hands each finished model to the progress callback', async () => {
    const seen: { seed: unknown; rmse: number }[] = [];
    const r = await tuneHyperParameters({
      makeModel: (p) => createModel('svd', { factors: 4, epochs: 5, ...p }),
      candidates: [{ learningRate: 0.01 }],
      train,
      validation,
      seeds: [1, 2],
      onProgress: (e) => {
        if (e.stage === 'done' && e.model)
          seen.push({
            seed: e.model.hyperParameters.seed,
            rmse: evaluateRatings(e.model, validation).all.rmse!,
          });
      },
    });
    const t = r.trials[0];
    expect(t.seedScores).toHaveLength(2);
    expect(t.seedScores![0]).not.toBe(t.seedScores![1]);
    expect(t.score).toBeCloseTo((t.seedScores![0] + t.seedScores![1]) / 2, 12);
    expect(t.params).toEqual({ learningRate: 0.01 });
    // The model handed over is the first seed's.
    expect(seen).toEqual([{ seed: 1, rmse: t.seedScores![0] }]);
  });

  it('refuses a validation set that overlaps the training data', async () => {
    await expect(
      tuneHyperParameters({
        makeModel: byName,
        candidates: [{ model: 'baseline' }],
        train,
        validation: train.ratings,
      }),
    ).rejects.toThrow(/validation rating \(user \d+, item \d+\) is also a training rating/);
  });

  it('stops on abort with the finished candidates ranked and the rest listed', async () => {
    const controller = new AbortController();
    const r = await tuneHyperParameters({
      makeModel: byName,
      candidates: [{ model: 'baseline' }, { model: 'global-mean' }, { model: 'popularity' }],
      train,
      validation,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === 'done') controller.abort('enough');
      },
    });
    expect(r.trials.map((t) => t.params.model)).toEqual(['baseline']);
    expect(r.aborted?.notFinished).toEqual([{ model: 'global-mean' }, { model: 'popularity' }]);
    expect(r.aborted?.reason).toBe('enough');
  });

  it('rejects an empty candidate list, a wrong shape and an unknown metric', async () => {
    const base = { makeModel: byName, train, validation };
    await expect(tuneHyperParameters({ ...base, candidates: [] })).rejects.toThrow(/at least one candidate/);
    const wrong: CsrMatrix = { ...validation, cols: validation.cols + 1 };
    await expect(
      tuneHyperParameters({ ...base, candidates: [{ model: 'baseline' }], validation: wrong }),
    ).rejects.toThrow(/validation matrix is 120×81/);
    await expect(
      tuneHyperParameters({ ...base, candidates: [{ model: 'baseline' }], metric: 'ndcg' as 'rmse' }),
    ).rejects.toThrow(/metric must be 'rmse', 'mae', 'ndcg@K' or 'recall@K'/);
  });

  it('maximises a ranking metric: best first is the highest NDCG@10 on validation', async () => {
    const r = await tuneHyperParameters({
      makeModel: byName,
      candidates: [{ model: 'global-mean' }, { model: 'popularity' }, { model: 'svd', epochs: 30 }],
      train,
      validation,
      metric: 'ndcg@10',
    });
    expect(higherIsBetter('ndcg@10')).toBe(true);
    expect(higherIsBetter('rmse')).toBe(false);
    const scores = r.trials.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(r.trials[0].ranking).toBe(r.trials[0].score);
    expect(r.best?.params.model).not.toBe('global-mean');
    expect(r.trials[0].score).toBeGreaterThan(r.trials.find((t) => t.params.model === 'global-mean')!.score);
  });
});
