import {
  type CsrMatrix,
  decodeBundle,
  encodeBundle,
  IdIndex,
  type ItemInfo,
  type RatingScale,
  rowIndices,
  rowValues,
  type StoredArray,
  type TrainSet,
  type TransformSpec,
  transformPlays,
} from '@autorec/data';
import { ModelFormatError } from './errors.ts';
import { checkPlays, foldInBlock, topKLength } from './guards.ts';
import { BiasBaseline } from './models/bias-baseline.ts';
import {
  describeOptions,
  type ParamSpec,
  type ParamValue,
  readParams,
  readState,
  type SavedState,
  writeState,
} from './models/shared.ts';
import { topKExcept } from './topk.ts';
import type {
  FitOptions,
  FitResult,
  HyperParameterInfo,
  ModelName,
  ModelStore,
  Play,
  RecommendOptions,
  ScoredItem,
  ScoreKind,
} from './types.ts';

/** Version of the saved-model layout (manifest.json + state files). Bump on incompatible change. */
export const MODEL_FORMAT_VERSION = 1;

/** What `manifest.json` in a saved model directory holds. */
export interface ModelManifest {
  formatVersion: number;
  model: ModelName;
  hyperParameters: Record<string, number | string | boolean>;
  scale: RatingScale;
  transform: TransformSpec;
  fit?: FitResult;
  savedAt: string;
  /** Free-form extras (e.g. evaluation metrics) written by the caller. */
  extra?: Record<string, unknown>;
}

/**
 * Base class of every model: it maps external ids to dense indices, keeps the training
 * ratings (for "exclude seen" and for scoring training users), clips to the rating scale,
 * does top-N selection, and saves/loads the common parts. A subclass writes only the maths:
 * `fitIndexed`, `predictIndices`, `scoreUsers`, `scoreFoldIn`, `itemSimilarities` and its
 * state (de)serialisation — as Surprise's AlgoBase does for `fit`/`estimate`.
 *
 * The plumbing every model would otherwise repeat lives here once:
 * - options: the constructor reads them from the class's parameter table (`static params`,
 *   what the registry lists) with `readParams` — defaults filled, unknown or ill-typed ones an
 *   `OptionError` naming the model — and `describe()` reports them from the same table. A model
 *   passes its name and the caller's options to `super` and types `options` with `declare`.
 * - the rating fallback of a model that only ranks (`ratingsFromBaseline`): see there.
 *
 * @example
 * const model = new SvdModel({ factors: 50 });
 * await model.fit(trainSet, { validation, onProgress: (p) => console.log(p.epoch, p.loss) });
 * model.recommend('user-42', 10);               // [{ item: 'SOAKIMP12A8C130995', score: 4.7 }, …]
 * model.recommendForPlays([{ item: 'SO…', count: 12 }], 10);
 * model.similarItems('SOAKIMP12A8C130995', 5);
 */
export abstract class Recommender {
  abstract readonly name: ModelName;
  /**
   * The options, read from the class's parameter table by the constructor. A subclass gives them
   * their type from the table: `declare readonly options: Readonly<SvdParams>`.
   */
  protected readonly options: object;
  /**
   * True for a model that only ranks — its scores are preferences, not ratings (iALS, BPR,
   * EASE). Its rating predictions (`predict`, RMSE, fold-in ratings) then come from the package's
   * one bias baseline μ + b_u + b_i ({@link BiasBaseline}, BaselineOnly's fit) on the same
   * training data, so rating reports stay meaningful while ranking uses the model. The layer
   * does all of it: fits the baseline before `fitIndexed`, answers `predictIndices` and
   * `predictFoldIn` from it, and {@link writeState}/{@link readState} keep b_u and b_i among
   * the state file's arrays and μ in its meta.
   */
  protected readonly ratingsFromBaseline: boolean = false;
  #baseline?: BiasBaseline;

  /**
   * What the scores of `recommend` and its kin are: predicted ratings, or preferences for a model
   * that only ranks (`ratingsFromBaseline`: its ratings come from elsewhere because its scores
   * are not ratings).
   */
  get scoreKind(): ScoreKind {
    return this.ratingsFromBaseline ? 'preference' : 'rating';
  }
  private trainData?: TrainSet;
  private cold?: Uint8Array;

