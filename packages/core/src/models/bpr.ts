import { nnz, Rng, type TrainSet } from '@autorec/data';
import type { ModelManifest } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import { EmbeddingModel, type ItemEmbeddings, packRows, type UserEmbeddings } from './embedding-model.ts';
import { type ParamSpec, type ParamsOf, type ParamValue, TrainingLoop } from './shared.ts';

const BPR_SPEC = {
  factors: {
    kind: 'int',
    default: 100,
    min: 1,
    description: 'Number of latent factors k (plus an item bias)',
  },
  iterations: {
    kind: 'int',
    default: 100,
    min: 0,
    description: 'Passes of SGD, each drawing one triple per stored play',
  },
  learningRate: { kind: 'number', default: 0.01, above: 0, description: 'SGD step size η' },
  regularization: {
    kind: 'number',
    default: 0.01,
    min: 0,
    description: 'L2 weight λ on the factors and the item bias',
  },
  negatives: {
    kind: 'enum',
    values: ['popularity', 'uniform'],
    default: 'popularity',
    description:
      'How the unplayed item j is drawn: in proportion to its listeners, as implicit does, or uniformly',
  },
  verifyNegatives: {
    kind: 'boolean',
    default: true,
    description: 'Skip a triple whose j the user has played (implicit’s verify_negative_samples)',
  },
  foldInEpochs: {
    kind: 'int',
    default: 50,
    min: 1,
    description: 'SGD passes over a new listener’s plays to fit their vector (items fixed)',
  },
  seed: { kind: 'int', default: 42, min: 0, description: 'Seed of the initialisation and the sampling' },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (BprParams) or as a caller gives them (BprOptions). */
export type BprParams = ParamsOf<typeof BPR_SPEC>;
export type BprOptions = Partial<BprParams>;

const STATE_FILE = 'bpr.bin';
/** Redraws of a new listener's negative they played before taking it anyway (fold-in only). */
const MAX_REDRAWS = 20;

/**
 * Bayesian Personalized Ranking — Rendle, Freudenthaler, Gantner & Schmidt-Thieme, "BPR:
 * Bayesian Personalized Ranking from Implicit Feedback" (UAI 2009) — matrix factorisation
 * trained by SGD on sampled triples, as benfred's `implicit` (`BayesianPersonalizedRanking`)
 * has it, with its defaults.
 *
 * Scores x_ui = ⟨x_u, y_i⟩ + b_i (each user vector has a constant 1 beside its k factors, each
 * item vector the learnt bias b_i there). BPR-Opt maximises, over triples (u, i, j) of a user,
 * an item they played and one they did not,
 *
 *     Σ ln σ(x_ui − x_uj) − λ (‖Θ‖²)
 *
 * by SGD: per pass, one triple per stored play — (u, i) a uniformly drawn stored entry, j the
 * item of another uniformly drawn entry, so in proportion to its listeners (`negatives:
 * 'popularity'`, implicit's sampling: popular items are the informative negatives; `uniform`
 * draws any item), the triple skipped when the user played j (`verifyNegatives`) — with
 * z = σ(x_uj − x_ui) = 1 / (1 + e^{x_ui − x_uj}):
 *
 *     x_u ← x_u + η (z (y_i − y_j) − λ x_u)
 *     y_i ← y_i + η (z x_u − λ y_i),    b_i ← b_i + η (z − λ b_i)
 *     y_j ← y_j + η (−z x_u − λ y_j),   b_j ← b_j + η (−z − λ b_j)
 *
 * Factors start uniform in (−0.5, 0.5) / k, as in `implicit`. The `loss` of a pass is the mean
 * −ln σ(x_ui − x_uj) of its triples (before each step), so it falls as ranking improves.
 *
 * Only which items were played matters, not how often: the stored values are ignored. A new
 * listener (`scoreFoldIn`) gets a vector fitted by the same SGD on their plays with every item
 * vector fixed (`foldInEpochs` passes, seeded by the plays so the same plays give the same list).
 * Similar items: cosine of the item vectors (bias left out). Rating predictions come from a bias
 * baseline fitted on the same data, as for the other ranking models.
 *
 * @example
 * const model = new BprModel({ factors: 64, iterations: 50 });
 * await model.fit(trainSet);
 * model.recommendForPlays([{ item: '707', count: 700 }], 10);
 */
export class BprModel extends EmbeddingModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = BPR_SPEC;
  readonly name = 'bpr' as const;
  declare readonly options: Readonly<BprParams>;
  protected override readonly ratingsFromBaseline = true;
  /** Users × (k + 1): factors then the constant 1. */
  private x: Float32Array = new Float32Array(0);
  /** Items × (k + 1): factors then the bias b_i. */
  private y: Float32Array = new Float32Array(0);
  /** Listeners of each item in training, the weights of popularity-drawn negatives (fold-in too). */
  private listeners: Float32Array = new Float32Array(0);
  /** Cumulative listeners, built from `listeners` when a fold-in first needs it. */
  private cumulative?: Float64Array;

  constructor(options: BprOptions | Record<string, ParamValue> = {}) {
    super('bpr', options);
  }

  /** Width of a stored vector: k factors and the bias column. */
  private get width(): number {
    return (this.options.factors | 0) + 1;
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const m = data.ratings;
    const w = this.width;
    const k = w - 1;
    const { iterations, learningRate: lr, regularization: reg, verifyNegatives } = this.options;
    const uniform = this.options.negatives === 'uniform';
    const listeners = new Float32Array(m.cols);
    for (const i of m.indices) listeners[i]++;
    this.listeners = listeners;
    this.cumulative = undefined;
    const rng = new Rng(this.options.seed);
    const x = Float32Array.from({ length: m.rows * w }, () => (rng.next() - 0.5) / k);
    const y = Float32Array.from({ length: m.cols * w }, () => (rng.next() - 0.5) / k);
    for (let u = 0; u < m.rows; u++) x[u * w + k] = 1;
    this.embeddingsChanged();
    this.x = x;
    this.y = y;
    const n = nnz(m);
    // The user of each stored entry, so a uniform entry draw gives (u, i) directly.
    const userOf = new Uint32Array(n);
    for (let u = 0; u < m.rows; u++) userOf.fill(u, m.indptr[u], m.indptr[u + 1]);
    const batches = Math.max(1, Math.ceil(n / 65_536));
    const perBatch = Math.ceil(n / batches);
    const loop = new TrainingLoop('bpr', iterations, batches, options);
    for (let it = 1; it <= iterations && n > 0 && m.cols > 1; it++) {
      loop.beginEpoch();
      let lossSum = 0;
      let done = 0;
      let steps = 0;
      for (let b = 1; b <= batches; b++) {
        const count = Math.min(perBatch, n - done);
        for (let s = 0; s < count; s++) {
          const p = rng.int(n);
          const u = userOf[p];
          const j = uniform ? rng.int(m.cols) : m.indices[rng.int(n)];
          if (verifyNegatives && hasSorted(m.indices, m.indptr[u], m.indptr[u + 1], j)) continue;
          lossSum += sgdStep(x, u * w, y, m.indices[p] * w, y, j * w, k, lr, reg, true);
          steps++;
        }
        done += count;
        if (!(await loop.batch(it, b, () => lossSum / Math.max(1, steps)))) return loop.finish('js');
      }
      loop.endEpoch(it, { loss: lossSum / Math.max(1, steps) });
    }
    this.embeddingsChanged();
    return loop.finish('js');
  }

  /** Item vectors with the bias in the last column; users carry a 1 there (see the class comment). */
  protected itemEmbeddings(): ItemEmbeddings {
    return { vectors: this.y, dim: this.width, stride: this.width };
  }

  protected userEmbeddings(users: Uint32Array): UserEmbeddings {
    return { vectors: packRows(this.x, this.width, users) };
  }

  /**
   * The vector (k factors and the constant 1) of a new listener who played `items`: SGD on BPR-Opt
   * with the item vectors fixed, seeded by the plays. Exposed for tests and tools.
   */
  foldInUser(items: Uint32Array): Float32Array {
    const w = this.width;
    const k = w - 1;
    const nItems = this.items.size;
    for (const i of items)
      if (i >= nItems) throw new RangeError(`bpr: item index ${i} outside 0..${nItems - 1}`);
    const v = new Float32Array(w);
    v[k] = 1;
    if (items.length === 0 || nItems < 2) return v;
    const played = new Set(items);
    let seed = this.options.seed;
    for (const i of items) seed = (Math.imul(seed ^ i, 0x9e3779b1) + 1) >>> 0;
    const rng = new Rng(seed);
    const { learningRate: lr, regularization: reg } = this.options;
    const draw = this.negativeDraw();
    for (let e = 0; e < this.options.foldInEpochs; e++)
      for (let s = 0; s < items.length; s++) {
        const i = items[rng.int(items.length)];
        let j = draw(rng);
        for (let r = 0; r < MAX_REDRAWS && played.has(j); r++) j = draw(rng);
        sgdStep(v, 0, this.y, i * w, this.y, j * w, k, lr, reg, false);
      }
    return v;
  }

  /** Draws a negative item as training did: by listeners (binary search in their running sum) or uniformly. */
  private negativeDraw(): (rng: Rng) => number {
    const nItems = this.items.size;
    if (this.options.negatives === 'uniform') return (rng) => rng.int(nItems);
    if (!this.cumulative) {
      const c = new Float64Array(nItems);
      let sum = 0;
      for (let i = 0; i < nItems; i++) c[i] = sum += this.listeners[i];
      this.cumulative = c;
    }
    const c = this.cumulative;
    const total = c[nItems - 1];
    return (rng) => {
      const target = rng.next() * total;
      let lo = 0;
      let hi = nItems - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (c[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
  }

  scoreFoldIn(items: Uint32Array, _ratings: Float32Array): Float32Array {
    return this.scoreVector(this.foldInUser(items));
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await this.writeState(
      store,
      STATE_FILE,
      'bpr-state',
      { x: this.x, y: this.y, listeners: this.listeners },
      { width: this.width },
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const state = await this.readState(store, STATE_FILE, 'bpr-state');
    const { width } = state.meta as { width: number };
    const w = this.width;
    const nUsers = this.users.size;
    const nItems = this.items.size;
    if (width !== w) throw state.corrupt(`holds vectors of ${width} values but manifest.json says ${w}`);
    const x = state.array('x', Float32Array, nUsers * w);
    const y = state.array('y', Float32Array, nItems * w);
    const listeners = state.array('listeners', Float32Array, nItems);
    this.embeddingsChanged();
    Object.assign(this, { x, y, listeners, cumulative: undefined });
  }
}

/** Binary search for `item` in the sorted `indices[start..end)`. */
function hasSorted(indices: Uint32Array, start: number, end: number, item: number): boolean {
  let lo = start;
  let hi = end - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = indices[mid];
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * One SGD step on the triple (u, i, j) — user vector at `xu`, items at `yi` and `yj` (width k + 1,
 * the last column the user's constant 1 and the items' bias) — as in the class comment. With
 * `updateItems` false only the user's factors move (fold-in). Returns −ln σ(x_ui − x_uj) before
 * the step.
 */
export function sgdStep(
  x: Float32Array,
  xu: number,
  y: Float32Array,
  yi: number,
  yy: Float32Array,
  yj: number,
  k: number,
  lr: number,
  reg: number,
  updateItems: boolean,
): number {
  let diff = y[yi + k] - yy[yj + k];
  for (let f = 0; f < k; f++) diff += x[xu + f] * (y[yi + f] - yy[yj + f]);
  // z = σ(−diff); −ln σ(diff) = ln(1 + e^{−diff}), computed without overflow.
  const z = 1 / (1 + Math.exp(diff));
  const loss = diff > 0 ? Math.log1p(Math.exp(-diff)) : -diff + Math.log1p(Math.exp(diff));
  for (let f = 0; f < k; f++) {
    const xf = x[xu + f];
    const yif = y[yi + f];
    const yjf = yy[yj + f];
    x[xu + f] = xf + lr * (z * (yif - yjf) - reg * xf);
    if (updateItems) {
      y[yi + f] = yif + lr * (z * xf - reg * yif);
      yy[yj + f] = yjf + lr * (-z * xf - reg * yjf);
    }
  }
  if (updateItems) {
    y[yi + k] += lr * (z - reg * y[yi + k]);
    yy[yj + k] += lr * (-z - reg * yy[yj + k]);
  }
  return loss;
}
