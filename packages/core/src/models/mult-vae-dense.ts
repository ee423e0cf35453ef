import type { CsrMatrix, Rng } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { fastBackendActive } from './dense-product.ts';

/**
 * Dense float32 helpers of the Mult-VAE / Mult-DAE network (`mult-vae-net.ts`): row-major
 * products and transposes, and the two multinomial losses over a batch — the exact softmax over
 * the whole catalogue and a sampled softmax over the listeners' own plays plus shared sampled
 * negatives. Products run as one tfjs matMul on the backend the app set up when it is fast
 * (wasm/XNNPACK, native), else as typed-array loops. tfjs-backend-wasm multiplies transposed
 * operands 10–20× slower than plain ones (backend.ts), so callers pass every operand
 * pre-transposed and only ever ask for A · B.
 */

/** Smallest product (multiply-adds) sent to tfjs; below it the call overhead dominates. */
const TFJS_MIN_PRODUCT = 1 << 15;

/**
 * C (m × n) = A (m × k) · B (k × n), all row-major float32; a fresh array.
 *
 * @example
 * gemm(Float32Array.of(1, 2), Float32Array.of(3, 4), 1, 2, 1); // [11]
 */
export function gemm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  useTfjs = fastBackendActive(),
): Float32Array {
  if (a.length !== m * k || b.length !== k * n)
    throw new RangeError(`gemm: operands of ${a.length} and ${b.length} values for ${m}×${k} · ${k}×${n}`);
  if (!useTfjs || m * k * n < TFJS_MIN_PRODUCT) return gemmJs(a, b, m, k, n);
  // Copied out after the tidy: returning a typed array from tidy makes tfjs walk it (dense-product.ts).
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/** The plain-loop twin of {@link gemm} (i–p–j order: the inner loop walks rows of B and C). */
export function gemmJs(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const co = i * n;
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      if (v === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) c[co + j] += v * b[bo + j];
    }
  }
  return c;
}

/** Aᵀ (cols × rows) of a row-major rows × cols matrix, in 32 × 32 tiles (cache-friendly). */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = a[r * cols + c];
    }
  }
  return out;
}

/** The listeners' target plays of a batch: row b's items are `item[start[b]..start[b+1]]`. */
export interface TargetRows {
  rows: number;
  start: Int32Array;
  item: Int32Array;
}

/**
 * The exact multinomial NLL of a batch, −(1/B) Σ_b Σ_{i ∈ plays(b)} log softmax(f_b)_i, from
 * candidate-major logits (`logitsT`, items × B: item i's logit for listener b at i·B + b).
 * Overwrites `logitsT` with ∂loss/∂f = (n_b · softmax(f_b)_i − x_bi) / B, n_b = |plays(b)|, and
 * returns the loss. Row-order passes keep the 41K × 500 block streaming through the cache.
 */
export function exactSoftmaxLoss(logitsT: Float32Array, items: number, targets: TargetRows): number {
  const B = targets.rows;
  const max = new Float64Array(B).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < items; i++) {
    const o = i * B;
    for (let b = 0; b < B; b++) if (logitsT[o + b] > max[b]) max[b] = logitsT[o + b];
  }
  let loss = 0;
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) loss -= logitsT[targets.item[p] * B + b];
  const sum = new Float64Array(B);
  for (let i = 0; i < items; i++) {
    const o = i * B;
    for (let b = 0; b < B; b++) {
      const e = Math.exp(logitsT[o + b] - max[b]);
      logitsT[o + b] = e;
      sum[b] += e;
    }
  }
  const scale = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const n = targets.start[b + 1] - targets.start[b];
    loss += n * (max[b] + Math.log(sum[b]));
    scale[b] = n / sum[b] / B;
  }
  for (let i = 0; i < items; i++) {
    const o = i * B;
    for (let b = 0; b < B; b++) logitsT[o + b] *= scale[b];
  }
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) logitsT[targets.item[p] * B + b] -= 1 / B;
  return loss / B;
}

