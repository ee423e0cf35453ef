import type { TrainSet } from '@autorec/data';
import { ModelFormatError } from '../errors.ts';
import { BASELINE_REG_USER, BaselineOnlyModel, baselineFoldInBias } from './baselines.ts';

/**
 * Rating predictions for models that only rank (iALS, EASE): BaselineOnly's
 * r̂ = μ + b_u + b_i fitted on the same training data (unknown ids: their bias is 0), and for
 * a new listener b_u by BaselineOnly's ALS user step, Σ_j (r_j − μ − b_j) / (15 + n). So RMSE
 * columns and `predict` stay meaningful for a ranking model, and say plainly that they are
 * the baseline's.
 *
 * @example
 * const fallback = await RatingFallback.fit(trainSet);
 * fallback.predict(Int32Array.of(0), Int32Array.of(3), (x) => clip(x), 'ials');
 */
export class RatingFallback {
  private constructor(
    readonly mu: number,
    readonly bu: Float64Array,
    readonly bi: Float64Array,
  ) {}

  static async fit(data: TrainSet): Promise<RatingFallback> {
    const baseline = new BaselineOnlyModel();
    await baseline.fit(data);
    const { mu, bu, bi } = baseline.parameters;
    return new RatingFallback(mu, bu, bi);
  }

  /** Rebuilds from saved values, checking the array lengths against the model's id maps. */
  static restore(
    file: string,
    mu: unknown,
    bu: unknown,
    bi: unknown,
    users: number,
    items: number,
  ): RatingFallback {
    const corrupt = (what: string) =>
      new ModelFormatError(`${file}: ${what}; the model directory is corrupt`, { file });
    if (typeof mu !== 'number') throw corrupt('the rating baseline has no global mean');
    if (!(bu instanceof Float64Array) || bu.length !== users)
      throw corrupt(`user biases should be ${users} float64 values`);
    if (!(bi instanceof Float64Array) || bi.length !== items)
      throw corrupt(`item biases should be ${items} float64 values`);
    return new RatingFallback(mu, bu, bi);
  }

  /** μ + b_u + b_i for index pairs (−1 = unknown), clipped by `clip`. */
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
      out[j] = clip(this.mu + (u >= 0 ? this.bu[u] : 0) + (i >= 0 ? this.bi[i] : 0));
    }
    return out;
  }

  /** Ratings at `targets` for a new listener with these (item, rating) plays. */
  predictFoldIn(
    items: Uint32Array,
    ratings: Float32Array,
    targets: Uint32Array,
    clip: (x: number) => number,
  ): Float32Array {
    const bu = baselineFoldInBias(this.mu, this.bi, items, ratings, BASELINE_REG_USER);
    return Float32Array.from(targets, (i) => clip(this.mu + bu + this.bi[i]));
  }
}
