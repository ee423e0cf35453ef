import { Rng } from '@autorec/data';
import {
  exactSoftmaxLoss,
  gemm,
  type Negatives,
  type SparseBatch,
  sampledSoftmaxLoss,
  type TargetRows,
  transpose,
  variationalCodeGradient,
} from './mult-vae-dense.ts';

/**
 * The Mult-VAE / Mult-DAE network in float32 typed arrays with its hand-written gradient
 * (maths in `mult-vae.ts`). Weights, all row-major:
 *
 *     w1  items × hidden     b1 hidden        (sparse input layer: rows gathered per play)
 *     w2  hidden × code      b2 code          (code = 2·latent for the VAE: μ, log σ²)
 *     w3  latent × hidden    b3 hidden
 *     w4  items × hidden     b4 items         (the paper's W₄ transposed: one row per item)
 *
 * Item-major w4 makes the output layer "rows of items": the logits are computed candidate-major
 * (items × listeners) as w4 · h₂ᵀ, a tall-skinny product tfjs-backend-wasm runs at its best
 * rate, and the sampled softmax gathers and updates only the rows it drew. Each product's
 * operands are transposed explicitly (`gemm` only multiplies A · B).
 */
export const WEIGHT_NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4'] as const;
export type WeightName = (typeof WEIGHT_NAMES)[number];
export type MultWeights = Record<WeightName, Float32Array>;

export interface GradientOptions {
  /** KL weight (VAE). */
  beta: number;
  /** L2 weight λ: loss + λ Σ‖W‖² over w1..w4 (only the touched rows of w1/w4 when sampled). */
  weightDecay: number;
  /** ε ~ N(0, I), B × latent: the VAE's reparameterisation noise; without it z = μ. */
  noise?: Float32Array;
  /** Shared negatives: the sampled softmax; without them the exact softmax over every item. */
  negatives?: Negatives;
}

export interface GradientResult {
  loss: number;
  /** Rows of w1 with a gradient (the batch's input items). */
  rows1: Int32Array;
  /** Rows of w4/b4 with a gradient; null when every row has one (exact softmax). */
  rows4: Int32Array | null;
}

export class MultNet {
  readonly w: MultWeights;
  readonly code: number;

  constructor(
    readonly items: number,
    readonly hidden: number,
    readonly latent: number,
    readonly variational: boolean,
    init: MultWeights | number,
  ) {
    this.code = variational ? 2 * latent : latent;
    const rng = typeof init === 'number' ? new Rng(init) : undefined;
    const make = (name: WeightName): Float32Array => {
      const [rows, cols] = this.shape(name);
      if (typeof init !== 'number') {
        const values = init[name];
        if (values?.length !== rows * cols)
          throw new RangeError(
            `mult network: ${name} has ${values?.length ?? 0} values, expected ${rows * cols}`,
          );
        return values;
      }
      // Xavier (Glorot) normal weights and N(0, 0.001²) biases, as the paper's code.
      const values = new Float32Array(rows * cols);
      const sd = name.startsWith('w') ? Math.sqrt(2 / (rows + cols)) : 0.001;
      for (let i = 0; i < values.length; i++) values[i] = (rng as Rng).normal() * sd;
      return values;
    };
    this.w = Object.fromEntries(WEIGHT_NAMES.map((n) => [n, make(n)])) as MultWeights;
  }

  /** Rows × cols of a weight (biases: 1 × n). */
  shape(name: WeightName): [number, number] {
    const { items: I, hidden: H, latent: L, code: C } = this;
    const shapes: Record<WeightName, [number, number]> = {
      w1: [I, H],
      b1: [1, H],
      w2: [H, C],
      b2: [1, C],
      w3: [L, H],
      b3: [1, H],
      w4: [I, H],
      b4: [1, I],
    };
    return shapes[name];
  }

