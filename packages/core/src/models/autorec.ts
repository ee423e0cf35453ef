import { type CsrMatrix, Rng, type TrainSet, transpose } from '@autorec/data';
import { getBackend } from '@tensorflow/tfjs';
import type { BackendInfo, BackendName } from '../engine/backend.ts';
import { computeContext } from '../engine/compute.ts';
import { availableCores } from '../engine/function-pool.ts';
import { startKernelPool } from '../engine/kernel-pool.ts';
import { OptionError } from '../errors.ts';
import { evaluateFoldInRatings, evaluateHeldOutUsers } from '../evaluation/held-out-users.ts';
import { evaluateRanking } from '../evaluation/ranking.ts';
import { validationRmse } from '../evaluation/rating.ts';
import type { ModelManifest } from '../recommender.ts';
import type { FitOptions, FitResult, HyperParameterInfo, ModelStore, ScoreKind } from '../types.ts';
import {
  type CodeActivation,
  DECODER_ACTIVATIONS,
  DecoderOutput,
  ENCODER_ACTIVATIONS,
} from './autorec-activation.ts';
import { type Biases, fitBiases, foldInUserBias, residualOf } from './autorec-biases.ts';
import { oneLayer, type TrainedNetwork } from './autorec-inference.ts';
import { AutoRecNetwork } from './autorec-network.ts';
import { readWeights, type WeightSpec, weightOf, writeWeights } from './autorec-persist.ts';
import { implicitRidgeRow, ridgeWithIntercept, weightedGram } from './autorec-ridge.ts';
import type { TrainingEngine } from './autorec-stepper.ts';
import { batchCapacity, type TrainData, type TrainOutcome, trainNetwork } from './autorec-train.ts';
import {
  deepLayout,
  deepNetworkView,
  deepWeights,
  hiddenLayers,
  loadDeepNetwork,
  trainDeep,
  wantsDeep,
} from './deep-autorec.ts';
import { DeepAutoRecNetwork } from './deep-autorec-network.ts';
import { EmbeddingModel, type ItemEmbeddings, type UserEmbeddings } from './embedding-model.ts';
import { type ParamSpec, type ParamsOf, type ParamValue, readParams } from './shared.ts';

/**
 * AutoRec hyper-parameters. The network is the paper's: sigmoid encoder, identity decoder (its
 * best "f = identity, g = sigmoid", where its f is the outer (decoder) function and g the inner
 * (encoder) one), the encoder reading each row's ratings with 0 for unobserved entries and the
 * loss on observed entries only. The defaults differ from the paper's 500 units on raw ratings
 * where a validation search said so (see {@link AutoRecModel} for the figures): the decoder
 * learns the residual from the baseline μ + b_u + b_i (`residual`), 100 hidden units, λ = 30,
 * Adam at 0.001 — one set for both variants, which the search put first for both.
 *
 * λ weighs the L2 term of the objective over the whole training set, as the paper writes it
 * (Σ observed squared errors + λ/2·(‖W‖² + ‖V‖²)); mini-batches each carry their rows' share of
 * it. Implementations that add λ/2·‖W‖² to every mini-batch's loss apply it once per batch, i.e.
 * an effective λ × (batches per epoch) here.
 */
export type AutoRecOptions = Partial<AutoRecParams>;

/** What trains the network: see the `engine` option. */
export type AutoRecEngine = AutoRecParams['engine'];

/** Whether the decoder reads σ(z) − ½ instead of σ(z) (see the `codeCentring` option). */
export type CodeCentring = AutoRecParams['codeCentring'];

/** What the decoder is trained to reconstruct (see the `objective` option). */
export type AutoRecObjective = AutoRecParams['objective'];

/** What the encoder reads (see the `input` option). */
export type AutoRecInput = 'ratings' | 'residuals';
const AUTOREC_INPUTS: readonly AutoRecInput[] = ['ratings', 'residuals'];

const AUTOREC_PARAMS = {
  hiddenUnits: { kind: 'int', default: 100, min: 1, description: 'Hidden units (the code size).' },
  layers: {
    kind: 'sizes',
    default: '',
    description:
      "Hidden layer sizes from the input to the code, e.g. '512,512,1024' (DeepRec); the decoder mirrors them. " +
      "Empty: one layer of hiddenUnits (the paper's). More than one trains the deep network (tfjs, adam, 'ratings' objective).",
  },
  codeDropout: {
    kind: 'number',
    default: 0,
    min: 0,
    below: 1,
    description: 'Dropout rate on the code layer while training (DeepRec: 0.8); trains the deep network.',
  },
  refeed: {
    kind: 'int',
    default: 0,
    min: 0,
    description:
      'Dense re-feeding (DeepRec): after each batch update on x, this many updates with input and target f(x); trains the deep network.',
  },
  encoderActivation: {
    kind: 'enum',
    default: 'sigmoid',
    values: ENCODER_ACTIVATIONS,
    description: 'Encoder activation f in h = f(W x + b).',
  },
  decoderActivation: {
    kind: 'enum',
    default: 'identity',
    values: DECODER_ACTIVATIONS,
    description: "Decoder activation g in x' = g(V h + b'); sigmoid is scaled to the rating range.",
  },
  lambda: {
    kind: 'number',
    default: 30,
    min: 0,
    description: 'L2 weight λ in Σ squared error + λ/2·(‖W‖² + ‖V‖²) over the whole training set.',
  },
  optimizer: {
    kind: 'enum',
    default: 'adam',
    values: ['adam', 'rprop'] as const,
    description: 'adam (mini-batch, lazy row updates) or rprop (full-batch iRprop−, the AutoRec paper’s).',
  },
  learningRate: {
    kind: 'number',
    default: 0.001,
    above: 0,
    description: 'Adam step size; for rprop the initial step size.',
  },
  batchSize: {
    kind: 'int',
    default: 0,
    min: 0,
    description:
      'Rows (users, or songs for I-AutoRec) per batch; 0 = auto: rows/128 rounded to a power of two within 256–4096.',
  },
  epochs: { kind: 'int', default: 100, min: 1, description: 'Most epochs.' },
  patience: {
    kind: 'int',
    default: 10,
    min: 1,
    description: 'Early stopping: epochs without a better validation RMSE before stopping.',
  },
  residual: {
    kind: 'boolean',
    default: true,
    description: 'Learn ratings minus the baseline μ + b_u + b_i instead of raw ratings.',
  },
  input: {
    kind: 'enum',
    default: 'ratings',
    values: AUTOREC_INPUTS,
    description:
      "What the encoder reads: 'ratings' (the paper's: unobserved = 0, so every rated item shows) or " +
      "'residuals' (rating − baseline: a rating equal to its baseline looks unobserved).",
  },
  inputDropout: {
    kind: 'number',
    default: 0,
    min: 0,
    below: 1,
    description: 'Share of a row’s observed inputs dropped per batch (denoising); loss stays on all.',
  },
  codeCentring: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'centred', 'none'] as const,
    description:
      "Sigmoid encoder only: the decoder reads σ(z) − ½ ('centred'; the same network, b' holding ½·ΣV) or σ(z) ('none'). " +
      'auto: centred for U-AutoRec (its output columns are songs, mostly rare), none for I-AutoRec.',
  },
  objective: {
    kind: 'enum',
    default: 'ratings',
    values: ['ratings', 'implicit'] as const,
    description:
      "'ratings': the paper's loss on observed ratings only. 'implicit': 1 for every played entry and 0 for " +
      'sampled unplayed ones (negatives, negativeWeight) — a ranking model; its rating predictions are the bias baseline.',
  },
  negatives: {
    kind: 'number',
    default: 32,
    above: 0,
    description: "objective 'implicit': unplayed entries sampled per played entry of a row, each epoch.",
  },
  negativeWeight: {
    kind: 'number',
    default: 0.0625,
    above: 0,
    description: "objective 'implicit': loss weight of a sampled unplayed entry (a played one weighs 1).",
  },
  seed: { kind: 'int', default: 42, description: 'Seed for initialisation, shuffling and dropout.' },
  backend: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'node', 'wasm', 'cpu', 'webgl'] as const,
    description:
      "The tfjs backend the app set up (setupCompute) for dense scoring and the tfjs engine; 'auto' takes it, a name must match it.",
  },
  kernels: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'wasm-simd', 'js'] as const,
    description:
      'Sparse kernels (training and scoring): WebAssembly SIMD when available, else typed-array loops.',
  },
  engine: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'kernels', 'tfjs'] as const,
    description:
      'Training engine: the sparse kernels, or tfjs ops on the tfjs backend (auto: tfjs on tfjs-node, kernels elsewhere).',
  },
  threads: {
    kind: 'int',
    default: 0,
    min: 0,
    description:
      'Threads for the sparse kernels (worker threads on shared memory); 0 = auto: the cores (up to 8) for large data, else 1.',
  },
} satisfies Record<string, ParamSpec>;

