import { type CsrMatrix, decodeBundle, encodeBundle, Rng, type TrainSet } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { ModelFormatError } from '../errors.ts';
import { checkItemIndex, checkUserIndices } from '../guards.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type {
  FitOptions,
  FitResult,
  HyperParameterInfo,
  ModelName,
  ModelStore,
  ScoreKind,
} from '../types.ts';
import { BiasBaseline } from './bias-baseline.ts';
import { describeOptions, type ParamSpec, type ParamValue, readParams, TrainingLoop } from './shared.ts';

/**
 * Shared parts of Mult-VAE and Mult-DAE (Liang, Krishnan, Hoffman & Jebara, "Variational
 * Autoencoders for Collaborative Filtering", WWW 2018): the network, its losses and its training.
 * The model classes (`mult-vae.ts`, `mult-dae.ts`) hold the parameter tables and the maths in
 * their class comments.
 */

/** Options of both models (the paper's defaults in the tables of `mult-vae.ts` / `mult-dae.ts`). */
export const MULT_COMMON_SPEC = {
  hidden: { kind: 'int', default: 600, min: 1, description: 'Units of the tanh hidden layer (paper: 600)' },
  latent: { kind: 'int', default: 200, min: 1, description: 'Dimension of the latent code z (paper: 200)' },
  epochs: { kind: 'int', default: 200, min: 1, description: 'Passes over the listeners (paper: 200)' },
  batchSize: { kind: 'int', default: 500, min: 1, description: 'Listeners per Adam step (paper: 500)' },
  learningRate: { kind: 'number', default: 1e-3, above: 0, description: 'Adam step size (paper: 1e-3)' },
  dropout: {
    kind: 'number',
    default: 0.5,
    min: 0,
    below: 1,
    description: 'Share of the normalised input entries dropped in training (paper: 0.5)',
  },
  seed: { kind: 'int', default: 98765, min: 0, description: 'Seed of the weights, dropout and noise' },
} satisfies Record<string, ParamSpec>;

export interface MultOptions {
  hidden: number;
  latent: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  seed: number;
  /** L2 weight λ on the weight matrices (loss + λ Σ W²). */
  weightDecay: number;
  /** β cap of the KL annealing (Mult-VAE only; 0 and `variational` false for Mult-DAE). */
  annealCap: number;
  /** β = min(annealCap, step / annealSteps). */
  annealSteps: number;
}

const STATE_FILE = 'mult-ae.bin';
/** Listeners scored per forward pass when ranking: bounds memory to batch × items floats. */
const SCORE_BATCH = 256;

/**
 * Multinomial negative log-likelihood of one listener's play vector x under logits f, and its
 * gradient: −Σ_i x_i log softmax(f)_i, ∂/∂f_i = softmax(f)_i · Σ_j x_j − x_i.
 *
 * @example
 * multinomialNll(Float64Array.of(0, 0), Float64Array.of(1, 0)); // { loss: ln 2, grad: [−0.5, 0.5] }
 */
export function multinomialNll(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sumExp = 0;
  for (let i = 0; i < logits.length; i++) sumExp += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sumExp);
  let loss = 0;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    loss -= x[i] * (logits[i] - logZ);
    total += x[i];
  }
  const grad = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) grad[i] = Math.exp(logits[i] - logZ) * total - x[i];
  return { loss, grad };
}

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (σ²_k + μ²_k − 1 − log σ²_k), with log σ² given.
 *
 * @example
 * gaussianKl([0], [0]); // 0 — the prior itself
 */
export function gaussianKl(mu: ArrayLike<number>, logVar: ArrayLike<number>): number {
  let kl = 0;
  for (let k = 0; k < mu.length; k++) kl += 0.5 * (Math.exp(logVar[k]) + mu[k] * mu[k] - 1 - logVar[k]);
  return kl;
}

