import { type CsrMatrix, nnz, type TrainSet } from '@autorec/data';
import { validationRmse } from '../evaluation/rating.ts';
import { checkItemIndex } from '../guards.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore, ScoreKind } from '../types.ts';
import { BIAS_BASELINE_DEFAULTS, BiasBaseline } from './bias-baseline.ts';
import {
  coListeningCosine,
  globalMean,
  interactionCounts,
  itemMajor,
  type ParamSpec,
  type ParamsOf,
  type ParamValue,
  readState,
  TrainingLoop,
  writeState,
} from './shared.ts';

/**
 * Shared plumbing of the bias-only models: every prediction is μ + b_u + b_i (some of them
 * zero), every ranking a fixed per-item score, similarity the co-listening cosine
 * (they have no item representation of their own). State: μ and the two bias vectors.
 */
abstract class BiasModel extends Recommender {
  /** μ, b_u, b_i (some of them zero, depending on the model). */
  protected baseline = new BiasBaseline(0, new Float64Array(0), new Float64Array(0));

  protected get mu(): number {
    return this.baseline.mu;
  }

  protected get bu(): Float64Array {
    return this.baseline.bu;
  }

  protected get bi(): Float64Array {
    return this.baseline.bi;
  }

  /** Global mean and biases (views of the model's arrays; do not modify). */
  get parameters(): { mu: number; bu: Float64Array; bi: Float64Array } {
    return { mu: this.mu, bu: this.bu, bi: this.bi };
  }

  override predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    return this.baseline.predict(users, items, (x) => this.clip(x), this.name);
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
    checkItemIndex(this.name, item, nItems);
    const m = this.trainSet.ratings;
    return coListeningCosine(m, itemMajor(m), item);
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await writeState(
      store,
      `${this.name}.bin`,
      `${this.name}-state`,
      { bu: this.bu, bi: this.bi },
      { mu: this.mu },
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const file = `${this.name}.bin`;
    const { arrays, meta } = await readState(store, file, `${this.name}-state`);
    this.baseline = BiasBaseline.restore(
      file,
      (meta as { mu?: unknown }).mu,
      arrays.bu,
      arrays.bi,
      this.users.size,
      this.items.size,
      this.regUser,
    );
    this.afterLoad();
  }

  /** λ_u a new listener's bias is folded in with (BaselineOnly's option; unused by the others). */
  protected get regUser(): number {
    return BIAS_BASELINE_DEFAULTS.regUser;
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
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params: Record<string, ParamSpec> = {};
  readonly name = 'global-mean' as const;
  private scores = new Float32Array(0);

  constructor(options: Record<string, ParamValue> = {}) {
    super('global-mean', options);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const started = performance.now();
    this.baseline = new BiasBaseline(
      globalMean(data.ratings),
      new Float64Array(data.users.size),
      new Float64Array(data.items.size),
    );
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
    default: BIAS_BASELINE_DEFAULTS.regUser,
    min: 0,
    description: 'ALS shrinkage of user biases (also used for fold-in)',
  },
  regItem: {
    kind: 'number',
    default: BIAS_BASELINE_DEFAULTS.regItem,
    min: 0,
    description: 'ALS shrinkage of item biases',
  },
  learningRate: { kind: 'number', default: 0.005, above: 0, description: 'SGD step size' },
  regularization: { kind: 'number', default: 0.02, min: 0, description: 'SGD L2 weight on the biases' },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (BaselineParams) or as a caller gives them (BaselineOptions). */
export type BaselineParams = ParamsOf<typeof BASELINE_SPEC>;
export type BaselineOptions = Partial<BaselineParams>;

/**
 * Surprise's `BaselineOnly`: r̂_ui = μ + b_u + b_i, clipped. Unknown user → μ + b_i, unknown
 * item → μ + b_u, both → μ.
 *
 * ALS (default; Koren 2010, §2.1) is the package's one bias baseline ({@link BiasBaseline},
 * whose comment has the updates), fitted epoch by epoch with progress: per epoch first every
 * item, then every user, λ_i = regItem = 10, λ_u = regUser = 15, 10 epochs. SGD: for each rating in user-major order, e = r_ui − r̂_ui,
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
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = BASELINE_SPEC;
  readonly name = 'baseline' as const;
  declare readonly options: Readonly<BaselineParams>;
  private scores = new Float32Array(0);

  constructor(options: BaselineOptions | Record<string, ParamValue> = {}) {
    super('baseline', options);
  }

  /** Epochs actually run: the option, or the method's default when it is 0. */
  get epochCount(): number {
    return this.options.epochs || (this.options.method === 'als' ? 10 : 20);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const m = data.ratings;
    const epochs = this.epochCount;
    this.baseline = BiasBaseline.fit(m, { regUser: this.options.regUser, epochs: 0 });
    const loop = new TrainingLoop('baseline', epochs, 1, options);
    const byItem = this.options.method === 'als' ? itemMajor(m) : undefined;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      loop.beginEpoch();
      if (byItem) this.baseline.alsEpoch(m, byItem, this.options.regItem);
      else this.sgdEpoch(m);
      if (!(await loop.batch(epoch, 1, () => undefined))) break;
      const loss = this.trainingMse(m);
      loop.endEpoch(epoch, {
        loss,
        trainRmse: Math.sqrt(loss),
        validationRmse: options.validation ? validationRmse(this, options.validation) : undefined,
      });
    }
    this.afterLoad();
    return loop.finish('js');
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

  /** Mean squared error of the unclipped μ + b_u + b_i on the training ratings (the fit's loss). */
  private trainingMse(m: CsrMatrix): number {
    const n = nnz(m);
    if (n === 0) return Number.NaN;
    let sse = 0;
    for (let u = 0; u < m.rows; u++)
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const e = m.values[p] - this.baseline.rating(u, m.indices[p]);
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
    return this.baseline.foldInBias(items, ratings);
  }

  protected override get regUser(): number {
    return this.options.regUser;
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
 * b_i = Σ_{u ∈ R(i)} (r_ui − μ) / (λ + |R(i)|), λ = regItem = 10 (the bias baseline's
 * {@link BiasBaseline} item step, once, from zero user biases), clipped; an unknown item gets μ. The user is ignored, so unknown users are no
 * special case.
 *
 * @example
 * const m = new PopularityModel();
 * await m.fit(trainSet);
 * m.recommend('user-1', 10); // the 10 most-played songs the user has not played
 */
export class PopularityModel extends BiasModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = POPULARITY_SPEC;
  readonly name = 'popularity' as const;

  override get scoreKind(): ScoreKind {
    return 'listeners';
  }
  declare readonly options: Readonly<{ regItem: number }>;
  private listeners = new Float32Array(0);

  constructor(options: { regItem?: number } | Record<string, ParamValue> = {}) {
    super('popularity', options);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const started = performance.now();
    this.baseline = BiasBaseline.fit(data.ratings, {
      regItem: this.options.regItem,
      epochs: 1,
      userSteps: false,
    });
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