/** Every AutoRec option, typed from its parameter table (the table is the one declaration). */
export type AutoRecParams = ParamsOf<typeof AUTOREC_PARAMS>;
type Params = AutoRecParams;

/** Which AutoRec: rows of the network are users (U-AutoRec) or items (I-AutoRec). */
export type AutoRecVariant = 'user' | 'item';

/** What an orientation reads of a fitted model. */
interface OrientedView {
  /** The trained network, one hidden layer or DeepRec's stack (its output layer and the activations it reads). */
  net: TrainedNetwork;
  o: Oriented;
  /** I-AutoRec's song codes (items × hidden), computed on first use. */
  codes: () => Float32Array;
}

/**
 * Everything that differs between U- and I-AutoRec, in one place: which side of the rating
 * matrix the network's rows are and the embeddings {@link EmbeddingModel} scores with — a song's
 * vector (U: its decoder row, with its decoder bias as b_i; I: its code h_i) and a training
 * user's (U: the code of their row; I: their decoder row, with its decoder bias as c_u) — so
 * ⟨x_u, y_i⟩ + c_u + b_i is the decoder's pre-activation at cell (user, song) either way.
 */
interface Orientation {
  readonly name: 'u-autorec' | 'i-autorec';
  /** What `codeCentring: 'auto'` does: centre when the output columns are songs (mostly rare). */
  readonly centredByDefault: boolean;
  /** How a new listener is scored: through the encoder (U) or as a new decoder row (I). */
  readonly foldIn: 'encoder' | 'decoder-row';
  /** [row side, column side] of a (user side, item side) pair. */
  pick<T>(userSide: T, itemSide: T): [T, T];
  /** The network's training rows from the users × songs ratings. */
  rows(ratings: CsrMatrix): CsrMatrix;
  /** Song vectors (and decoder biases, when they belong to the songs). */
  itemEmbeddings(view: OrientedView): ItemEmbeddings;
  /** Training users' vectors (users.length × hidden), and their decoder biases when those are theirs. */
  userEmbeddings(view: OrientedView, users: Uint32Array): UserEmbeddings;
}

const USER_ROWS: Orientation = {
  name: 'u-autorec',
  centredByDefault: true,
  foldIn: 'encoder',
  pick: (userSide, itemSide) => [userSide, itemSide],
  rows: (ratings) => ratings,
  itemEmbeddings: ({ net }) => ({ vectors: net.v, dim: net.dim, stride: net.stride, bias: net.bv }),
  userEmbeddings: ({ net, o }, users) => ({ vectors: net.encodeRows(o.m, o.inputs, users) }),
};

const ITEM_ROWS: Orientation = {
  name: 'i-autorec',
  centredByDefault: false,
  foldIn: 'decoder-row',
  pick: (userSide, itemSide) => [itemSide, userSide],
  rows: (ratings) => transpose(ratings),
  itemEmbeddings: (view) => ({ vectors: view.codes(), dim: view.net.dim, stride: view.net.dim }),
  userEmbeddings: ({ net }, users) => {
    const hidden = net.dim;
    const vectors = new Float32Array(users.length * hidden);
    const offsets = new Float32Array(users.length);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      vectors.set(net.v.subarray(u * net.stride, u * net.stride + hidden), j * hidden);
      offsets[j] = net.bv[u];
    }
    return { vectors, offsets };
  },
};

/**
 * Every hyper-parameter's default (both variants share them; see `AutoRecModel` for the evidence).
 *
 * @example
 * autoRecDefaults().lambda; // 30
 */
export function autoRecDefaults(): Readonly<AutoRecParams> {
  return readParams('u-autorec', {}, AUTOREC_PARAMS);
}

/** Training data in the network's orientation, rebuilt from the TrainSet on fit and load. */
interface Oriented {
  m: CsrMatrix;
  /** Decoder targets (ratings, or residuals with `residual`), aligned with m.values. */
  values: Float32Array;
  /** Encoder inputs (ratings, or residuals with input 'residuals'), aligned with m.values. */
  inputs: Float32Array;
  rowBias: Float32Array;
  colBias: Float32Array;
  rowCount: Uint32Array;
  colCount: Uint32Array;
}

