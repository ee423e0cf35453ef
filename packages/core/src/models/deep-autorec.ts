import { type CsrMatrix, Rng, type TrainSet, transpose } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { OptionError, TrainingDivergedError } from '../errors.ts';
import { evaluateFoldInRatings, evaluateHeldOutUsers } from '../evaluation/held-out-users.ts';
import { evaluateRanking } from '../evaluation/ranking.ts';
import { validationRmse } from '../evaluation/rating.ts';
import type { Recommender } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import type { AutoRecParams } from './autorec.ts';
import { DecoderOutput } from './autorec-activation.ts';
import { type Biases, fitBiases, foldInUserBias, residualOf } from './autorec-biases.ts';
import { readWeights, type WeightSpec, weightOf, writeWeights } from './autorec-persist.ts';
import { ridgeWithIntercept } from './autorec-ridge.ts';
import { DeepAutoRecNetwork, kernelShapes, type SparseRows } from './deep-autorec-network.ts';
import { DenseProduct } from './dense-product.ts';
import { cosineToRow, rowNorms } from './item-cosine.ts';
import { TrainingLoop } from './shared.ts';

type Params = AutoRecParams;
type Name = 'u-autorec' | 'i-autorec';

/**
 * The hidden layer sizes an AutoRec option set asks for: `layers` when given (its last entry
 * is the code, so `hiddenUnits` must be left at its default or agree), else one layer of
 * `hiddenUnits` — the paper's network.
 */
export function hiddenLayers(name: Name, p: Params, defaultHidden: number): number[] {
  if (p.layers === '') return [p.hiddenUnits];
  const layers = p.layers.split(',').map(Number);
  const code = layers[layers.length - 1];
  if (p.hiddenUnits !== defaultHidden && p.hiddenUnits !== code)
    throw new OptionError(
      `${name}: options 'layers' (${p.layers}) and 'hiddenUnits' (${p.hiddenUnits}) disagree on the code size; set only 'layers'`,
      { model: name, option: 'hiddenUnits' },
    );
  return layers;
}

/**
 * Whether an option set needs the deep network (more than one hidden layer, code dropout or
 * re-feeding; one layer without them is the paper's network, trained as before), checking
 * that it asks for nothing the deep network lacks.
 */
export function wantsDeep(name: Name, p: Params, layers: readonly number[]): boolean {
  if (layers.length === 1 && p.refeed === 0 && p.codeDropout === 0) return false;
  const refuse = (option: keyof Params, why: string) => {
    throw new OptionError(
      `${name}: ${why} (layers ${layers.join(',')}, refeed ${p.refeed}, codeDropout ${p.codeDropout})`,
      {
        model: name,
        option,
      },
    );
  };
  if (p.objective !== 'ratings') refuse('objective', "the deep network trains the 'ratings' objective only");
  if (p.optimizer !== 'adam') refuse('optimizer', 'the deep network trains with adam only');
  if (p.engine === 'kernels')
    refuse('engine', "the deep network trains on tfjs ops; use engine 'auto' or 'tfjs'");
  return true;
}

/** What the deep model reads of its owner, the U-/I-AutoRec model that delegates to it. */
export interface DeepHost {
  readonly name: Name;
  readonly variant: 'user' | 'item';
  /** The owner, for the evaluation functions that early stopping calls. */
  readonly model: Recommender;
  clip(x: number): number;
}

/** Training data in the network's orientation (rows: users for U-AutoRec, songs for I-AutoRec). */
interface Oriented {
  m: CsrMatrix;
  /** Targets aligned with m.values: ratings, or residuals with `residual`. */
  values: Float32Array;
  /** Encoder inputs aligned with m.values: ratings, or residuals with input 'residuals'. */
  inputs: Float32Array;
  rowBias: Float32Array;
  colBias: Float32Array;
}

/** Users (a seeded sample) of validation NDCG@10 when the fit asks for it. */
const VALIDATION_USERS = 1000;
/** Rows per forward pass when scoring. */
const SCORE_ROWS = 256;

