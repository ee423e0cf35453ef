import { nnz, Rng, type TrainSet } from '@autorec/data';
import { validationRmse } from '../evaluation/rating.ts';
import { checkModelSize } from '../guards.ts';
import type { ModelManifest } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import {
  dotAt,
  EmbeddingModel,
  type ItemEmbeddings,
  packRows,
  type UserEmbeddings,
} from './embedding-model.ts';
import { type FoldInPriors, foldInPriors, priorsFromJson, ridgeFoldIn } from './ridge-fold-in.ts';
import {
  globalMean,
  interactionCounts,
  type ParamSpec,
  type ParamsOf,
  type ParamValue,
  readState,
  TrainingLoop,
  writeState,
} from './shared.ts';

const SVD_SPEC = {
  factors: { kind: 'int', default: 100, min: 1, description: 'Number of latent factors k' },
  epochs: { kind: 'int', default: 20, min: 0, description: 'Passes of SGD over the training ratings' },
  learningRate: {
    kind: 'number',
    default: 0.005,
    above: 0,
    description: 'SGD step size γ for all parameters',
  },
  regularization: { kind: 'number', default: 0.02, min: 0, description: 'L2 weight λ for all parameters' },
  initMean: { kind: 'number', default: 0, description: 'Mean of the normal initialisation of p_u and q_i' },
  initStd: {
    kind: 'number',
    default: 0.1,
    min: 0,
    description: 'Std of the normal initialisation of p_u and q_i',
  },
  biased: { kind: 'boolean', default: true, description: 'Learn μ, b_u, b_i (false: r̂ = q_iᵀp_u only)' },
  seed: { kind: 'int', default: 42, min: 0, description: 'Seed of the factor initialisation' },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (SvdParams) or as a caller gives them (SvdOptions). */
export type SvdParams = ParamsOf<typeof SVD_SPEC>;
export type SvdOptions = Partial<SvdParams>;

/** Ratings visited between two progress/abort checks. */
const BATCH_RATINGS = 1 << 15;
const STATE_FILE = 'svd.bin';

/**
 * Biased matrix factorisation trained by stochastic gradient descent — Funk's SVD as
 * popularised in the Netflix Prize, reproducing Surprise's `SVD` (same defaults, same
 * updates, same kind of visiting order, same unknown-id rules), on plain typed arrays.
 *
 * Prediction:  r̂_ui = μ + b_u + b_i + q_iᵀp_u, clipped to the rating scale.
 *
 * Objective:   Σ_{r_ui ∈ R_train} (r_ui − r̂_ui)² + λ(b_u² + b_i² + ‖q_i‖² + ‖p_u‖²)
 *
 * Updates, for each training rating in a fixed user-major order (as Surprise's
 * `all_ratings()`, no shuffling; users by index, each user's items ascending, where Surprise
 * keeps file order), with e_ui = r_ui − r̂_ui computed before the update:
 *
 *     b_u ← b_u + γ(e_ui − λ b_u)
 *     b_i ← b_i + γ(e_ui − λ b_i)
 *     p_u ← p_u + γ(e_ui q_i − λ p_u)
 *     q_i ← q_i + γ(e_ui p_u − λ q_i)      (both with the old p_u, q_i)
 *
 * Defaults as Surprise: k = 100 factors, 20 epochs, γ = 0.005, λ = 0.02, p and q drawn from
 * N(0, 0.1²), biases start at 0, μ is the mean training rating. With `biased: false`, μ, b_u
 * and b_i are fixed at 0 (Surprise's unbiased SVD).
 *
 * Unknown ids (index −1, or users/items with no training rating): an unknown user gets
 * μ + b_i, an unknown item μ + b_u, both unknown μ — exactly Surprise's `estimate`. Their
 * factors are kept at zero, so the same formula serves known and unknown ids. (Unbiased
 * model: unknown → μ, where Surprise raises PredictionImpossible.)
 *
 * Fold-in of a new listener (`scoreFoldIn`) keeps μ, b_i, q_i fixed and solves the ridge
 * regression  min_{b,p} Σ_j (r_j − μ − b_j − b − q_jᵀp)² + λ_b b² + λ_p ‖p‖²  in closed form
 * (one (k+1)×(k+1) Cholesky solve, which is the fixed point of repeated regularised
 * least-squares steps). The weights are the MAP choice for Gaussian priors fitted at the end of
 * training: λ_p = σ²/σ_p², λ_b = σ²/σ_b², where σ² is the training residual variance, σ_p²
 * the per-component variance of the trained p_u and σ_b² the variance of the trained b_u. So a
 * listener with three plays gets a small p close to the prior, one with hundreds a p as
 * confident as a trained user's.
 *
 * `loss` in progress events is the mean squared error of the ratings as they were visited
 * during the epoch (before each update) — the data term of the objective; `trainRmse` is its
 * square root. `itemSimilarities` is the cosine of the item factor vectors q_i.
 *
 * Storage: biases Float64, factors Float32 — half the memory of Surprise's float64 for the
 * 571K-user Taste Profile. On one Last.fm 2K split, 6 seeds give RMSE 0.8533–0.8547 against
 * 0.8519–0.8532 for 3 seeds of a float64 numpy transcription of Surprise: within ±0.002.
 *
 * @example
 * const svd = new SvdModel({ factors: 50, epochs: 30, seed: 1 });
 * const fit = await svd.fit(trainSet, { validation, onProgress: (p) => console.log(p.epoch, p.validationRmse) });
 * svd.predict('user-1', 'song-9');   // e.g. 3.84
 */
export class SvdModel extends EmbeddingModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = SVD_SPEC;
  readonly name = 'svd' as const;
  declare readonly options: Readonly<SvdParams>;
  private mu = 0;
  private bu: Float64Array = new Float64Array(0);
  private bi: Float64Array = new Float64Array(0);
  private pu: Float32Array = new Float32Array(0);
  private qi: Float32Array = new Float32Array(0);
  /** Fold-in ridge weights (λ_b, λ_p); see the class comment. */
  private foldIn: FoldInPriors = { lambdaBias: 1, lambdaFactor: 1 };

  constructor(options: SvdOptions | Record<string, ParamValue> = {}) {
    super('svd', options);
  }

  /**
   * Factor count as a small integer. Option objects may hold numbers as boxed doubles, and an
   * index computed as u × 100.0 makes V8 compile every array access for doubles: the SGD
   * epoch ran 1.9× slower on Last.fm 2K (33 vs 18 ms) until this `| 0`.
   */
  private get k(): number {
    return this.options.factors | 0;
  }

  /** Global mean μ, user and item biases and factors (views of the model's arrays; do not modify). */
  get parameters(): { mu: number; bu: Float64Array; bi: Float64Array; pu: Float32Array; qi: Float32Array } {
    return { mu: this.mu, bu: this.bu, bi: this.bi, pu: this.pu, qi: this.qi };
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const { epochs, learningRate: lr, regularization: reg, biased } = this.options;
    const k = this.k;
    const m = data.ratings;
    const nUsers = m.rows;
    const nItems = m.cols;
    const rng = new Rng(this.options.seed);
    // Same draw order as Surprise: all of P, then all of Q.
    checkModelSize(
      'svd',
      'factors',
      k,
      (nUsers + nItems) * k * 4,
      `(${nUsers} users + ${nItems} items) × ${k} factors`,
    );
    const weights = new Float32Array((nUsers + nItems) * k);
    const pu = weights.subarray(0, nUsers * k);
    const qi = weights.subarray(nUsers * k);
    const { initMean, initStd } = this.options;
    for (let j = 0; j < pu.length; j++) pu[j] = initMean + initStd * rng.normal();
    for (let j = 0; j < qi.length; j++) qi[j] = initMean + initStd * rng.normal();
    const bu = new Float64Array(nUsers);
    const bi = new Float64Array(nItems);
    // Unbiased SVD learns around 0; μ is still kept as the fallback for unknown ids.
    const mean = globalMean(m);
    const mu = biased ? mean : 0;
    this.embeddingsChanged();
    Object.assign(this, { mu: mean, bu, bi, pu, qi, counts: undefined });

    const n = nnz(m);
    const batches = Math.max(1, Math.ceil(n / BATCH_RATINGS));
    const loop = new TrainingLoop('svd', epochs, batches, options);

    epochLoop: for (let epoch = 1; epoch <= epochs; epoch++) {
      loop.beginEpoch();
      let sse = 0;
      let batch = 0;
      // Batches are runs of whole users with about BATCH_RATINGS ratings.
      for (let u0 = 0; u0 < nUsers; ) {
        let u1 = u0 + 1;
        const limit = m.indptr[u0] + BATCH_RATINGS;
        while (u1 < nUsers && m.indptr[u1 + 1] <= limit) u1++;
        sse += sgdUsers(
          m.indptr,
          m.indices,
          m.values,
          weights,
          nUsers * k,
          bu,
          bi,
          k,
          mu,
          lr,
          reg,
          biased,
          u0,
          u1,
        );
        u0 = u1;
        batch++;
        const running = sse / Math.max(m.indptr[u1], 1);
        if (!(await loop.batch(epoch, Math.min(batch, batches), () => running))) break epochLoop;
      }
      const loss = n === 0 ? 0 : sse / n;
      loop.endEpoch(epoch, {
        loss,
        trainRmse: Math.sqrt(loss),
        validationRmse: options.validation ? validationRmse(this, options.validation) : undefined,
      });
    }
    this.forgetUntrained(data);
    this.fitFoldInPriors(data);
    return loop.finish('js');
  }

  /** Users/items without training ratings keep only their (zero) biases: see the class comment. */
  private forgetUntrained(data: TrainSet): void {
    const k = this.k;
    const counts = interactionCounts(data.ratings);
    for (let u = 0; u < counts.users.length; u++)
      if (counts.users[u] === 0) this.pu.fill(0, u * k, u * k + k);
    for (let i = 0; i < counts.items.length; i++)
      if (counts.items[i] === 0) this.qi.fill(0, i * k, i * k + k);
  }

  private fitFoldInPriors(data: TrainSet): void {
    this.foldIn = foldInPriors(data.ratings, (u, i) => this.raw(u, i), this.bu, this.pu, this.k);
  }

  /** Unclipped r̂ for known indices (unknown ones have zero biases and factors). */
  private raw(u: number, i: number): number {
    const k = this.k;
    let dot = 0;
    const uo = u * k;
    const io = i * k;
    for (let f = 0; f < k; f++) dot += this.qi[io + f] * this.pu[uo + f];
    return this.offset + this.bu[u] + this.bi[i] + dot;
  }

  /** μ in the prediction rule: the training mean, or 0 for the unbiased model. */
  private get offset(): number {
    return this.options.biased ? this.mu : 0;
  }

  override predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`svd: ${users.length} users but ${items.length} items to predict`);
    const nUsers = this.users.size;
    const nItems = this.items.size;
    const k = this.k;
    const { pu, qi, bu, bi, offset } = this;
    const { min, max } = this.scale;
    const biased = this.options.biased;
    const out = new Float32Array(users.length);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      const i = items[j];
      if (u >= nUsers || u < -1) throw new RangeError(`svd: user index ${u} outside -1..${nUsers - 1}`);
      if (i >= nItems || i < -1) throw new RangeError(`svd: item index ${i} outside -1..${nItems - 1}`);
      let est = offset;
      if (u >= 0) est += bu[u];
      if (i >= 0) est += bi[i];
      if (u >= 0 && i >= 0) {
        const uo = u * k;
        const io = i * k;
        for (let f = 0; f < k; f++) est += qi[io + f] * pu[uo + f];
      }
      // Unbiased SVD has nothing to say about unknown ids: fall back to the training mean.
      if (!biased && !this.bothTrained(u, i)) est = this.mu;
      out[j] = est < min ? min : Math.min(est, max);
    }
    return out;
  }

  /** Scores μ + b_u + b_i + q_iᵀp_u: item vectors q_i with b_i … */
  protected itemEmbeddings(): ItemEmbeddings {
    return { vectors: this.qi, dim: this.k, stride: this.k, bias: this.bi };
  }

  /** … and user vectors p_u with μ + b_u (see `EmbeddingModel` for the scoring). */
  protected userEmbeddings(users: Uint32Array): UserEmbeddings {
    const offset = this.offset;
    return {
      vectors: packRows(this.pu, this.k, users),
      offsets: Array.from(users, (u) => offset + this.bu[u]),
    };
  }

  /** User bias and factors for a new listener (see the class comment); exposed for tests and tools. */
  foldInUser(items: Uint32Array, ratings: Float32Array): { bias: number; factors: Float64Array } {
    if (items.length !== ratings.length)
      throw new RangeError(`svd: ${items.length} items but ${ratings.length} ratings to fold in`);
    const k = this.k;
    const counts = this.itemCounts();
    return ridgeFoldIn(items.length, k, this.foldIn, this.options.biased, (j, q) => {
      const i = items[j];
      if (i >= counts.length) throw new RangeError(`svd: item index ${i} outside 0..${counts.length - 1}`);
      if (counts[i] === 0) return undefined;
      for (let f = 0; f < k; f++) q[f] = this.qi[i * k + f];
      return ratings[j] - this.offset - this.bi[i];
    });
  }

  private counts?: { users: Uint32Array; items: Uint32Array };
  private itemCounts(): Uint32Array {
    this.counts ??= interactionCounts(this.trainSet.ratings);
    return this.counts.items;
  }

  /** Unbiased model only: is (u, i) a pair the factors can speak for? */
  private bothTrained(u: number, i: number): boolean {
    this.counts ??= interactionCounts(this.trainSet.ratings);
    return u >= 0 && i >= 0 && this.counts.users[u] > 0 && this.counts.items[i] > 0;
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    const { bias, factors } = this.foldInUser(items, ratings);
    return this.scoreVector(factors, this.offset + bias);
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await writeState(
      store,
      STATE_FILE,
      'svd-state',
      { bu: this.bu, bi: this.bi, pu: this.pu, qi: this.qi },
      { mu: this.mu, factors: this.options.factors, foldIn: this.foldIn },
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const state = await readState(store, STATE_FILE, 'svd-state');
    const { mu, factors, foldIn } = state.meta as {
      mu: number;
      factors: number;
      foldIn: { lambdaBias: number | null; lambdaFactor: number | null };
    };
    const k = this.k;
    const nUsers = this.users.size;
    const nItems = this.items.size;
    if (factors !== k) throw state.corrupt(`holds ${factors} factors but manifest.json says ${k}`);
    const bu = state.array('bu', Float64Array, nUsers);
    const bi = state.array('bi', Float64Array, nItems);
    const pu = state.array('pu', Float32Array, nUsers * k);
    const qi = state.array('qi', Float32Array, nItems * k);
    this.embeddingsChanged();
    Object.assign(this, {
      mu,
      bu,
      bi,
      pu,
      qi,
      foldIn: priorsFromJson(foldIn),
      counts: undefined,
    });
  }
}

