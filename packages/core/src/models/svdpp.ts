import { nnz, Rng, type TrainSet } from '@autorec/data';
import { validationRmse } from '../evaluation/rating.ts';
import { checkModelSize } from '../guards.ts';
import type { ModelManifest } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import { EmbeddingModel, type ItemEmbeddings, packRows, type UserEmbeddings } from './embedding-model.ts';
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

const SVDPP_SPEC = {
  factors: {
    kind: 'int',
    default: 20,
    min: 1,
    description: 'Number of latent factors k (Surprise: n_factors)',
  },
  epochs: { kind: 'int', default: 20, min: 0, description: 'Passes of SGD over the training ratings' },
  learningRate: {
    kind: 'number',
    default: 0.007,
    above: 0,
    description: 'SGD step size γ for all parameters',
  },
  regularization: { kind: 'number', default: 0.02, min: 0, description: 'L2 weight λ for all parameters' },
  initMean: { kind: 'number', default: 0, description: 'Mean of the normal initialisation of p_u, q_i, y_j' },
  initStd: {
    kind: 'number',
    default: 0.1,
    min: 0,
    description: 'Std of the normal initialisation of p_u, q_i, y_j',
  },
  seed: { kind: 'int', default: 42, min: 0, description: 'Seed of the factor initialisation' },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (SvdppParams) or as a caller gives them (SvdppOptions). */
export type SvdppParams = ParamsOf<typeof SVDPP_SPEC>;
export type SvdppOptions = Partial<SvdppParams>;

const STATE_FILE = 'svdpp.bin';
/** Ratings visited between two progress/abort checks. */
const BATCH_RATINGS = 1 << 15;

/**
 * SVD++ — Koren, "Factorization Meets the Neighborhood" (KDD 2008) — with the rules and defaults
 * of Surprise's `SVDpp`: a rating is predicted from biases, the user's factors and the items the
 * user rated (implicit feedback N(u): every item with a training rating of u),
 *
 *     r̂_ui = μ + b_u + b_i + q_iᵀ (p_u + |N(u)|^−½ Σ_{j ∈ N(u)} y_j),
 *
 * clipped to the rating scale, fitted by SGD over the training ratings in Surprise's order (user
 * by user) with one step size γ and one L2 weight λ for every parameter: with e = r − r̂ and
 * s_u = |N(u)|^−½ Σ y_j,
 *
 *     b_u ← b_u + γ (e − λ b_u)            b_i ← b_i + γ (e − λ b_i)
 *     p_u ← p_u + γ (e q_i − λ p_u)        q_i ← q_i + γ (e (p_u + s_u) − λ q_i)
 *     y_j ← y_j + γ (e |N(u)|^−½ q_i − λ y_j)   for every j ∈ N(u).
 *
 * p, q and y start normal(initMean, initStd), drawn in Surprise's order (all p, all q, all y);
 * biases start at 0. Surprise updates every y_j of N(u) at each of u's ratings — |N(u)|·k work a
 * rating. Since that update is the same affine map y ← (1 − γλ) y + (γ e |N(u)|^−½) q_i for all j,
 * this implementation composes the maps over u's ratings (y_j = A y_j⁰ + B, s_u = A s_u⁰ +
 * √|N(u)| B) and applies them once at the end of u: the same result up to rounding, in k work a
 * rating. Float64 throughout, as Surprise.
 *
 * Users and items without training ratings keep zero factors (a random p_u would only add noise).
 * Ranking scores are r̂ before clipping (`EmbeddingModel`: item vectors q_i with b_i, user
 * vectors p_u + s_u with μ + b_u). A new listener (`scoreFoldIn`) gets s_u from their items and
 * (b_u, p_u) by ridge regression on their ratings with those fixed, the ridge weights set from
 * the trained biases' and factors' spread (as SVD's fold-in).
 *
 * @example
 * const model = new SvdppModel();   // Surprise's defaults
 * await model.fit(trainSet, { validation });
 * model.predict('196', '242');
 */
export class SvdppModel extends EmbeddingModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = SVDPP_SPEC;
  readonly name = 'svdpp' as const;
  declare readonly options: Readonly<SvdppParams>;
  private mu = 0;
  private bu = new Float64Array(0);
  private bi = new Float64Array(0);
  private pu = new Float64Array(0);
  private qi = new Float64Array(0);
  private yj = new Float64Array(0);
  /** p_u + s_u of every training user, refreshed after each pass and on load. */
  private zu = new Float32Array(0);
  /** q_i as float32, the item side of ranking. */
  private qf = new Float32Array(0);
  private foldIn: FoldInPriors = { lambdaBias: 1, lambdaFactor: 1 };

  constructor(options: SvdppOptions | Record<string, ParamValue> = {}) {
    super('svdpp', options);
  }

  /** Factor count as a small integer (see `SvdModel.k` for why the `| 0`). */
  private get k(): number {
    return this.options.factors | 0;
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const { epochs, learningRate: lr, regularization: reg, initMean, initStd } = this.options;
    const k = this.k;
    const m = data.ratings;
    const nUsers = m.rows;
    const nItems = m.cols;
    checkModelSize(
      'svdpp',
      'factors',
      k,
      (nUsers + 2 * nItems) * k * 8,
      `(${nUsers} users + 2 × ${nItems} items) × ${k} factors`,
    );
    const rng = new Rng(this.options.seed);
    const draw = (length: number) => Float64Array.from({ length }, () => initMean + initStd * rng.normal());
    const pu = draw(nUsers * k);
    const qi = draw(nItems * k);
    const yj = draw(nItems * k);
    const bu = new Float64Array(nUsers);
    const bi = new Float64Array(nItems);
    const counts = interactionCounts(m);
    for (let u = 0; u < nUsers; u++) if (counts.users[u] === 0) pu.fill(0, u * k, u * k + k);
    for (let i = 0; i < nItems; i++)
      if (counts.items[i] === 0) {
        qi.fill(0, i * k, i * k + k);
        yj.fill(0, i * k, i * k + k);
      }
    const mu = globalMean(m);
    Object.assign(this, { mu, bu, bi, pu, qi, yj });
    this.refreshVectors(m);

    const n = nnz(m);
    const batches = Math.max(1, Math.ceil(n / BATCH_RATINGS));
    const loop = new TrainingLoop('svdpp', epochs, batches, options);
    const s = new Float64Array(k);
    const s0 = new Float64Array(k);
    const b = new Float64Array(k);
    epochLoop: for (let epoch = 1; epoch <= epochs; epoch++) {
      loop.beginEpoch();
      let sse = 0;
      let batch = 0;
      let since = 0;
      for (let u = 0; u < nUsers; u++) {
        const start = m.indptr[u];
        const end = m.indptr[u + 1];
        const count = end - start;
        if (count === 0) continue;
        const root = Math.sqrt(count);
        // s⁰ = |N(u)|^−½ Σ y_j⁰; the y_j of N(u) are A·y_j⁰ + B until the end of u.
        s0.fill(0);
        for (let p = start; p < end; p++) {
          const jo = m.indices[p] * k;
          for (let f = 0; f < k; f++) s0[f] += yj[jo + f];
        }
        for (let f = 0; f < k; f++) s0[f] /= root;
        let a = 1;
        b.fill(0);
        const uo = u * k;
        const decay = 1 - lr * reg;
        for (let p = start; p < end; p++) {
          const i = m.indices[p];
          const io = i * k;
          let dot = 0;
          for (let f = 0; f < k; f++) {
            s[f] = a * s0[f] + root * b[f];
            dot += qi[io + f] * (pu[uo + f] + s[f]);
          }
          const err = m.values[p] - (mu + bu[u] + bi[i] + dot);
          sse += err * err;
          bu[u] += lr * (err - reg * bu[u]);
          bi[i] += lr * (err - reg * bi[i]);
          const c = (lr * err) / root;
          for (let f = 0; f < k; f++) {
            const puf = pu[uo + f];
            const qif = qi[io + f];
            pu[uo + f] = puf + lr * (err * qif - reg * puf);
            qi[io + f] = qif + lr * (err * (puf + s[f]) - reg * qif);
            b[f] = decay * b[f] + c * qif;
          }
          a *= decay;
        }
        for (let p = start; p < end; p++) {
          const jo = m.indices[p] * k;
          for (let f = 0; f < k; f++) yj[jo + f] = a * yj[jo + f] + b[f];
        }
        since += count;
        if (since >= BATCH_RATINGS) {
          since = 0;
          batch++;
          const running = sse / Math.max(end, 1);
          if (!(await loop.batch(epoch, Math.min(batch, batches), () => running))) break epochLoop;
        }
      }
      // The pass's last batch (or its only one): an abort stops here at the latest.
      if (!(await loop.batch(epoch, batches, () => (n === 0 ? 0 : sse / n)))) break;
      this.refreshVectors(m);
      const loss = n === 0 ? 0 : sse / n;
      loop.endEpoch(epoch, {
        loss,
        trainRmse: Math.sqrt(loss),
        validationRmse: options.validation ? validationRmse(this, options.validation) : undefined,
      });
    }
    this.refreshVectors(m);
    this.foldIn = foldInPriors(m, (u, i) => this.raw(u, i), this.bu, this.pu, k);
    return loop.finish('js');
  }

  /** Recomputes z_u = p_u + s_u for every user and the float32 q, after the factors changed. */
  private refreshVectors(m: TrainSet['ratings']): void {
    const k = this.k;
    const z = new Float32Array(m.rows * k);
    for (let u = 0; u < m.rows; u++) {
      const start = m.indptr[u];
      const end = m.indptr[u + 1];
      const uo = u * k;
      for (let f = 0; f < k; f++) z[uo + f] = this.pu[uo + f];
      if (end === start) continue;
      const s = this.implicitSum(m.indices.subarray(start, end));
      for (let f = 0; f < k; f++) z[uo + f] += s[f];
    }
    this.zu = z;
    this.qf = Float32Array.from(this.qi);
    this.embeddingsChanged();
  }

  /** s = |N|^−½ Σ_{j ∈ N} y_j for a set of item indices. */
  private implicitSum(items: ArrayLike<number>): Float64Array {
    const k = this.k;
    const s = new Float64Array(k);
    if (items.length === 0) return s;
    for (let n = 0; n < items.length; n++) {
      const jo = items[n] * k;
      for (let f = 0; f < k; f++) s[f] += this.yj[jo + f];
    }
    const root = Math.sqrt(items.length);
    for (let f = 0; f < k; f++) s[f] /= root;
    return s;
  }

  /** Unclipped r̂ of a training user and item. */
  private raw(u: number, i: number): number {
    const k = this.k;
    let dot = 0;
    for (let f = 0; f < k; f++) dot += this.qi[i * k + f] * this.zu[u * k + f];
    return this.mu + this.bu[u] + this.bi[i] + dot;
  }

  override predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`svdpp: ${users.length} users but ${items.length} items to predict`);
    const nUsers = this.users.size;
    const nItems = this.items.size;
    const { min, max } = this.scale;
    const out = new Float32Array(users.length);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      const i = items[j];
      if (u >= nUsers || u < -1) throw new RangeError(`svdpp: user index ${u} outside -1..${nUsers - 1}`);
      if (i >= nItems || i < -1) throw new RangeError(`svdpp: item index ${i} outside -1..${nItems - 1}`);
      // Surprise: an unknown user or item contributes nothing of its own.
      let est = this.mu;
      if (u >= 0) est += this.bu[u];
      if (i >= 0) est += this.bi[i];
      if (u >= 0 && i >= 0) est = this.raw(u, i);
      out[j] = est < min ? min : Math.min(est, max);
    }
    return out;
  }

  protected itemEmbeddings(): ItemEmbeddings {
    return { vectors: this.qf, dim: this.k, stride: this.k, bias: this.bi };
  }

  protected userEmbeddings(users: Uint32Array): UserEmbeddings {
    return {
      vectors: packRows(this.zu, this.k, users),
      offsets: Array.from(users, (u) => this.mu + this.bu[u]),
    };
  }

  /**
   * A new listener's bias and vector z = p_u + s_u from item indices and ratings: s_u from the
   * items, (b_u, p_u) by ridge regression (see the class comment). Exposed for tests and tools.
   */
  foldInUser(items: Uint32Array, ratings: Float32Array): { bias: number; vector: Float64Array } {
    if (items.length !== ratings.length)
      throw new RangeError(`svdpp: ${items.length} items but ${ratings.length} ratings to fold in`);
    const k = this.k;
    const nItems = this.items.size;
    for (const i of items)
      if (i >= nItems) throw new RangeError(`svdpp: item index ${i} outside 0..${nItems - 1}`);
    const s = this.implicitSum(items);
    const { bias, factors } = ridgeFoldIn(items.length, k, this.foldIn, true, (j, q) => {
      const io = items[j] * k;
      let qs = 0;
      for (let f = 0; f < k; f++) {
        q[f] = this.qi[io + f];
        qs += q[f] * s[f];
      }
      return ratings[j] - this.mu - this.bi[items[j]] - qs;
    });
    const vector = new Float64Array(k);
    for (let f = 0; f < k; f++) vector[f] = factors[f] + s[f];
    return { bias, vector };
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    const { bias, vector } = this.foldInUser(items, ratings);
    return this.scoreVector(vector, this.mu + bias);
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await writeState(
      store,
      STATE_FILE,
      'svdpp-state',
      { bu: this.bu, bi: this.bi, pu: this.pu, qi: this.qi, yj: this.yj },
      { mu: this.mu, factors: this.k, foldIn: this.foldIn },
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const state = await readState(store, STATE_FILE, 'svdpp-state');
    const { mu, factors, foldIn } = state.meta as {
      mu: number;
      factors: number;
      foldIn: { lambdaBias: number | null; lambdaFactor: number | null };
    };
    const k = this.k;
    const nUsers = this.users.size;
    const nItems = this.items.size;
    if (factors !== k) throw state.corrupt(`holds ${factors} factors but manifest.json says ${k}`);
    const expect = (name: string, length: number) => state.array(name, Float64Array, length);
    Object.assign(this, {
      mu,
      bu: expect('bu', nUsers),
      bi: expect('bi', nItems),
      pu: expect('pu', nUsers * k),
      qi: expect('qi', nItems * k),
      yj: expect('yj', nItems * k),
      foldIn: priorsFromJson(foldIn),
    });
    this.refreshVectors(this.trainSet.ratings);
  }
}
