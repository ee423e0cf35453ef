import { type CsrMatrix, nnz, Rng, type TrainSet, transpose } from '@autorec/data';
import { availableCores } from '../engine/function-pool.ts';
import { solveSymmetricPositive } from '../linalg.ts';
import type { ModelManifest } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import { EmbeddingModel, type ItemEmbeddings, packRows, type UserEmbeddings } from './embedding-model.ts';
import { gramRows } from './ials-solver.ts';
import { startSweeps } from './ials-sweep.ts';
import { type ParamSpec, type ParamsOf, type ParamValue, TrainingLoop } from './shared.ts';

const WEIGHTINGS = ['bm25', 'tfidf', 'log', 'none'] as const;
export type IalsWeighting = (typeof WEIGHTINGS)[number];

const IALS_SPEC = {
  factors: { kind: 'int', default: 64, min: 1, description: 'Number of latent factors k' },
  iterations: {
    kind: 'int',
    default: 15,
    min: 0,
    description: 'ALS sweeps (each solves every user, then every item)',
  },
  regularization: { kind: 'number', default: 0.01, min: 0, description: 'L2 weight λ on the factors' },
  alpha: {
    kind: 'number',
    default: 1,
    min: 0,
    description: 'Confidence slope: C = 1 + alpha · weight(count)',
  },
  weighting: {
    kind: 'enum',
    values: WEIGHTINGS,
    default: 'bm25',
    description:
      'Weight of a stored value before the confidence: bm25, tfidf, log (ln(1 + r/epsilon)) or none',
  },
  saturation: {
    kind: 'number',
    default: 100,
    min: 0,
    description: 'BM25 saturation K1 (implicit’s default)',
  },
  lengthNormalisation: {
    kind: 'number',
    default: 0.8,
    min: 0,
    description: 'BM25 length normalisation B, 0–1 (implicit’s default)',
  },
  epsilon: { kind: 'number', default: 1, above: 0, description: 'Scale ε of the log weighting' },
  cgSteps: {
    kind: 'int',
    default: 3,
    min: 1,
    description:
      'Conjugate-gradient steps per row and sweep (rows whose exact solve is cheaper are solved exactly)',
  },
  seed: { kind: 'int', default: 42, min: 0, description: 'Seed of the factor initialisation' },
  threads: {
    kind: 'int',
    default: 0,
    min: 0,
    description: 'Threads (workers on shared memory); 0 = auto: every core for large data, else 1',
  },
  kernels: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'wasm-simd', 'js'] as const,
    description:
      'Row kernels: WebAssembly SIMD (float32) when available, else typed-array loops (float64 sums)',
  },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (IalsParams) or as a caller gives them (IalsOptions). */
export type IalsParams = ParamsOf<typeof IALS_SPEC>;
export type IalsOptions = Partial<IalsParams>;

const STATE_FILE = 'ials.bin';
/** Work (entries × factors² per sweep) from which `threads: 0` starts workers. */
const THREADS_AUTO_MIN_WORK = 2e7;

/** What the weighting learnt from the training data, so a new listener is weighted alike. */
interface WeightStats {
  /** Items in the catalogue (the "documents" count N of the idf). */
  items: number;
  /** BM25 length normalisation per item: (1 − B) + B · plays_i / mean plays over items. */
  lengthNorm: Float32Array;
}

