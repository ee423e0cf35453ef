import { kFoldSplits } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { createModel } from '../models/registry.ts';
import { evaluateRatings } from './rating.ts';
import {
  gatherSearch,
  runSearchTask,
  type SearchTaskResult,
  searchPlan,
  searchTasks,
} from './search-tasks.ts';
import type { TuneTrial } from './tune.ts';

const { train } = plantedRatings({ users: 120, items: 80, seed: 11 });
const svd = (p: Record<string, string | number | boolean>) =>
  createModel('svd', { epochs: 15, seed: 3, ...p });

const trial = (score: number): TuneTrial => ({
  params: {},
  index: 0,
  score,
  rmse: score,
  mae: score,
  epochs: 1,
  bestEpoch: 1,
  epochSeconds: 0,
  fitSeconds: 1,
});

describe('searchPlan and searchTasks', () => {
  it('spell a grid out into one task per candidate and fold', () => {
    const plan = searchPlan({ factors: [2, 8], regularization: [0.02, 5] }, 3, 42, 'rmse');
    expect(plan.candidates).toHaveLength(4);
    const tasks = searchTasks(plan);
    expect(tasks).toHaveLength(12);
    expect(new Set(tasks.map((t) => `${t.candidate}/${t.fold}`)).size).toBe(12);
    expect(tasks[5]).toEqual({ candidate: 1, fold: 2, params: { factors: 2, regularization: 5 } });
  });

  it('refuses an empty candidate list and fewer than two folds', () => {
    expect(() => searchPlan([], 3, 1, 'rmse')).toThrow(/at least one candidate/);
    expect(() => searchPlan([{}], 1, 1, 'rmse')).toThrow(/folds must be an integer ≥ 2, got 1/);
    expect(() => searchPlan([{}], 2.5, 1, 'rmse')).toThrow(/got 2\.5/);
  });
});

describe('runSearchTask', () => {
  const plan = searchPlan([{ regularization: 0.02 }, { regularization: 20 }], 3, 42, 'rmse');

  it("scores a candidate on its fold's held-out part, exactly as training on that fold by hand does", async () => {
    const task = searchTasks(plan)[1]; // candidate 0, fold 1
    const result = await runSearchTask(task, plan, train, svd);
    const fold = [...kFoldSplits(train.ratings, 3, 42)][1];
    const model = svd(task.params);
    await model.fit({ ...train, ratings: fold.train }, { validation: fold.test });
    expect(result.trial.rmse).toBeCloseTo(evaluateRatings(model, fold.test).all.rmse!, 10);
    expect(result).toMatchObject({ candidate: 0, fold: 1 });
    model.dispose();
  });

  it('gives the same result when a task runs again (a retry on another worker)', async () => {
    const task = searchTasks(plan)[4];
    const a = await runSearchTask(task, plan, train, svd);
    const b = await runSearchTask(task, plan, train, svd);
    expect(b.trial.score).toBe(a.trial.score);
  });

  it('in any order, tasks gather to the same ranking; heavy regularisation loses by RMSE', async () => {
    const tasks = searchTasks(plan);
    const results: SearchTaskResult[] = [];
    for (const t of [...tasks].reverse()) results.push(await runSearchTask(t, plan, train, svd));
    const summary = gatherSearch(plan, results);
    expect(summary.best.params).toEqual({ regularization: 0.02 });
    expect(summary.candidates.map((c) => c.index)).toEqual([0, 1]);
    const again = gatherSearch(
      plan,
      [...results].sort((a, b) => a.fold - b.fold),
    );
    expect(again).toEqual(summary);
    for (const c of summary.candidates) {
      expect(c.score.values).toHaveLength(3);
      expect(c.score.mean).toBeCloseTo(c.score.values.reduce((s, v) => s + v, 0) / 3, 12);
      expect(c.score.sd).toBeGreaterThan(0);
    }
  });

  it('refuses a fold outside the plan', async () => {
    await expect(runSearchTask({ candidate: 0, fold: 3, params: {} }, plan, train, svd)).rejects.toThrow(
      /fold 3 is outside 0\.\.2/,
    );
  });
});

describe('gatherSearch', () => {
  const cell = (candidate: number, fold: number, score: number): SearchTaskResult => ({
    candidate,
    fold,
    trial: trial(score),
  });

  it('ranks ranking metrics highest first and error metrics lowest first, a diverged candidate last', () => {
    const results = [
      cell(0, 0, 0.1),
      cell(0, 1, 0.3),
      cell(1, 0, 0.4),
      cell(1, 1, 0.4),
      cell(2, 0, Number.NaN),
      cell(2, 1, 1),
    ];
    const candidates = [{ a: 0 }, { a: 1 }, { a: 2 }];
    const ndcg = gatherSearch({ candidates, folds: 2, seed: 1, metric: 'ndcg@10' }, results);
    expect(ndcg.candidates.map((c) => c.index)).toEqual([1, 0, 2]);
    expect(ndcg.best.score).toEqual({ mean: 0.4, sd: 0, values: [0.4, 0.4] });
    const rmse = gatherSearch({ candidates, folds: 2, seed: 1, metric: 'rmse' }, results);
    expect(rmse.candidates.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(rmse.best.score.sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
  });

  it('refuses a missing and a duplicated (candidate, fold)', () => {
    const plan = { candidates: [{}], folds: 2, seed: 1, metric: 'rmse' as const };
    expect(() => gatherSearch(plan, [cell(0, 0, 1)])).toThrow(/candidate 0, fold 1 has no result/);
    expect(() => gatherSearch(plan, [cell(0, 0, 1), cell(0, 1, 1), cell(0, 1, 2)])).toThrow(
      /candidate 0, fold 1 has two results/,
    );
    expect(() => gatherSearch(plan, [cell(0, 0, 1), cell(0, 1, 1), cell(1, 0, 1)])).toThrow(
      /3 results for 2 tasks/,
    );
  });
});
