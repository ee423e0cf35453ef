import type { CsrMatrix, Rng } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors.ts';
import type { FitOptions, ModelName } from '../types.ts';
import type { AutoRecParams } from './autorec.ts';
import type { TrainedNetwork } from './autorec-inference.ts';
import { type WeightSpec, weightOf } from './autorec-persist.ts';
import type { BatchStepper } from './autorec-stepper.ts';
import {
  nonEmptyRows,
  runEpochs,
  type TrainConfig,
  type TrainData,
  type TrainOutcome,
} from './autorec-train.ts';
import {
  DeepAutoRecNetwork,
  type DeepLayout,
  kernelShapes,
  type SparseRows,
} from './deep-autorec-network.ts';

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

/** Training data in the network's orientation, with the baseline the re-feed's input adds back. */
export interface DeepTrainData extends Omit<TrainData, 'colCount'> {
  mean: number;
  /** Baseline biases of the rows (users for U-AutoRec, songs for I-AutoRec) and of the columns. */
  rowBias: Float32Array;
  colBias: Float32Array;
}

/** The training options the deep network reads (the model's one parameter table, resolved). */
export type DeepTrainConfig = Pick<
  TrainConfig,
  'output' | 'lambda' | 'learningRate' | 'epochs' | 'patience' | 'inputDropout' | 'batchSize'
> &
  Pick<AutoRecParams, 'codeDropout' | 'refeed'> & {
    /**
     * How the re-feed's input f(x) = x' moves into the encoder's space: x' + shift·(μ + b_row +
     * b_col) — 1 when the decoder learns residuals and the encoder reads ratings, −1 the other way
     * round, 0 when both read the same.
     */
    refeedShift: number;
  };

/** Rows per forward pass when computing activations for scoring. */
const SCORE_ROWS = 256;

/**
 * Trains DeepRec's network (Kuchaiev & Ginsburg 2017) — U-/I-AutoRec with `layers`,
 * `codeDropout` or `refeed` — through AutoRec's one epoch loop ({@link runEpochs}: shuffling,
 * progress, abort, validation, early stopping on the best epoch, divergence); what is its own is
 * the batch's arithmetic, a tfjs optimiser stepping every layer ({@link DeepAutoRecNetwork}).
 * The model around it (bias baseline, residual targets, fallbacks, scoring, fold-in, similar
 * songs) is `AutoRecModel`'s, the same for one layer and many (see {@link deepNetworkView}).
 *
 * Objective per batch of rows B (n training rows in all), Adam on the batch's sum:
 *   Σ_{(r,c) observed, r∈B} (x'_rc − y_rc)² + (|B|/n)·λ/2·Σ_layers ‖W‖²
 * with code dropout inside x'. Dense re-feeding (`refeed` times per batch): with x' the output
 * just computed (a constant), one more update on input f(x) = x' (moved to the encoder's space,
 * see `refeedShift`) and target x' on every cell, each cell weighted (observed cells / all cells
 * of the batch) — DeepRec's per-entry mean on both updates — so x' becomes a fixed point of the
 * network, the paper's argument for it. The re-feed is why this stepper is not the one-layer
 * network's: it needs the dense output x' of whole rows, which the sparse kernels never form.
 *
 * `rng` is what is left of the model's seed after the network's initialisation took its fork:
 * the shuffle and the dropout draws fork from it, in that order.
 */
export async function trainDeep(
  model: ModelName,
  net: DeepAutoRecNetwork,
  data: DeepTrainData,
  config: DeepTrainConfig,
  rng: Rng,
  options: FitOptions,
): Promise<TrainOutcome> {
  const shuffle = rng.fork();
  const dropRng = rng.fork();
  const rows = nonEmptyRows(data.m);
  const batchSize = Math.max(1, Math.min(config.batchSize, rows.length));
  return runEpochs(
    model,
    { rows, batchSize, shuffle },
    deepStepper(net, data, config, dropRng, rows.length),
    net,
    data,
    config,
    options,
  );
}

