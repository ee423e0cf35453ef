import { nnz, prepareDataset, rowIndices, syntheticDataset } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import {
  KNOWN_PLAYS_FILE,
  knownPlaysOf,
  loadKnownPlays,
  recommendExcludingKnown,
  saveKnownPlays,
} from './known-plays.ts';
import { PopularityModel } from './models/baselines.ts';
import { memoryStore } from './stores/memory.ts';

const prepared = prepareDataset(syntheticDataset('tiny'), {
  split: { method: 'random', test: 0.2, validation: 0.1 },
  seed: 5,
});

describe('known plays', () => {
  it('are the validation and test plays, saved and loaded with a model', async () => {
    const known = knownPlaysOf(prepared)!;
    expect(nnz(known)).toBe(nnz(prepared.ratings.validation!) + nnz(prepared.ratings.test));
    const store = memoryStore();
    await saveKnownPlays(store, known);
    await store.commit(); // model.save commits in real use
    const back = (await loadKnownPlays(store))!;
    expect(Array.from(back.indptr)).toEqual(Array.from(known.indptr));
    expect(Array.from(back.indices)).toEqual(Array.from(known.indices.subarray(0, nnz(known))));
    expect(await loadKnownPlays(memoryStore())).toBeUndefined();
    const damaged = memoryStore();
    await damaged.write(KNOWN_PLAYS_FILE, new Uint8Array([1, 2, 3]));
    await damaged.commit();
    await expect(loadKnownPlays(damaged)).rejects.toThrow();
    const all = prepareDataset(syntheticDataset('tiny'), { split: { method: 'random', test: 0 }, seed: 5 });
    expect(knownPlaysOf(all)).toBeUndefined();
  });

  it('are never recommended, and lists stay k long', async () => {
    const model = new PopularityModel();
    await model.fit(prepared.trainSet);
    const known = knownPlaysOf(prepared)!;
    const users = model.users.toArray();
    const plain = model.recommendMany(users, 10);
    const lists = recommendExcludingKnown(model, users, 10, known, { batchSize: 7 });
    let leaked = 0;
    let changed = 0;
    for (let u = 0; u < users.length; u++) {
      const skip = new Set(Array.from(rowIndices(known, u), (i) => model.items.external(i)));
      // Popularity lists its top artists to everyone: without exclusion some are test or validation plays.
      leaked += plain[u].filter((r) => skip.has(r.item)).length;
      expect(lists[u].some((r) => skip.has(r.item))).toBe(false);
      expect(lists[u]).toHaveLength(10);
      if (lists[u][0].item !== plain[u][0].item) changed++;
    }
    expect(leaked).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(0);
    expect(recommendExcludingKnown(model, users, 10, known, { excludeSeen: false })).toEqual(
      model.recommendMany(users, 10, { excludeSeen: false }),
    );
  });
});