/**
 * U-AutoRec and I-AutoRec (Sedhain et al. 2015) as one implementation: U-AutoRec
 * reconstructs each user's rating vector over songs; I-AutoRec runs the same network on the
 * transposed matrix (each song's vector over users) and reads song i's reconstruction at user
 * u to predict (u, i).
 *
 * Training never materialises a dense users × songs matrix: the loss is on observed entries
 * only, so the encoder is a sparse product and the decoder is evaluated only at observed
 * cells. Two engines train the same network with the same batches and optimiser (`engine`):
 * tfjs ops on the active tfjs backend (`autorec-train-tfjs.ts`), or the sparse WebAssembly SIMD
 * kernels (`engine/kernels.ts`); they agree to float rounding (see {@link resolveEngine} for
 * which runs by default). Ranking (`scoreUsers`) decodes densely for the requested users only,
 * through the shared embedding layer ({@link EmbeddingModel}): the decoder's pre-activation at
 * (user, song) is a dot product of a user's vector and a song's plus a bias (see `Orientation`),
 * so the base scores it — one tfjs matMul on the app's backend, or its loops — and the model
 * applies the output map and the baseline.
 *
 * Fallbacks: a user or song unknown to training, or with no training ratings, gets the
 * baseline μ + b_u + b_i fitted on the training ratings (never an untrained network output).
 *
 * Fold-in of a new listener (`recommendForPlays`):
 * - U-AutoRec: native — the listener's rating vector goes through encoder and decoder.
 * - I-AutoRec: the listener is a new input dimension. With the song codes h_i fixed (their
 *   encoder inputs are thousands of other users; one more column changes them little), the
 *   listener's decoder row and bias are exactly the minimiser of the training objective
 *   restricted to that row: Σ_i (r_i − v·h_i − c)² + λ/2·‖v‖² over the listener's songs — a ridge
 *   regression solved in closed form. Scores are then g(v·h_i + c) for every song.
 *
 * Similar songs: cosine between decoder rows (U-AutoRec: each song's output weights) or
 * between song codes h_i (I-AutoRec) — the embedding layer's `itemSimilarities`; 0 for songs
 * without training ratings.
 *
 * Predictions are clipped to the rating scale; ranking scores are not (clipping would only
 * create ties among the best songs).
 *
 * Centred code (`codeCentring`, U-AutoRec by default). With a sigmoid encoder the code
 * h = σ(z) sits near ½·1, so the decoder V h + b' carries a per-column offset ½·Σ_j V[c][j]
 * that the L2 term barely charges: for a column with one training entry the objective
 * (r − ½·s)² + λ/2·‖V[c]‖² is smallest with V[c] = (s/k)·1 over k hidden units, a penalty of only
 * λ/(2k)·s², so the network learns an almost unshrunk bias for every column — and Adam moves all
 * k weights of the row by ~lr a step, i.e. that offset by ~k·lr/2 a visit. U-AutoRec's columns
 * are songs, most with a handful of listeners, so it fit exactly those rare songs' residuals: on
 * Last.fm 2K its validation RMSE rose from the first epoch and never went below the bias
 * baseline's (0.8751 at epoch 1 vs 0.8747). Training on h − ½ = σ(z) − ½ removes that cheap
 * channel; it is the same network (V(σ − ½) + b' = Vσ + (b' − ½·ΣV)), and after training the
 * shift moves into b', so the trained and saved model is the paper's sigmoid network. Measured
 * (validation never test; Last.fm `compare` defaults, no refit): U-AutoRec best epoch 1 → 11,
 * test RMSE 0.8745 → 0.8581, NDCG@10 0.042 → 0.072; with 500 units NDCG@10 0.0001 → 0.077;
 * ML-100K RMSE 0.9123 → 0.9126, NDCG@10 0.033 → 0.078. I-AutoRec's columns are users (all
 * warm), where the offset is a useful per-user bias: centring it measured worse (Last.fm
 * 0.8357 → 0.8460, ML-100K 0.8966 → 0.9025), hence `auto`. On the synthetic preset U-AutoRec
 * loses by it (0.7621 → 0.7769 with refit).
 *
 * Implicit objective (`objective: 'implicit'`). The paper's loss sees only observed entries,
 * so on play data (every entry "played") it learns how much, never whether: its lists are the
 * popular artists for everyone. With `implicit` the decoder reconstructs the whole binary row —
 * 1 at every played entry, 0 elsewhere — with the encoder still reading the ratings:
 *   L = Σ_rows [ Σ_{c played} (1 − x'_c)² + w₀·Σ_{c ∈ S_row} x'_c² ] + λ/2·(‖W‖² + ‖V‖²),
 * where S_row is drawn afresh each epoch: `negatives`·n unplayed columns (n = the row's played
 * entries), uniformly from the columns with training entries, each weighted w₀ =
 * `negativeWeight`. In expectation that is the whole-vector loss with unplayed cell c weighted
 * w₀·negatives·n/(N − n) — a confidence weight as in implicit ALS, but paid for by
 * negatives·n decoded cells per row instead of N, so the sparse kernels and the batch memory
 * stay proportional to the plays (the msd shape's 41K-song rows would cost 41K cells each).
 * Sampled zeros carry no L2 share; there is no residual (targets are 0/1); ranking scores are
 * x'; rating predictions are the bias baseline's (as for iALS). Early stopping reads validation
 * NDCG@10 on a seeded sample of 1,000 users. I-AutoRec's fold-in becomes the same whole-vector
 * least squares for the new listener's decoder row: Σ_played (1 − v·h_i − c)² + Σ_unplayed a_i
 * (v·h_i + c)² + λ/2·‖v‖², a_i = w₀·negatives·n_i/(U − n_i) the song's expected weight, one
 * (hidden + 1)² solve against a Gram matrix computed once. Defaults (32 negatives at w₀ 1/16)
 * chosen on validation NDCG@10 on Last.fm 2K (docs/benchmarks.md).
 *
 * Deep AutoRec (DeepRec, Kuchaiev & Ginsburg 2017): `layers` (e.g. '512,512,1024', the decoder
 * mirroring them), SELU, `codeDropout` and dense re-feeding (`refeed`: after the update on x,
 * an update with input and target f(x)) train the deep stack of `deep-autorec.ts` instead (its
 * batch step, with its maths, on the same epoch loop); everything else — the baseline, fallbacks,
 * validation, scoring, fold-in, similar songs — is this class's for both, since the deep output
 * layer is read as this one's decoder (`TrainedNetwork`); one `layers` entry is this network. DeepRec's Netflix recipe (512,512,1024, SELU, code dropout 0.8, one re-feed,
 * no weight decay) measured worse than these defaults on both data sets (test RMSE ML-100K
 * I-AutoRec 1.024 vs 0.890, U 0.984 vs 0.909; Last.fm U-AutoRec 0.903 vs 0.868, NDCG@10 below
 * popularity) and re-feeding moved validation RMSE by 0.0001 (docs/benchmarks.md): the options
 * are there for larger data, not defaults.
 *
 * Defaults, from a search on validation splits (`tools/bench/autorec.ts tune`, validation RMSE,
 * mean of two seeds; never the test split) over λ, hidden units, learning rate, batch size,
 * activations, residual, input and input dropout on three data sets — Last.fm 2K (real plays,
 * `global-quantiles` ratings, 80/10/10), an ML-100K-shaped planted-rank-10 set (85/5/10) and the
 * synthetic `default` preset as `npm start` prepares it:
 *
 * | validation RMSE                                    | ML-100K-like | preset | Last.fm |
 * |----------------------------------------------------|-------------:|-------:|--------:|
 * | I-AutoRec, paper (raw ratings, 500, λ 100, lr .002) |        1.058 |  0.815 |   0.843 |
 * | I-AutoRec, defaults (residual, 100, λ 30, lr .001)  |        0.964 |  0.766 |   0.840 |
 * | I-AutoRec, same with `input: 'residuals'`, λ 100     |        0.922 |  0.856 |   0.847 |
 * | U-AutoRec, paper                                    |        0.995 |  0.838 |   1.087 |
 * | U-AutoRec, defaults (before the centred code)        |        0.947 |  0.769 |   0.877 |
 * | U-AutoRec, same with `input: 'residuals'`, λ 100     |        0.908 |  0.845 |   0.877 |
 *
 * The defaults have the lowest sum over the three sets for each variant; tanh encoders, the
 * sigmoid decoder, input dropout, 300/500 units and batch size 64 never did better there. (The
 * issue's default was 500 units; with the other defaults kept, 500 units measured worse on test
 * RMSE on Last.fm — I 0.8635 vs 0.8366, U 0.8881 vs 0.8803 — and on the preset — I 0.7927 vs
 * 0.7648, U 0.8012 vs 0.7741 — and U-AutoRec's top-10 on Last.fm went to barely-heard artists
 * whose scores overshoot the scale: NDCG@10 0.000 vs 0.035.)
 * Residual learning matters most where a song's bias cannot be told from who rated it (the
 * ML-100K-like set: 1.058 → 0.922): the raw network must carry that bias through its code.
 * Reading ratings rather than residuals matters on play counts: a residual input is 0 whenever a
 * rating equals its baseline, so the encoder cannot tell "listened, as expected" from "never
 * listened" — which is most of the signal in implicit feedback (preset 0.856 → 0.766).
 *
 * Test RMSE with the defaults (`tools/bench/autorec.ts lastfm|ml100k|preset`; paired tests over
 * per-user test MSE against SVD with its defaults):
 * - Last.fm 2K: baseline 0.878, SVD 0.862, I-AutoRec 0.837 (t = −7.7, p = 2e-14; Wilcoxon
 *   p = 2e-21; 1,867 users), U-AutoRec 0.8635 with the centred code (0.880 before it; ties with
 *   SVD, t-test p = 0.54). The paper configuration: I 0.842, U 1.073.
 * - ML-100K-like (noise floor 0.787): baseline 0.944, SVD 0.940, U-AutoRec 0.935, I-AutoRec
 *   0.948; with `input: 'residuals', lambda: 100`: U 0.898, I 0.911 (a tuned rank-10 ALS scores
 *   0.900 there). The paper configuration: I 1.039, U 0.978.
 * - `default` preset: baseline 0.970, SVD 0.921, I-AutoRec 0.765, U-AutoRec 0.774.
 * - Real MovieLens-100K (`compare`, random 90/10 with 10% validation, refit): I-AutoRec 0.8900;
 *   `lambda: 100, learningRate: 0.003, inputDropout: 0.1` (chosen on its validation RMSE) gives
 *   0.8820 — not the default because it costs the preset 0.03 validation RMSE
 *   (docs/benchmarks.md).
 * Epoch times — Last.fm 2K, and the 571K × 41K × 33.6M msd shape on one thread and on two (the
 * default on a 2-core machine; see `resolveThreads`) — are in docs/benchmarks.md (section AutoRec).
 *
 * @example
 * const model = new IAutoRecModel({ epochs: 40 });
 * const fit = await model.fit(train, { validation, onProgress: (p) => console.log(p.epoch, p.validationRmse) });
 * model.predict('user-1', 'SOAKIMP12A8C130995'); // 3.8
 * model.recommend('user-1', 10);
 * model.recommendForPlays([{ item: 'SOAKIMP12A8C130995', count: 12 }], 10);
 */