/** Shared negatives of a sampled-softmax batch: distinct items and their log correction. */
export interface Negatives {
  item: Int32Array;
  /** log(k_s / (S · q_s)): draws of the item over the expected draws of a weight-1 item. */
  correction: Float32Array;
}

/**
 * The sampled multinomial NLL of a batch (importance-sampled partition function, as the
 * sampled softmax of Jean et al. 2015 / Bengio & Senécal 2008): each listener's normaliser
 * Z_b = Σ_i e^{f_bi} is estimated by their own plays exactly plus the shared negatives,
 *
 *     Ẑ_b = Σ_{i ∈ plays(b)} e^{f_bi} + Σ_{s ∈ N, s ∉ plays(b)} e^{f_bs + c_s},  c_s = log(k_s / (S q_s))
 *
 * with N drawn S times from q (k_s draws of s). E[Ẑ_b] = Z_b exactly (each unplayed item j is
 * counted with weight 1/(S q_j) per draw, S q_j draws expected); log Ẑ_b is biased low by
 * Jensen, the usual price. loss = (1/B) Σ_b (n_b log Ẑ_b − Σ_{i ∈ plays(b)} f_bi).
 *
 * `pos` holds f at each target entry (same order as `targets.item`), `negT` the negatives'
 * logits candidate-major (|N| × B), `hit` the indices s·B + b where listener b played negative s
 * (masked out of their Ẑ). Both arrays are overwritten with the loss's gradient; returns the loss.
 */
export function sampledSoftmaxLoss(
  pos: Float32Array | Float64Array,
  negT: Float32Array | Float64Array,
  negatives: Negatives,
  hit: Int32Array,
  targets: TargetRows,
): number {
  const B = targets.rows;
  const S = negatives.item.length;
  const c = negatives.correction;
  for (let h = 0; h < hit.length; h++) negT[hit[h]] = Number.NEGATIVE_INFINITY;
  const max = new Float64Array(B).fill(Number.NEGATIVE_INFINITY);
  for (let s = 0; s < S; s++)
    for (let b = 0; b < B; b++) {
      const g = negT[s * B + b] + c[s];
      if (g > max[b]) max[b] = g;
    }
  let loss = 0;
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
      if (pos[p] > max[b]) max[b] = pos[p];
      loss -= pos[p];
    }
  const sum = new Float64Array(B);
  for (let s = 0; s < S; s++)
    for (let b = 0; b < B; b++) {
      const e = Math.exp(negT[s * B + b] + c[s] - max[b]);
      negT[s * B + b] = e;
      sum[b] += e;
    }
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
      const e = Math.exp(pos[p] - max[b]);
      pos[p] = e;
      sum[b] += e;
    }
  const scale = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const n = targets.start[b + 1] - targets.start[b];
    if (n > 0) loss += n * (max[b] + Math.log(sum[b]));
    scale[b] = n > 0 ? n / sum[b] / B : 0;
  }
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) negT[s * B + b] *= scale[b];
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) pos[p] = pos[p] * scale[b] - 1 / B;
  return loss / B;
}

/**
 * Draws a batch's shared negatives: S items from q_i ∝ (listeners of i + 1)^power (power 0:
 * uniform), with replacement, merged into distinct items with their correction log(k/(S q)).
 */
export class NegativeSampler {
  private readonly cumulative: Float64Array;
  private readonly q: Float64Array;
  private readonly mark: Int32Array;

  constructor(
    readonly items: number,
    listeners: ArrayLike<number>,
    readonly power: number,
  ) {
    this.q = new Float64Array(items);
    this.cumulative = new Float64Array(items);
    let total = 0;
    for (let i = 0; i < items; i++) {
      this.q[i] = (listeners[i] + 1) ** power;
      total += this.q[i];
      this.cumulative[i] = total;
    }
    for (let i = 0; i < items; i++) {
      this.q[i] /= total;
      this.cumulative[i] /= total;
    }
    this.mark = new Int32Array(items).fill(-1);
  }

