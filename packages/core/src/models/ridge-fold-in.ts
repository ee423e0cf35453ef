import type { CsrMatrix } from '@autorec/data';
import { solveSymmetricPositive } from '../linalg.ts';

/** Ridge weights of a new listener's bias (λ_b) and factors (λ_p); Infinity: leave it at 0. */
export interface FoldInPriors {
  lambdaBias: number;
  lambdaFactor: number;
}

/**
 * The ridge weights a fold-in uses, from the trained model (SVD, SVD++): the residual variance
 * of the training ratings over the spread of the trained users' biases and factors — the
 * posterior mode of a Gaussian model with the trained parameters as the prior — so a listener
 * with few ratings stays close to the average user.
 *
 * @example
 * this.priors = foldInPriors(data.ratings, (u, i) => this.raw(u, i), this.bu, this.pu, k);
 */
export function foldInPriors(
  m: CsrMatrix,
  raw: (u: number, i: number) => number,
  bu: ArrayLike<number>,
  pu: ArrayLike<number>,
  k: number,
): FoldInPriors {
  let sse = 0;
  for (let u = 0; u < m.rows; u++)
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      const e = m.values[p] - raw(u, m.indices[p]);
      sse += e * e;
    }
  const n = m.indptr[m.rows];
  const noise = n > 0 ? Math.max(sse / n, 1e-6) : 1;
  let users = 0;
  let sq = 0;
  let bsq = 0;
  for (let u = 0; u < m.rows; u++) {
    if (m.indptr[u + 1] === m.indptr[u]) continue;
    users++;
    bsq += bu[u] * bu[u];
    for (let f = 0; f < k; f++) sq += pu[u * k + f] ** 2;
  }
  const factorVar = users > 0 ? sq / (users * k) : 0;
  const biasVar = users > 0 ? bsq / users : 0;
  return {
    lambdaBias: biasVar > 0 ? noise / biasVar : Number.POSITIVE_INFINITY,
    lambdaFactor: factorVar > 0 ? noise / factorVar : Number.POSITIVE_INFINITY,
  };
}

/** Priors as JSON keeps them (Infinity becomes null) read back. */
export function priorsFromJson(p: { lambdaBias: number | null; lambdaFactor: number | null }): FoldInPriors {
  const lam = (v: number | null) => (v === null ? Number.POSITIVE_INFINITY : v);
  return { lambdaBias: lam(p.lambdaBias), lambdaFactor: lam(p.lambdaFactor) };
}

/**
 * A new listener's bias b and factors p by ridge regression on their `n` ratings:
 *
 *     min_{b,p} Σ_j (t_j − b − q_jᵀp)² + λ_b b² + λ_p ‖p‖²
 *
 * `row(j, q)` writes the j-th rating's item vector into `q` (length k) and returns its target
 * t_j (the rating minus what the model adds besides b and qᵀp), or undefined to skip it (an
 * item the model learnt nothing about). Without a usable bias prior (or `withBias` false) only
 * p is fitted; with no usable rating, or an infinite λ_p, both stay 0.
 */
export function ridgeFoldIn(
  n: number,
  k: number,
  priors: FoldInPriors,
  withBias: boolean,
  row: (j: number, q: Float64Array) => number | undefined,
): { bias: number; factors: Float64Array } {
  const bias = withBias && Number.isFinite(priors.lambdaBias);
  const off = bias ? 1 : 0;
  const dim = k + off;
  const a = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  const x = new Float64Array(dim);
  const q = new Float64Array(k);
  let used = 0;
  for (let j = 0; j < n; j++) {
    const target = row(j, q);
    if (target === undefined) continue;
    used++;
    if (bias) x[0] = 1;
    x.set(q, off);
    for (let r = 0; r < dim; r++) {
      const xr = x[r];
      rhs[r] += xr * target;
      if (xr === 0) continue;
      for (let c = 0; c <= r; c++) a[r * dim + c] += xr * x[c];
    }
  }
  const factors = new Float64Array(k);
  if (used === 0 || !Number.isFinite(priors.lambdaFactor)) return { bias: 0, factors };
  if (bias) a[0] += priors.lambdaBias;
  for (let f = off; f < dim; f++) a[f * dim + f] += priors.lambdaFactor;
  const sol = solveSymmetricPositive(a, rhs, dim);
  factors.set(sol.subarray(off));
  return { bias: bias ? sol[0] : 0, factors };
}