export class AutoRecModel extends EmbeddingModel {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = AUTOREC_PARAMS;
  readonly name: 'u-autorec' | 'i-autorec';
  private readonly orientation: Orientation;
  private params: Params;
  /** The one-hidden-layer network, or (DeepRec's options) the deep stack: one of the two once fitted. */
  private net?: AutoRecNetwork;
  private deepNet?: DeepAutoRecNetwork;
  /** What scoring reads of whichever network it is (built on first use, dropped with the scoring caches). */
  private trained?: TrainedNetwork;
  private biases?: Biases;
  private oriented?: Oriented;
  private output?: DecoderOutput;
  /** I-AutoRec: song codes, items × hidden. */
  private itemCodes?: Float32Array;
  /** I-AutoRec, implicit objective: the fold-in's Gram matrix and unplayed weights. */
  private foldInGram?: { gram: Float64Array; weights: Float64Array };
  private backend?: BackendInfo;
  /** True while `fit` trains on the centred sigmoid code (see `codeActivation`). */
  private trainingCentred = false;

  constructor(
    readonly variant: AutoRecVariant,
    options: AutoRecOptions | Record<string, ParamValue> = {},
  ) {
    super();
    this.orientation = variant === 'user' ? USER_ROWS : ITEM_ROWS;
    this.name = this.orientation.name;
    this.params = this.readOptions(options);
  }

  /** The options checked; one `layers` entry is `hiddenUnits` (the paper's network). */
  private readOptions(options: object): Params {
    const p = readParams(this.name, options, AUTOREC_PARAMS);
    const layers = hiddenLayers(this.name, p, AUTOREC_PARAMS.hiddenUnits.default);
    wantsDeep(this.name, p, layers);
    return { ...p, hiddenUnits: layers[layers.length - 1] };
  }

  /** The hidden layers when these options ask for the deep network, or undefined for the paper's one layer. */
  private deepLayers(p: Params): readonly number[] | undefined {
    const layers = hiddenLayers(this.name, p, p.hiddenUnits);
    return wantsDeep(this.name, p, layers) ? layers : undefined;
  }

  /** Forgets the trained networks (before fit and load), freeing the deep one's tensors. */
  private dropNetworks(): void {
    this.releaseScoring();
    this.net = undefined;
    this.deepNet?.dispose();
    this.deepNet = undefined;
  }

  override describe(): HyperParameterInfo[] {
    return Object.entries(AUTOREC_PARAMS).map(([name, spec]) => ({
      name,
      value: this.params[name as keyof Params],
      description: spec.description,
    }));
  }