/**
 * U-/I-AutoRec with DeepRec's options (Kuchaiev & Ginsburg 2017), the implementation
 * `AutoRecModel` delegates to when `layers` has more than one entry or `refeed`/`codeDropout`
 * are set. The network is {@link DeepAutoRecNetwork}; this class does what AutoRec does around
 * it — the bias baseline and residual targets, fallbacks for cold users and songs, early
 * stopping, scoring, fold-in, similar songs, save and load — with the same meaning as the
 * one-layer model (see `AutoRecModel` for the maths shared with it).
 *
 * Objective per batch of rows B (n training rows in all), Adam on the batch's sum:
 *   Σ_{(r,c) observed, r∈B} (x'_rc − y_rc)² + (|B|/n)·λ/2·Σ_layers ‖W‖²
 * with code dropout inside x'. Dense re-feeding (`refeed` times per batch): with x' the output
 * just computed (a constant), one more update on input f(x) = x' (moved to the encoder's space:
 * + μ + b_row + b_col when targets are residuals and inputs ratings) and target x' on every
 * cell, each cell weighted (observed cells / all cells of the batch) — DeepRec's per-entry mean
 * on both updates — so x' becomes a fixed point of the network, the paper's argument for it.
 *
 * Scoring reads the output layer as a product, like the one-layer model: x'(row, c) =
 * g(a_row · W_out[:, c] + b_c) with a_row the penultimate activations (l₁ of them). U-AutoRec
 * scores a user from a of their row against every song's column of W_out; I-AutoRec scores
 * song i for user u from a_i (the song's penultimate activations) against column u. So fold-in
 * is as for one layer: U — the listener's row through the network; I — the listener's output
 * column and bias as the ridge regression Σ_i (r_i − w·a_i − c)² + λ/2·‖w‖² over their songs.
 * Similar songs: cosine between songs' W_out columns (U) or between their a_i (I).
 */
export class DeepAutoRec {
  private net?: DeepAutoRecNetwork;
  private biases?: Biases;
  private oriented?: Oriented;
  private output?: DecoderOutput;
  private dense?: DenseProduct;
  /** I-AutoRec: penultimate activations of every song (items × l₁). */
  private itemAct?: Float32Array;
  private outLayer?: { kernel: Float32Array; bias: Float32Array };
  private itemNorms?: Float32Array;

  constructor(
    private readonly host: DeepHost,
    private readonly params: Params,
    private readonly layers: readonly number[],
  ) {}

  private get residual(): boolean {
    return this.params.residual;
  }

