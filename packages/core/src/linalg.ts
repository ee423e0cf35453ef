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

/**
 * The inverse of a symmetric positive-definite n×n A (row-major; only the lower triangle is
 * read) by one Cholesky factorisation and n pairs of triangular solves. A is overwritten.
 *
 * @example
 * invertSymmetricPositive(Float64Array.of(4, 2, 2, 3), 2); // [0.375, -0.25, -0.25, 0.5]
 */
export function invertSymmetricPositive(a: Float64Array, n: number): Float64Array {
  const e = new Float64Array(n);
  e[0] = 1;
  const inv = new Float64Array(n * n);
  const first = solveSymmetricPositive(a, e, n); // factors a in place
  for (let r = 0; r < n; r++) inv[r * n] = first[r];
  const y = new Float64Array(n);
  for (let c = 1; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let p = 0; p < i; p++) s -= a[i * n + p] * y[p];
      y[i] = s / a[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let p = i + 1; p < n; p++) s -= a[p * n + i] * y[p];
      y[i] = s / a[i * n + i];
    }
    for (let r = 0; r < n; r++) inv[r * n + c] = y[r];
  }
  return inv;
}