  /**
   * The tfjs backend the app set up (`setupCompute`), or undefined when it set up none: a model
   * never starts or switches the backend itself. The `backend` option (kept so saved models
   * load) must be 'auto' or name that same backend.
   */
  private computeBackend(): BackendInfo | undefined {
    const context = computeContext();
    const wanted = this.params.backend;
    if (wanted === 'auto' || wanted === context?.backend.name) return context?.backend;
    throw new OptionError(
      context
        ? `${this.name}: option 'backend' asks for '${wanted}' but the app runs tfjs on '${context.backend.name}'; ` +
            "choose the backend where the app starts (AUTOREC_BACKEND, the web app's menu) and leave this option 'auto'"
        : `${this.name}: option 'backend' asks for '${wanted}' but no tfjs backend was set up; ` +
            `call setupCompute({ backend: '${wanted}' }) where the app starts and leave this option 'auto'`,
      { model: this.name, option: 'backend' },
    );
  }

  /** The `implicit` objective: targets 1 (played) and 0 (sampled unplayed), a ranking model. */
  private get implicit(): boolean {
    return this.params.objective === 'implicit';
  }

  /** Predicted ratings under the paper's objective; unitless ranking scores under `implicit`. */
  override get scoreKind(): ScoreKind {
    return this.implicit ? 'preference' : 'rating';
  }

  /** Whether the decoder learns residuals from the baseline (`residual`; ratings objective only). */
  private get residual(): boolean {
    return this.params.residual && !this.implicit;
  }

  /** Whether training reads the sigmoid code centred (the `codeCentring` option resolved). */
  private get centred(): boolean {
    const { codeCentring, encoderActivation } = this.params;
    if (encoderActivation !== 'sigmoid') return false;
    return codeCentring === 'auto' ? this.orientation.centredByDefault : codeCentring === 'centred';
  }

  /**
   * What the network applies to encoder pre-activations: centred σ − ½ while training with
   * `codeCentring`, else the encoder activation. After training the shift moves into the
   * decoder bias (V(σ − ½) + b' = Vσ + (b' − ½·ΣV)), so a trained or saved model is always
   * the paper's sigmoid network.
   */
  private get codeActivation(): CodeActivation {
    return this.trainingCentred ? 'centred-sigmoid' : this.params.encoderActivation;
  }

  /** Turns a network trained on the centred code into the paper's form, in place. */
  private uncentre(net: AutoRecNetwork): void {
    const s = net.stride;
    for (let c = 0; c < net.width; c++) {
      let sum = 0;
      for (let j = 0; j < net.hidden; j++) sum += net.v[c * s + j];
      net.bv[c] -= sum / 2;
    }
  }

  /** The tfjs backend in use and why, once fitted or loaded. */
  get backendInfo(): BackendInfo | undefined {
    return this.backend;
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const start = performance.now();
    this.backend = this.computeBackend();
    this.dropNetworks();
    const p = this.params;
    const biases = fitBiases(data.ratings);
    this.biases = biases;
    const o = this.orient(data, biases);
    const output = this.decoderOutput(data);
    this.output = output;
    // The decoder starts from the baseline: b' = g⁻¹(μ + b_col) for raw targets, 0 for residuals.
    const decoderBias = new Float32Array(o.m.cols);
    if (!this.residual && !this.implicit)
      for (let c = 0; c < o.m.cols; c++) decoderBias[c] = output.inverse(biases.mean + o.colBias[c]);
    const validate = this.validation(options);
    const layers = this.deepLayers(p);
    if (layers) return this.fitDeep(layers, o, output, decoderBias, validate, options, start);
    const batchRows = Math.max(1, Math.min(resolveBatchSize(p.batchSize, o.m.rows), o.m.rows));
    // Sampled negatives join each batch's targets: round(negatives × n) per row of n entries.
    const observed = batchCapacity(o.m, batchRows);
    const nnzCapacity = Math.max(
      this.implicit ? Math.ceil(observed * (1 + p.negatives)) + batchRows : observed,
      1024,
    );
    if (this.implicit && p.engine === 'tfjs')
      throw new OptionError(
        `${this.name}: objective 'implicit' trains on the sparse kernels only; use engine 'auto' or 'kernels'`,
        { model: this.name, option: 'engine' },
      );
    const engine = this.implicit ? 'kernels' : resolveEngine(p.engine, this.backend?.name);
    const threads =
      engine === 'tfjs' ? 1 : await resolveThreads(p.threads, o.m.indptr[o.m.rows] * p.hiddenUnits);
    const net = new AutoRecNetwork(
      {
        width: o.m.cols,
        hidden: p.hiddenUnits,
        batchRows,
        nnzCapacity,
        optimizer: p.optimizer,
        optimizerStateInArena: engine === 'kernels',
        threads,
      },
      p.kernels,
      this.name,
    );
    net.initialise(new Rng(p.seed), decoderBias);
    this.net = net;
    // Worker threads share the batches' kernel work (undefined: one thread, or none possible here).
    const pool = await startKernelPool(net.arena, net.kernels, threads);
    this.trainingCentred = this.centred;
    const outcome = await trainNetwork(
      this.name,
      net,
      {
        m: o.m,
        values: o.values,
        inputs: o.inputs,
        colCount: o.colCount,
        validate,
        stopOn: this.implicit ? 'ndcg' : 'rmse',
      },
      {
        activation: this.codeActivation,
        output,
        lambda: p.lambda,
        optimizer: p.optimizer,
        learningRate: p.learningRate,
        batchSize: batchRows,
        epochs: p.epochs,
        patience: p.patience,
        inputDropout: p.inputDropout,
        seed: p.seed,
        ...(this.implicit
          ? {
              negatives: {
                perEntry: p.negatives,
                weight: p.negativeWeight,
                candidates: nonEmptyColumns(o.colCount),
              },
            }
          : {}),
      },
      options,
      engine,
      pool,
    ).finally(() => {
      pool?.close();
      if (this.trainingCentred) this.uncentre(net);
      this.trainingCentred = false;
    });
    // The tfjs backend the dense work ran on: the app's; tfjs's own default under the tfjs engine
    // without one; none ('js': the sparse kernels and the scoring loops) otherwise.
    const ranOn = this.backend?.name ?? (engine === 'tfjs' ? getBackend() : 'js');
    // Drop gradients and optimiser state: keep only what prediction needs.
    this.net = this.inferenceNetwork(net);
    this.releaseScoring();
    const ran = `${ranOn}+${engine === 'tfjs' ? 'tfjs' : this.net.kernels.kind}${pool ? `×${pool.threads}` : ''}`;
    return fitResult(outcome, start, ran);
  }

