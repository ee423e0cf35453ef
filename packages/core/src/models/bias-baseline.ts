import type { CsrMatrix } from '@autorec/data';
import { corruptFile, globalMean, itemMajor } from './shared.ts';

/**
 * The one bias baseline of the package, r̂_ui = μ + b_u + b_i (Koren 2010, §2.1; Surprise's
 * `BaselineOnly` with ALS). It is BaselineOnly's model, the rating fallback of the ranking models
 * (iALS, EASE), popularity's rating prediction (item step only) and AutoRec's baseline (its
 * fallback for cold ids and what its decoder learns the residual from) — one fit, one fold-in,
 * one set of constants.
 *
 * Fit: μ is the mean training rating; from zero biases, each epoch first every item, then every
 * user:
 *
 *     b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (λ_i + |R(i)|)      λ_i = regItem = 10
 *     b_u = Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (λ_u + |R(u)|)      λ_u = regUser = 15
 *
 * for 10 epochs. An id without training ratings keeps bias 0. The user step comes last, so the
 * fold-in of a training user's own ratings gives back exactly their b_u:
 *
 *     b_new = Σ_j (r_j − μ − b_j) / (λ_u + n)      (0 without plays)
 *
 * Unknown ids (index −1): their bias is 0, so an unknown user gets μ + b_i, an unknown item
 * μ + b_u, both μ.
 *
 * @example
 * const baseline = BiasBaseline.fit(trainSet.ratings);
 * baseline.rating(u, i);                                  // μ + b_u + b_i
 * baseline.foldInBias(items, ratings);                   // b_u of a new listener
 * baseline.predict(users, items, (x) => clip(x), 'ials'); // clipped, −1 = unknown
 */
export class BiasBaseline {
  constructor(
    readonly mu: number,
    readonly bu: Float64Array,
    readonly bi: Float64Array,
    /** λ_u, which a new listener's bias is folded in with. */
    readonly regUser: number = BIAS_BASELINE_DEFAULTS.regUser,
  ) {}

  /**
   * Fits μ, b_u and b_i by the ALS epochs of the class comment. `userSteps: false` leaves every
   * b_u at 0 (one item step of shrunk item means: popularity's rating prediction).
   */
  static fit(ratings: CsrMatrix, options: Partial<BiasBaselineOptions> = {}): BiasBaseline {
    const { regUser, regItem, epochs, userSteps } = { ...BIAS_BASELINE_DEFAULTS, ...options };
    const baseline = new BiasBaseline(
      globalMean(ratings),
      new Float64Array(ratings.rows),
      new Float64Array(ratings.cols),
      regUser,
    );
    if (epochs > 0) {
      const byItem = itemMajor(ratings);
      for (let epoch = 0; epoch < epochs; epoch++) baseline.alsEpoch(ratings, byItem, regItem, userSteps);
    }
    return baseline;
  }

  /** Rebuilds from saved values, checking the array lengths against the model's id maps. */
  static restore(
    file: string,
    mu: unknown,
    bu: unknown,
    bi: unknown,
    users: number,
    items: number,
    regUser = BIAS_BASELINE_DEFAULTS.regUser,
  ): BiasBaseline {
    const corrupt = (what: string) => corruptFile(file, what);
    if (typeof mu !== 'number') throw corrupt('the rating baseline has no global mean');
    if (!(bu instanceof Float64Array) || bu.length !== users)
      throw corrupt(`user biases should be ${users} float64 values`);
    if (!(bi instanceof Float64Array) || bi.length !== items)
      throw corrupt(`item biases should be ${items} float64 values`);
    return new BiasBaseline(mu, bu, bi, regUser);
  }