/** One batch of the deep network: the update on x, then `refeed` updates on f(x). */
function deepStepper(
  net: DeepAutoRecNetwork,
  data: DeepTrainData,
  config: DeepTrainConfig,
  dropRng: Rng,
  totalRows: number,
): BatchStepper {
  const { m, values, inputs, rowBias } = data;
  const width = m.cols;
  const optimizer = tf.train.adam(config.learningRate);
  const shift = config.refeedShift;
  const colBase = tf.tensor2d(
    Float32Array.from(data.colBias, (b) => b + data.mean),
    [1, width],
  );
  let sse = 0;
  let reg = 0;
  let count = 0;
  const batch = (rows: Uint32Array, from: number, to: number): void => {
    const chunk = rows.subarray(from, to);
    const step = {
      output: config.output,
      lambda: config.lambda,
      share: chunk.length / totalRows,
      codeDropout: config.codeDropout,
    };
    const input = sparseRows(m, inputs, chunk, config.inputDropout, dropRng);
    const { target, mask, observed } = denseTargets(m, values, chunk);
    const first = net.observedStep(optimizer, input, target, mask, { ...step, seed: dropRng.nextUint32() });
    target.dispose();
    mask.dispose();
    sse += first.sse.dataSync()[0];
    first.sse.dispose();
    reg += first.reg;
    count += observed;
    let previous = first.output;
    for (let t = 0; t < config.refeed; t++) {
      const refeedInput = tf.tidy(() => {
        if (shift === 0) return previous.clone();
        const rowBase = tf.tensor2d(
          Float32Array.from(chunk, (r) => rowBias[r]),
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
  };
  return {
    batch,
    totals: () => ({ sse, reg, count }),
    beginEpoch: () => {
      sse = 0;
      reg = 0;
      count = 0;
    },
    // Adam steps every batch; the weights live in the network's tfjs variables.
    finishEpoch: () => {},
    abandonEpoch: () => {},
    sync: () => {},
    dispose: () => {
      optimizer.dispose();
      colBase.dispose();
    },
  };
}

/**
 * The deep network as a {@link TrainedNetwork}: the output layer read as a product, like the
 * one-layer network's — x'(row, c) = g(⟨a_row, W_out[:, c]⟩ + b_c) with a_row the activations of
 * the first hidden layer l₁ (the decoder's last). So `AutoRecModel` scores, folds in and finds
 * similar songs exactly as for one layer: U-AutoRec's songs are the columns of W_out with b as
 * their bias, its users their a; I-AutoRec's songs are their a_i, a user their column of W_out
 * and its bias, and a new listener's column is the ridge regression over their songs' a_i.
 * A copy of the weights as they are now: build it again after they change.
 */
export function deepNetworkView(net: DeepAutoRecNetwork): TrainedNetwork {
  const { kernel, bias } = net.outputLayer();
  const d = net.penultimateWidth;
  const width = net.layout.width;
  const v = new Float32Array(width * d);
  for (let f = 0; f < d; f++) for (let c = 0; c < width; c++) v[c * d + f] = kernel[f * width + c];
  const encodeRows = (input: CsrMatrix, values: Float32Array, rows: ArrayLike<number>): Float32Array => {
    const out = new Float32Array(rows.length * d);
    for (let s = 0; s < rows.length; s += SCORE_ROWS) {
      const chunk = Array.from({ length: Math.min(SCORE_ROWS, rows.length - s) }, (_, k) => rows[s + k]);
      out.set(net.penultimateRows(sparseRows(input, values, chunk)), s * d);
    }
    return out;
  };
  return {
    dim: d,
    v,
    stride: d,
    bv: bias,
    encodeRows,
    encodeOne: (indices, values) =>
      net.penultimateRows({
        rows: 1,
        segment: new Int32Array(indices.length),
        col: Int32Array.from(indices),
        value: Float32Array.from(values),
      }),
    decodePairs: (input, values, pairRow, pairCol) => {
      const distinct = Array.from(new Set(pairRow));
      const slot = new Map(distinct.map((r, j) => [r, j]));
      const act = encodeRows(input, values, distinct);
      const z = new Float64Array(pairRow.length);
      for (let k = 0; k < pairRow.length; k++) {
        const a = slot.get(pairRow[k])! * d;
        const vo = pairCol[k] * d;
        let sum = bias[pairCol[k]];
        for (let f = 0; f < d; f++) sum += act[a + f] * v[vo + f];
        z[k] = sum;
      }
      return z;
    },
  };
}

/** The layout of a deep network over `width` columns. */
export function deepLayout(width: number, layers: readonly number[], p: Params): DeepLayout {
  return { width, layers, activation: p.encoderActivation };
}

/** Every layer's kernel and bias, as saved (`deep/kernel/k`, `deep/bias/k`). */
export function deepWeights(net: DeepAutoRecNetwork): WeightSpec[] {
  const { kernels, biases } = net.snapshot();
  const shapes = kernelShapes(net.layout);
  return [
    ...kernels.map((data, k) => ({ name: `deep/kernel/${k}`, shape: shapes[k], data })),
    ...biases.map((data, k) => ({ name: `deep/bias/${k}`, shape: [shapes[k][1]], data })),
  ];
}

/** A deep network from saved weights, each checked against the layout's shape. */
export function loadDeepNetwork(
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  layout: DeepLayout,
): DeepAutoRecNetwork {
  const shapes = kernelShapes(layout);
  const kernels = shapes.map((shape, k) => weightOf(weights, `deep/kernel/${k}`, shape));
  const biases = shapes.map((shape, k) => weightOf(weights, `deep/bias/${k}`, [shape[1]]));
  return new DeepAutoRecNetwork(layout, { kernels, biases });
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
