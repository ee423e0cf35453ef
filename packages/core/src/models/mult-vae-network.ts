import { type CsrMatrix, Rng, rowIndices, type TrainSet } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { availableCores } from '../engine/function-pool.ts';
import { multModule } from '../engine/mult-kernels.ts';
import { ModelFormatError, OptionError } from '../errors.ts';
import { checkItemIndex, checkUserIndices, foldInBlock } from '../guards.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type { FitOptions, FitResult, ModelName, ModelStore } from '../types.ts';
import { fastBackendActive } from './dense-product.ts';
import {
  NegativeSampler,
  type SparseBatch,
  sparseBatch,
  type TargetRows,
  transpose,
} from './mult-vae-dense.ts';
import { MultKernelTrainer } from './mult-vae-kernels.ts';
import { MultAdam, MultNet, type MultWeights, WEIGHT_NAMES } from './mult-vae-net.ts';
import { MultKernelScorer, SCORER_BATCH } from './mult-vae-scorer.ts';
import { type ParamSpec, type ParamValue, TrainingLoop } from './shared.ts';

export { type SparseBatch, sparseBatch } from './mult-vae-dense.ts';

/**
 * Shared parts of Mult-VAE and Mult-DAE (Liang, Krishnan, Hoffman & Jebara, "Variational
 * Autoencoders for Collaborative Filtering", WWW 2018): options, reference losses and the
 * recommender with its training loop. The network and its gradient are in `mult-vae-net.ts`, the
 * dense products and batch losses in `mult-vae-dense.ts`. The model classes (`mult-vae.ts`, `mult-dae.ts`) hold the parameter tables and the maths in
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
  sampledSoftmax: {
    kind: 'int',
    default: 0,
    min: 0,
    description:
      'Negatives drawn per batch for a sampled softmax (an approximation, lazy Adam on item rows); 0 = the exact softmax over every item (paper)',
  },
  samplePower: {
    kind: 'number',
    default: 0.75,
    min: 0,
    description: 'Sampled softmax: negatives drawn ∝ (listeners + 1)^power (0 = uniform)',
  },
  kernels: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'wasm-simd', 'js'] as const,
    description:
      'Training step and ranking: WebAssembly SIMD kernels on worker threads (float32; hidden a multiple of 8), or the typed-array network with its products on the tfjs backend (js); auto: the kernels where they can run',
  },
  threads: {
    kind: 'int',
    default: 0,
    min: 0,
    description:
      'Threads of the WebAssembly kernels, training and ranking (worker threads on shared memory); 0 = auto: the cores (up to 8) for large data, else 1',
  },
} satisfies Record<string, ParamSpec>;

export interface MultOptions {
  hidden: number;
  latent: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  seed: number;
  /** Negatives per batch of the sampled softmax; 0 = exact softmax. */
  sampledSoftmax: number;
  samplePower: number;
  kernels: 'auto' | 'wasm-simd' | 'js';
  /** Kernel threads; 0 = auto. */
  threads: number;
  /** L2 weight λ on the weight matrices (loss + λ Σ W²). */
  weightDecay: number;
  /** β cap of the KL annealing (Mult-VAE only; 0 and `variational` false for Mult-DAE). */
  annealCap: number;
  /** β = min(annealCap, step / annealSteps). */
  annealSteps: number;
}

const STATE_FILE = 'mult-ae.bin';
/** Multiply-adds an epoch of the output layer above which `threads: 0` uses more than one thread. */
const THREADS_AUTO_MIN_WORK = 1e9;
/** Listeners scored per forward pass when ranking: bounds memory to batch × items floats. */
const SCORE_BATCH = SCORER_BATCH;

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

/**
 * A Mult-VAE / Mult-DAE recommender: fit, rank, fold in, similar items, save and load. The
 * concrete classes name it and give its parameter table; see `MultVaeModel` for the maths.
 */
export abstract class MultAutoencoder extends Recommender {
  abstract override readonly name: ModelName;
  /** Mult-VAE ranks; its rating predictions come from the layer's bias baseline. */
  protected override readonly ratingsFromBaseline = true;
  declare protected readonly options: Readonly<Partial<MultOptions>>;
  private network?: MultNet;
  /** Ranking on the WebAssembly kernels (started after fit and load when `kernels` allows). */
  private scorer?: MultKernelScorer;