  /**
   * DeepRec's stack (`layers`, `codeDropout`, `refeed`) on tfjs ops: its own batch step, the
   * same epoch loop, validation and model around it (see `deep-autorec.ts`).
   */
  private async fitDeep(
    layers: readonly number[],
    o: Oriented,
    output: DecoderOutput,
    decoderBias: Float32Array,
    validate: TrainData['validate'],
    options: FitOptions,
    start: number,
  ): Promise<FitResult> {
    const p = this.params;
    const rng = new Rng(p.seed);
    const net = new DeepAutoRecNetwork(deepLayout(o.m.cols, layers, p), rng.fork(), decoderBias);
    this.deepNet = net;
    const outcome = await trainDeep(
      this.name,
      net,
      {
        m: o.m,
        values: o.values,
        inputs: o.inputs,
        validate,
        stopOn: 'rmse',
        mean: this.biases!.mean,
        rowBias: o.rowBias,
        colBias: o.colBias,
      },
      {
        output,
        lambda: p.lambda,
        learningRate: p.learningRate,
        epochs: p.epochs,
        patience: p.patience,
        inputDropout: p.inputDropout,
        batchSize: resolveBatchSize(p.batchSize, o.m.rows),
        codeDropout: p.codeDropout,
        refeed: p.refeed,
        refeedShift: (this.residual ? 1 : 0) - (p.input === 'residuals' ? 1 : 0),
      },
      rng,
      options,
    );
    this.releaseScoring();
    return fitResult(outcome, start, `${getBackend()}+tfjs`);
  }

  /**
   * The validation figures each epoch reports and early stopping follows, through the evaluation
   * module: RMSE on the validation ratings (of held-out users after fold-in, with
   * `validationFoldIn`) and NDCG@10 when asked — NDCG@10 alone for the `implicit` objective.
   * The scoring caches are dropped first: they hold the previous epoch's weights.
   */
  private validation(options: FitOptions): TrainData['validate'] {
    const { validation: v, validationFoldIn: foldIn } = options;
    const rankable = v !== undefined && v.indptr[v.rows] > 0;
    // NDCG@10 of the validation users (a seeded sample), as new listeners for held-out users.
    const validationNdcg = async (validation: CsrMatrix) => {
      const ranking = foldIn
        ? await evaluateHeldOutUsers(
            this,
            { foldIn, test: validation },
            { k: 10, maxUsers: VALIDATION_USERS },
          )
        : await evaluateRanking(this, validation, { k: 10, maxUsers: VALIDATION_USERS });
      return ranking.atK[0].ndcg;
    };
    const alsoNdcg = async (validation: CsrMatrix) =>
      options.validationRanking && rankable ? { ndcg: await validationNdcg(validation) } : {};
    let validate: TrainData['validate'];
    if (this.implicit && v && rankable)
      // A ranking model: early stopping on validation NDCG@10.
      validate = async () => ({ ndcg: await validationNdcg(v) });
    else if (v && !foldIn)
      validate = async () => ({ rmse: validationRmse(this, v) ?? Number.NaN, ...(await alsoNdcg(v)) });
    else if (v && foldIn && rankable)
      validate = async () => {
        const rmse = evaluateFoldInRatings(this, { foldIn, test: v }).all.rmse ?? Number.NaN;
        return { rmse, ...(await alsoNdcg(v)) };
      };
    return (
      validate &&
      (() => {
        this.releaseScoring();
        return validate();
      })
    );
  }

  // ---- orientation and fallbacks ----

  private orient(data: TrainSet, b: Biases): Oriented {
    const side = this.orientation;
    const m = side.rows(data.ratings);
    const [rowBias, colBias] = side.pick(b.user, b.item);
    const [rowCount, colCount] = side.pick(b.userCount, b.itemCount);
    let residuals: Float32Array | undefined;
    if (this.residual || this.params.input === 'residuals') {
      residuals = new Float32Array(m.values.length);
      for (let r = 0; r < m.rows; r++)
        for (let q = m.indptr[r]; q < m.indptr[r + 1]; q++)
          residuals[q] = residualOf(m.values[q], b.mean, rowBias[r], colBias[m.indices[q]]);
    }
    this.oriented = {
      m,
      values: this.implicit
        ? new Float32Array(m.values.length).fill(1)
        : this.residual
          ? residuals!
          : m.values,
      inputs: this.params.input === 'residuals' ? residuals! : m.values,
      rowBias,
      colBias,
      rowCount,
      colCount,
    };
    return this.oriented;
  }

  private decoderOutput(data: TrainSet): DecoderOutput {
    const { min, max } = data.scale;
    const span = max - min;
    if (this.implicit) return new DecoderOutput(this.params.decoderActivation, 0, 1);
    return this.residual
      ? new DecoderOutput(this.params.decoderActivation, -span, span)
      : new DecoderOutput(this.params.decoderActivation, min, max);
  }

  private ready(): { net: TrainedNetwork; b: Biases; o: Oriented; output: DecoderOutput } {
    if (!(this.net || this.deepNet) || !this.biases || !this.oriented || !this.output)
      throw new Error(`${this.name}: the model is not trained; call fit() or load() first`);
    this.trained ??= this.deepNet
      ? deepNetworkView(this.deepNet)
      : oneLayer(this.net!, () => this.codeActivation);
    return { net: this.trained, b: this.biases, o: this.oriented, output: this.output };
  }

  /** Baseline rating for indices that may be -1 (unknown). */
  private baseline(user: number, item: number): number {
    const b = this.biases!;
    return b.mean + (user >= 0 ? b.user[user] : 0) + (item >= 0 ? b.item[item] : 0);
  }

  /** Rating-space value of a decoder pre-activation at oriented (row, col). */
  private fromZ(z: number, row: number, col: number): number {
    const { o, b, output } = this.ready();
    const y = output.value(z);
    return this.residual ? y + b.mean + o.rowBias[row] + o.colBias[col] : y;
  }

  // ---- prediction ----

