import { type CsrMatrix, Rng } from '@autorec/data';
import type { KernelPool } from '../engine/kernel-pool.ts';
import { TrainingDivergedError } from '../errors.ts';
import type { EpochRecord, FitOptions, ModelName } from '../types.ts';
import type { AutoRecParams } from './autorec.ts';
import type { CodeActivation, DecoderOutput } from './autorec-activation.ts';
import { loadBatch } from './autorec-batch.ts';
import { BatchPass } from './autorec-batch-pass.ts';
import type { AutoRecNetwork } from './autorec-network.ts';
import { ADAM, adamRate, type BatchStepper, RPROP, type TrainingEngine } from './autorec-stepper.ts';
import { tfjsStepper } from './autorec-train-tfjs.ts';
import { TrainingLoop } from './shared.ts';

/**
 * What the training loop reads: the training hyper-parameters of the model's one parameter
 * table (`AUTOREC_PARAMS` in autorec.ts) as they are, plus what the model derives from it — the
 * code activation, the decoder's output map, the batch size resolved for the data and the
 * `implicit` objective's sampled zero targets (kernels engine only; none: the paper's loss).
 */
export type TrainConfig = Pick<
  AutoRecParams,
  'lambda' | 'optimizer' | 'learningRate' | 'epochs' | 'patience' | 'inputDropout' | 'seed'
> & {
  activation: CodeActivation;
  output: DecoderOutput;
  /** Rows per batch (the table's `batchSize`, or the size chosen for the data when it is 0). */
  batchSize: number;
  negatives?: { perEntry: number; weight: number; candidates: Uint32Array };
};

export interface TrainData {
  /** Training rows in the network's orientation (users for U-AutoRec, items for I-AutoRec). */
  m: CsrMatrix;
  /** Targets in network space aligned with m.values (ratings, or residuals from the baseline). */
  values: Float32Array;
  /** What the encoder reads, aligned with m.values (ratings, or residuals). */
  inputs: Float32Array;
  /** Training entries per column (divides the L2 term between batches). */
  colCount: Uint32Array;
  /**
   * The validation figures with the current weights, when a validation set was given: RMSE in
   * rating space and/or NDCG@10 (both recorded in the epoch records).
   */
  validate?: () => Promise<{ rmse?: number; ndcg?: number }>;
  /** Which figure early stopping follows: the lowest RMSE (default) or the highest NDCG. */
  stopOn?: 'rmse' | 'ndcg';
}

export interface TrainOutcome {
  records: EpochRecord[];
  bestEpoch: number;
  aborted: boolean;
  seconds: number;
  /** Set when a later epoch diverged and the weights of `bestEpoch` were kept instead (see `FitResult`). */
  diverged?: string;
}

/**
 * Trains `net` on `data`: the squared error on observed entries plus λ/2·(‖W‖² + ‖V‖²), the
 * AutoRec objective, by mini-batches of rows.
 *
 * **Adam** updates only the weight rows a batch touched (lazy Adam, as TensorFlow's
 * LazyAdam): a full update of 2 × 20M weights per batch would cost more than the batch
 * itself on a 41K-song catalogue. The kernels walk the batch song by song, so a row's step is
 * taken the moment its gradient is complete, in the same pass (no gradient matrix); the tfjs
 * engine gathers the touched rows, steps them and scatters them back. The L2 term is split
 * between batches in proportion to each row's share of its training entries: a batch with c of
 * a column's n entries carries (c/n)·λ/2·‖row‖², so one epoch's batch objectives add up to
 * exactly the full objective.
 *
 * **RProp** (iRprop−, the AutoRec paper's optimiser) is full-batch: batches only accumulate
 * the gradient, and every weight takes one sign-based step per epoch with the whole L2 term.
 * `learningRate` is then the initial step size.
 *
 * Early stopping keeps the weights of the epoch with the lowest validation RMSE, or the highest
 * NDCG (`stopOn`), within `patience` epochs, also when a later epoch diverges (its loss not
 * finite): training stops there and reports `diverged`; without such weights the
 * `TrainingDivergedError` is thrown. An abort at a batch boundary restores those best weights when
 * there are some, else keeps the current ones, so the model stays usable.
 *
 * `engine` picks who does the arithmetic (see `autorec-stepper.ts`): the loop ({@link runEpochs}),
 * the batches, the shuffling and the dropout draws are the same for both, so both train the same
 * network.
 */