  /** `model` names it in option errors; its class's `static params` table is read by the layer. */
  constructor(
    model: ModelName,
    private readonly variational: boolean,
    options: Record<string, ParamValue>,
  ) {
    super(model, options);
  }

  /** Every setting, with Mult-DAE's absent annealing as 0 (no KL term). */
  private get settings(): MultOptions {
    return { annealCap: 0, annealSteps: 0, ...this.options } as MultOptions;
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    this.closeScorer();
    const o = this.settings;
    const network = new MultNet(data.ratings.cols, o.hidden, o.latent, this.variational, o.seed);
    this.network = network;
    const result = await this.train(network, data, options);
    await this.startScorer(network);
    return result;
  }

  /** The training loop (on the kernel trainer or the typed-array network). */
  private async train(network: MultNet, data: TrainSet, options: FitOptions): Promise<FitResult> {
    const o = this.settings;
    const m = data.ratings;
    const rng = new Rng(o.seed + 1);
    const sampler =
      o.sampledSoftmax > 0 ? new NegativeSampler(m.cols, columnCounts(m), o.samplePower) : undefined;
    const next = () => rng.next();
    const users = Array.from({ length: m.rows }, (_, u) => u).filter((u) => m.indptr[u + 1] > m.indptr[u]);
    const batches = Math.max(1, Math.ceil(users.length / o.batchSize));
    const trainer = await this.kernelTrainer(network, m, users.length);
    const adam = trainer ? undefined : new MultAdam(network, o.learningRate);
    const loop = new TrainingLoop(this.name, o.epochs, batches, options);
    const engine = trainer
      ? `${trainer.engine.kind}×${trainer.engine.threads}`
      : fastBackendActive()
        ? tf.getBackend()
        : 'js';
    let step = 0;
    try {
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        loop.beginEpoch();
        shuffle(users, rng);
        let sum = 0;
        for (let b = 0; b < batches; b++) {
          const chunk = users.slice(b * o.batchSize, (b + 1) * o.batchSize);
          if (chunk.length === 0) continue;
          const input = sparseBatch(m, chunk, 1 - o.dropout, rng);
          const beta = this.variational ? annealBeta(step, o.annealCap, o.annealSteps) : 0;
          let noise: Float32Array | undefined;
          if (this.variational) {
            noise = new Float32Array(chunk.length * o.latent);
            for (let j = 0; j < noise.length; j++) noise[j] = rng.normal();
          }
          const negatives = sampler?.draw(o.sampledSoftmax, next);
          const stepOptions = { beta, weightDecay: o.weightDecay, noise, negatives };
          const targets = targetRows(m, chunk);
          const last = trainer
            ? trainer.step(input, targets, stepOptions)
            : (adam as MultAdam).step(input, targets, stepOptions);
          step++;
          sum += last * chunk.length;
          if (!(await loop.batch(epoch, b + 1, () => last))) return loop.finish(engine);
        }
        // Loss per listener: multinomial NLL (sampled or exact) + β·KL (+ λ‖W‖²), averaged over the epoch's batches.
        loop.endEpoch(epoch, { loss: sum / users.length });
      }
    } finally {
      trainer?.finish();
    }
    return loop.finish(engine);
  }

  /**
   * The WebAssembly kernel trainer when `kernels` allows it and it can run here (else undefined:
   * the typed-array network trains); `kernels: 'wasm-simd'` where it cannot run is an error.
   */
  private async kernelTrainer(
    network: MultNet,
    m: CsrMatrix,
    users: number,
  ): Promise<MultKernelTrainer | undefined> {
    const o = this.settings;
    if (o.kernels === 'js') return undefined;
    const simd = (await multModule(false)) !== null;
    if (!simd || o.hidden % 8 !== 0) {
      if (o.kernels === 'auto') return undefined;
      throw new OptionError(
        !simd
          ? `${this.name}: kernels 'wasm-simd' requested but this runtime has no WebAssembly SIMD; use 'auto' or 'js'`
          : `${this.name}: kernels 'wasm-simd' need hidden a multiple of 8, got ${o.hidden}; use 'auto' or 'js'`,
        { model: this.name, option: 'kernels' },
      );
    }
    const threads = await this.kernelThreads(
      users * 3 * o.hidden * (o.sampledSoftmax > 0 ? o.sampledSoftmax : m.cols),
    );
    return MultKernelTrainer.create(
      network,
      {
        batchSize: o.batchSize,
        maxPlays: largestBatchPlays(m, o.batchSize),
        negatives: o.sampledSoftmax,
        threads,
        kernels: 'wasm-simd',
        learningRate: o.learningRate,
      },
      this.name,
    );
  }

  /**
   * The ranking engine for a trained network: the kernels' forward pass when `kernels` allows
   * and they can run here (as for training; with `auto`, also not when their arena cannot be
   * allocated), on `threads` threads (0 = auto: the cores, up to 8, when a pass of
   * {@link SCORE_BATCH} listeners is ≥ 10⁹ multiply-adds, else 1); else none — the typed-array
   * network ranks.
   */
  private async startScorer(network: MultNet): Promise<void> {
    const o = this.settings;
    if (o.kernels === 'js' || o.hidden % 8 !== 0 || (await multModule(false)) === null) return;
    const threads = await this.kernelThreads(SCORE_BATCH * network.items * o.hidden);
    try {
      this.scorer = await MultKernelScorer.create(network, threads, this.name);
    } catch (error) {
      // 'auto': the kernels where they can run (a catalogue too large for one WebAssembly
      // memory ranks on the typed-array network); 'wasm-simd' asked for them.
      if (o.kernels === 'wasm-simd') throw error;
    }
  }

  /**
   * The kernels' threads for a task of `work` multiply-adds: `threads`, or with 0 (auto) the
   * cores, up to 8, when the work is at least {@link THREADS_AUTO_MIN_WORK}, else 1.
   */
  private async kernelThreads(work: number): Promise<number> {
    const o = this.settings;
    if (o.threads > 0) return o.threads;
    return work < THREADS_AUTO_MIN_WORK ? 1 : Math.min(8, await availableCores());
  }

  private closeScorer(): void {
    this.scorer?.close();
    this.scorer = undefined;
  }

  /**
   * What ranks: the kernels and their threads (`'wasm-simd×2'`), or `'js'` for the typed-array
   * network (its products on the tfjs backend). Undefined before fit or load.
   */
  get rankingEngine(): string | undefined {
    if (!this.network) return undefined;
    return this.scorer ? `${this.scorer.engine.kind}×${this.scorer.engine.threads}` : 'js';
  }

  /** Drops the network and stops the ranking threads; the model must be fitted or loaded again to be used. */
  override dispose(): void {
    this.closeScorer();
    this.network = undefined;
  }

  /** The logits of a batch of listeners (rows × items), into `out` at `offset` when given. */
  private forward(batch: SparseBatch, out?: Float32Array, offset = 0): Float32Array {
    if (this.scorer) return this.scorer.scores(batch, out, offset);
    const scores = this.net.scores(batch);
    if (!out) return scores;
    out.set(scores, offset);
    return out;
  }

  private get net(): MultNet {
    if (!this.network) throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    return this.network;
  }

  scoreUsers(users: Uint32Array): Float32Array {
    const m = this.trainSet.ratings;
    const nItems = this.items.size;
    const out = new Float32Array(users.length * nItems);
    checkUserIndices(this.name, users, m.rows);
    for (let start = 0; start < users.length; start += SCORE_BATCH) {
      const chunk = users.subarray(start, start + SCORE_BATCH);
      this.forward(sparseBatch(m, chunk), out, start * nItems);
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
    return this.forward({
      rows: 1,
      segment: new Int32Array(distinct.length),
      item: Int32Array.from(distinct),
      value: new Float32Array(distinct.length).fill(scale),
    });
  }

  /**
   * New listeners in one forward pass per {@link SCORE_BATCH}: row `rows[b]` of `plays` folded
   * in as {@link scoreFoldIn} folds in one listener (1/√n per distinct item played; a row
   * without plays scores 0 everywhere).
   */
  override scoreFoldInRows(plays: CsrMatrix, rows: ArrayLike<number>, target?: Float32Array): Float32Array {
    const nItems = this.items.size;
    const out = foldInBlock(this.name, plays, rows, nItems, target);
    for (let start = 0; start < rows.length; start += SCORE_BATCH) {
      const end = Math.min(rows.length, start + SCORE_BATCH);
      // Listeners without plays score 0 everywhere (as scoreFoldIn): only the others are scored.
      const lists: Int32Array[] = [];
      const scored: number[] = [];
      for (let b = start; b < end; b++) {
        const items = Int32Array.from(new Set(rowIndices(plays, rows[b]))).sort();
        if (items.length > 0) {
          lists.push(items);
          scored.push(b);
        } else out.fill(0, b * nItems, (b + 1) * nItems);
      }
      if (scored.length === end - start) this.forward(playLists(lists), out, start * nItems);
      else if (scored.length > 0) {
        const logits = this.forward(playLists(lists));
        scored.forEach((b, j) => {
          out.set(logits.subarray(j * nItems, (j + 1) * nItems), b * nItems);
        });
      }
    }
    return out;
  }

  /** Similar items: the decoded scores of a listener who played only `item`. */
  itemSimilarities(item: number): Float32Array {
    const nItems = this.items.size;
    checkItemIndex(this.name, item, nItems);
    return this.scoreFoldIn(Uint32Array.of(item), Float32Array.of(1));
  }

  protected async saveState(store: ModelStore): Promise<void> {
    // The layer adds the rating fallback's b_u, b_i and μ (the file's layout since version 1).
    await this.writeState(store, STATE_FILE, 'mult-ae-state', savedWeights(this.net));
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const { arrays } = await this.readState(store, STATE_FILE, 'mult-ae-state');
    const o = this.settings;
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
    let network: MultNet;
    try {
      if (init.w4.length !== o.hidden * this.items.size)
        throw new RangeError(`w4 has ${init.w4.length} values, expected ${o.hidden * this.items.size}`);
      init.w4 = transpose(init.w4, o.hidden, this.items.size);
      network = new MultNet(this.items.size, o.hidden, o.latent, this.variational, init as MultWeights);
    } catch (error) {
      throw new ModelFormatError(
        `${STATE_FILE}: ${(error as Error).message}; the model directory is corrupt`,
        {
          file: STATE_FILE,
        },
      );
    }
    this.closeScorer();
    this.network = network;
    await this.startScorer(network);
  }
}