/**
 * Implicit-feedback matrix factorisation by alternating least squares — Hu, Koren & Volinsky,
 * "Collaborative Filtering for Implicit Feedback Datasets" (ICDM 2008) — with the
 * conjugate-gradient row solver of Takács, Pilászy & Tikk (RecSys 2011) as in benfred's
 * `implicit`.
 *
 * Every (user, item) pair is an observation: preference p_ui = 1 where the user played the
 * item, else 0; confidence C_ui = 1 + α·w_ui for played pairs and 1 for the rest, where w_ui
 * weights the stored value r_ui (the training matrix's values: play counts with `--transform
 * none`, else what the transform made of them):
 *
 *     bm25   w_ui = r_ui (K1 + 1) / (K1 L_i + r_ui) · idf_u,   L_i = (1 − B) + B·len_i / mean len,
 *            K1 = `saturation` (100), B = `lengthNormalisation` (0.8),
 *            idf_u = ln N − ln(1 + n_u)         (implicit's `bm25_weight` on the item × user
 *                                               matrix, as its Last.fm example: artists are the
 *                                               documents; len_i = Σ_u r_ui, N = items, n_u =
 *                                               the user's items)
 *     tfidf  w_ui = √r_ui · idf_u
 *     log    w_ui = ln(1 + r_ui / ε)             (Hu et al.'s log scaling)
 *     none   w_ui = r_ui
 *
 * Objective over all users × items (unplayed pairs included):
 *
 *     min_{X,Y}  Σ_{u,i} C_ui (p_ui − x_uᵀy_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
 *
 * Each sweep fixes Y and solves every user exactly in closed form, then fixes X and solves
 * every item:
 *
 *     x_u = (YᵀY + λI + Σ_{i ∈ I(u)} (C_ui − 1) y_i y_iᵀ)⁻¹ Σ_{i ∈ I(u)} C_ui y_i
 *
 * YᵀY is shared by all rows, so a row costs only its own entries beyond it. The solve is
 * `cgSteps` conjugate-gradient steps warm-started from the previous sweep (never forming the
 * row's k × k matrix), except for rows with few entries — most artists have a handful of
 * listeners — which are solved exactly by the Woodbury identity at n²k/2 + n³/6 instead of k²
 * per CG step (see `ials-solver.ts`); on Last.fm 2K this is 2.7× faster than CG everywhere and
 * slightly better (NDCG@10 0.1767 against 0.1711, both 15 sweeps of 64 factors). Rows without
 * entries get zero vectors. Factors start uniform in [0, 0.01) as in `implicit`.
 *
 * Ranking score: x_uᵀy_i. A new listener (`scoreFoldIn`) gets one exact solve of the user
 * equation above with the trained Y — the same equation a training user is solved with, so
 * fold-in needs no retraining. Similar items: cosine of item factors.
 *
 * Rating predictions (`predict`, RMSE) are not what this model learns: they come from a
 * BaselineOnly fit on the same data (r̂ = μ + b_u + b_i, clipped; fold-in b_u by its ALS user
 * step), so rating reports stay meaningful while ranking uses the factors.
 *
 * `loss` per sweep is the objective above divided by ΣC over all pairs (implicit's
 * `calculate_loss`), computed after the user step. Training runs on `threads` cores: each
 * half-sweep's rows are split into blocks of equal estimated work, one per thread on shared
 * memory (`ials-sweep.ts`). The row kernels (`kernels`) are WebAssembly SIMD in float32, as
 * implicit solves in float32 (`engine/ials-kernels.ts`; 15 sweeps of 64 factors on Last.fm 2K
 * in ≈0.5 s on two threads, docs/benchmarks.md), else their typed-array twins with
 * float64 sums (`ials-solver.ts`); the two agree to float32 rounding.
 *
 * @example
 * const model = new IalsModel({ factors: 64, weighting: 'bm25' });
 * await model.fit(trainSet); // trainSet from prepareDataset(…, { transform: 'none' }) for play counts
 * model.recommendForPlays([{ item: 'Metallica', count: 700 }], 10);
 */