  /** Encoder: h₁ = tanh(x̃ W₁ + b₁) (B × H, sparse x̃) and the code h₁ W₂ + b₂ (B × C). */
  private encode(batch: SparseBatch): { h1: Float32Array; code: Float32Array } {
    const H = this.hidden;
    const B = batch.rows;
    const { w1, b1, w2, b2 } = this.w;
    const h1 = new Float32Array(B * H);
    for (let p = 0; p < batch.item.length; p++) {
      const v = batch.value[p];
      const wo = batch.item[p] * H;
      const ho = batch.segment[p] * H;
      for (let k = 0; k < H; k++) h1[ho + k] += v * w1[wo + k];
    }
    for (let b = 0; b < B; b++) for (let k = 0; k < H; k++) h1[b * H + k] = Math.tanh(h1[b * H + k] + b1[k]);
    const code = gemm(h1, w2, B, H, this.code);
    addRowVector(code, b2);
    return { h1, code };
  }

  /** μ: the first `latent` columns of the code. */
  private mu(code: Float32Array, B: number): Float32Array {
    const L = this.latent;
    if (!this.variational) return code;
    const mu = new Float32Array(B * L);
    for (let b = 0; b < B; b++) mu.set(code.subarray(b * 2 * L, b * 2 * L + L), b * L);
    return mu;
  }

  /** Decoder hidden layer h₂ = tanh(z W₃ + b₃) (B × H). */
  private decodeHidden(z: Float32Array, B: number): Float32Array {
    const h2 = gemm(z, this.w.w3, B, this.latent, this.hidden);
    addRowVector(h2, this.w.b3);
    for (let j = 0; j < h2.length; j++) h2[j] = Math.tanh(h2[j]);
    return h2;
  }

  /** Ranking scores: the logits at z = μ, rows × items (row-major). */
  scores(batch: SparseBatch): Float32Array {
    const B = batch.rows;
    const I = this.items;
    const h2 = this.decodeHidden(this.mu(this.encode(batch).code, B), B);
    const logitsT = gemm(this.w.w4, transpose(h2, B, this.hidden), I, this.hidden, B);
    for (let i = 0; i < I; i++) for (let b = 0; b < B; b++) logitsT[i * B + b] += this.w.b4[i];
    return B === 1 ? logitsT : transpose(logitsT, I, B);
  }