export async function trainNetwork(
  model: ModelName,
  net: AutoRecNetwork,
  data: TrainData,
  config: TrainConfig,
  options: FitOptions,
  engine: TrainingEngine = 'kernels',
  pool?: KernelPool,
): Promise<TrainOutcome> {
  if (!net.train) throw new Error(`${model}: network was built without optimiser state`);
  const rng = new Rng(config.seed);
  const shuffle = rng.fork();
  const dropRng = rng.fork();
  const stepper =
    engine === 'tfjs'
      ? tfjsStepper(net, data, config, dropRng)
      : kernelStepper(new BatchPass(net, pool), data, config, dropRng);
  return runEpochs(
    model,
    { rows: nonEmptyRows(data.m), batchSize: Math.min(config.batchSize, net.layout.batchRows), shuffle },
    stepper,
    net,
    data,
    config,
    options,
  );
}

/** How an epoch walks the rows: the non-empty rows, shuffled in place each epoch, in batches. */
export interface EpochPlan {
  rows: Uint32Array;
  batchSize: number;
  shuffle: Rng;
}

/** What early stopping copies out and puts back: the weights of the best epoch so far. */
export interface Weights<W> {
  snapshot(previous?: W): W;
  restore(weights: W): void;
}

/**
 * AutoRec's epoch loop — shuffling, batches, progress and abort ({@link TrainingLoop}),
 * validation, early stopping on the best epoch within `patience`, divergence — for any network
 * and engine: `stepper` does a batch's arithmetic, `weights` keeps the best epoch. The one-layer
 * network ({@link trainNetwork}) and the deep one (`deep-autorec.ts`) both train through it.
 * The stepper is disposed at the end.
 */