  async fit(data: TrainSet, options: FitOptions, batchRows: (rows: number) => number): Promise<FitResult> {
    const start = performance.now();
    const p = this.params;
    this.release();
    this.net?.dispose();
    const biases = fitBiases(data.ratings);
    this.biases = biases;
    const o = this.orient(data, biases);
    const output = this.decoderOutput(data);
    this.output = output;
    const width = o.m.cols;
    const rng = new Rng(p.seed);
    const outputBias = new Float32Array(width);
    if (!this.residual)
      for (let c = 0; c < width; c++) outputBias[c] = output.inverse(biases.mean + o.colBias[c]);
    const net = new DeepAutoRecNetwork(
      { width, layers: this.layers, activation: p.encoderActivation },
      rng.fork(),
      outputBias,
    );
    this.net = net;
    const shuffleRng = rng.fork();
    const dropRng = rng.fork();
    const rows: number[] = [];
    for (let r = 0; r < o.m.rows; r++) if (o.m.indptr[r + 1] > o.m.indptr[r]) rows.push(r);
    const batchSize = Math.max(1, Math.min(batchRows(o.m.rows), rows.length));
    const nBatches = Math.max(1, Math.ceil(rows.length / batchSize));
    const loop = new TrainingLoop(this.host.name, p.epochs, nBatches, options);
    const validate = this.validation(options);
    const optimizer = tf.train.adam(p.learningRate);
    // The re-feed's input is x' moved to the encoder's space: x' + shift·(μ + b_row + b_col).
    const shift = (this.residual ? 1 : 0) - (p.input === 'residuals' ? 1 : 0);
    const colBase = tf.tensor2d(
      Float32Array.from(o.colBias, (b) => b + biases.mean),
      [1, width],
    );
    let best: ReturnType<DeepAutoRecNetwork['snapshot']> | undefined;
    let bestEpoch = 0;
    let bestRmse = Number.POSITIVE_INFINITY;
    let diverged: string | undefined;
    try {
      for (let epoch = 1; epoch <= p.epochs && !loop.aborted; epoch++) {
        loop.beginEpoch();
        shuffleRng.shuffle(rows);
        let sse = 0;
        let reg = 0;
        let count = 0;
        let completed = true;
        for (let b = 0; b < nBatches; b++) {
          const chunk = rows.slice(b * batchSize, (b + 1) * batchSize);
          const step = {
            output,
            lambda: p.lambda,
            share: chunk.length / rows.length,
            codeDropout: p.codeDropout,
          };
          const input = sparseRows(o.m, o.inputs, chunk, p.inputDropout, dropRng);
          const { target, mask, observed } = denseTargets(o.m, o.values, chunk);
          const first = net.observedStep(optimizer, input, target, mask, {
            ...step,
            seed: dropRng.nextUint32(),
          });
          target.dispose();
          mask.dispose();
          sse += first.sse.dataSync()[0];
          first.sse.dispose();
          reg += first.reg;
          count += observed;
          let previous = first.output;
          for (let t = 0; t < p.refeed; t++) {
            const refeedInput = tf.tidy(() => {
              if (shift === 0) return previous.clone();
              const rowBase = tf.tensor2d(
                Float32Array.from(chunk, (r) => o.rowBias[r]),
                [chunk.length, 1],
              );
              return previous.add(rowBase.add(colBase).mul(shift)) as tf.Tensor2D;
            });
            const next = net.refeedStep(optimizer, refeedInput, previous, observed / (chunk.length * width), {
              ...step,
              seed: dropRng.nextUint32(),
            });
            refeedInput.dispose();
            previous.dispose();
            next.sse.dispose();
            previous = next.output;
          }
          previous.dispose();
          const loss = () => (sse + reg) / Math.max(1, count);
          if (!(await loop.batch(epoch, b + 1, loss))) {
            completed = false;
            break;
          }
        }
        if (!completed) break;
        this.release(); // scoring caches hold the previous epoch's weights
        const checked = await validate?.();
        try {
          loop.endEpoch(epoch, {
            loss: (sse + reg) / Math.max(1, count),
            trainRmse: Math.sqrt(sse / Math.max(1, count)),
            ...(checked?.rmse === undefined ? {} : { validationRmse: checked.rmse }),
            ...(checked?.ndcg === undefined ? {} : { validationNdcg: checked.ndcg }),
          });
        } catch (error) {
          // Early stopping holds the weights of a finite epoch: keep those rather than fail.
          if (!(error instanceof TrainingDivergedError) || !best) throw error;
          diverged = error.message;
          break;
        }
        if (checked?.rmse === undefined) {
          bestEpoch = epoch;
          continue;
        }
        if (checked.rmse < bestRmse) {
          bestRmse = checked.rmse;
          bestEpoch = epoch;
          best = net.snapshot();
        } else if (epoch - bestEpoch >= p.patience) break;
      }
    } finally {
      optimizer.dispose();
      colBase.dispose();
    }
    if (best) net.restore(best);
    this.release();
    const result = loop.finish();
    return {
      epochs: result.epochs,
      bestEpoch,
      seconds: (performance.now() - start) / 1000,
      aborted: result.aborted,
      ...(diverged ? { diverged } : {}),
      backend: `${tf.getBackend()}+tfjs`,
    };
  }

  /** Validation RMSE (and NDCG@10 when asked) per epoch, as the one-layer model reports them. */
  private validation(options: FitOptions): (() => Promise<{ rmse?: number; ndcg?: number }>) | undefined {
    const { validation: v, validationFoldIn: foldIn } = options;
    if (!v) return undefined;
    const model = this.host.model;
    const rankable = v.indptr[v.rows] > 0;
    const ndcg = async (): Promise<{ ndcg?: number }> => {
      if (!options.validationRanking || !rankable) return {};
      const ranking = foldIn
        ? await evaluateHeldOutUsers(model, { foldIn, test: v }, { k: 10, maxUsers: VALIDATION_USERS })
        : await evaluateRanking(model, v, { k: 10, maxUsers: VALIDATION_USERS });
      return { ndcg: ranking.atK[0].ndcg };
    };
    if (!foldIn) return async () => ({ rmse: validationRmse(model, v) ?? Number.NaN, ...(await ndcg()) });
    if (!rankable) return undefined;
    return async () => ({
      rmse: evaluateFoldInRatings(model, { foldIn, test: v }).all.rmse ?? Number.NaN,
      ...(await ndcg()),
    });
  }

