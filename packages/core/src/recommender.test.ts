import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { PopularityModel } from './models/baselines.ts';

describe('Recommender options', () => {
  it('apply an exclude or candidates iterator to every user of recommendMany, not just the first', async () => {
    const { train } = plantedRatings({ users: 12, items: 20, density: 0.5 });
    const model = new PopularityModel();
    await model.fit(train);
    const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
    const everyItem = (lists: { item: string }[][]) => lists.flatMap((l) => l.map((s) => s.item));
    const popular = model.recommendMany(users, 3, { excludeSeen: false })[0].map((s) => s.item);

    // A one-shot iterator (Set#values) is read once per call, then serves every user.
    const excluded = everyItem(
      model.recommendMany(users, 3, { excludeSeen: false, exclude: new Set(popular).values() }),
    );
    expect(excluded).toHaveLength(users.length * 3);
    for (const item of popular) expect(excluded).not.toContain(item);

    const candidates = ['i1', 'i2', 'i3', 'i4'];
    const lists = model.recommendMany(users, 2, { excludeSeen: false, candidates: candidates.values() });
    for (const list of lists) {
      expect(list.length).toBeGreaterThan(0);
      for (const { item } of list) expect(candidates).toContain(item);
    }
  });
});