  /** S draws from q by `next()` (uniform in [0, 1)), merged. */
  draw(S: number, next: () => number): Negatives {
    const item: number[] = [];
    const count: number[] = [];
    const cum = this.cumulative;
    for (let d = 0; d < S; d++) {
      const u = next();
      let lo = 0;
      let hi = this.items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      if (this.mark[lo] < 0) {
        this.mark[lo] = item.length;
        item.push(lo);
        count.push(1);
      } else count[this.mark[lo]]++;
    }
    const correction = new Float32Array(item.length);
    for (let s = 0; s < item.length; s++) {
      correction[s] = Math.log(count[s] / (S * this.q[item[s]]));
      this.mark[item[s]] = -1;
    }
    return { item: Int32Array.from(item), correction };
  }
}

/** Rows of a sparse batch, L2-normalised per row, as the sparse input layer takes them. */
export interface SparseBatch {
  rows: number;
  /** Row (0..rows−1) of each entry. */
  segment: Int32Array;
  /** Item of each entry. */
  item: Int32Array;
  value: Float32Array;
}

/**
 * The VAE's gradient with respect to its code [μ, log σ²] (B × 2L, row-major), written into
 * `dcode`: ∂z flows back through z = μ + exp(½ log σ²) ⊙ ε (ε the batch's `noise`; none: z = μ),
 * plus β/B times the gradient of KL(N(μ, σ²) ‖ N(0, I)) — μ and ½(σ² − 1). Returns Σ KL over the
 * batch. One home for the typed-array network and the kernel trainer.
 *
 * @example
 * const klSum = variationalCodeGradient(code, dz, noise, beta, B, L, dcode); loss += (beta * klSum) / B;
 */
export function variationalCodeGradient(
  code: Float32Array,
  dz: Float32Array,
  noise: Float32Array | undefined,
  beta: number,
  B: number,
  L: number,
  dcode: Float32Array,
): number {
  const C = 2 * L;
  let kl = 0;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < L; k++) {
      const m = code[b * C + k];
      const lv = code[b * C + L + k];
      const variance = Math.exp(lv);
      kl += 0.5 * (variance + m * m - 1 - lv);
      const d = dz[b * L + k];
      dcode[b * C + k] = d + (beta * m) / B;
      dcode[b * C + L + k] =
        (noise ? d * noise[b * L + k] * 0.5 * Math.sqrt(variance) : 0) + (beta * 0.5 * (variance - 1)) / B;
    }
  return kl;
}

/**
 * The rows `users` of `m` as 1 per play, each row scaled to unit L2 norm (the paper's input
 * normalisation), then — when `keep` < 1 — each entry kept with probability `keep` and scaled
 * by 1/keep (inverted dropout, as tf.nn.dropout after the normalisation in the paper's code).
 */
export function sparseBatch(m: CsrMatrix, users: ArrayLike<number>, keep = 1, rng?: Rng): SparseBatch {
  let total = 0;
  for (let b = 0; b < users.length; b++) total += m.indptr[users[b] + 1] - m.indptr[users[b]];
  const segment = new Int32Array(total);
  const item = new Int32Array(total);
  const value = new Float32Array(total);
  let p = 0;
  for (let b = 0; b < users.length; b++) {
    const start = m.indptr[users[b]];
    const end = m.indptr[users[b] + 1];
    const scale = end > start ? 1 / Math.sqrt(end - start) : 0;
    for (let q = start; q < end; q++) {
      if (keep < 1 && rng && rng.next() >= keep) continue;
      segment[p] = b;
      item[p] = m.indices[q];
      value[p++] = keep < 1 ? scale / keep : scale;
    }
  }
  return {
    rows: users.length,
    segment: segment.subarray(0, p),
    item: item.subarray(0, p),
    value: value.subarray(0, p),
  };
}
