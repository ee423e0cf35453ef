import { prepareDataset, syntheticDataset } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { OptionError } from './errors.ts';
import { checkItemIndex, checkUserIndices } from './guards.ts';
import { createModel } from './models/registry.ts';

// The public API checks what the file readers check, with their words (issue 8, items 8, 17).

const prepared = prepareDataset(syntheticDataset('tiny'), {
  split: { method: 'random', test: 0.1 },
  seed: 1,
});

describe('top-k lengths and fold-in counts at the public API', async () => {
  const model = createModel('popularity');
  await model.fit(prepared.trainSet);
  const user = prepared.trainSet.users.external(0);
  const song = prepared.trainSet.items.external(0);

  it('k of -1, 0, NaN, 1.5 or "5" is a RangeError saying what k may be', () => {
    for (const k of [-1, 0, Number.NaN, 1.5, '5'])
      expect(() => model.recommend(user, k as number), String(k)).toThrow(
        /^k must be a whole number ≥ 1 \(or Infinity for every item\), got /,
      );
    expect(() => model.similarItems(song, -1)).toThrow(RangeError);
    expect(() => model.recommendForPlays([{ item: song, count: 1 }], 1.5)).toThrow(RangeError);
  });

  it('k of Infinity or 1e20 lists every item, allocating nothing for the rest', () => {
    const all = model.recommend(user, Number.POSITIVE_INFINITY, { includeColdItems: true });
    expect(all.length).toBeGreaterThan(10);
    expect(model.recommend(user, 1e20, { includeColdItems: true })).toEqual(all);
  });

  it('fold-in counts of Infinity, 1e40, 1.5 or "5" are refused as readPlays refuses them', () => {
    const plays = (count: unknown) => [{ item: song, count: count as number }];
    expect(() => model.recommendForPlays(plays(Number.POSITIVE_INFINITY))).toThrow(
      `play count for '${song}': not a finite number: Infinity`,
    );
    expect(() => model.recommendForPlays(plays(1e40))).toThrow(
      /1e\+40 is above 16,777,216, the largest count stored exactly/,
    );
    expect(() => model.recommendForPlays(plays(1.5))).toThrow(/play count must be a whole number, got 1\.5/);
    expect(() => model.recommendForPlays(plays('5'))).toThrow(`play count for '${song}': not a number: "5"`);
    expect(() => model.recommendForPlays(plays(0))).toThrow(/must be positive, got 0/);
  });
});

describe('sizes checked before allocating', () => {
  it('svd factors=1e9 names the option, the data and the limit', async () => {
    const model = createModel('svd', { factors: 1e9, epochs: 1 });
    const fit = model.fit(prepared.trainSet);
    await expect(fit).rejects.toThrow(OptionError);
    await expect(createModel('svd', { factors: 1e9, epochs: 1 }).fit(prepared.trainSet)).rejects.toThrow(
      /^svd: factors=1000000000 needs [\d,.]+ GiB of weights for \(\d+ users \+ \d+ items\) × 1000000000 factors; a model may use at most 4 GiB: lower factors$/,
    );
  });

  it('u-autorec hiddenUnits=1e9 is an OptionError, not an internal RangeError', async () => {
    const fit = createModel('u-autorec', { hiddenUnits: 1e9, epochs: 1 }).fit(prepared.trainSet);
    await expect(fit).rejects.toThrow(OptionError);
  });
});

describe('checkItemIndex and checkUserIndices', () => {
  it('pass indices of the catalogue and the training users, and name the model and the first bad one', () => {
    expect(() => checkItemIndex('svd', 0, 3)).not.toThrow();
    expect(() => checkItemIndex('svd', 2, 3)).not.toThrow();
    expect(() => checkItemIndex('svd', 3, 3)).toThrow('svd: item index 3 outside 0..2');
    expect(() => checkItemIndex('ease', -1, 3)).toThrow('ease: item index -1 outside 0..2');
    expect(() => checkItemIndex('ease', Number.NaN, 3)).toThrow(RangeError);
    expect(() => checkUserIndices('ials', Uint32Array.of(0, 4), 5)).not.toThrow();
    expect(() => checkUserIndices('ials', Uint32Array.of(1, 7, 9), 5)).toThrow(
      'ials: user index 7 outside 0..4',
    );
  });
});