  /** The training set; setting it (fit, load) forgets what was derived from the previous one. */
  protected get data(): TrainSet | undefined {
    return this.trainData;
  }

  protected set data(value: TrainSet | undefined) {
    this.trainData = value;
    this.cold = undefined;
  }

  /**
   * `model` names the model in option errors; `options` are checked against the class's
   * `static params` table. Without a name (models that still read their options themselves)
   * nothing is read here.
   */
  constructor(model?: ModelName, options: object = {}) {
    this.options = model ? readParams(model, options, this.paramTable) : {};
  }

  /** The class's parameter table (`static params`; none: no options). */
  private get paramTable(): Readonly<Record<string, ParamSpec>> {
    return (this.constructor as { params?: Readonly<Record<string, ParamSpec>> }).params ?? {};
  }

  /** The hyper-parameters with their meaning (for help screens, reports and saving), in the table's order. */
  describe(): HyperParameterInfo[] {
    return describeOptions(this.paramTable, this.options as Readonly<Record<string, ParamValue>>);
  }

  /** Hyper-parameter values as a plain object. */
  get hyperParameters(): Record<string, number | string | boolean> {
    return Object.fromEntries(this.describe().map((h) => [h.name, h.value]));
  }

  get isFitted(): boolean {
    return this.data !== undefined;
  }

  /** Users, items, scale and transform the model was trained with. Throws before `fit`. */
  get trainSet(): TrainSet {
    if (!this.data) throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    return this.data;
  }

  get users(): IdIndex {
    return this.trainSet.users;
  }

  get items(): IdIndex {
    return this.trainSet.items;
  }

  get scale(): RatingScale {
    return this.trainSet.scale;
  }

  /**
   * 1 for each item without training ratings ("cold"), else 0. Nothing was learnt about a cold
   * item — every model scores it by a fallback shared by all cold items — so recommendations and
   * the ranking protocols leave cold items out unless asked to include them.
   */
  coldItems(): Uint8Array {
    if (!this.cold) {
      const m = this.trainSet.ratings;
      const mask = new Uint8Array(m.cols).fill(1);
      for (let p = 0; p < m.indptr[m.rows]; p++) mask[m.indices[p]] = 0;
      this.cold = mask;
    }
    return this.cold;
  }

  /** Trains on `data`. Resolves when done, stopped early, or aborted (the model stays usable). */
  async fit(data: TrainSet, options: FitOptions = {}): Promise<FitResult> {
    if (data.ratings.rows !== data.users.size || data.ratings.cols !== data.items.size)
      throw new Error(
        `${this.name}: ratings are ${data.ratings.rows}×${data.ratings.cols} but the id maps have ` +
          `${data.users.size} users and ${data.items.size} items`,
      );
    if (
      options.validation &&
      (options.validation.rows !== data.ratings.rows || options.validation.cols !== data.ratings.cols)
    )
      throw new Error(`${this.name}: validation matrix shape differs from the training matrix`);
    const foldIn = options.validationFoldIn;
    if (foldIn && !options.validation)
      throw new Error(
        `${this.name}: validationFoldIn needs validation (the validation users' target ratings)`,
      );
    if (foldIn && (foldIn.rows !== data.ratings.rows || foldIn.cols !== data.ratings.cols))
      throw new Error(`${this.name}: validationFoldIn matrix shape differs from the training matrix`);
    this.data = data;
    this.#baseline = this.ratingsFromBaseline ? BiasBaseline.fit(data.ratings) : undefined;
    return this.fitIndexed(data, options);
  }

  // ---- what a model implements (dense indices) ----

  protected abstract fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult>;

