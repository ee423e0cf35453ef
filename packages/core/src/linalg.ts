// Small dense linear algebra shared by the models (fold-in solves of a few dozen unknowns).

/**
 * Solves A x = b for a symmetric positive-definite n×n A (row-major; only the lower triangle is
 * read) by Cholesky factorisation. A is overwritten with its factor.
 *
 * @example
 * solveSymmetricPositive(Float64Array.of(4, 2, 2, 3), Float64Array.of(2, 5), 2); // [-0.5, 2]
 */
export function solveSymmetricPositive(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let p = 0; p < j; p++) d -= a[j * n + p] ** 2;
    if (!(d > 0)) throw new RangeError('matrix is not positive definite');
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = s / l;
    }
  }
  const y = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = y[i];
    for (let p = 0; p < i; p++) s -= a[i * n + p] * y[p];
    y[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < n; p++) s -= a[p * n + i] * y[p];
    y[i] = s / a[i * n + i];
  }
  return y;
}
