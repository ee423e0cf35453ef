import { decodeBundle, encodeBundle, type TrainSet } from '@autorec/data';
import { contractTrainSet, plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { OptionError } from './errors.ts';
import { PopularityModel } from './models/baselines.ts';
import { BiasBaseline } from './models/bias-baseline.ts';
import { BprModel } from './models/bpr.ts';
import { IalsModel } from './models/ials.ts';
import { createModel, loadModel } from './models/registry.ts';
import { interactionCounts, type ParamSpec, type ParamsOf, type ParamValue } from './models/shared.ts';
import { Recommender } from './recommender.ts';
import { type MemoryStore, memoryStore } from './stores/memory.ts';
import type { FitResult, ModelName, ModelStore } from './types.ts';

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

const TINY_PARAMS = {
  weight: { kind: 'number', default: 2, min: 0, description: 'Score of a play' },
  shape: { kind: 'enum', values: ['flat', 'counts'], default: 'counts', description: 'What is scored' },
} satisfies Record<string, ParamSpec>;

/**
 * A model on the layer that writes only its maths (item scores: weight × listeners) and its state
 * (the scores): options, describe(), rating predictions, fold-in ratings and the rating
 * fallback's part of its state file all come from `Recommender`.
 */
class TinyRanker extends Recommender {
  static readonly params = TINY_PARAMS;
  readonly name = 'tiny' as ModelName;
  declare readonly options: Readonly<ParamsOf<typeof TINY_PARAMS>>;
  protected override readonly ratingsFromBaseline: boolean = true;
  private scores = new Float32Array(0);

  constructor(options: Record<string, ParamValue> = {}) {
    super('tiny' as ModelName, options);
  }

  protected async fitIndexed(data: TrainSet): Promise<FitResult> {
    const { items } = interactionCounts(data.ratings);
    this.scores = Float32Array.from(
      items,
      (n) => this.options.weight * (this.options.shape === 'flat' ? 1 : n),
    );
    return { epochs: [], bestEpoch: 0, seconds: 0, aborted: false, backend: 'js' };
  }
  scoreUsers(users: Uint32Array): Float32Array {
    const out = new Float32Array(users.length * this.scores.length);
    for (let b = 0; b < users.length; b++) out.set(this.scores, b * this.scores.length);
    return out;
  }
  scoreFoldIn(): Float32Array {
    return this.scores.slice();
  }
  itemSimilarities(): Float32Array {
    return new Float32Array(this.scores.length);
  }
  protected async saveState(store: ModelStore): Promise<void> {
    await this.writeState(
      store,
      'tiny.bin',
      'tiny-state',
      { scores: this.scores },
      { shape: this.options.shape },
    );
  }
  protected async loadState(store: ModelStore): Promise<void> {
    const state = await this.readState(store, 'tiny.bin', 'tiny-state');
    this.scores = state.array('scores', Float32Array, this.items.size);
  }
}

/** A copy of the committed files of `store` with `name` replaced by `bytes`. */
function withFile(store: MemoryStore, name: string, bytes: Uint8Array): MemoryStore {
  const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
  return memoryStore({ ...files, [name]: bytes });
}

/** A model that neither predicts ratings itself nor asks for the fallback. */
class NoRatings extends TinyRanker {
  protected override readonly ratingsFromBaseline = false;
}

describe('the model layer: what a model gets from Recommender', () => {
  it('reads its options from the static params table and describes them from it', () => {
    const model = new TinyRanker({ weight: 3 });
    expect(model.options).toEqual({ weight: 3, shape: 'counts' });
    expect(model.describe()).toEqual([
      { name: 'weight', value: 3, description: 'Score of a play' },
      { name: 'shape', value: 'counts', description: 'What is scored' },
    ]);
    expect(model.hyperParameters).toEqual({ weight: 3, shape: 'counts' });
    expect(() => new TinyRanker({ wieght: 3 })).toThrow(
      new OptionError("tiny: unknown option 'wieght'; valid options: weight, shape", {
        model: 'tiny' as ModelName,
        option: 'wieght',
      }),
    );
    expect(() => new TinyRanker({ shape: 'round' })).toThrow(
      /^tiny: option 'shape' must be one of flat, counts/,
    );
  });

  it('predicts ratings and fold-in ratings by the bias baseline, fitted with the model', async () => {
    const data = contractTrainSet();
    const model = new TinyRanker();
    expect(() => model.predict('u0', 'i0')).toThrow(/not trained|call fit/);
    await model.fit(data);
    const baseline = BiasBaseline.fit(data.ratings);
    const clip = (x: number) => Math.min(data.scale.max, Math.max(data.scale.min, x));
    const users = Int32Array.of(0, 3, -1, 7, -1);
    const items = Int32Array.of(2, -1, 5, 9, -1);
    const expected = baseline.predict(users, items, clip, 'tiny');
    expect(model.predictIndices(users, items)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(2); // not a constant: b_u and b_i are in it
    const played = Uint32Array.of(1, 4, 6);
    const ratings = Float32Array.of(5, 1, 4);
    const targets = Uint32Array.of(0, 2, 3, 8);
    expect(model.predictFoldIn(played, ratings, targets)).toEqual(
      baseline.predictFoldIn(played, ratings, targets, clip),
    );
    // Ranking stays the model's own.
    expect(model.recommendForPlays([], 1, { includeColdItems: true })[0].score).toBe(
      Math.max(...model.scoreFoldIn()),
    );
  });

  it('saves the fallback in the model’s state file and restores it on load', async () => {
    const data = contractTrainSet();
    const model = new TinyRanker({ weight: 0.5 });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store);
    const { arrays, meta } = decodeBundle(await store.read('tiny.bin'), 'tiny-state', 1, 'tiny.bin');
    expect(Object.keys(arrays)).toEqual(['scores', 'bu', 'bi']);
    expect(meta).toEqual({ mu: BiasBaseline.fit(data.ratings).mu, shape: 'counts' });

    const manifest = JSON.parse(await store.readText('manifest.json'));
    const loaded = new TinyRanker(manifest.hyperParameters);
    await loaded.restore(store, manifest);
    const users = Int32Array.from({ length: 40 }, (_, u) => u);
    const items = Int32Array.from({ length: 40 }, (_, j) => j % 30);
    expect(loaded.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
    expect(loaded.scoreFoldIn()).toEqual(model.scoreFoldIn());

    // A state file without the fallback's arrays is refused, naming the file.
    const { bu: _bu, ...withoutBu } = arrays;
    const damaged = withFile(store, 'tiny.bin', encodeBundle('tiny-state', 1, withoutBu, meta));
    await expect(new TinyRanker().restore(damaged, manifest)).rejects.toThrow(
      /^tiny\.bin: user biases should be 40 float64 values; the model directory is corrupt/,
    );
  });

  it('calls the scores of a model that only ranks preferences, of the others ratings', () => {
    expect(new TinyRanker().scoreKind).toBe('preference');
    expect(new NoRatings().scoreKind).toBe('rating');
    for (const name of ['ials', 'bpr', 'ease'] as const)
      expect(createModel(name).scoreKind).toBe('preference');
    for (const name of ['svd', 'svdpp', 'baseline', 'u-autorec'] as const)
      expect(createModel(name).scoreKind).toBe('rating');
  });

  it('refuses rating predictions to a model that neither makes them nor asks for the fallback', async () => {
    const model = new NoRatings();
    await model.fit(contractTrainSet());
    expect(() => model.predict('u0', 'i0')).toThrow(/tiny: no rating predictions/);
  });

  // iALS and BPR wrote b_u and b_i before their last array; the layer appends them. A file in
  // the old order (saved before the layer) must load to the same model.
  for (const make of [
    () => new IalsModel({ factors: 4, iterations: 3, threads: 1 }),
    () => new BprModel({ factors: 4, iterations: 3 }),
  ])
    it(`loads a ${make().name} state file written in the order before the layer`, async () => {
      const model = make();
      await model.fit(contractTrainSet());
      const store = memoryStore();
      await model.save(store);
      const file = `${model.name}.bin`;
      const kind = `${model.name}-state`;
      const { arrays, meta } = decodeBundle(await store.read(file), kind, 1, file);
      const { x, y, bu, bi, ...last } = arrays;
      expect(Object.keys(arrays)).toEqual(['x', 'y', ...Object.keys(last), 'bu', 'bi']);
      const old = withFile(store, file, encodeBundle(kind, 1, { x, y, bu, bi, ...last }, meta));
      expect(old.peek(file)).not.toEqual(store.peek(file));
      const loaded = await loadModel(old);
      const users = Int32Array.from({ length: 40 }, (_, u) => u);
      const items = Int32Array.from({ length: 40 }, (_, j) => j % 30);
      expect(loaded.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
      expect(loaded.scoreUsers(Uint32Array.of(0, 5))).toEqual(model.scoreUsers(Uint32Array.of(0, 5)));
    });
});