  override predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`${this.name}: ${users.length} users but ${items.length} items`);
    const { net, b, o } = this.ready();
    const out = new Float32Array(users.length);
    const warm: number[] = [];
    for (let k = 0; k < users.length; k++) {
      const u = users[k];
      const i = items[k];
      if (
        !this.implicit &&
        u >= 0 &&
        i >= 0 &&
        u < b.user.length &&
        i < b.item.length &&
        b.userCount[u] > 0 &&
        b.itemCount[i] > 0
      )
        warm.push(k);
      else out[k] = this.clip(this.baseline(u < b.user.length ? u : -1, i < b.item.length ? i : -1));
    }
    const pairRow = Int32Array.from(warm, (k) => this.orientation.pick(users[k], items[k])[0]);
    const pairCol = Int32Array.from(warm, (k) => this.orientation.pick(users[k], items[k])[1]);
    const z = net.decodePairs(o.m, o.inputs, pairRow, pairCol);
    for (let j = 0; j < warm.length; j++) out[warm[j]] = this.clip(this.fromZ(z[j], pairRow[j], pairCol[j]));
    return out;
  }

  // ---- ranking ----

  protected itemEmbeddings(): ItemEmbeddings {
    return this.orientation.itemEmbeddings(this.view());
  }

  protected userEmbeddings(users: Uint32Array): UserEmbeddings {
    return this.orientation.userEmbeddings(this.view(), users);
  }

  /** Songs without training ratings have no learned representation: similarity 0 (no evidence). */
  protected override similaritySkip(item: number): boolean {
    return this.ready().b.itemCount[item] === 0;
  }

  /** Decoder pre-activations of every song from the embedding layer, turned into scores. */
  override scoreUsers(users: Uint32Array): Float32Array {
    const { b } = this.ready();
    const nItems = b.item.length;
    const scores = super.scoreUsers(users);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      this.finishScores(scores.subarray(j * nItems, (j + 1) * nItems), b.user[u], b.userCount[u] > 0);
    }
    return scores;
  }

  /**
   * Turns decoder pre-activations (bias included) into ranking scores in rating space, in place.
   * Scores are not clipped, so the order among high scores survives.
   */
  private finishScores(z: Float32Array, userBias: number, userWarm: boolean): void {
    const { b, output } = this.ready();
    for (let i = 0; i < z.length; i++) {
      const base = b.mean + userBias + b.item[i];
      if (!userWarm || b.itemCount[i] === 0) {
        z[i] = base;
        continue;
      }
      const y = output.value(z[i]);
      z[i] = this.residual ? y + base : y;
    }
  }

  /** What the orientation reads of the fitted model. */
  private view(): OrientedView {
    const { net, o } = this.ready();
    return { net, o, codes: () => this.codes() };
  }

  /** I-AutoRec: every song's code h_i from its training vector over users (items × hidden). */
  private codes(): Float32Array {
    if (!this.itemCodes) {
      const { net, o } = this.ready();
      this.itemCodes = net.encodeRows(
        o.m,
        o.inputs,
        Uint32Array.from({ length: o.m.rows }, (_, r) => r),
      );
    }
    return this.itemCodes;
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    const { net, b, output } = this.ready();
    // Songs without training ratings have untrained weights: leave them out of the input.
    const keep: number[] = [];
    for (let j = 0; j < items.length; j++) if (b.itemCount[items[j]] > 0) keep.push(j);
    const its = Uint32Array.from(keep, (j) => items[j]);
    const rs = Float32Array.from(keep, (j) => ratings[j]);
    const userBias = foldInUserBias(b, its, rs);
    const hidden = net.dim;
    if (its.length === 0) {
      const scores = new Float32Array(b.item.length);
      this.finishScores(scores, userBias, false);
      return scores;
    }
    if (this.orientation.foldIn === 'encoder') {
      const values = new Float32Array(its.length);
      for (let j = 0; j < its.length; j++)
        values[j] =
          this.params.input === 'residuals' ? residualOf(rs[j], b.mean, userBias, b.item[its[j]]) : rs[j];
      const scores = this.scoreVector(net.encodeOne(its, values));
      this.finishScores(scores, userBias, true);
      return scores;
    }
    const codes = this.codes();
    if (this.implicit) {
      // The listener is a new column: whole-vector least squares against every song's code,
      // unplayed songs weighted as the training's sampled zeros weigh them on average.
      const { gram, weights } = this.implicitFoldIn();
      const target = output.inverse(1);
      const { w, c } = implicitRidgeRow(gram, codes, hidden, its, weights, target, this.params.lambda / 2);
      const scores = this.scoreVector(w, c);
      this.finishScores(scores, userBias, true);
      return scores;
    }
    const x = new Float32Array(its.length * hidden);
    const t = new Float64Array(its.length);
    for (let j = 0; j < its.length; j++) {
      x.set(codes.subarray(its[j] * hidden, (its[j] + 1) * hidden), j * hidden);
      const target = this.residual ? residualOf(rs[j], b.mean, userBias, b.item[its[j]]) : rs[j];
      t[j] = output.inverse(target);
    }
    const { w, c } = ridgeWithIntercept(x, t, its.length, hidden, this.params.lambda / 2);
    const scores = this.scoreVector(w, c);
    this.finishScores(scores, userBias, true);
    return scores;
  }

  /**
   * I-AutoRec with the implicit objective: song i samples negatives·n_i of its N − n_i unplayed
   * users per epoch at weight negativeWeight, so an unplayed (song, new listener) cell weighs
   * a_i = negativeWeight·negatives·n_i / (N − n_i) in expectation; and Σ a_i z_i z_iᵀ.
   */
  private implicitFoldIn(): { gram: Float64Array; weights: Float64Array } {
    if (!this.foldInGram) {
      const { net, b } = this.ready();
      const users = b.user.length;
      const weights = Float64Array.from(b.itemCount, (n) =>
        n === 0 || n >= users ? 0 : (this.params.negativeWeight * this.params.negatives * n) / (users - n),
      );
      const codes = this.codes();
      this.foldInGram = { gram: weightedGram(codes, b.item.length, net.dim, weights), weights };
    }
    return this.foldInGram;
  }

  // ---- persistence ----

  protected async saveState(store: ModelStore): Promise<void> {
    const { b } = this.ready();
    const weights: WeightSpec[] = [
      ...(this.deepNet ? deepWeights(this.deepNet) : oneLayerWeights(this.net!)),
      { name: 'baseline/mean', shape: [1], data: Float32Array.of(b.mean) },
      { name: 'baseline/user', shape: [b.user.length], data: b.user },
      { name: 'baseline/item', shape: [b.item.length], data: b.item },
    ];
    // The hyper-parameters are in manifest.json (written by `save`): model.json holds the weights only.
    await writeWeights(store, { model: this.name }, weights);
  }

  protected async loadState(store: ModelStore, manifest: ModelManifest): Promise<void> {
    const data = this.trainSet;
    const { weights } = await readWeights(store, this.name);
    const saved = { ...manifest.hyperParameters };
    // Saved before the `input` option existed: such models read residuals whenever they learned them.
    if (saved.input === undefined) saved.input = saved.residual === true ? 'residuals' : 'ratings';
    this.params = this.readOptions(saved);
    this.backend = this.computeBackend();
    this.dropNetworks();
    const expect = (name: string, shape: number[]) => weightOf(weights, name, shape);
    const mean = expect('baseline/mean', [1])[0];
    const userBias = expect('baseline/user', [data.users.size]);
    const itemBias = expect('baseline/item', [data.items.size]);
    const counts = fitBiases(data.ratings, { epochs: 0 });
    this.biases = { ...counts, mean, user: userBias, item: itemBias };
    const o = this.orient(data, this.biases);
    this.output = this.decoderOutput(data);
    const width = o.m.cols;
    const layers = this.deepLayers(this.params);
    if (layers) {
      this.deepNet = loadDeepNetwork(weights, deepLayout(width, layers, this.params));
      return;
    }
    const hidden = this.params.hiddenUnits;
    const batchRows = Math.max(1, Math.min(resolveBatchSize(this.params.batchSize, o.m.rows), o.m.rows));
    const net = new AutoRecNetwork(
      { width, hidden, batchRows, nnzCapacity: Math.max(batchCapacity(o.m, batchRows), 1024) },
      this.params.kernels,
      this.name,
    );
    const encoder = expect('encoder/kernel', [width, hidden]);
    const decoder = expect('decoder/kernel', [hidden, width]);
    const s = net.stride;
    for (let c = 0; c < width; c++)
      for (let j = 0; j < hidden; j++) {
        net.e[c * s + j] = encoder[c * hidden + j];
        net.v[c * s + j] = decoder[j * width + c];
      }
    net.be.set(expect('encoder/bias', [hidden]));
    net.bv.set(expect('decoder/bias', [width]));
    this.net = net;
  }

  /** A network with the same weights and no optimiser state. */
  private inferenceNetwork(trained: AutoRecNetwork): AutoRecNetwork {
    const { width, hidden, batchRows, nnzCapacity } = trained.layout;
    const net = new AutoRecNetwork({ width, hidden, batchRows, nnzCapacity }, this.params.kernels, this.name);
    net.restore(trained.snapshot());
    return net;
  }

  /** Forgets everything derived from the weights (the base's scoring caches, the network's view, codes, fold-in Gram). */
  private releaseScoring(): void {
    this.embeddingsChanged();
    this.trained = undefined;
    this.itemCodes = undefined;
    this.foldInGram = undefined;
  }

  override dispose(): void {
    this.dropNetworks();
  }
}