/**
 * One SGD pass over the ratings of users u0..u1-1; returns their sum of squared errors
 * (before each update). The hot loop (≈1.7M ratings × 100 factors per Last.fm 2K fit): user
 * factors and item factors live in one array `w` (items from `itemOffset`), and both inner
 * loops are unrolled by 4, because once any ArrayBuffer in the process has been detached
 * (WebAssembly memory growth, tfjs, transferred buffers) V8 checks every typed-array access
 * for detachment, and fewer arrays and iterations mean fewer checks: 20 ms per epoch instead of
 * 26 in that state, 15 instead of 18 otherwise. `k` must be a small integer (see `SvdModel.k`).
 */
function sgdUsers(
  indptr: Uint32Array,
  indices: Uint32Array,
  values: Float32Array,
  w: Float32Array,
  itemOffset: number,
  bu: Float64Array,
  bi: Float64Array,
  k: number,
  mu: number,
  lr: number,
  reg: number,
  biased: boolean,
  u0: number,
  u1: number,
): number {
  const k4 = k & ~3;
  const decay = 1 - lr * reg;
  let sse = 0;
  for (let u = u0; u < u1; u++) {
    const uo = u * k;
    const end = indptr[u + 1];
    for (let p = indptr[u]; p < end; p++) {
      const i = indices[p];
      const io = itemOffset + i * k;
      const dot = dotAt(w, io, w, uo, k);
      const err = values[p] - (mu + bu[u] + bi[i] + dot);
      sse += err * err;
      if (biased) {
        bu[u] += lr * (err - reg * bu[u]);
        bi[i] += lr * (err - reg * bi[i]);
      }
      const step = lr * err;
      let f = 0;
      for (; f < k4; f += 4) {
        const a0 = w[uo + f];
        const a1 = w[uo + f + 1];
        const a2 = w[uo + f + 2];
        const a3 = w[uo + f + 3];
        const b0 = w[io + f];
        const b1 = w[io + f + 1];
        const b2 = w[io + f + 2];
        const b3 = w[io + f + 3];
        w[uo + f] = decay * a0 + step * b0;
        w[uo + f + 1] = decay * a1 + step * b1;
        w[uo + f + 2] = decay * a2 + step * b2;
        w[uo + f + 3] = decay * a3 + step * b3;
        w[io + f] = decay * b0 + step * a0;
        w[io + f + 1] = decay * b1 + step * a1;
        w[io + f + 2] = decay * b2 + step * a2;
        w[io + f + 3] = decay * b3 + step * a3;
      }
      for (; f < k; f++) {
        const a = w[uo + f];
        const b = w[io + f];
        w[uo + f] = decay * a + step * b;
        w[io + f] = decay * b + step * a;
      }
    }
  }
  return sse;
}
