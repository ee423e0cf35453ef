/**
 * Root mean squared error: √( (1/n) Σ_j (p_j − a_j)² ). Predictions should already be
 * clipped to the rating scale (the models do so), as Surprise's `accuracy.rmse` assumes.
 *
 * @example
 * rmse([3, 4], [2, 4]); // √((1 + 0) / 2) ≈ 0.7071
 */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  return Math.sqrt(sumOfSquares(predicted, actual, 'rmse') / predicted.length);
}

/**
 * Mean absolute error: (1/n) Σ_j |p_j − a_j|.
 *
 * @example
 * mae([3, 4], [2, 5]); // 1
 */
export function mae(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkPair(predicted, actual, 'mae');
  let s = 0;
  for (let j = 0; j < predicted.length; j++) s += Math.abs(predicted[j] - actual[j]);
  return s / predicted.length;
}

/**
 * Mean squared error: (1/n) Σ_j (p_j − a_j)².
 *
 * @example
 * mse([3, 4], [2, 4]); // 0.5
 */
export function mse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  return sumOfSquares(predicted, actual, 'mse') / predicted.length;
}

function sumOfSquares(predicted: ArrayLike<number>, actual: ArrayLike<number>, what: string): number {
  checkPair(predicted, actual, what);
  let s = 0;
  for (let j = 0; j < predicted.length; j++) {
    const e = predicted[j] - actual[j];
    s += e * e;
  }
  return s;
}

function checkPair(predicted: ArrayLike<number>, actual: ArrayLike<number>, what: string): void {
  if (predicted.length !== actual.length)
    throw new RangeError(`${what}: ${predicted.length} predictions but ${actual.length} actual ratings`);
  if (predicted.length === 0) throw new RangeError(`${what}: no ratings to score (empty input)`);
}

/**
 * Running sums for RMSE/MAE over a stream of errors, so evaluation never holds every
 * prediction of a 48M-rating test set at once.
 *
 * @example
 * const acc = new ErrorAccumulator();
 * acc.add(3, 2); acc.add(4, 4);
 * acc.rmse(); // ≈ 0.7071
 */
export class ErrorAccumulator {
  count = 0;
  sumSquared = 0;
  sumAbsolute = 0;

  add(predicted: number, actual: number): void {
    const e = predicted - actual;
    this.count++;
    this.sumSquared += e * e;
    this.sumAbsolute += Math.abs(e);
  }

  rmse(): number {
    if (this.count === 0) throw new RangeError('rmse: no ratings to score (empty input)');
    return Math.sqrt(this.sumSquared / this.count);
  }

  mae(): number {
    if (this.count === 0) throw new RangeError('mae: no ratings to score (empty input)');
    return this.sumAbsolute / this.count;
  }
}
