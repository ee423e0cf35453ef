import { type CsrMatrix, decodeBundle, encodeBundle, nnz, type TrainSet } from '@autorec/data';
import { ModelFormatError } from '../errors.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type { FitOptions, FitResult, HyperParameterInfo, ModelStore } from '../types.ts';
import {
  coListeningCosine,
  globalMean,
  interactionCounts,
  itemMajor,
  type ParamSpec,
  type ParamValue,
  readParams,
  TrainingLoop,
} from './shared.ts';

/**
 * Shared plumbing of the bias-only models: every prediction is μ + b_u + b_i (some of them
 * zero), every ranking a fixed per-item score, similarity the co-listening cosine
 * (they have no item representation of their own). State: μ and the two bias vectors.
 */
abstract class BiasModel extends Recommender {
  protected mu = 0;
  protected bu: Float64Array = new Float64Array(0);
  protected bi: Float64Array = new Float64Array(0);

  /** Global mean and biases (views of the model's arrays; do not modify). */
  get parameters(): { mu: number; bu: Float64Array; bi: Float64Array } {
    return { mu: this.mu, bu: this.bu, bi: this.bi };
  }

  predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`${this.name}: ${users.length} users but ${items.length} items to predict`);
    const out = new Float32Array(users.length);
    const nUsers = this.bu.length;
    const nItems = this.bi.length;
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      const i = items[j];
      if (u >= nUsers || u < -1)
        throw new RangeError(`${this.name}: user index ${u} outside -1..${nUsers - 1}`);
      if (i >= nItems || i < -1)
        throw new RangeError(`${this.name}: item index ${i} outside -1..${nItems - 1}`);
      out[j] = this.clip(this.mu + (u >= 0 ? this.bu[u] : 0) + (i >= 0 ? this.bi[i] : 0));
    }
    return out;
  }

  /** Per-item ranking score shared by every user (the user term never changes an order). */
  protected abstract itemScores(): Float32Array;

  scoreUsers(users: Uint32Array): Float32Array {
    const scores = this.itemScores();
    const out = new Float32Array(users.length * scores.length);
    for (let b = 0; b < users.length; b++) {
      if (users[b] >= this.bu.length)
        throw new RangeError(`${this.name}: user index ${users[b]} outside 0..${this.bu.length - 1}`);
      out.set(scores, b * scores.length);
    }
    return out;
  }

  /** User bias of a new listener from their plays (0 unless the model learns user biases). */
  foldInBias(_items: Uint32Array, _ratings: Float32Array): number {
    return 0;
  }

  /** μ + the new listener's bias + b_i (ranking scores are not ratings for every bias model). */
  override predictFoldIn(items: Uint32Array, ratings: Float32Array, targets: Uint32Array): Float32Array {
    const bu = this.foldInBias(items, ratings);
    return Float32Array.from(targets, (i) => this.clip(this.mu + bu + this.bi[i]));
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    if (items.length !== ratings.length)
      throw new RangeError(`${this.name}: ${items.length} items but ${ratings.length} ratings to fold in`);
    for (const i of items)
      if (i >= this.bi.length)
        throw new RangeError(`${this.name}: item index ${i} outside 0..${this.bi.length - 1}`);
    return this.itemScores().slice();
  }

  itemSimilarities(item: number): Float32Array {
    const nItems = this.items.size;
    if (!(item >= 0 && item < nItems))
      throw new RangeError(`${this.name}: item index ${item} outside 0..${nItems - 1}`);
    const m = this.trainSet.ratings;
    return coListeningCosine(m, itemMajor(m), item);
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await store.write(
      `${this.name}.bin`,
      encodeBundle(`${this.name}-state`, 1, { bu: this.bu, bi: this.bi }, { mu: this.mu }),
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const file = `${this.name}.bin`;
    const { arrays, meta } = decodeBundle(await store.read(file), `${this.name}-state`, 1, file);
    const { bu, bi } = arrays;
    if (!(bu instanceof Float64Array) || bu.length !== this.users.size)
      throw new ModelFormatError(
        `${file}: user biases should be ${this.users.size} float64 values; the model directory is corrupt`,
        { file },
      );
    if (!(bi instanceof Float64Array) || bi.length !== this.items.size)
      throw new ModelFormatError(
        `${file}: item biases should be ${this.items.size} float64 values; the model directory is corrupt`,
        { file },
      );
    this.mu = (meta as { mu: number }).mu;
    this.bu = bu;
    this.bi = bi;
    this.afterLoad();
  }

  protected afterLoad(): void {}

  /** Ends a closed-form fit (no epochs): the one 'done' progress event and the result. */
  protected closedFormResult(started: number, options: FitOptions): FitResult {
    options.onProgress?.({
      model: this.name,
      phase: 'done',
      epoch: 0,
      epochs: 0,
      batch: 0,
      batches: 0,
      elapsedSeconds: (performance.now() - started) / 1000,
    });
    return {
      epochs: [],
      bestEpoch: 0,
      seconds: (performance.now() - started) / 1000,
      aborted: false,
      backend: 'js',
    };
  }
}