/** The file keeps W₄ as hidden × items (its layout since version 1); the network holds it item-major. */
function savedWeights(net: MultNet): Record<string, Float32Array> {
  return { ...net.w, w4: transpose(net.w.w4, net.items, net.hidden) };
}

/** Listeners' distinct played items as a batch, 1/√n each (the fold-in input). */
function playLists(lists: Int32Array[]): SparseBatch {
  let total = 0;
  for (const l of lists) total += l.length;
  const segment = new Int32Array(total);
  const item = new Int32Array(total);
  const value = new Float32Array(total);
  let p = 0;
  lists.forEach((l, b) => {
    segment.fill(b, p, p + l.length);
    item.set(l, p);
    value.fill(1 / Math.sqrt(l.length), p, p + l.length);
    p += l.length;
  });
  return { rows: lists.length, segment, item, value };
}

/** The batch's play lists (every training play, binary): the multinomial targets. */
function targetRows(m: CsrMatrix, users: ArrayLike<number>): TargetRows {
  const start = new Int32Array(users.length + 1);
  for (let b = 0; b < users.length; b++)
    start[b + 1] = start[b] + m.indptr[users[b] + 1] - m.indptr[users[b]];
  const item = new Int32Array(start[users.length]);
  for (let b = 0; b < users.length; b++)
    item.set(m.indices.subarray(m.indptr[users[b]], m.indptr[users[b] + 1]), start[b]);
  return { rows: users.length, start, item };
}

/** Plays of the `batch` listeners with the most plays: no batch of that many has more. */
function largestBatchPlays(m: CsrMatrix, batch: number): number {
  const lengths = new Uint32Array(m.rows);
  for (let u = 0; u < m.rows; u++) lengths[u] = m.indptr[u + 1] - m.indptr[u];
  lengths.sort();
  let total = 0;
  for (let j = 0; j < Math.min(batch, m.rows); j++) total += lengths[m.rows - 1 - j];
  return total;
}

/** Listeners per item. */
function columnCounts(m: CsrMatrix): Uint32Array {
  const counts = new Uint32Array(m.cols);
  for (let p = 0; p < m.indptr[m.rows]; p++) counts[m.indices[p]]++;
  return counts;
}

function shuffle(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