/** What `fit` reports of a training run that began at `start` (ms) on `backend`. */
function fitResult(outcome: TrainOutcome, start: number, backend: string): FitResult {
  return {
    epochs: outcome.records,
    bestEpoch: outcome.bestEpoch,
    seconds: (performance.now() - start) / 1000,
    aborted: outcome.aborted,
    ...(outcome.diverged ? { diverged: outcome.diverged } : {}),
    backend,
  };
}

/** The one-layer network's weights as saved: encoder and decoder kernels ([in, out]) and biases. */
function oneLayerWeights(net: AutoRecNetwork): WeightSpec[] {
  const { width, hidden } = net.layout;
  const s = net.stride;
  const encoder = new Float32Array(width * hidden);
  const decoder = new Float32Array(hidden * width);
  for (let c = 0; c < width; c++)
    for (let j = 0; j < hidden; j++) {
      encoder[c * hidden + j] = net.e[c * s + j];
      decoder[j * width + c] = net.v[c * s + j];
    }
  return [
    { name: 'encoder/kernel', shape: [width, hidden], data: encoder },
    { name: 'encoder/bias', shape: [hidden], data: net.be.slice(0, hidden) },
    { name: 'decoder/kernel', shape: [hidden, width], data: decoder },
    { name: 'decoder/bias', shape: [width], data: net.bv.slice() },
  ];
}

/**
 * The batch size in rows; 0 picks one from the data: about rows/128 (so an epoch has ~128
 * updates) as a power of two in 256–4096. Large batches amortise the per-batch optimiser work
 * on big catalogues (msd shape: 4,096 users per batch) and small data keeps 256.
 */
export function resolveBatchSize(batchSize: number, rows: number): number {
  if (batchSize > 0) return batchSize;
  const target = 2 ** Math.round(Math.log2(Math.max(1, rows / 128)));
  return Math.min(4096, Math.max(256, target));
}

/**
 * The training engine for `engine: 'auto'` (the kernels when the app set up no tfjs backend). On the wasm backend the sparse kernels measured
 * 4–6× faster than tfjs ops on Last.fm 2K (500 units: 0.11 s against 0.64 s per U-AutoRec
 * epoch) and 6× on the msd shape on one thread (52 s against ≈296 s; 34 s on two); tfjs on
 * cpu is 35–45× slower than on wasm; in headless Chromium, tfjs on WebGL (SwiftShader, no GPU)
 * took 62 s per I-AutoRec epoch on ML-100K-sized data against 0.01 s for the kernels. So the kernels train on wasm, cpu and
 * WebGL (a real GPU was not available to measure). On tfjs-node the native, multi-threaded
 * TensorFlow kernels are the point of installing it, so tfjs ops train there — a choice not
 * measured here, where tfjs-node cannot be installed; `engine: 'kernels'` overrides it.
 */
export function resolveEngine(engine: AutoRecEngine, backend: BackendName | undefined): TrainingEngine {
  if (engine !== 'auto') return engine;
  return backend === 'node' ? 'tfjs' : 'kernels';
}

/** Users (a seeded sample) whose validation NDCG@10 early-stops the `implicit` objective. */
const VALIDATION_USERS = 1000;

/** Columns with at least one training entry: where sampled negatives are drawn from. */
function nonEmptyColumns(colCount: Uint32Array): Uint32Array {
  const out: number[] = [];
  for (let c = 0; c < colCount.length; c++) if (colCount[c] > 0) out.push(c);
  return Uint32Array.from(out);
}

/** Entries × hidden units per epoch above which `threads: 0` uses more than one thread. */
export const THREADS_AUTO_MIN_WORK = 1e8;

/**
 * Threads for the sparse kernels: `threads` when set, else — for `work` (training entries ×
 * hidden units) of at least {@link THREADS_AUTO_MIN_WORK} — the cores there are, up to 8.
 * Below that an epoch takes a fraction of a second and starting workers would not pay.
 */
export async function resolveThreads(threads: number, work: number): Promise<number> {
  if (threads > 0) return threads;
  if (work < THREADS_AUTO_MIN_WORK) return 1;
  return Math.min(8, Math.max(1, await availableCores()));
}

/** U-AutoRec: the network reconstructs each user's ratings over all songs (the paper's model). */
export class UAutoRecModel extends AutoRecModel {
  constructor(options: AutoRecOptions | Record<string, ParamValue> = {}) {
    super('user', options);
  }
}

/** I-AutoRec: the network reconstructs each song's ratings over all users. */
export class IAutoRecModel extends AutoRecModel {
  constructor(options: AutoRecOptions | Record<string, ParamValue> = {}) {
    super('item', options);
  }
}
