import { solveSymmetricPositive } from '../linalg.ts';

/**
 * Ridge regression with an unpenalised intercept: minimises Σ_j (t_j − w·x_j − c)² + penalty·‖w‖²
 * over w ∈ ℝ^d and c, for n rows x_j (row-major n × d). Solved on centred data through the
 * smaller of the two normal systems — primal (d × d) or dual (n × n) — by Cholesky, so
 * a listener with 30 songs and a 500-unit code costs a 30 × 30 solve.
 *
 * I-AutoRec's fold-in uses it to fit a new listener's decoder row against the item codes.
 *
 * @example
 * ridgeWithIntercept(Float32Array.of(1, 2, 3), Float32Array.of(2, 4, 6), 3, 1, 1e-9); // w ≈ [2], c ≈ 0
 */
export function ridgeWithIntercept(
  x: Float32Array,
  t: ArrayLike<number>,
  n: number,
  d: number,
  penalty: number,
): { w: Float64Array; c: number } {
  const w = new Float64Array(d);
  if (n === 0) return { w, c: 0 };
  const mean = new Float64Array(d);
  let tMean = 0;
  for (let j = 0; j < n; j++) {
    tMean += t[j];
    for (let a = 0; a < d; a++) mean[a] += x[j * d + a];
  }
  tMean /= n;
  for (let a = 0; a < d; a++) mean[a] /= n;
  const xc = new Float64Array(n * d);
  for (let j = 0; j < n; j++) for (let a = 0; a < d; a++) xc[j * d + a] = x[j * d + a] - mean[a];
  const tc = Float64Array.from({ length: n }, (_, j) => t[j] - tMean);
  // A tiny jitter keeps the system positive definite when penalty = 0 and n < d.
  const ridge = Math.max(penalty, 1e-9);
  if (n < d) {
    // Dual: w = Xcᵀ (Xc Xcᵀ + ridge·I)⁻¹ tc.
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let a = 0; a < d; a++) s += xc[i * d + a] * xc[j * d + a];
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    for (let i = 0; i < n; i++) g[i * n + i] += ridge;
    const alpha = solveSymmetricPositive(g, tc, n);
    for (let j = 0; j < n; j++) for (let a = 0; a < d; a++) w[a] += alpha[j] * xc[j * d + a];
  } else {
    // Primal: (Xcᵀ Xc + ridge·I) w = Xcᵀ tc.
    const g = new Float64Array(d * d);
    const rhs = new Float64Array(d);
    for (let j = 0; j < n; j++) {
      const o = j * d;
      for (let a = 0; a < d; a++) {
        const xa = xc[o + a];
        rhs[a] += xa * tc[j];
        for (let b = 0; b <= a; b++) g[a * d + b] += xa * xc[o + b];
      }
    }
    for (let a = 0; a < d; a++) {
      g[a * d + a] += ridge;
      for (let b = 0; b < a; b++) g[b * d + a] = g[a * d + b];
    }
    w.set(solveSymmetricPositive(g, rhs, d));
  }
  let c = tMean;
  for (let a = 0; a < d; a++) c -= w[a] * mean[a];
  return { w, c };
}