  private orient(data: TrainSet, b: Biases): Oriented {
    const user = this.host.variant === 'user';
    const m = user ? data.ratings : transpose(data.ratings);
    const [rowBias, colBias] = user ? [b.user, b.item] : [b.item, b.user];
    const residuals = new Float32Array(m.values.length);
    for (let r = 0; r < m.rows; r++)
      for (let q = m.indptr[r]; q < m.indptr[r + 1]; q++)
        residuals[q] = residualOf(m.values[q], b.mean, rowBias[r], colBias[m.indices[q]]);
    this.oriented = {
      m,
      values: this.residual ? residuals : m.values,
      inputs: this.params.input === 'residuals' ? residuals : m.values,
      rowBias,
      colBias,
    };
    return this.oriented;
  }

  private decoderOutput(data: TrainSet): DecoderOutput {
    const { min, max } = data.scale;
    const span = max - min;
    return this.residual
      ? new DecoderOutput(this.params.decoderActivation, -span, span)
      : new DecoderOutput(this.params.decoderActivation, min, max);
  }

  private ready(): { net: DeepAutoRecNetwork; b: Biases; o: Oriented; output: DecoderOutput } {
    if (!this.net || !this.biases || !this.oriented || !this.output)
      throw new Error(`${this.host.name}: the model is not trained; call fit() or load() first`);
    return { net: this.net, b: this.biases, o: this.oriented, output: this.output };
  }

  private baseline(user: number, item: number): number {
    const b = this.biases!;
    return b.mean + (user >= 0 ? b.user[user] : 0) + (item >= 0 ? b.item[item] : 0);
  }

  /** Penultimate activations of training rows `rows` (rows.length × l₁), in batches. */
  private activations(rows: ArrayLike<number>): Float32Array {
    const { net, o } = this.ready();
    const d = net.penultimateWidth;
    const out = new Float32Array(rows.length * d);
    for (let s = 0; s < rows.length; s += SCORE_ROWS) {
      const chunk = Array.from({ length: Math.min(SCORE_ROWS, rows.length - s) }, (_, k) => rows[s + k]);
      out.set(net.penultimateRows(sparseRows(o.m, o.inputs, chunk)), s * d);
    }
    return out;
  }

  private layer(): { kernel: Float32Array; bias: Float32Array } {
    this.outLayer ??= this.ready().net.outputLayer();
    return this.outLayer;
  }

  /** I-AutoRec: every song's penultimate activations (items × l₁). */
  private songActivations(): Float32Array {
    this.itemAct ??= this.activations(Uint32Array.from({ length: this.ready().o.m.rows }, (_, r) => r));
    return this.itemAct;
  }

  predictIndices(users: Int32Array, items: Int32Array): Float32Array {
    if (users.length !== items.length)
      throw new RangeError(`${this.host.name}: ${users.length} users but ${items.length} items`);
    const { b, o, output, net } = this.ready();
    const out = new Float32Array(users.length);
    const warm: number[] = [];
    for (let k = 0; k < users.length; k++) {
      const u = users[k];
      const i = items[k];
      if (
        u >= 0 &&
        i >= 0 &&
        u < b.user.length &&
        i < b.item.length &&
        b.userCount[u] > 0 &&
        b.itemCount[i] > 0
      )
        warm.push(k);
      else out[k] = this.host.clip(this.baseline(u < b.user.length ? u : -1, i < b.item.length ? i : -1));
    }
    const user = this.host.variant === 'user';
    const rowOf = (k: number) => (user ? users[k] : items[k]);
    const colOf = (k: number) => (user ? items[k] : users[k]);
    const distinct = Array.from(new Set(warm.map(rowOf)));
    const slot = new Map(distinct.map((r, j) => [r, j]));
    const d = net.penultimateWidth;
    const act = this.activations(distinct);
    const { kernel, bias } = this.layer();
    const width = o.m.cols;
    for (const k of warm) {
      const row = rowOf(k);
      const col = colOf(k);
      const a = slot.get(row)! * d;
      let z = bias[col];
      for (let f = 0; f < d; f++) z += act[a + f] * kernel[f * width + col];
      const y = output.value(z);
      out[k] = this.host.clip(this.residual ? y + b.mean + o.rowBias[row] + o.colBias[col] : y);
    }
    return out;
  }

