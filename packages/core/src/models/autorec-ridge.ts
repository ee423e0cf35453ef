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

/**
 * Σ_i a_i·z_i z_iᵀ with z_i = [x_i, 1] over n rows x_i (row-major n × d) — the Gram matrix of
 * {@link implicitRidgeRow}, (d + 1) × (d + 1), computed once for every new listener.
 */
export function weightedGram(x: Float32Array, n: number, d: number, a: ArrayLike<number>): Float64Array {
  const e = d + 1;
  const g = new Float64Array(e * e);
  const z = new Float64Array(e);
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    if (ai === 0) continue;
    for (let k = 0; k < d; k++) z[k] = x[i * d + k];
    z[d] = 1;
    for (let p = 0; p < e; p++) {
      const zp = ai * z[p];
      for (let q = 0; q <= p; q++) g[p * e + q] += zp * z[q];
    }
  }
  for (let p = 0; p < e; p++) for (let q = 0; q < p; q++) g[q * e + p] = g[p * e + q];
  return g;
}

/**
 * The whole-vector implicit least squares for one new output row: minimises
 * Σ_{i ∈ played} (t − w·x_i − c)² + Σ_{i ∉ played} a_i·(w·x_i + c)² + penalty·‖w‖² over w and an
 * unpenalised intercept c, given `gram` = {@link weightedGram}(x, a). The played rows change
 * the weight of their own term from a_i to 1, so the system is gram + Σ_played (1 − a_i) z zᵀ —
 * one (d + 1)² solve, as implicit ALS folds in a user.
 *
 * @example
 * const g = weightedGram(codes, nItems, hidden, a);
 * const { w, c } = implicitRidgeRow(g, codes, hidden, Uint32Array.of(3, 7), a, 1, 15);
 */
export function implicitRidgeRow(
  gram: Float64Array,
  x: Float32Array,
  d: number,
  played: ArrayLike<number>,
  a: ArrayLike<number>,
  target: number,
  penalty: number,
): { w: Float64Array; c: number } {
  const e = d + 1;
  const g = gram.slice();
  const rhs = new Float64Array(e);
  const z = new Float64Array(e);
  for (let j = 0; j < played.length; j++) {
    const i = played[j];
    for (let k = 0; k < d; k++) z[k] = x[i * d + k];
    z[d] = 1;
    const extra = 1 - a[i];
    for (let p = 0; p < e; p++) {
      rhs[p] += target * z[p];
      const zp = extra * z[p];
      for (let q = 0; q < e; q++) g[p * e + q] += zp * z[q];
    }
  }
  for (let k = 0; k < d; k++) g[k * e + k] += Math.max(penalty, 1e-9);
  g[d * e + d] += 1e-9;
  const solution = solveSymmetricPositive(g, rhs, e);
  return { w: solution.subarray(0, d), c: solution[d] };
}