function describeSpec(
  spec: Record<string, ParamSpec>,
  values: Record<string, ParamValue>,
): HyperParameterInfo[] {
  return Object.entries(spec).map(([name, s]) => ({ name, value: values[name], description: s.description }));
}

/**
 * Predicts the mean training rating μ for everything — the floor every model must beat
 * (RMSE 1.408 on Last.fm 2K with global-quantile ratings). Its ranking scores are the same
 * constant for every item, so its ranking is arbitrary (lowest index first) and its ranking
 * metrics are those of a fixed random list; use `popularity` as the non-personalised ranker.
 *
 * @example
 * const m = new GlobalMeanModel();
 * await m.fit(trainSet);
 * m.predict('anyone', 'anything'); // μ
 */
export class GlobalMeanModel extends BiasModel {
  readonly name = 'global-mean' as const;
  private scores = new Float32Array(0);

  constructor(options: Record<string, ParamValue> = {}) {
    super();
    readParams('global-mean', options, {});
  }

  describe(): HyperParameterInfo[] {
    return [];
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const started = performance.now();
    this.mu = globalMean(data.ratings);
    this.bu = new Float64Array(data.users.size);
    this.bi = new Float64Array(data.items.size);
    this.afterLoad();
    return this.closedFormResult(started, options);
  }

  protected override afterLoad(): void {
    this.scores = new Float32Array(this.bi.length).fill(this.mu);
  }

  protected itemScores(): Float32Array {
    return this.scores;
  }
}

const BASELINE_SPEC = {
  method: {
    kind: 'enum',
    values: ['als', 'sgd'],
    default: 'als',
    description: 'Fitting method: alternating least squares or SGD (Surprise bsl_options.method)',
  },
  epochs: {
    kind: 'int',
    default: 0,
    min: 0,
    description: 'Passes over the data (0 = method default: ALS 10, SGD 20)',
  },
  regUser: {
    kind: 'number',
    default: 15,
    min: 0,
    description: 'ALS shrinkage of user biases (also used for fold-in)',
  },
  regItem: { kind: 'number', default: 10, min: 0, description: 'ALS shrinkage of item biases' },
  learningRate: { kind: 'number', default: 0.005, above: 0, description: 'SGD step size' },
  regularization: { kind: 'number', default: 0.02, min: 0, description: 'SGD L2 weight on the biases' },
} satisfies Record<string, ParamSpec>;

export interface BaselineOptions {
  method?: 'als' | 'sgd';
  /** 0 = the method's default (ALS 10, SGD 20). */
  epochs?: number;
  regUser?: number;
  regItem?: number;
  learningRate?: number;
  regularization?: number;
}