  scoreUsers(users: Uint32Array): Float32Array {
    const { b } = this.ready();
    const nItems = b.item.length;
    const leftBias = new Float32Array(users.length);
    const left = this.leftVectors(users, leftBias);
    const scores = this.denseScores(left, users.length);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      this.finishScores(
        scores.subarray(j * nItems, (j + 1) * nItems),
        leftBias[j],
        b.user[u],
        b.userCount[u] > 0,
      );
    }
    return scores;
  }

  /** Training users' left vectors (users × l₁); for I-AutoRec their output biases into `bias`. */
  private leftVectors(users: Uint32Array, bias: Float32Array): Float32Array {
    if (this.host.variant === 'user') return this.activations(users);
    const { kernel, bias: b } = this.layer();
    const d = this.ready().net.penultimateWidth;
    const width = this.ready().o.m.cols;
    const left = new Float32Array(users.length * d);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      for (let f = 0; f < d; f++) left[j * d + f] = kernel[f * width + u];
      bias[j] = b[u];
    }
    return left;
  }

  /** Ranking scores in rating space from pre-activations without the row's own bias, in place. */
  private finishScores(z: Float32Array, rowBias: number, userBias: number, userWarm: boolean): void {
    const { b, output } = this.ready();
    const user = this.host.variant === 'user';
    const outBias = user ? this.layer().bias : undefined;
    for (let i = 0; i < z.length; i++) {
      const base = b.mean + userBias + b.item[i];
      if (!userWarm || b.itemCount[i] === 0) {
        z[i] = base;
        continue;
      }
      const y = output.value(z[i] + (outBias ? outBias[i] : rowBias));
      z[i] = this.residual ? y + base : y;
    }
  }

  /** left (n × l₁) × song vectors (l₁ × items) on the tfjs backend. */
  private denseScores(left: Float32Array, n: number): Float32Array {
    const { net, b } = this.ready();
    const d = net.penultimateWidth;
    const nItems = b.item.length;
    this.dense ??= new DenseProduct(d, nItems, () => {
      if (this.host.variant === 'user') return this.layer().kernel.slice();
      const act = this.songActivations();
      const t = new Float32Array(d * nItems);
      for (let i = 0; i < nItems; i++) for (let f = 0; f < d; f++) t[f * nItems + i] = act[i * d + f];
      return t;
    });
    return this.dense.multiply(left, n);
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    const { net, b, output } = this.ready();
    // Songs without training ratings have untrained weights: leave them out of the input.
    const keep: number[] = [];
    for (let j = 0; j < items.length; j++) if (b.itemCount[items[j]] > 0) keep.push(j);
    const its = Uint32Array.from(keep, (j) => items[j]);
    const rs = Float32Array.from(keep, (j) => ratings[j]);
    const userBias = foldInUserBias(b, its, rs);
    if (its.length === 0) {
      const scores = new Float32Array(b.item.length);
      this.finishScores(scores, 0, userBias, false);
      return scores;
    }
    const residualOfJ = (j: number) => residualOf(rs[j], b.mean, userBias, b.item[its[j]]);
    if (this.host.variant === 'user') {
      const value = Float32Array.from(its, (_, j) =>
        this.params.input === 'residuals' ? residualOfJ(j) : rs[j],
      );
      const row = { rows: 1, segment: new Int32Array(its.length), col: Int32Array.from(its), value };
      const scores = this.denseScores(net.penultimateRows(row), 1);
      this.finishScores(scores, 0, userBias, true);
      return scores;
    }
    const d = net.penultimateWidth;
    const act = this.songActivations();
    const x = new Float32Array(its.length * d);
    const t = new Float64Array(its.length);
    for (let j = 0; j < its.length; j++) {
      x.set(act.subarray(its[j] * d, (its[j] + 1) * d), j * d);
      t[j] = output.inverse(this.residual ? residualOfJ(j) : rs[j]);
    }
    const { w, c } = ridgeWithIntercept(x, t, its.length, d, this.params.lambda / 2);
    const scores = this.denseScores(Float32Array.from(w), 1);
    this.finishScores(scores, c, userBias, true);
    return scores;
  }

  itemSimilarities(item: number): Float32Array {
    const { net, b } = this.ready();
    const nItems = b.item.length;
    const d = net.penultimateWidth;
    let rows: Float32Array;
    if (this.host.variant === 'user') {
      const { kernel } = this.layer();
      rows = new Float32Array(nItems * d);
      for (let f = 0; f < d; f++) for (let i = 0; i < nItems; i++) rows[i * d + f] = kernel[f * nItems + i];
    } else rows = this.songActivations();
    this.itemNorms ??= rowNorms(rows, nItems, d, d, new Float32Array(nItems));
    // Songs without training ratings have no learned representation: similarity 0 (no evidence).
    return cosineToRow(rows, this.itemNorms, item, nItems, d, d, (i) => b.itemCount[i] === 0);
  }

  async save(store: ModelStore): Promise<void> {
    const { net, b } = this.ready();
    const { kernels, biases } = net.snapshot();
    const shapes = kernelShapes(net.layout);
    const weights: WeightSpec[] = [
      ...kernels.map((data, k) => ({ name: `deep/kernel/${k}`, shape: shapes[k], data })),
      ...biases.map((data, k) => ({ name: `deep/bias/${k}`, shape: [shapes[k][1]], data })),
      { name: 'baseline/mean', shape: [1], data: Float32Array.of(b.mean) },
      { name: 'baseline/user', shape: [b.user.length], data: b.user },
      { name: 'baseline/item', shape: [b.item.length], data: b.item },
    ];
    await writeWeights(store, { model: this.host.name }, weights);
  }

  async load(store: ModelStore, data: TrainSet): Promise<void> {
    const { weights } = await readWeights(store, this.host.name);
    const expect = (name: string, shape: number[]) => weightOf(weights, name, shape);
    const counts = fitBiases(data.ratings, { epochs: 0 });
    const mean = expect('baseline/mean', [1])[0];
    const user = expect('baseline/user', [data.users.size]);
    const item = expect('baseline/item', [data.items.size]);
    this.biases = { ...counts, mean, user, item };
    const o = this.orient(data, this.biases);
    this.output = this.decoderOutput(data);
    const layout = { width: o.m.cols, layers: this.layers, activation: this.params.encoderActivation };
    const shapes = kernelShapes(layout);
    const kernels = shapes.map((shape, k) => expect(`deep/kernel/${k}`, shape));
    const biases = shapes.map((shape, k) => expect(`deep/bias/${k}`, [shape[1]]));
    this.release();
    this.net?.dispose();
    this.net = new DeepAutoRecNetwork(layout, { kernels, biases });
  }

  /** Drops what scoring derived from the weights (they changed, or the model is disposed). */
  private release(): void {
    this.dense?.dispose();
    this.dense = undefined;
    this.itemAct = undefined;
    this.outLayer = undefined;
    this.itemNorms = undefined;
  }

  dispose(): void {
    this.release();
    this.net?.dispose();
    this.net = undefined;
  }
}