  /**
   * The batch's loss — mean over its listeners of the multinomial NLL of `targets` (exact, or
   * sampled with `options.negatives`) + β · mean KL (VAE) + λ Σ‖W‖² — and its gradient, added
   * into `g` (one array per weight, same shapes; callers keep them zero between steps).
   */
  gradients(
    batch: SparseBatch,
    targets: TargetRows,
    options: GradientOptions,
    g: MultWeights,
  ): GradientResult {
    const { items: I, hidden: H, latent: L, code: C } = this;
    const B = batch.rows;
    if (targets.rows !== B) throw new RangeError(`mult network: ${targets.rows} target rows for ${B} inputs`);
    const w = this.w;
    const { h1, code } = this.encode(batch);
    const mu = this.mu(code, B);
    const noise = this.variational ? options.noise : undefined;
    let z = mu;
    if (noise) {
      z = new Float32Array(B * L);
      for (let b = 0; b < B; b++)
        for (let k = 0; k < L; k++)
          z[b * L + k] = mu[b * L + k] + Math.exp(0.5 * code[b * C + L + k]) * noise[b * L + k];
    }
    const h2 = this.decodeHidden(z, B);
    const dh2 = new Float32Array(B * H);
    let loss: number;
    let rows4: Int32Array | null = null;
    const negatives = options.negatives;
    if (!negatives) {
      const delta = gemm(w.w4, transpose(h2, B, H), I, H, B);
      for (let i = 0; i < I; i++) for (let b = 0; b < B; b++) delta[i * B + b] += w.b4[i];
      loss = exactSoftmaxLoss(delta, I, targets);
      addInto(g.w4, gemm(delta, h2, I, B, H));
      for (let i = 0; i < I; i++) {
        let s = 0;
        for (let b = 0; b < B; b++) s += delta[i * B + b];
        g.b4[i] += s;
      }
      dh2.set(gemm(transpose(delta, I, B), w.w4, B, I, H));
    } else {
      // Locals, not property loads, in the per-play loops (V8 does not hoist them past typed-array stores).
      const { w4, b4 } = w;
      const gw4 = g.w4;
      const gb4 = g.b4;
      const S = negatives.item.length;
      const G = new Float32Array(S * H);
      for (let s = 0; s < S; s++)
        G.set(w4.subarray(negatives.item[s] * H, (negatives.item[s] + 1) * H), s * H);
      const negT = gemm(G, transpose(h2, B, H), S, H, B);
      for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) negT[s * B + b] += b4[negatives.item[s]];
      const pos = new Float32Array(targets.item.length);
      const slot = new Int32Array(I).fill(-1);
      for (let s = 0; s < S; s++) slot[negatives.item[s]] = s;
      const hits: number[] = [];
      for (let b = 0; b < B; b++)
        for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
          const i = targets.item[p];
          pos[p] = dot(h2, b * H, w4, i * H, H) + b4[i];
          if (slot[i] >= 0) hits.push(slot[i] * B + b);
        }
      loss = sampledSoftmaxLoss(pos, negT, negatives, Int32Array.from(hits), targets);
      const dG = gemm(negT, h2, S, B, H);
      for (let s = 0; s < S; s++) {
        const i = negatives.item[s];
        addInto(gw4.subarray(i * H, (i + 1) * H), dG.subarray(s * H, (s + 1) * H));
        let sum = 0;
        for (let b = 0; b < B; b++) sum += negT[s * B + b];
        gb4[i] += sum;
      }
      dh2.set(gemm(transpose(negT, S, B), G, B, S, H));
      for (let b = 0; b < B; b++)
        for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
          const i = targets.item[p];
          const d = pos[p];
          const ho = b * H;
          const wo = i * H;
          for (let k = 0; k < H; k++) {
            dh2[ho + k] += d * w4[wo + k];
            gw4[wo + k] += d * h2[ho + k];
          }
          gb4[i] += d;
        }
      rows4 = distinct(negatives.item, targets.item, I);
    }
    // h₂ = tanh(a₂): ∂a₂ = ∂h₂ ⊙ (1 − h₂²).
    for (let j = 0; j < dh2.length; j++) dh2[j] *= 1 - h2[j] * h2[j];
    addInto(g.w3, gemm(transpose(z, B, L), dh2, L, B, H));
    addColumnSums(g.b3, dh2, B, H);
    const dz = gemm(dh2, transpose(w.w3, L, H), B, H, L);
    let dcode = dz;
    if (this.variational) {
      dcode = new Float32Array(B * C);
      loss += (options.beta * variationalCodeGradient(code, dz, noise, options.beta, B, L, dcode)) / B;
    }
    addInto(g.w2, gemm(transpose(h1, B, H), dcode, H, B, C));
    addColumnSums(g.b2, dcode, B, C);
    const dh1 = gemm(dcode, transpose(w.w2, H, C), B, C, H);
    for (let j = 0; j < dh1.length; j++) dh1[j] *= 1 - h1[j] * h1[j];
    addColumnSums(g.b1, dh1, B, H);
    const gw1 = g.w1;
    for (let p = 0; p < batch.item.length; p++) {
      const v = batch.value[p];
      const go = batch.item[p] * H;
      const d = batch.segment[p] * H;
      for (let k = 0; k < H; k++) gw1[go + k] += v * dh1[d + k];
    }
    const rows1 = distinct(batch.item, new Int32Array(0), I);
    const lambda = options.weightDecay;
    if (lambda > 0) {
      loss += decay(w.w2, g.w2, lambda, null, 0) + decay(w.w3, g.w3, lambda, null, 0);
      // Sampled: the lazy rows only (see MultAdam); exact: every row.
      loss += decay(w.w1, g.w1, lambda, rows4 && rows1, H) + decay(w.w4, g.w4, lambda, rows4, H);
    }
    return { loss, rows1, rows4 };
  }

  /** Zero arrays shaped as the weights (gradients, Adam moments). */
  zeros(): MultWeights {
    return Object.fromEntries(
      WEIGHT_NAMES.map((n) => [n, new Float32Array(this.w[n].length)]),
    ) as MultWeights;
  }
}

