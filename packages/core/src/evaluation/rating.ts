import { type CsrMatrix, nnz } from '@autorec/data';
import { ErrorAccumulator } from '../metrics/rating.ts';
import type { Recommender } from '../recommender.ts';

/** RMSE and MAE over a set of test ratings; both absent when the set is empty. */
export interface ErrorSummary {
  count: number;
  rmse?: number;
  mae?: number;
}

/**
 * Rating accuracy on a test matrix, split by what the model knew: `warm` ratings have both
 * user and item in training, `cold` the rest (a user, an item or both without training
 * ratings, predicted by the model's fallback).
 */
export interface RatingEvaluation {
  all: ErrorSummary;
  warm: ErrorSummary;
  cold: ErrorSummary;
  /** Cold ratings whose user had no training ratings. */
  coldUserRatings: number;
  /** Cold ratings whose item had no training ratings. */
  coldItemRatings: number;
  /** Each test user's mean squared error, for paired significance tests (users ascending). */
  perUser: { users: Uint32Array; mse: Float64Array };
}

/** Errors tallied overall, warm and cold, with the cold ratings' causes: shared by the rating protocols. */
export class RatingTally {
  private readonly all = new ErrorAccumulator();
  private readonly warm = new ErrorAccumulator();
  private readonly cold = new ErrorAccumulator();
  private coldUserRatings = 0;
  private coldItemRatings = 0;

  add(predicted: number, actual: number, userCold: boolean, itemCold: boolean): void {
    this.all.add(predicted, actual);
    (userCold || itemCold ? this.cold : this.warm).add(predicted, actual);
    if (userCold) this.coldUserRatings++;
    if (itemCold) this.coldItemRatings++;
  }

  result(perUser: RatingEvaluation['perUser']): RatingEvaluation {
    return {
      all: summary(this.all),
      warm: summary(this.warm),
      cold: summary(this.cold),
      coldUserRatings: this.coldUserRatings,
      coldItemRatings: this.coldItemRatings,
      perUser,
    };
  }
}

/** Ratings predicted per `predictIndices` call. */
const CHUNK = 1 << 16;

/**
 * RMSE and MAE of `model` on `test` (same users × items shape as the model's training
 * matrix, as the data package's splits produce), warm and cold separately, plus per-user MSE.
 * Predictions are clipped to the rating scale by the model. Predicts in chunks, so memory
 * stays flat however large the test set.
 *
 * @example
 * const r = evaluateRatings(svd, split.test);
 * r.all.rmse; r.warm.rmse; r.cold.count;
 */
export function evaluateRatings(model: Recommender, test: CsrMatrix): RatingEvaluation {
  const train = model.trainSet.ratings;
  checkShape(train, test, 'test');
  if (nnz(test) === 0) throw new RangeError('evaluateRatings: the test matrix has no ratings (empty input)');
  const cold = model.coldItems();
  const tally = new RatingTally();
  const testUsers: number[] = [];
  for (let u = 0; u < test.rows; u++) if (test.indptr[u + 1] > test.indptr[u]) testUsers.push(u);
  const users = Uint32Array.from(testUsers);
  const sse = new Float64Array(users.length);

  const uBuf = new Int32Array(CHUNK);
  const iBuf = new Int32Array(CHUNK);
  const slot = new Uint32Array(CHUNK);
  let filled = 0;
  const rowOf = new Int32Array(CHUNK);
  const flush = () => {
    if (filled === 0) return;
    const pred = model.predictIndices(uBuf.subarray(0, filled), iBuf.subarray(0, filled));
    for (let j = 0; j < filled; j++) {
      const p = slot[j];
      const actual = test.values[p];
      const u = uBuf[j];
      const i = iBuf[j];
      tally.add(pred[j], actual, train.indptr[u + 1] === train.indptr[u], cold[i] === 1);
      sse[rowOf[j]] += (pred[j] - actual) ** 2;
    }
    filled = 0;
  };
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    for (let p = test.indptr[u]; p < test.indptr[u + 1]; p++) {
      uBuf[filled] = u;
      iBuf[filled] = test.indices[p];
      slot[filled] = p;
      rowOf[filled] = r;
      filled++;
      if (filled === CHUNK) flush();
    }
  }
  flush();
  const mse = Float64Array.from(sse, (s, r) => s / (test.indptr[users[r] + 1] - test.indptr[users[r]]));
  return tally.result({ users, mse });
}

/**
 * RMSE on a validation matrix, for the validation curve a model reports after each epoch: the
 * `all` RMSE of {@link evaluateRatings}, undefined when the matrix holds no rating. Models call
 * this rather than a loop of their own, so a curve means the same thing for every model.
 *
 * @example
 * loop.endEpoch(epoch, { loss, validationRmse: validationRmse(this, options.validation) });
 */
export function validationRmse(model: Recommender, validation: CsrMatrix): number | undefined {
  return nnz(validation) === 0 ? undefined : evaluateRatings(model, validation).all.rmse;
}

function summary(acc: ErrorAccumulator): ErrorSummary {
  return acc.count === 0 ? { count: 0 } : { count: acc.count, rmse: acc.rmse(), mae: acc.mae() };
}

export function checkShape(train: CsrMatrix, other: CsrMatrix, what: string): void {
  if (other.rows !== train.rows || other.cols !== train.cols)
    throw new RangeError(
      `${what} matrix is ${other.rows}×${other.cols} but the model was trained on ${train.rows}×${train.cols}; ` +
        'evaluate on a split of the same prepared dataset',
    );
}