/** Rows `rows` of `m` with the encoder's `inputs`; with `dropout` each entry is dropped at that rate, kept ones scaled by 1/(1 − rate). */
function sparseRows(
  m: CsrMatrix,
  inputs: Float32Array,
  rows: ArrayLike<number>,
  dropout = 0,
  rng?: Rng,
): SparseRows {
  let total = 0;
  for (let b = 0; b < rows.length; b++) total += m.indptr[rows[b] + 1] - m.indptr[rows[b]];
  const segment = new Int32Array(total);
  const col = new Int32Array(total);
  const value = new Float32Array(total);
  const keepScale = 1 / (1 - dropout);
  let p = 0;
  for (let b = 0; b < rows.length; b++)
    for (let q = m.indptr[rows[b]]; q < m.indptr[rows[b] + 1]; q++) {
      if (dropout > 0 && rng && rng.next() < dropout) continue;
      segment[p] = b;
      col[p] = m.indices[q];
      value[p++] = dropout > 0 ? inputs[q] * keepScale : inputs[q];
    }
  return {
    rows: rows.length,
    segment: segment.subarray(0, p),
    col: col.subarray(0, p),
    value: value.subarray(0, p),
  };
}

/** Dense targets and the mask of observed cells of `rows` (rows × width), and how many are observed. */
function denseTargets(
  m: CsrMatrix,
  values: Float32Array,
  rows: ArrayLike<number>,
): { target: tf.Tensor2D; mask: tf.Tensor2D; observed: number } {
  const width = m.cols;
  const target = new Float32Array(rows.length * width);
  const mask = new Float32Array(rows.length * width);
  let observed = 0;
  for (let b = 0; b < rows.length; b++)
    for (let q = m.indptr[rows[b]]; q < m.indptr[rows[b] + 1]; q++) {
      target[b * width + m.indices[q]] = values[q];
      mask[b * width + m.indices[q]] = 1;
      observed++;
    }
  return {
    target: tf.tensor2d(target, [rows.length, width]),
    mask: tf.tensor2d(mask, [rows.length, width]),
    observed,
  };
}