/** BaselineOnly's default user-bias shrinkage λ_u, which models borrowing its biases fold in with. */
export const BASELINE_REG_USER = BASELINE_SPEC.regUser.default;

/**
 * A new listener's user bias by BaselineOnly's ALS user step,
 * b_u = Σ_j (r_j − μ − b_j) / (λ_u + n); 0 without plays.
 */
export function baselineFoldInBias(
  mu: number,
  bi: Float64Array,
  items: Uint32Array,
  ratings: Float32Array,
  regUser: number,
): number {
  let dev = 0;
  for (let j = 0; j < items.length; j++) dev += ratings[j] - mu - bi[items[j]];
  return items.length === 0 ? 0 : dev / (regUser + items.length);
}

/**
 * Surprise's `BaselineOnly`: r̂_ui = μ + b_u + b_i, clipped. Unknown user → μ + b_i, unknown
 * item → μ + b_u, both → μ.
 *
 * ALS (default; Koren 2010, §2.1), per epoch first every item then every user:
 *
 *     b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (λ_i + |R(i)|)      λ_i = regItem = 10
 *     b_u = Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (λ_u + |R(u)|)      λ_u = regUser = 15
 *
 * with 10 epochs. SGD: for each rating in user-major order, e = r_ui − r̂_ui,
 * b_u ← b_u + γ(e − λ b_u), b_i ← b_i + γ(e − λ b_i), γ = 0.005, λ = 0.02, 20 epochs.
 * Both start from zero biases.
 *
 * Ranking scores are μ + b_i (the user bias shifts a whole row and never changes an order),
 * so the ranking is the same "best-rated after shrinkage" list for everyone. Fold-in of a new
 * listener computes b_u by the ALS user step above; `loss` per epoch is the training MSE.
 *
 * @example
 * const m = new BaselineOnlyModel({ method: 'sgd' });
 * await m.fit(trainSet);
 */
export class BaselineOnlyModel extends BiasModel {
  readonly name = 'baseline' as const;
  readonly options: Readonly<Required<BaselineOptions>>;
  private scores = new Float32Array(0);

  constructor(options: BaselineOptions | Record<string, ParamValue> = {}) {
    super();
    this.options = readParams('baseline', options, BASELINE_SPEC) as Required<BaselineOptions>;
  }

  describe(): HyperParameterInfo[] {
    return describeSpec(BASELINE_SPEC, this.options);
  }