export class IalsModel extends EmbeddingModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = IALS_SPEC;
  readonly name = 'ials' as const;

  declare readonly options: Readonly<IalsParams>;
  protected override readonly ratingsFromBaseline = true;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private stats: WeightStats = { items: 0, lengthNorm: new Float32Array(0) };
  /** YᵀY + λI for fold-in, built on first use. */
  private gram?: Float64Array;

  constructor(options: IalsOptions | Record<string, ParamValue> = {}) {
    super('ials', options);
  }

  /** Factor count as a small integer (see `SvdModel.k` for why the `| 0`). */
  private get k(): number {
    return this.options.factors | 0;
  }

  /** User and item factors (views of the model's arrays; do not modify). */
  get factors(): { users: Float32Array; items: Float32Array } {
    return { users: this.x, items: this.y };
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const k = this.k;
    const m = data.ratings;
    const { iterations, regularization: lambda, cgSteps } = this.options;
    // The clock (FitResult.seconds) starts here: weighting, transposing and threads count too.
    const loop = new TrainingLoop('ials', iterations, 2, options);
    this.stats = weightStats(m, this.options);
    const conf = this.confidences(m);
    const byUser: CsrMatrix = { ...m, values: conf };
    const rng = new Rng(this.options.seed);
    const x = new Float32Array(m.rows * k);
    const y = new Float32Array(m.cols * k);
    for (let j = 0; j < x.length; j++) x[j] = rng.next() * 0.01;
    for (let j = 0; j < y.length; j++) y[j] = rng.next() * 0.01;
    const sweeps = await startSweeps({
      byUser,
      byItem: transpose(byUser),
      k,
      lambda,
      cgSteps,
      threads: await this.resolveThreads(nnz(m) * k * k),
      kernels: this.options.kernels,
      x,
      y,
    });
    // The objective's normaliser: ΣC over all pairs, 1 for each unplayed one (implicit's).
    let pairs = m.rows * m.cols - nnz(m);
    for (const c of conf) pairs += c;
    try {
      for (let it = 1; it <= iterations; it++) {
        loop.beginEpoch();
        const users = await sweeps.solve('users');
        const loss = (users.loss + lambda * users.otherNorm) / pairs;
        if (!(await loop.batch(it, 1, () => loss))) break;
        await sweeps.solve('items');
        if (!(await loop.batch(it, 2, () => loss))) break;
        loop.endEpoch(it, { loss });
      }
      this.dropDerived();
      const factors = sweeps.factors();
      this.x = factors.x;
      this.y = factors.y;
    } finally {
      sweeps.close();
    }
    return loop.finish(sweeps.backend);
  }

  private async resolveThreads(work: number): Promise<number> {
    if (this.options.threads > 0) return this.options.threads;
    return work < THREADS_AUTO_MIN_WORK ? 1 : Math.min(8, await availableCores());
  }

  /** C_ui = 1 + α·w_ui for every stored entry, in the matrix's order. */
  private confidences(m: CsrMatrix): Float32Array {
    const out = new Float32Array(nnz(m));
    for (let u = 0; u < m.rows; u++) {
      const start = m.indptr[u];
      const end = m.indptr[u + 1];
      out.set(
        this.weightRow(m.indices.subarray(start, end), m.values.subarray(start, end)).map(
          (w) => 1 + this.options.alpha * w,
        ),
        start,
      );
    }
    return out;
  }

  /** w_ui for one user's entries (see the class comment); the user's own count n_u is `items.length`. */
  private weightRow(items: Uint32Array, values: Float32Array): Float32Array {
    const { weighting, saturation: k1, epsilon } = this.options;
    const out = new Float32Array(items.length);
    const idf = Math.log(this.stats.items) - Math.log1p(items.length);
    for (let j = 0; j < items.length; j++) {
      const r = values[j];
      switch (weighting) {
        case 'bm25':
          out[j] = ((r * (k1 + 1)) / (k1 * this.stats.lengthNorm[items[j]] + r)) * idf;
          break;
        case 'tfidf':
          out[j] = Math.sqrt(r) * idf;
          break;
        case 'log':
          out[j] = Math.log1p(r / epsilon);
          break;
        default:
          out[j] = r;
      }
    }
    return out;
  }

  /** Scores x_uᵀy_i (see `EmbeddingModel` for the scoring): item vectors y_i … */
  protected itemEmbeddings(): ItemEmbeddings {
    return { vectors: this.y, dim: this.k, stride: this.k };
  }

  /** … and user vectors x_u. */
  protected userEmbeddings(users: Uint32Array): UserEmbeddings {
    return { vectors: packRows(this.x, this.k, users) };
  }

  /**
   * Factors of a new listener from item indices and stored-scale values: one exact solve of the
   * user equation (see the class comment). Exposed for tests and tools.
   */
  foldInUser(items: Uint32Array, values: Float32Array): Float64Array {
    if (items.length !== values.length)
      throw new RangeError(`ials: ${items.length} items but ${values.length} values to fold in`);
    const k = this.k;
    const nItems = this.items.size;
    for (const i of items)
      if (i >= nItems) throw new RangeError(`ials: item index ${i} outside 0..${nItems - 1}`);
    const a = Float64Array.from(this.itemGram());
    const b = new Float64Array(k);
    const weights = this.weightRow(items, values);
    const y = this.y;
    let used = 0;
    for (let j = 0; j < items.length; j++) {
      const io = items[j] * k;
      let live = false;
      for (let f = 0; f < k; f++) if (y[io + f] !== 0) live = true;
      if (!live) continue; // a cold item: nothing learnt about it
      used++;
      const c = 1 + this.options.alpha * weights[j];
      for (let r = 0; r < k; r++) {
        b[r] += c * y[io + r];
        const t = (c - 1) * y[io + r];
        for (let s = 0; s <= r; s++) a[r * k + s] += t * y[io + s];
      }
    }
    if (used === 0) return new Float64Array(k);
    return solveSymmetricPositive(a, b, k);
  }

  /** YᵀY + λI (λ at least 1e-9 so the solve is defined); also the user step's matrix. */
  private itemGram(): Float64Array {
    if (!this.gram) {
      const k = this.k;
      const g = new Float64Array(k * k);
      gramRows(this.y, k, 0, this.items.size, g);
      for (let f = 0; f < k; f++) g[f * k + f] += Math.max(this.options.regularization, 1e-9);
      this.gram = g;
    }
    return this.gram;
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    return this.scoreVector(this.foldInUser(items, ratings));
  }

  private dropDerived(): void {
    this.embeddingsChanged();
    this.gram = undefined;
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await this.writeState(
      store,
      STATE_FILE,
      'ials-state',
      { x: this.x, y: this.y, lengthNorm: this.stats.lengthNorm },
      { factors: this.k, items: this.stats.items },
    );
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const state = await this.readState(store, STATE_FILE, 'ials-state');
    const { corrupt } = state;
    const { factors, items } = state.meta as { factors: number; items: number };
    const k = this.k;
    const nUsers = this.users.size;
    const nItems = this.items.size;
    if (factors !== k) throw corrupt(`holds ${factors} factors but manifest.json says ${k}`);
    const x = state.array('x', Float32Array, nUsers * k);
    const y = state.array('y', Float32Array, nItems * k);
    const lengthNorm = state.array('lengthNorm', Float32Array, nItems);
    if (items !== nItems) throw corrupt(`weights were fitted on ${items} items, the model has ${nItems}`);
    this.dropDerived();
    Object.assign(this, { x, y, stats: { items, lengthNorm } });
  }
}

/** BM25 statistics of the training matrix (computed for every weighting; cheap). */
function weightStats(m: CsrMatrix, options: IalsParams): WeightStats {
  const plays = new Float64Array(m.cols);
  const n = nnz(m);
  let total = 0;
  for (let p = 0; p < n; p++) {
    plays[m.indices[p]] += m.values[p];
    total += m.values[p];
  }
  const mean = m.cols > 0 ? total / m.cols : 0;
  const b = options.lengthNormalisation;
  const lengthNorm = Float32Array.from(plays, (len) => 1 - b + (mean > 0 ? (b * len) / mean : 0));
  return { items: m.cols, lengthNorm };
}
