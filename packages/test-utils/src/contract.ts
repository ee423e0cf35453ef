import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FitOptions,
  type FitResult,
  loadModel,
  type ModelStore,
  memoryStore,
  type Recommender,
  type TrainingProgress,
  UnknownIdError,
} from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { rowIndices } from '@autorec/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { contractTrainSet } from './fixtures.ts';

/**
 * The recommender contract (imports vitest: `@autorec/test-utils/contract`).
 *
 * `runRecommenderContract` is the behaviour every model owes its callers, run from each
 * model's own test file:
 *
 * ```ts
 * runRecommenderContract('svd', () => new SvdModel({ factors: 8, epochs: 10 }));
 * ```
 */

export interface ContractOptions {
  /** Extra options for every `fit` in the suite. */
  fit?: FitOptions;
  /** Two fits with the same hyper-parameters give identical predictions (default true). */
  deterministic?: boolean;
  /** Per-test timeout in ms (default vitest's). */
  timeout?: number;
}

/** Registers the shared model contract as a vitest `describe` block. */
export function runRecommenderContract(
  label: string,
  makeModel: () => Recommender,
  options: ContractOptions = {},
): void {
  const timeout = options.timeout;
  describe(`${label}: recommender contract`, () => {
    const data = contractTrainSet();
    const nUsers = data.users.size;
    const nItems = data.items.size;
    const coldUser = nUsers - 1;
    const coldItem = nItems - 1;
    const scale = data.scale;
    let model: Recommender;
    let fitted: FitResult;
    const events: TrainingProgress[] = [];

    const inScale = (values: ArrayLike<number>) => {
      for (let j = 0; j < values.length; j++) {
        expect(Number.isFinite(values[j])).toBe(true);
        expect(values[j]).toBeGreaterThanOrEqual(scale.min);
        expect(values[j]).toBeLessThanOrEqual(scale.max);
      }
    };
    const allPairs = () => {
      const us: number[] = [];
      const is: number[] = [];
      for (let u = -1; u < nUsers; u++)
        for (let i = -1; i < nItems; i++) {
          us.push(u);
          is.push(i);
        }
      return { users: Int32Array.from(us), items: Int32Array.from(is) };
    };

    beforeAll(async () => {
      model = makeModel();
      fitted = await model.fit(data, { ...options.fit, onProgress: (p) => events.push(p) });
    }, timeout);

    it('reports its name in progress events and describes its hyper-parameters', () => {
      // Every model says at least that it finished; one with epochs reports each of them.
      expect(events.length).toBeGreaterThanOrEqual(Math.max(1, fitted.epochs.length));
      for (const e of events) expect(e.model).toBe(model.name);
      for (const h of model.describe()) {
        expect(h.name).toMatch(/^[a-zA-Z]+$/);
        expect(h.description.length).toBeGreaterThan(0);
      }
      expect(model.isFitted).toBe(true);
    });

    it('predicts finite ratings within the scale for known, cold-in-index and unknown (-1) ids', () => {
      const { users, items } = allPairs();
      inScale(model.predictIndices(users, items));
    });

    it('falls back for unknown external ids instead of failing', () => {
      inScale([
        model.predict('no-such-user', 'i0'),
        model.predict('u0', 'no-such-item'),
        model.predict('no-such-user', 'no-such-item'),
      ]);
      // An unknown user and a user without training ratings are the same thing to a model.
      const coldId = data.users.external(coldUser);
      for (const item of ['i0', 'i3', 'no-such-item'])
        expect(model.predict('no-such-user', item)).toBeCloseTo(model.predict(coldId, item), 4);
    });

    it('rejects mismatched predictIndices arguments', () => {
      const mismatched = () => model.predictIndices(Int32Array.of(0, 1), Int32Array.of(0));
      expect(mismatched).toThrow(RangeError);
      expect(mismatched).toThrow(`${model.name}: 2 users but 1 items`);
    });

    it('scores a batch of users as the concatenation of single-user scores', () => {
      const batch = model.scoreUsers(Uint32Array.of(0, 5, coldUser));
      expect(batch.length).toBe(3 * nItems);
      for (const v of batch) expect(Number.isFinite(v)).toBe(true);
      const single = model.scoreUsers(Uint32Array.of(5));
      for (let i = 0; i < nItems; i++) expect(batch[nItems + i]).toBeCloseTo(single[i], 4);
    });

    it('recommends k unseen items, best first, honouring exclude and candidates', () => {
      const seen = new Set(Array.from(rowIndices(data.ratings, 0), (i) => data.items.external(i)));
      const recs = model.recommend('u0', 5);
      expect(recs).toHaveLength(5);
      for (let j = 1; j < recs.length; j++) expect(recs[j - 1].score).toBeGreaterThanOrEqual(recs[j].score);
      for (const r of recs) expect(seen.has(r.item)).toBe(false);
      const without = model.recommend('u0', 5, { exclude: [recs[0].item] });
      expect(without.map((r) => r.item)).not.toContain(recs[0].item);
      const candidates = ['i1', 'i2', 'i3', 'i4'].filter((i) => !seen.has(i));
      const only = model.recommend('u0', 10, { candidates });
      expect(only.map((r) => r.item).sort()).toEqual(candidates.sort());
      expect(() => model.recommend('no-such-user', 5)).toThrow(UnknownIdError);
    });

    it('never recommends the cold item (no training ratings) unless asked to', () => {
      const cold = data.items.external(data.items.size - 1);
      expect(Array.from(model.coldItems())).toEqual(
        Array.from({ length: data.items.size }, (_, i) => (i === data.items.size - 1 ? 1 : 0)),
      );
      const all = data.items.size;
      expect(model.recommend('u0', all).map((r) => r.item)).not.toContain(cold);
      expect(
        model
          .recommendMany(['u1', 'u2'], all)
          .flat()
          .map((r) => r.item),
      ).not.toContain(cold);
      expect(model.recommendForPlays([{ item: 'i0', count: 5 }], all).map((r) => r.item)).not.toContain(cold);
      expect(model.similarItems('i0', all).map((r) => r.item)).not.toContain(cold);
      expect(model.recommend('u0', all, { includeColdItems: true }).map((r) => r.item)).toContain(cold);
    });

    it('recommends for many users at once exactly as one by one', () => {
      const users = ['u3', 'u0', 'u7', 'u3'];
      const lists = model.recommendMany(users, 4, { batchSize: 3 });
      expect(lists).toHaveLength(4);
      for (const [k, user] of users.entries()) expect(lists[k]).toEqual(model.recommend(user, 4));
      expect(model.recommendMany(['u1'], 3, { excludeSeen: false })[0]).toEqual(
        model.recommend('u1', 3, { excludeSeen: false }),
      );
      expect(() => model.recommendMany(['u0', 'no-such-user'], 2)).toThrow(UnknownIdError);
    });

    it('folds in a new listener without retraining, excluding their songs', () => {
      const plays = [
        { item: 'i0', count: 30 },
        { item: 'i4', count: 2 },
        { item: 'i7', count: 9 },
      ];
      const recs = model.recommendForPlays(plays, 6);
      expect(recs).toHaveLength(6);
      for (const r of recs) {
        expect(Number.isFinite(r.score)).toBe(true);
        expect(['i0', 'i4', 'i7']).not.toContain(r.item);
      }
      const scores = model.scoreFoldIn(Uint32Array.of(0, 4, 7), Float32Array.of(5, 2, 4));
      expect(scores.length).toBe(nItems);
      for (const v of scores) expect(Number.isFinite(v)).toBe(true);
    });

    it('predicts ratings on the scale for a new listener (predictFoldIn)', () => {
      const items = Uint32Array.of(0, 2, 5);
      const ratings = Float32Array.of(5, 1, 4);
      const targets = Uint32Array.of(1, 3, 4, data.items.size - 1);
      const pred = model.predictFoldIn(items, ratings, targets);
      expect(pred).toHaveLength(targets.length);
      for (const p of pred) {
        expect(p).toBeGreaterThanOrEqual(data.scale.min);
        expect(p).toBeLessThanOrEqual(data.scale.max);
      }
      // Deterministic: the same plays give the same predictions.
      expect(Array.from(model.predictFoldIn(items, ratings, targets))).toEqual(Array.from(pred));
    });

    it('recommends to a listener whose songs are all unknown (pure cold start)', () => {
      const recs = model.recommendForPlays([{ item: 'never-heard-of-it', count: 3 }], 4);
      expect(recs).toHaveLength(4);
      for (const r of recs) expect(Number.isFinite(r.score)).toBe(true);
      expect(model.playsToRatings([{ item: 'never-heard-of-it', count: 3 }]).unknown).toEqual([
        'never-heard-of-it',
      ]);
    });

    it('lists similar items without the item itself, for warm and cold items', () => {
      const sims = model.similarItems('i2', 5);
      expect(sims).toHaveLength(5);
      expect(sims.map((s) => s.item)).not.toContain('i2');
      for (const s of sims) expect(Number.isFinite(s.score)).toBe(true);
      const cold = model.itemSimilarities(coldItem);
      expect(cold.length).toBe(nItems);
      for (const v of cold) expect(Number.isFinite(v)).toBe(true);
      expect(() => model.similarItems('no-such-item', 3)).toThrow(UnknownIdError);
    });

    const roundTrip = async (store: ModelStore) => {
      await model.save(store, { note: 'contract' });
      const loaded = await loadModel(store);
      expect(loaded.name).toBe(model.name);
      expect(loaded.hyperParameters).toEqual(model.hyperParameters);
      const { users, items } = allPairs();
      expect(loaded.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
      const batch = Uint32Array.of(0, 3, coldUser);
      expect(loaded.scoreUsers(batch)).toEqual(model.scoreUsers(batch));
      const foldItems = Uint32Array.of(1, 2, 9);
      const foldRatings = Float32Array.of(5, 1, 3);
      expect(loaded.scoreFoldIn(foldItems, foldRatings)).toEqual(model.scoreFoldIn(foldItems, foldRatings));
      expect(loaded.itemSimilarities(2)).toEqual(model.itemSimilarities(2));
      expect(loaded.recommend('u1', 5)).toEqual(model.recommend('u1', 5));
      loaded.dispose();
    };

    it(
      'saves and loads through a memory store with identical outputs',
      async () => {
        await roundTrip(memoryStore());
      },
      timeout,
    );

    it(
      'saves and loads through a directory store with identical outputs',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'autorec-contract-'));
        try {
          await roundTrip(directoryStore(join(dir, 'model')));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      timeout,
    );

    it('rejects a validation matrix of another shape', async () => {
      const other = makeModel();
      const validation = { ...data.ratings, cols: data.ratings.cols + 1 };
      await expect(other.fit(data, { ...options.fit, validation })).rejects.toThrow(/shape/);
      other.dispose();
    });

    it(
      'stops on an aborted signal before its first epoch and stays usable',
      async () => {
        const other = makeModel();
        const controller = new AbortController();
        controller.abort();
        const fit = await other.fit(data, { ...options.fit, signal: controller.signal });
        // A model that trains in epochs stops before the first; one without epochs may finish.
        if (fitted.epochs.length > 0) {
          expect(fit.aborted).toBe(true);
          expect(fit.epochs).toHaveLength(0);
        } else expect(fit.aborted).toBe(false);
        inScale(other.predictIndices(Int32Array.of(0, -1), Int32Array.of(0, 0)));
        other.dispose();
      },
      timeout,
    );

    if (options.deterministic !== false)
      it(
        'is deterministic for fixed hyper-parameters',
        async () => {
          const other = makeModel();
          await other.fit(data, options.fit);
          const { users, items } = allPairs();
          expect(other.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
          other.dispose();
        },
        timeout,
      );
  });
}