  /** Epochs actually run: the option, or the method's default when it is 0. */
  get epochCount(): number {
    return this.options.epochs || (this.options.method === 'als' ? 10 : 20);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const m = data.ratings;
    const epochs = this.epochCount;
    this.mu = globalMean(m);
    this.bu = new Float64Array(m.rows);
    this.bi = new Float64Array(m.cols);
    const loop = new TrainingLoop('baseline', epochs, 1, options);
    const byItem = this.options.method === 'als' ? itemMajor(m) : undefined;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      loop.beginEpoch();
      if (byItem) this.alsEpoch(m, byItem);
      else this.sgdEpoch(m);
      if (!(await loop.batch(epoch, 1, () => undefined))) break;
      const loss = this.mse(m);
      loop.endEpoch(epoch, {
        loss,
        trainRmse: Math.sqrt(loss),
        validationRmse: options.validation ? Math.sqrt(this.mse(options.validation, true)) : undefined,
      });
    }
    this.afterLoad();
    return loop.finish('js');
  }

  private alsEpoch(m: CsrMatrix, byItem: CsrMatrix): void {
    const { mu, bu, bi } = this;
    const { regUser, regItem } = this.options;
    for (let i = 0; i < byItem.rows; i++) {
      let dev = 0;
      for (let p = byItem.indptr[i]; p < byItem.indptr[i + 1]; p++)
        dev += byItem.values[p] - mu - bu[byItem.indices[p]];
      bi[i] = dev / (regItem + byItem.indptr[i + 1] - byItem.indptr[i]);
    }
    for (let u = 0; u < m.rows; u++) {
      let dev = 0;
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) dev += m.values[p] - mu - bi[m.indices[p]];
      bu[u] = dev / (regUser + m.indptr[u + 1] - m.indptr[u]);
    }
  }

  private sgdEpoch(m: CsrMatrix): void {
    const { mu, bu, bi } = this;
    const { learningRate: lr, regularization: reg } = this.options;
    for (let u = 0; u < m.rows; u++) {
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const i = m.indices[p];
        const err = m.values[p] - (mu + bu[u] + bi[i]);
        bu[u] += lr * (err - reg * bu[u]);
        bi[i] += lr * (err - reg * bi[i]);
      }
    }
  }

  private mse(m: CsrMatrix, clip = false): number {
    const n = nnz(m);
    if (n === 0) return Number.NaN;
    let sse = 0;
    for (let u = 0; u < m.rows; u++)
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const est = this.mu + this.bu[u] + this.bi[m.indices[p]];
        const e = m.values[p] - (clip ? this.clip(est) : est);
        sse += e * e;
      }
    return sse / n;
  }

  protected override afterLoad(): void {
    this.scores = Float32Array.from(this.bi, (b) => this.mu + b);
  }

  protected itemScores(): Float32Array {
    return this.scores;
  }

  /** User bias of a new listener by the ALS user step (see the class comment). */
  override foldInBias(items: Uint32Array, ratings: Float32Array): number {
    return baselineFoldInBias(this.mu, this.bi, items, ratings, this.options.regUser);
  }

  override scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    const scores = super.scoreFoldIn(items, ratings);
    const b = this.foldInBias(items, ratings);
    for (let i = 0; i < scores.length; i++) scores[i] += b;
    return scores;
  }
}

const POPULARITY_SPEC = {
  regItem: {
    kind: 'number',
    default: 10,
    min: 0,
    description: 'Shrinkage of the item bias used for rating predictions',
  },
} satisfies Record<string, ParamSpec>;

/**
 * Most-popular ranking: every listener gets the songs with the most distinct training
 * listeners (ties: lower index first). It is the non-personalised bar for ranking metrics.
 *
 * For rating predictions it uses the item's shrunk mean: r̂_ui = μ + b_i with
 * b_i = Σ_{u ∈ R(i)} (r_ui − μ) / (λ + |R(i)|), λ = regItem = 10 (one ALS item step from zero
 * user biases), clipped; an unknown item gets μ. The user is ignored, so unknown users are no
 * special case.
 *
 * @example
 * const m = new PopularityModel();
 * await m.fit(trainSet);
 * m.recommend('user-1', 10); // the 10 most-played songs the user has not played
 */
export class PopularityModel extends BiasModel {
  readonly name = 'popularity' as const;
  readonly options: Readonly<{ regItem: number }>;
  private listeners = new Float32Array(0);

  constructor(options: { regItem?: number } | Record<string, ParamValue> = {}) {
    super();
    this.options = readParams('popularity', options, POPULARITY_SPEC);
  }

  describe(): HyperParameterInfo[] {
    return describeSpec(POPULARITY_SPEC, this.options);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const started = performance.now();
    const m = data.ratings;
    this.mu = globalMean(m);
    this.bu = new Float64Array(m.rows);
    const dev = new Float64Array(m.cols);
    for (let p = 0; p < nnz(m); p++) dev[m.indices[p]] += m.values[p] - this.mu;
    const counts = interactionCounts(m).items;
    this.bi = Float64Array.from(dev, (d, i) => d / (this.options.regItem + counts[i] || 1));
    this.afterLoad();
    return this.closedFormResult(started, options);
  }

  protected override afterLoad(): void {
    this.listeners = Float32Array.from(interactionCounts(this.trainSet.ratings).items);
  }

  protected itemScores(): Float32Array {
    return this.listeners;
  }
}