/** β after `step` Adam steps: min(cap, step / steps), as Liang et al.'s code anneals it. */
export function annealBeta(step: number, cap: number, steps: number): number {
  return Math.min(cap, steps > 0 ? step / steps : cap);
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

/** The weights: encoder items → hidden → 2·latent (μ, log σ²; μ only for the DAE), decoder latent → hidden → items. */
interface Weights {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
  w3: tf.Variable;
  b3: tf.Variable;
  w4: tf.Variable;
  b4: tf.Variable;
}
const WEIGHT_NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4'] as const;

/**
 * The encoder–decoder in tfjs, on the backend the app set up (`setupCompute`; tfjs's own
 * default otherwise). The input layer is sparse — rows of W1 gathered for each play and summed
 * per listener — so its cost is plays × hidden rather than listeners × items × hidden; the
 * decoder's softmax is dense over the catalogue, batch × items floats at a time.
 */
export class MultNetwork {
  readonly weights: Weights;

  constructor(
    readonly items: number,
    readonly hidden: number,
    readonly latent: number,
    readonly variational: boolean,
    init: Record<(typeof WEIGHT_NAMES)[number], Float32Array> | number,
  ) {
    const code = variational ? 2 * latent : latent;
    const shapes: Record<(typeof WEIGHT_NAMES)[number], number[]> = {
      w1: [items, hidden],
      b1: [hidden],
      w2: [hidden, code],
      b2: [code],
      w3: [latent, hidden],
      b3: [hidden],
      w4: [hidden, items],
      b4: [items],
    };
    const rng = typeof init === 'number' ? new Rng(init) : undefined;
    const make = (name: (typeof WEIGHT_NAMES)[number]) => {
      const shape = shapes[name];
      const size = shape.reduce((a, b) => a * b, 1);
      let values: Float32Array;
      if (typeof init !== 'number') {
        values = init[name];
        if (values.length !== size)
          throw new RangeError(`mult network: ${name} has ${values.length} values, expected ${size}`);
      } else {
        // Xavier (Glorot) normal weights and N(0, 0.001²) biases, as the paper's code.
        values = new Float32Array(size);
        const sd = shape.length === 2 ? Math.sqrt(2 / (shape[0] + shape[1])) : 0.001;
        for (let i = 0; i < size; i++) values[i] = (rng as Rng).normal() * sd;
      }
      return tf.variable(tf.tensor(values, shape), true, undefined);
    };
    this.weights = Object.fromEntries(WEIGHT_NAMES.map((n) => [n, make(n)])) as unknown as Weights;
  }

  /** Encoder: μ and log σ² (undefined for the DAE) of a sparse batch. */
  encode(batch: SparseBatch): { mu: tf.Tensor2D; logVar?: tf.Tensor2D } {
    const w = this.weights;
    const summed = sparseProduct(batch, w.w1 as tf.Tensor2D);
    const h = tf.tanh(summed.add(w.b1)) as tf.Tensor2D;
    const code = tf.matMul(h, w.w2 as tf.Tensor2D).add(w.b2) as tf.Tensor2D;
    if (!this.variational) return { mu: code };
    return {
      mu: code.slice([0, 0], [-1, this.latent]) as tf.Tensor2D,
      logVar: code.slice([0, this.latent], [-1, this.latent]) as tf.Tensor2D,
    };
  }

  /** Decoder: logits over the catalogue (rows × items). */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    const w = this.weights;
    const h = tf.tanh(tf.matMul(z, w.w3 as tf.Tensor2D).add(w.b3)) as tf.Tensor2D;
    return tf.matMul(h, w.w4 as tf.Tensor2D).add(w.b4) as tf.Tensor2D;
  }

  /** Logits for the batch with the latent code at its mean (no noise): what ranking uses. */
  scores(batch: SparseBatch): Float32Array {
    const out = tf.tidy(() => this.decode(this.encode(batch).mu));
    try {
      return out.dataSync() as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /**
   * The loss of one batch: mean over its listeners of the multinomial NLL of their full play
   * vectors (`target`, binary, dense rows × items) + β · mean KL, + λ Σ‖W‖² over the matrices.
   */
  loss(
    input: SparseBatch,
    target: tf.Tensor2D,
    beta: number,
    weightDecay: number,
    noiseSeed: number,
  ): tf.Scalar {
    const { mu, logVar } = this.encode(input);
    let z = mu;
    if (logVar)
      z = mu.add(
        tf.exp(logVar.mul(0.5)).mul(tf.randomNormal(mu.shape, 0, 1, 'float32', noiseSeed)),
      ) as tf.Tensor2D;
    const logSoftmax = tf.logSoftmax(this.decode(z));
    let loss = tf.neg(tf.sum(logSoftmax.mul(target))).div(input.rows) as tf.Scalar;
    if (logVar && beta > 0) {
      const kl = tf.sum(tf.exp(logVar).add(mu.square()).sub(1).sub(logVar)).mul(0.5 / input.rows);
      loss = loss.add(kl.mul(beta));
    }
    if (weightDecay > 0) {
      const w = this.weights;
      const l2 = [w.w1, w.w2, w.w3, w.w4].map((m) => tf.sum(m.square())).reduce((a, b) => a.add(b));
      loss = loss.add(l2.mul(weightDecay));
    }
    return loss;
  }

  arrays(): Record<string, Float32Array> {
    return Object.fromEntries(WEIGHT_NAMES.map((n) => [n, this.weights[n].dataSync() as Float32Array]));
  }

  dispose(): void {
    for (const n of WEIGHT_NAMES) this.weights[n].dispose();
  }
}

/**
 * The sparse input layer X̃ W₁ (rows × hidden) with its gradient X̃ᵀ dY for W₁, in typed-array
 * loops over the plays: plays × hidden work each way, on any tfjs backend (wasm has no
 * UnsortedSegmentSum, which gather's own gradient needs), and no rows × items input matrix.
 */
function sparseProduct(batch: SparseBatch, w1: tf.Tensor2D): tf.Tensor2D {
  const [items, hidden] = w1.shape;
  const product = tf.customGrad((...inputs) => {
    const w = (inputs[0] as tf.Tensor).dataSync() as Float32Array;
    const out = new Float32Array(batch.rows * hidden);
    for (let p = 0; p < batch.item.length; p++) {
      const v = batch.value[p];
      const wo = batch.item[p] * hidden;
      const oo = batch.segment[p] * hidden;
      for (let k = 0; k < hidden; k++) out[oo + k] += v * w[wo + k];
    }
    return {
      value: tf.tensor2d(out, [batch.rows, hidden]),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const grad = new Float32Array(items * hidden);
        for (let p = 0; p < batch.item.length; p++) {
          const v = batch.value[p];
          const go = batch.item[p] * hidden;
          const dO = batch.segment[p] * hidden;
          for (let k = 0; k < hidden; k++) grad[go + k] += v * d[dO + k];
        }
        return tf.tensor2d(grad, [items, hidden]);
      },
    };
  });
  return product(w1) as tf.Tensor2D;
}

/** Dense binary play vectors of `users` (rows × items): the multinomial targets of one batch. */
function denseTargets(m: CsrMatrix, users: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(users.length * m.cols);
  for (let b = 0; b < users.length; b++)
    for (let p = m.indptr[users[b]]; p < m.indptr[users[b] + 1]; p++) out[b * m.cols + m.indices[p]] = 1;
  return tf.tensor2d(out, [users.length, m.cols]);
}

/**
 * A Mult-VAE / Mult-DAE recommender: fit, rank, fold in, similar items, save and load. The
 * concrete classes name it and give its parameter table; see `MultVaeModel` for the maths.
 */
export abstract class MultAutoencoder extends Recommender {
  abstract override readonly name: ModelName;
  protected readonly options: MultOptions;
  private network?: MultNetwork;
  private fallback?: BiasBaseline;

  constructor(
    model: ModelName,
    private readonly spec: Record<string, ParamSpec>,
    private readonly variational: boolean,
    options: Record<string, ParamValue>,
  ) {
    super();
    const read = readParams(model, options, spec) as Record<string, ParamValue>;
    this.options = { annealCap: 0, annealSteps: 0, ...read } as unknown as MultOptions;
  }

  override get scoreKind(): ScoreKind {
    return 'preference';
  }

  describe(): HyperParameterInfo[] {
    return describeOptions(this.spec, this.options as unknown as Record<string, ParamValue>);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const o = this.options;
    const m = data.ratings;
    this.fallback = BiasBaseline.fit(m);
    this.network?.dispose();
    const network = new MultNetwork(m.cols, o.hidden, o.latent, this.variational, o.seed);
    this.network = network;
    const rng = new Rng(o.seed + 1);
    const users = Array.from({ length: m.rows }, (_, u) => u).filter((u) => m.indptr[u + 1] > m.indptr[u]);
    const batches = Math.max(1, Math.ceil(users.length / o.batchSize));
    const loop = new TrainingLoop(this.name, o.epochs, batches, options);
    const optimizer = tf.train.adam(o.learningRate);
    let step = 0;
    try {
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        loop.beginEpoch();
        shuffle(users, rng);
        let sum = 0;
        let last: number | undefined;
        for (let b = 0; b < batches; b++) {
          const chunk = users.slice(b * o.batchSize, (b + 1) * o.batchSize);
          if (chunk.length === 0) continue;
          const input = sparseBatch(m, chunk, 1 - o.dropout, rng);
          const beta = this.variational ? annealBeta(step, o.annealCap, o.annealSteps) : 0;
          const noiseSeed = rng.nextUint32();
          const target = denseTargets(m, chunk);
          const cost = optimizer.minimize(
            () => network.loss(input, target, beta, o.weightDecay, noiseSeed),
            true,
          );
          target.dispose();
          last = cost ? (await cost.data())[0] : undefined;
          cost?.dispose();
          step++;
          if (last !== undefined) sum += last * chunk.length;
          if (!(await loop.batch(epoch, b + 1, () => last))) return loop.finish(tf.getBackend());
        }
        // Loss per listener: multinomial NLL + β·KL (+ λ‖W‖²), averaged over the epoch's batches.
        loop.endEpoch(epoch, { loss: sum / users.length });
      }
    } finally {
      optimizer.dispose();
    }
    return loop.finish(tf.getBackend());
  }

  /** Frees the network's tfjs tensors; the model must be fitted or loaded again to be used. */
  override dispose(): void {
    this.network?.dispose();
    this.network = undefined;
  }

  private get net(): MultNetwork {
    if (!this.network) throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    return this.network;
  }

  private get ratingFallback(): BiasBaseline {
    if (!this.fallback) throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    return this.fallback;
  }

  predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    return this.ratingFallback.predict(users, items, (x) => this.clip(x), this.name);
  }

  override predictFoldIn(items: Uint32Array, ratings: Float32Array, targets: Uint32Array): Float32Array {
    return this.ratingFallback.predictFoldIn(items, ratings, targets, (x) => this.clip(x));
  }

  scoreUsers(users: Uint32Array): Float32Array {
    const m = this.trainSet.ratings;
    const nItems = this.items.size;
    const net = this.net;
    const out = new Float32Array(users.length * nItems);
    checkUserIndices(this.name, users, m.rows);
    for (let start = 0; start < users.length; start += SCORE_BATCH) {
      const chunk = users.subarray(start, start + SCORE_BATCH);
      out.set(net.scores(sparseBatch(m, chunk)), start * nItems);
    }
    return out;
  }

  /** A new listener: encode their play vector (1 per distinct item played) and decode; no training. */
  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    if (items.length !== ratings.length)
      throw new RangeError(`${this.name}: ${items.length} items but ${ratings.length} ratings to fold in`);
    const nItems = this.items.size;
    const distinct = Array.from(new Set(items)).sort((a, b) => a - b);
    for (const i of distinct)
      if (i >= nItems) throw new RangeError(`${this.name}: item index ${i} outside 0..${nItems - 1}`);
    if (distinct.length === 0) return new Float32Array(nItems);
    const scale = 1 / Math.sqrt(distinct.length);
    return this.net.scores({
      rows: 1,
      segment: new Int32Array(distinct.length),
      item: Int32Array.from(distinct),
      value: new Float32Array(distinct.length).fill(scale),
    });
  }

  /** Similar items: the decoded scores of a listener who played only `item`. */
  itemSimilarities(item: number): Float32Array {
    const nItems = this.items.size;
    checkItemIndex(this.name, item, nItems);
    return this.scoreFoldIn(Uint32Array.of(item), Float32Array.of(1));
  }

  protected async saveState(store: ModelStore): Promise<void> {
    const fallback = this.ratingFallback;
    await store.write(
      STATE_FILE,
      encodeBundle(
        'mult-ae-state',
        1,
        { ...this.net.arrays(), bu: fallback.bu, bi: fallback.bi },
        { mu: fallback.mu },
      ),
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const { arrays, meta } = decodeBundle(await store.read(STATE_FILE), 'mult-ae-state', 1, STATE_FILE);
    const o = this.options;
    const init: Record<string, Float32Array> = {};
    for (const n of WEIGHT_NAMES) {
      const a = arrays[n];
      if (!(a instanceof Float32Array))
        throw new ModelFormatError(
          `${STATE_FILE}: weight '${n}' is missing; the model directory is corrupt`,
          { file: STATE_FILE },
        );
      init[n] = a;
    }
    let network: MultNetwork;
    try {
      network = new MultNetwork(this.items.size, o.hidden, o.latent, this.variational, init as never);
    } catch (error) {
      throw new ModelFormatError(
        `${STATE_FILE}: ${(error as Error).message}; the model directory is corrupt`,
        {
          file: STATE_FILE,
        },
      );
    }
    const fallback = BiasBaseline.restore(
      STATE_FILE,
      (meta as { mu?: unknown }).mu,
      arrays.bu,
      arrays.bi,
      this.users.size,
      this.items.size,
    );
    this.network?.dispose();
    this.network = network;
    this.fallback = fallback;
  }
}

function shuffle(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