  /**
   * Rating predictions for (user, item) index pairs, clipped to the scale. An index of -1
   * means unknown in training (cold): the model must fall back sensibly (biases, mean). A model
   * that predicts ratings overrides this; for one that only ranks the bias baseline answers
   * (`ratingsFromBaseline`).
   */
  predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    return this.ratingBaseline.predict(users, items, (x) => this.clip(x), this.name);
  }

  /**
   * The bias baseline a model that only ranks predicts ratings with (`ratingsFromBaseline`).
   * Throws before `fit`/`load`, and for a model that neither predicts ratings nor asks for it.
   */
  protected get ratingBaseline(): BiasBaseline {
    if (!this.ratingsFromBaseline)
      throw new Error(
        `${this.name}: no rating predictions: the model overrides neither predictIndices nor sets ratingsFromBaseline`,
      );
    if (!this.#baseline)
      throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    return this.#baseline;
  }

  /**
   * Ranking scores over all items for a batch of training users: a users.length × items
   * row-major block. Callers keep batches small so no dense users × items matrix is held.
   */
  abstract scoreUsers(users: Uint32Array): Float32Array;

  /** Ranking scores over all items for a listener not in training, from item indices and ratings. */
  abstract scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array;

  /**
   * Ranking scores for many listeners not in training: row `rows[b]` of `plays` (its item
   * indices and ratings, as {@link scoreFoldIn} takes them) gives row b of a rows.length × items
   * row-major block, equal to `scoreFoldIn` of that row — written into `out` when given (its
   * first rows.length × items floats, all overwritten: a loop can reuse one block rather than
   * allocate 42 MB per 256 listeners of a 41K catalogue), else into a fresh array. The default
   * calls `scoreFoldIn` per row; a model with a batched forward pass overrides it (Mult-VAE).
   * Callers keep `rows` short (the held-out protocol passes 256): no users × items matrix.
   */
  scoreFoldInRows(plays: CsrMatrix, rows: ArrayLike<number>, out?: Float32Array): Float32Array {
    const n = this.items.size;
    const block = foldInBlock(this.name, plays, rows, n, out);
    for (let b = 0; b < rows.length; b++)
      block.set(this.scoreFoldIn(rowIndices(plays, rows[b]), rowValues(plays, rows[b])), b * n);
    return block;
  }

  /**
   * Rating predictions (clipped) at `targets` for a listener not in training, from their plays
   * as item indices and ratings. The default reads `scoreFoldIn`, whose scores are predicted
   * ratings for the models that predict ratings (SVD, AutoRec); a model that only ranks gets
   * the bias baseline's (`ratingsFromBaseline`), and popularity overrides it.
   */
  predictFoldIn(items: Uint32Array, ratings: Float32Array, targets: Uint32Array): Float32Array {
    if (this.ratingsFromBaseline)
      return this.ratingBaseline.predictFoldIn(items, ratings, targets, (x) => this.clip(x));
    const scores = this.scoreFoldIn(items, ratings);
    return Float32Array.from(targets, (i) => this.clip(scores[i]));
  }

  /** Similarity of `item` to every item (higher is more similar). */
  abstract itemSimilarities(item: number): Float32Array;

  /** Writes the model's own state (weights) to the store. */
  protected abstract saveState(store: ModelStore): Promise<void>;

  /** Restores the model's own state; `data` is already set. */
  protected abstract loadState(store: ModelStore, manifest: ModelManifest): Promise<void>;

  /**
   * Writes the model's state file (`writeState` of shared.ts), with the rating fallback's part
   * when the model has one: b_u and b_i after the model's arrays, μ first in the meta.
   */
  protected async writeState(
    store: ModelStore,
    file: string,
    kind: string,
    arrays: Record<string, StoredArray>,
    meta: Record<string, unknown> = {},
  ): Promise<void> {
    if (!this.ratingsFromBaseline) return writeState(store, file, kind, arrays, meta);
    const { mu, bu, bi } = this.ratingBaseline;
    await writeState(store, file, kind, { ...arrays, bu, bi }, { mu, ...meta });
  }

  /**
   * Reads a state file written by {@link writeState} (`readState` of shared.ts) and, when the
   * model has a rating fallback, restores it from there (lengths checked against the id maps).
   */
  protected async readState(store: ModelStore, file: string, kind: string): Promise<SavedState> {
    const state = await readState(store, file, kind);
    if (this.ratingsFromBaseline) {
      const { arrays, meta } = state;
      const mu = (meta as { mu?: unknown } | null)?.mu;
      this.#baseline = BiasBaseline.restore(file, mu, arrays.bu, arrays.bi, this.users.size, this.items.size);
    }
    return state;
  }

  /** Frees resources (tfjs tensors). Safe to call twice. */
  dispose(): void {}

  // ---- the public surface, in external ids ----

  /** Predicted rating of `item` by `user` (clipped). Unknown ids get the model's fallback. */
  predict(user: string, item: string): number {
    return this.predictIndices(
      Int32Array.of(this.users.indexOf(user)),
      Int32Array.of(this.items.indexOf(item)),
    )[0];
  }

  /** Top-`k` items for a training user. Throws for an unknown user (use recommendForPlays). */
  recommend(user: string, k = 10, options: RecommendOptions = {}): ScoredItem[] {
    return this.recommendMany([user], k, options)[0];
  }

  /**
   * Top-`k` items for each of many training users, scored `batchSize` users at a time (one
   * dense product per batch instead of one per user; never a users × items matrix). Results
   * are in the order of `users` and equal to `recommend` for each. Throws for an unknown user
   * before scoring anything.
   *
   * @example
   * const lists = model.recommendMany(['u1', 'u2'], 10); // [[{ item, score }, …], […]]
   */
  recommendMany(
    users: readonly string[],
    k = 10,
    options: RecommendOptions & { batchSize?: number } = {},
  ): ScoredItem[][] {
    k = topKLength(k, this.items.size);
    const indices = users.map((user) => {
      const u = this.users.indexOf(user);
      if (u < 0) throw new UnknownIdError('user', user);
      return u;
    });
    const batch = Math.max(1, options.batchSize ?? 256);
    const n = this.items.size;
    const rank = this.ranker(k, options);
    const out: ScoredItem[][] = [];
    for (let from = 0; from < indices.length; from += batch) {
      const chunk = Uint32Array.from(indices.slice(from, from + batch));
      const scores = this.scoreUsers(chunk);
      for (let b = 0; b < chunk.length; b++) {
        const seen = options.excludeSeen === false ? [] : rowIndices(this.trainSet.ratings, chunk[b]);
        out.push(rank(scores, b * n, seen));
      }
    }
    return out;
  }

  /**
   * Top-`k` items for a listener not in training, from songs and play counts, without
   * retraining. Play counts go through the same transform as training; unknown songs are ignored.
   */
  recommendForPlays(plays: Play[], k = 10, options: RecommendOptions = {}): ScoredItem[] {
    k = topKLength(k, this.items.size);
    const { items, ratings } = this.playsToRatings(plays);
    const scores = this.scoreFoldIn(items, ratings);
    return this.ranker(k, options)(scores, 0, options.excludeSeen === false ? [] : items);
  }

  /** The `k` items most similar to `item`, excluding itself. */
  similarItems(item: string, k = 10): ScoredItem[] {
    k = topKLength(k, this.items.size);
    const i = this.items.indexOf(item);
    if (i < 0) throw new UnknownIdError('item', item);
    return this.ranker(k, {})(this.itemSimilarities(i), 0, [i]);
  }

  /** Display info (artist, title) for an item, when the training data had it. */
  itemInfo(item: string): ItemInfo | undefined {
    const i = this.items.indexOf(item);
    return i < 0 ? undefined : this.trainSet.itemInfo?.[i];
  }

  /** Dense item indices and transformed ratings for a list of plays (unknown items dropped, duplicates summed). */
  playsToRatings(plays: Play[]): { items: Uint32Array; ratings: Float32Array; unknown: string[] } {
    const summed = new Map<number, number>();
    const unknown: string[] = [];
    checkPlays(plays);
    for (const { item, count } of plays) {
      const i = this.items.indexOf(item);
      if (i < 0) unknown.push(item);
      else summed.set(i, (summed.get(i) ?? 0) + count);
    }
    const items = Uint32Array.from([...summed.keys()].sort((a, b) => a - b));
    const counts = Float32Array.from(items, (i) => summed.get(i)!);
    return { items, ratings: transformPlays(this.trainSet.transform, counts), unknown };
  }

  /**
   * What `options` leave out of every list: `exclude`, items outside `candidates` and (unless
   * `includeColdItems`) cold items, as a predicate on item indices. Resolved once per call, so
   * `recommendMany` looks ids up once for all users and an iterator given as `exclude` or
   * `candidates` applies to every user, not just the first.
   */
  private itemFilter(options: RecommendOptions): (item: number) => boolean {
    const excluded = new Set<number>();
    for (const id of options.exclude ?? []) {
      const i = this.items.indexOf(id);
      if (i >= 0) excluded.add(i);
    }
    let allowed: Set<number> | undefined;
    if (options.candidates) {
      allowed = new Set();
      for (const id of options.candidates) {
        const i = this.items.indexOf(id);
        if (i >= 0) allowed.add(i);
      }
    }
    const cold = options.includeColdItems ? undefined : this.coldItems();
    return (i) => excluded.has(i) || (allowed !== undefined && !allowed.has(i)) || cold?.[i] === 1;
  }

  /**
   * The `k` best of a row of scores at `offset` in external ids, leaving out `seen` and what
   * `options` filter out ({@link itemFilter}) — `topKExcept`, the rule the ranking protocols use.
   */
  private ranker(
    k: number,
    options: RecommendOptions,
  ): (scores: Float32Array, offset: number, seen: ArrayLike<number>) => ScoredItem[] {
    const pick = topKExcept(this.items.size, k, this.itemFilter(options));
    return (scores, offset, seen) => {
      const { indices, scores: top } = pick(scores, offset, seen);
      return indices.map((i, j) => ({ item: this.items.external(i), score: top[j] }));
    };
  }

  protected clip(x: number): number {
    const { min, max } = this.scale;
    return x < min ? min : Math.min(x, max);
  }

  // ---- persistence ----

  /** Saves manifest, id maps, training ratings and the model's state to `store`. */
  async save(store: ModelStore, extra?: Record<string, unknown>, fit?: FitResult): Promise<void> {
    const data = this.trainSet;
    const manifest: ModelManifest = {
      formatVersion: MODEL_FORMAT_VERSION,
      model: this.name,
      hyperParameters: this.hyperParameters,
      scale: data.scale,
      transform: data.transform,
      fit,
      savedAt: new Date().toISOString(),
      extra,
    };
    await store.write('manifest.json', JSON.stringify(manifest, null, 2));
    await store.write(
      'ids.json',
      JSON.stringify({
        users: data.users.toArray(),
        items: data.items.toArray(),
        itemInfo: data.itemInfo ?? null,
      }),
    );
    const m = data.ratings;
    await store.write(
      'ratings.bin',
      encodeBundle(
        'train-ratings',
        1,
        { indptr: m.indptr, indices: m.indices, values: m.values },
        {
          rows: m.rows,
          cols: m.cols,
        },
      ),
    );
    await this.saveState(store);
    await store.commit?.();
  }

  /** Restores id maps, training ratings and state from `store` (manifest already read). */
  async restore(store: ModelStore, manifest: ModelManifest): Promise<void> {
    const ids = parseJson<{ users: string[]; items: string[]; itemInfo: (ItemInfo | undefined)[] | null }>(
      await store.readText('ids.json'),
      'ids.json',
    );
    const { arrays, meta } = decodeBundle(await store.read('ratings.bin'), 'train-ratings', 1, 'ratings.bin');
    const { rows, cols } = meta as { rows: number; cols: number };
    const ratings: CsrMatrix = {
      rows,
      cols,
      indptr: arrays.indptr as Uint32Array,
      indices: arrays.indices as Uint32Array,
      values: arrays.values as Float32Array,
    };
    this.data = {
      ratings,
      users: new IdIndex(ids.users),
      items: new IdIndex(ids.items),
      scale: manifest.scale,
      transform: manifest.transform,
      itemInfo: ids.itemInfo ?? undefined,
    };
    await this.loadState(store, manifest);
  }
}

/** An external user or item id that the model never saw in training. */
export class UnknownIdError extends Error {
  constructor(
    readonly kind: 'user' | 'item',
    readonly id: string,
  ) {
    super(`unknown ${kind} '${id}': not in the training data`);
    this.name = 'UnknownIdError';
  }
}

export function parseJson<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelFormatError(
      `${file}: not valid JSON (${(e as Error).message}); the model directory is corrupt`,
      { file, cause: e },
    );
  }
}