  /**
   * One ALS epoch in place (items, then users unless `userSteps` is false); `byItem` is the
   * item-major copy of `m`. BaselineOnly calls it epoch by epoch to report progress.
   */
  alsEpoch(m: CsrMatrix, byItem: CsrMatrix, regItem: number, userSteps = true): void {
    const { mu, bu, bi } = this;
    for (let i = 0; i < byItem.rows; i++) {
      const n = byItem.indptr[i + 1] - byItem.indptr[i];
      let dev = 0;
      for (let p = byItem.indptr[i]; p < byItem.indptr[i + 1]; p++)
        dev += byItem.values[p] - mu - bu[byItem.indices[p]];
      bi[i] = n === 0 ? 0 : dev / (regItem + n);
    }
    if (!userSteps) return;
    for (let u = 0; u < m.rows; u++) {
      const n = m.indptr[u + 1] - m.indptr[u];
      let dev = 0;
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) dev += m.values[p] - mu - bi[m.indices[p]];
      bu[u] = n === 0 ? 0 : dev / (this.regUser + n);
    }
  }

  /** μ + b_u + b_i, unclipped; −1 for an unknown user or item. */
  rating(user: number, item: number): number {
    return this.mu + (user >= 0 ? this.bu[user] : 0) + (item >= 0 ? this.bi[item] : 0);
  }

  /** b_u of a listener not in training, from item indices and ratings (the ALS user step). */
  foldInBias(items: ArrayLike<number>, ratings: ArrayLike<number>): number {
    return foldInBias(this.mu, this.bi, this.regUser, items, ratings);
  }

  /** μ + b_u + b_i for index pairs (−1 = unknown), clipped by `clip`; `model` names range errors. */
  predict(users: Int32Array, items: Int32Array, clip: (x: number) => number, model: string): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`${model}: ${users.length} users but ${items.length} items to predict`);
    const nUsers = this.bu.length;
    const nItems = this.bi.length;
    const out = new Float32Array(users.length);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      const i = items[j];
      if (u >= nUsers || u < -1) throw new RangeError(`${model}: user index ${u} outside -1..${nUsers - 1}`);
      if (i >= nItems || i < -1) throw new RangeError(`${model}: item index ${i} outside -1..${nItems - 1}`);
      out[j] = clip(this.rating(u, i));
    }
    return out;
  }

  /** Ratings at `targets` for a new listener with these (item, rating) plays, clipped by `clip`. */
  predictFoldIn(
    items: Uint32Array,
    ratings: Float32Array,
    targets: Uint32Array,
    clip: (x: number) => number,
  ): Float32Array {
    const bu = this.foldInBias(items, ratings);
    return Float32Array.from(targets, (i) => clip(this.mu + bu + this.bi[i]));
  }
}

/**
 * The fold-in user step on biases held elsewhere (AutoRec keeps them as float32):
 * Σ_j (r_j − μ − b_j) / (λ_u + n), 0 without plays.
 */
export function foldInBias(
  mu: number,
  bi: ArrayLike<number>,
  regUser: number,
  items: ArrayLike<number>,
  ratings: ArrayLike<number>,
): number {
  let dev = 0;
  for (let j = 0; j < items.length; j++) dev += ratings[j] - mu - bi[items[j]];
  return items.length === 0 ? 0 : dev / (regUser + items.length);
}

/** How the baseline is fitted. */
export interface BiasBaselineOptions {
  /** Shrinkage λ_u of user biases (ratings' worth of prior towards 0); also used for fold-in. */
  regUser: number;
  /** Shrinkage λ_i of item biases. */
  regItem: number;
  /** ALS epochs. */
  epochs: number;
  /** false: item steps only, every b_u stays 0. */
  userSteps: boolean;
}

/** The baseline's constants (BaselineOnly's defaults, Surprise's): λ_u 15, λ_i 10, 10 epochs. */
export const BIAS_BASELINE_DEFAULTS: Readonly<BiasBaselineOptions> = {
  regUser: 15,
  regItem: 10,
  epochs: 10,
  userSteps: true,
};

/**
 * The constants AutoRec fits the same baseline with: λ_u 10, λ_i 25, 3 epochs. Its residual
 * network was tuned on them, and on the Last.fm 2K benchmark split (tools/bench/autorec.ts
 * lastfm) they are the better baseline there: test RMSE 0.8776 against 0.9058 with BaselineOnly's
 * constants, which would cost I-AutoRec 0.8366 → 0.8453 and U-AutoRec 0.8803 → 0.9094.
 */
export const AUTOREC_BASELINE: Readonly<BiasBaselineOptions> = {
  regUser: 10,
  regItem: 25,
  epochs: 3,
  userSteps: true,
};