/**
 * Adam (Kingma & Ba; β₁ 0.9, β₂ 0.999, ε 1e-8 as TensorFlow's default, the paper's code) over a
 * {@link MultNet}. With the exact softmax every weight is stepped every batch. With the sampled
 * softmax, w1/w4/b4 are stepped lazily — only the rows this batch touched (its input items; its
 * negatives and plays), as TensorFlow's LazyAdam does for embeddings: 41K-row Adam passes per
 * step would otherwise cost as much as the sampled products. Untouched rows keep their moments
 * until they are next drawn (an approximation of Adam, said with the sampled softmax).
 */
export class MultAdam {
  private readonly g: MultWeights;
  private readonly m: MultWeights;
  private readonly v: MultWeights;
  private t = 0;

  constructor(
    readonly net: MultNet,
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.g = net.zeros();
    this.m = net.zeros();
    this.v = net.zeros();
  }

  /** One step on one batch; returns the batch's loss (before the step). */
  step(batch: SparseBatch, targets: TargetRows, options: GradientOptions): number {
    const r = this.net.gradients(batch, targets, options, this.g);
    this.t++;
    const rate = (this.learningRate * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    const H = this.net.hidden;
    for (const name of WEIGHT_NAMES) {
      const rows =
        name === 'w1' ? (r.rows4 ? r.rows1 : null) : name === 'w4' || name === 'b4' ? r.rows4 : null;
      const width = name === 'b4' ? 1 : H;
      if (!rows) this.update(name, rate, 0, this.net.w[name].length);
      else for (const row of rows) this.update(name, rate, row * width, width);
    }
    return r.loss;
  }

  /** Adam on entries [from, from + count) of one weight; clears their gradient. */
  private update(name: WeightName, rate: number, from: number, count: number): void {
    const p = this.net.w[name];
    const g = this.g[name];
    const m = this.m[name];
    const v = this.v[name];
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    for (let j = from, end = from + count; j < end; j++) {
      const gj = g[j];
      const mj = b1 * m[j] + (1 - b1) * gj;
      const vj = b2 * v[j] + (1 - b2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      p[j] -= (rate * mj) / (Math.sqrt(vj) + eps);
      g[j] = 0;
    }
  }
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

function addInto(target: Float32Array, add: Float32Array): void {
  for (let j = 0; j < add.length; j++) target[j] += add[j];
}

function addRowVector(m: Float32Array, v: Float32Array): void {
  const n = v.length;
  for (let o = 0; o < m.length; o += n) for (let j = 0; j < n; j++) m[o + j] += v[j];
}

function addColumnSums(target: Float32Array, m: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) target[j] += m[r * cols + j];
}

/** The distinct values of two index lists (each < n), ascending. */
function distinct(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Int32Array {
  const seen = new Uint8Array(n);
  for (let j = 0; j < a.length; j++) seen[a[j]] = 1;
  for (let j = 0; j < b.length; j++) seen[b[j]] = 1;
  let count = 0;
  for (let i = 0; i < n; i++) count += seen[i];
  const out = new Int32Array(count);
  for (let i = 0, o = 0; i < n; i++) if (seen[i]) out[o++] = i;
  return out;
}

/** λ Σ w² over the rows (all when null) of a weight; adds 2λw to its gradient. */
function decay(
  w: Float32Array,
  g: Float32Array,
  lambda: number,
  rows: Int32Array | null,
  width: number,
): number {
  let sum = 0;
  const apply = (from: number, to: number) => {
    for (let j = from; j < to; j++) {
      sum += w[j] * w[j];
      g[j] += 2 * lambda * w[j];
    }
  };
  if (!rows) apply(0, w.length);
  else for (const r of rows) apply(r * width, (r + 1) * width);
  return lambda * sum;
}