export async function runEpochs<W>(
  model: ModelName,
  plan: EpochPlan,
  stepper: BatchStepper,
  weights: Weights<W>,
  data: Pick<TrainData, 'validate' | 'stopOn'>,
  config: Pick<TrainConfig, 'epochs' | 'patience'>,
  options: FitOptions,
): Promise<TrainOutcome> {
  const { rows, batchSize, shuffle } = plan;
  const nBatches = Math.max(1, Math.ceil(rows.length / batchSize));
  const loop = new TrainingLoop(model, config.epochs, nBatches, options);
  let best: W | undefined;
  let bestEpoch = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  let diverged: string | undefined;
  const epochLoss = (): number => {
    const { sse, reg, count } = stepper.totals();
    return (sse + reg) / Math.max(1, count);
  };
  try {
    for (let epoch = 1; epoch <= config.epochs && !loop.aborted; epoch++) {
      loop.beginEpoch();
      shuffle.shuffle(rows);
      stepper.beginEpoch();
      let completed = true;
      for (let b = 0; b < nBatches; b++) {
        const from = b * batchSize;
        stepper.batch(rows, from, Math.min(rows.length, from + batchSize));
        if (!(await loop.batch(epoch, b + 1, epochLoss))) {
          completed = false;
          break;
        }
      }
      if (!completed) {
        stepper.abandonEpoch();
        break;
      }
      stepper.finishEpoch();
      stepper.sync();
      const checked = await data.validate?.();
      // What early stopping compares, lower is better: RMSE, or −NDCG.
      const score =
        data.stopOn === 'ndcg' ? (checked?.ndcg === undefined ? undefined : -checked.ndcg) : checked?.rmse;
      const { sse, count } = stepper.totals();
      try {
        loop.endEpoch(epoch, {
          loss: epochLoss(),
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
      if (score === undefined) {
        bestEpoch = epoch;
        continue;
      }
      if (score < bestScore) {
        bestScore = score;
        bestEpoch = epoch;
        best = weights.snapshot(best);
      } else if (epoch - bestEpoch >= config.patience) break;
    }
    stepper.sync();
  } finally {
    stepper.dispose();
  }
  if (best) weights.restore(best);
  const result = loop.finish();
  return {
    records: result.epochs,
    bestEpoch,
    aborted: result.aborted,
    seconds: result.seconds,
    ...(diverged ? { diverged } : {}),
  };
}

/**
 * The sparse-kernel engine: the network's own arena, stepped by `engine/kernels.ts` (lazy Adam
 * inside the backward pass; RProp gradients accumulated in the arena).
 */
function kernelStepper(pass: BatchPass, data: TrainData, config: TrainConfig, dropRng: Rng): BatchStepper {
  const net = pass.net;
  const t = net.training();
  if (t.E1.length === 0)
    throw new Error('AutoRec: the network keeps no optimiser state for the sparse kernels');
  const { m, values, inputs, colCount } = data;
  const { width, hidden } = net.layout;
  const s = net.stride;
  const gbE = new Float64Array(s);
  const gbV = new Float64Array(width);
  const { list, coef, tgtColPtr, delta, targets, weights, positives } = t.views;
  // Bias optimiser state (biases are small: plain arrays).
  const bE1 = new Float32Array(s);
  const bE2 = new Float32Array(s);
  const bV1 = new Float32Array(width);
  const bV2 = new Float32Array(width);
  if (config.optimizer === 'rprop') {
    net.arena.f32(t.E1).fill(config.learningRate);
    net.arena.f32(t.V1).fill(config.learningRate);
    bE1.fill(config.learningRate);
    bV1.fill(config.learningRate);
  }
  const { output, activation, lambda } = config;
  const rprop = config.optimizer === 'rprop';
  const negatives = config.negatives && { ...config.negatives, rng: dropRng.fork() };
  let step = 0;
  let epochSse = 0;
  let epochReg = 0;
  let epochCount = 0;

  /** One batch: forward, loss, backward, and (Adam) the update. */
  const batch = (rows: Uint32Array, from: number, to: number): void => {
    const nB = to - from;
    let nObserved = 0;
    const nList = loadBatch(net, m, values, rows, from, to, config.inputDropout, dropRng, inputs, negatives);
    pass.forward(nB, nList, activation);
    const out = net.outValue;
    let sse = 0;
    for (let j = 0; j < nList; j++) {
      const c = list[j];
      let gb = 0;
      for (let q = tgtColPtr[j]; q < tgtColPtr[j + 1]; q++) {
        const z = out[q];
        const err = output.value(z) - targets[q];
        const wq = weights[q];
        sse += wq * err * err;
        const d = 2 * wq * err * output.slope(z);
        delta[q] = d;
        gb += d;
      }
      gbV[c] += gb;
      // This batch's share of the column's L2 term (see above; sampled negatives carry none).
      coef[j] = (lambda * positives[j]) / colCount[c];
      nObserved += positives[j];
    }
    epochSse += sse;
    epochCount += nObserved;
    if (rprop) {
      pass.backward(nB, nList, activation, gbE);
      return;
    }
    step++;
    const lr = adamRate(config.learningRate, step);
    epochReg +=
      pass.backward(nB, nList, activation, gbE, {
        lr,
        beta1: ADAM.beta1,
        beta2: ADAM.beta2,
        eps: ADAM.eps,
      }) / 2;
    for (let j = 0; j < nList; j++) {
      const c = list[j];
      net.bv[c] = adamScalar(net.bv[c], gbV[c], bV1, bV2, c, lr);
      gbV[c] = 0;
    }
    for (let j = 0; j < hidden; j++) {
      net.be[j] = adamScalar(net.be[j], gbE[j], bE1, bE2, j, lr);
      gbE[j] = 0;
    }
  };

  /** iRprop− over every weight with the full-batch gradient plus λ·w; returns λ/2·‖W‖². */
  const rpropEpoch = (): number => {
    let reg = 0;
    const sets: [Float32Array, Float32Array, Float32Array, Float32Array][] = [
      [net.e, net.arena.f32(t.gE!), net.arena.f32(t.E1), net.arena.f32(t.E2)],
      [net.v, net.arena.f32(t.gV!), net.arena.f32(t.V1), net.arena.f32(t.V2)],
    ];
    for (const [w, g, stepSize, prev] of sets) {
      for (let q = 0; q < w.length; q++) {
        const wq = w[q];
        reg += wq * wq;
        g[q] += lambda * wq;
      }
      rpropUpdate(w, g, stepSize, prev);
    }
    rpropUpdate(net.be, Float32Array.from(gbE), bE1, bE2);
    rpropUpdate(net.bv, Float32Array.from(gbV), bV1, bV2);
    gbE.fill(0);
    gbV.fill(0);
    return (lambda / 2) * reg;
  };

  return {
    batch,
    totals: () => ({ sse: epochSse, reg: epochReg, count: epochCount }),
    beginEpoch: () => {
      epochSse = 0;
      epochReg = 0;
      epochCount = 0;
    },
    finishEpoch: () => {
      if (rprop) epochReg = rpropEpoch();
    },
    abandonEpoch: () => {
      if (!rprop) return;
      // Drop the partial full-batch gradient: the weights are those of the last whole epoch.
      net.arena.f32(t.gE!).fill(0);
      net.arena.f32(t.gV!).fill(0);
      gbE.fill(0);
      gbV.fill(0);
    },
    sync: () => {},
    dispose: () => {},
  };

  function adamScalar(
    w: number,
    g: number,
    m1: Float32Array,
    m2: Float32Array,
    j: number,
    lr: number,
  ): number {
    const mv = ADAM.beta1 * m1[j] + (1 - ADAM.beta1) * g;
    const vv = ADAM.beta2 * m2[j] + (1 - ADAM.beta2) * g * g;
    m1[j] = mv;
    m2[j] = vv;
    return w - (lr * mv) / (Math.sqrt(vv) + ADAM.eps);
  }
}

/** One iRprop− step on every element; zeroes the gradient. */
function rpropUpdate(w: Float32Array, g: Float32Array, stepSize: Float32Array, prev: Float32Array): void {
  for (let q = 0; q < w.length; q++) {
    let gq = g[q];
    const sign = gq * prev[q];
    if (sign > 0) stepSize[q] = Math.min(stepSize[q] * RPROP.up, RPROP.max);
    else if (sign < 0) {
      stepSize[q] = Math.max(stepSize[q] * RPROP.down, RPROP.min);
      gq = 0;
    }
    if (gq > 0) w[q] -= stepSize[q];
    else if (gq < 0) w[q] += stepSize[q];
    prev[q] = gq;
    g[q] = 0;
  }
}

/** Indices of rows with at least one entry (empty rows carry no loss). */
export function nonEmptyRows(m: CsrMatrix): Uint32Array {
  let n = 0;
  for (let r = 0; r < m.rows; r++) if (m.indptr[r + 1] > m.indptr[r]) n++;
  const out = new Uint32Array(n);
  n = 0;
  for (let r = 0; r < m.rows; r++) if (m.indptr[r + 1] > m.indptr[r]) out[n++] = r;
  return out;
}

/** Largest number of stored entries any `batchRows` rows of `m` hold together (sum of the longest rows). */
export function batchCapacity(m: CsrMatrix, batchRows: number): number {
  const lengths = new Uint32Array(m.rows);
  for (let r = 0; r < m.rows; r++) lengths[r] = m.indptr[r + 1] - m.indptr[r];
  lengths.sort();
  let sum = 0;
  for (let j = 0; j < Math.min(batchRows, m.rows); j++) sum += lengths[m.rows - 1 - j];
  return sum;
}
