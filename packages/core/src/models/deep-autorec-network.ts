import type { Rng } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import type { DecoderOutput, EncoderActivation } from './autorec-activation.ts';
import { activate } from './autorec-train-tfjs.ts';

/** Rows of a sparse batch: entry p is (row segment[p], column col[p], value[p]). */
export interface SparseRows {
  rows: number;
  segment: Int32Array;
  col: Int32Array;
  value: Float32Array;
}

/** The shape of a deep AutoRec: `width` inputs and outputs, hidden `layers` from the input to the code. */
export interface DeepLayout {
  width: number;
  layers: readonly number[];
  /** Every hidden layer's activation (encoder and decoder); the output layer has the decoder's. */
  activation: EncoderActivation;
}

/** The training step's settings that are not weights. */
export interface DeepStep {
  output: DecoderOutput;
  /** L2 weight λ over the whole training set; a batch of `share` of the rows carries share·λ/2·Σ‖W‖². */
  lambda: number;
  share: number;
  /** Dropout rate on the code layer (0: none). */
  codeDropout: number;
  /** Seed of this step's dropout mask. */
  seed: number;
}

/**
 * The deep autoencoder of Kuchaiev & Ginsburg 2017 ("DeepRec") in tfjs: encoder layers
 * width → l₁ → … → l_k (the code), decoder l_k → … → l₁ → width mirroring them, every hidden layer
 * with one activation, dropout on the code while training, the output through the decoder's
 * output map. Weights are tfjs variables trained by a tfjs optimiser.
 *
 * The input layer of the observed rows is sparse — rows of W₁ summed per row in typed-array
 * loops, plays × l₁ work each way, as Mult-VAE's — so an update on x never builds a rows × width
 * input; the output layer is dense (batch × width), which the masked loss and re-feeding both
 * need. Dense products take their gradients through explicit transposes: wasm's matMul runs
 * ≈40 GFLOP/s plain but ≈1 with transposeA (engine/backend.ts), the form tfjs's own gradient uses.
 *
 * @example
 * const net = new DeepAutoRecNetwork({ width: 1682, layers: [512, 512, 1024], activation: 'selu' }, new Rng(1));
 * const loss = net.observedStep(optimizer, batch, targets, mask, step); // one Adam update
 */
export class DeepAutoRecNetwork {
  /** Encoder kernels (k of them, [in, out]) then decoder kernels (k, the last one l₁ × width). */
  readonly kernels: tf.Variable[];
  readonly biases: tf.Variable[];

  constructor(
    readonly layout: DeepLayout,
    init: Rng | { kernels: Float32Array[]; biases: Float32Array[] },
    outputBias?: Float32Array,
  ) {
    const shapes = kernelShapes(layout);
    this.kernels = shapes.map(([a, b], k) => {
      let values: Float32Array;
      if ('kernels' in init) values = checked(init.kernels[k], a * b, `kernel ${k}`);
      else {
        // Xavier (Glorot) uniform, as DeepRec initialises.
        const bound = Math.sqrt(6 / (a + b));
        values = new Float32Array(a * b);
        for (let q = 0; q < values.length; q++) values[q] = (2 * init.next() - 1) * bound;
      }
      return tf.variable(tf.tensor2d(values, [a, b]), true);
    });
    this.biases = shapes.map(([, b], k) => {
      let values: Float32Array = new Float32Array(b);
      if ('biases' in init) values = checked(init.biases[k], b, `bias ${k}`);
      else if (k === shapes.length - 1 && outputBias) values.set(outputBias);
      return tf.variable(tf.tensor1d(values), true);
    });
  }

  /** Every trainable weight (what the optimiser steps). */
  get variables(): tf.Variable[] {
    return [...this.kernels, ...this.biases];
  }

  /** Hidden layers from the input to the code. */
  get depth(): number {
    return this.layout.layers.length;
  }

  /** Width of the layer the output layer reads (l₁): scoring's inner dimension. */
  get penultimateWidth(): number {
    return this.layout.layers[0];
  }

  /**
   * The penultimate activations (rows × l₁) of a sparse or dense input; with `dropout` the code
   * layer is dropped out at that rate (training).
   */
  penultimate(input: SparseRows | tf.Tensor2D, dropout?: { rate: number; seed: number }): tf.Tensor2D {
    const k = this.depth;
    const first =
      input instanceof tf.Tensor ? dense(input, this.kernels[0]) : sparseProduct(input, this.kernels[0]);
    let h = this.activate(first.add(this.biases[0]));
    for (let j = 1; j < 2 * k - 1; j++) {
      if (j === k && dropout && dropout.rate > 0) h = tf.dropout(h, dropout.rate, undefined, dropout.seed);
      h = this.activate(dense(h, this.kernels[j]).add(this.biases[j]));
    }
    if (k === 1 && dropout && dropout.rate > 0) h = tf.dropout(h, dropout.rate, undefined, dropout.seed);
    return h as tf.Tensor2D;
  }

  /** Decoder outputs x' in target space (rows × width) from penultimate activations. */
  output(h: tf.Tensor2D, output: DecoderOutput): tf.Tensor2D {
    const last = 2 * this.depth - 1;
    const z = dense(h, this.kernels[last]).add(this.biases[last]);
    if (output.activation === 'identity') return z as tf.Tensor2D;
    return tf
      .sigmoid(z)
      .mul(output.hi - output.lo)
      .add(output.lo) as tf.Tensor2D;
  }

  /**
   * One optimiser update on observed entries: Σ over mask of (x' − target)² plus the batch's L2
   * share. Returns the squared error (a scalar tensor), the L2 term's value, and x' (kept: the
   * re-feed's input).
   */
  observedStep(
    optimizer: tf.Optimizer,
    input: SparseRows,
    target: tf.Tensor2D,
    mask: tf.Tensor2D,
    step: DeepStep,
  ): { sse: tf.Scalar; reg: number; output: tf.Tensor2D } {
    return this.update(optimizer, input, target, mask, 1, step);
  }

  /**
   * DeepRec's dense re-feeding: one update with input f(x) (`input`, in the encoder's space) and
   * target f(x) (`target`, constant) on every cell, weighted `weight` per cell; returns Σ (x' − t)².
   */
  refeedStep(
    optimizer: tf.Optimizer,
    input: tf.Tensor2D,
    target: tf.Tensor2D,
    weight: number,
    step: DeepStep,
  ): { sse: tf.Scalar; reg: number; output: tf.Tensor2D } {
    return this.update(optimizer, input, target, undefined, weight, step);
  }

  /** weight·Σ (mask ⊙ (x' − target))² + the L2 share, minimised by one optimiser step. */
  private update(
    optimizer: tf.Optimizer,
    input: SparseRows | tf.Tensor2D,
    target: tf.Tensor2D,
    mask: tf.Tensor2D | undefined,
    weight: number,
    step: DeepStep,
  ): { sse: tf.Scalar; reg: number; output: tf.Tensor2D } {
    let out: tf.Tensor2D | undefined;
    let sse: tf.Scalar | undefined;
    let reg = 0;
    optimizer.minimize(
      () => {
        const dropout = { rate: step.codeDropout, seed: step.seed };
        const y = this.output(this.penultimate(input, dropout), step.output);
        out = tf.keep(y);
        const squares = y.sub(target).square();
        sse = tf.keep((mask ? squares.mul(mask) : squares).sum() as tf.Scalar);
        const l2 = this.l2(step);
        reg = l2.reg;
        // A fresh tensor: minimize disposes the cost it is handed.
        const loss = weight === 1 ? sse.clone() : (sse.mul(weight) as tf.Scalar);
        return l2.term ? loss.add(l2.term) : loss;
      },
      false,
      this.variables,
    );
    return { sse: sse!, reg, output: out! };
  }

  /** The batch's share of λ/2·Σ‖W‖² over every kernel (biases carry none), and its value. */
  private l2(step: DeepStep): { term?: tf.Scalar; reg: number } {
    if (step.lambda === 0) return { reg: 0 };
    const sum = tf.addN(this.kernels.map((w) => w.square().sum())) as tf.Scalar;
    const term = sum.mul((step.lambda * step.share) / 2) as tf.Scalar;
    return { term, reg: term.dataSync()[0] };
  }

  /** Penultimate activations of sparse rows as a typed array (no dropout): rows × l₁. */
  penultimateRows(input: SparseRows): Float32Array {
    const h = tf.tidy(() => this.penultimate(input));
    try {
      return h.dataSync() as Float32Array;
    } finally {
      h.dispose();
    }
  }

  /** The output layer: kernel l₁ × width (row-major) and bias, as typed arrays. */
  outputLayer(): { kernel: Float32Array; bias: Float32Array } {
    const last = 2 * this.depth - 1;
    return {
      kernel: this.kernels[last].dataSync() as Float32Array,
      bias: this.biases[last].dataSync() as Float32Array,
    };
  }

  /** Copies of every weight (for early stopping's best epoch, and saving). */
  snapshot(): { kernels: Float32Array[]; biases: Float32Array[] } {
    return {
      kernels: this.kernels.map((w) => (w.dataSync() as Float32Array).slice()),
      biases: this.biases.map((w) => (w.dataSync() as Float32Array).slice()),
    };
  }

  restore(weights: { kernels: Float32Array[]; biases: Float32Array[] }): void {
    tf.tidy(() => {
      for (const [k, w] of this.kernels.entries()) w.assign(tf.tensor(weights.kernels[k], w.shape));
      for (const [k, w] of this.biases.entries()) w.assign(tf.tensor(weights.biases[k], w.shape));
    });
  }

  dispose(): void {
    for (const w of [...this.kernels, ...this.biases]) w.dispose();
  }

  private activate(z: tf.Tensor): tf.Tensor {
    return activate(z, this.layout.activation);
  }
}

/** [in, out] of each kernel: the encoder's k, then the decoder's k mirroring them. */
export function kernelShapes(layout: DeepLayout): [number, number][] {
  const sizes = [layout.width, ...layout.layers];
  const k = layout.layers.length;
  const shapes: [number, number][] = [];
  for (let j = 0; j < k; j++) shapes.push([sizes[j], sizes[j + 1]]);
  for (let j = k; j > 0; j--) shapes.push([sizes[j], sizes[j - 1]]);
  return shapes;
}

function checked(values: Float32Array | undefined, size: number, what: string): Float32Array {
  if (!values || values.length !== size)
    throw new RangeError(`deep AutoRec: ${what} has ${values?.length ?? 0} values, expected ${size}`);
  return values;
}

/** a · w with the gradients as plain products of transposed copies (fast on wasm; see the class). */
function dense(a: tf.Tensor, w: tf.Tensor): tf.Tensor2D {
  const product = tf.customGrad((...args) => {
    const [x, y, save] = args as unknown as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[1] as tf.Tensor2D)),
        tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy as tf.Tensor2D),
      ],
    };
  });
  return product(a, w) as tf.Tensor2D;
}

/**
 * The sparse input layer X W (rows × out) with its gradient Xᵀ dY for W, in typed-array loops
 * over the entries (wasm has no UnsortedSegmentSum, which tf.gather's gradient needs).
 */
function sparseProduct(batch: SparseRows, w: tf.Tensor): tf.Tensor2D {
  const [rows, out] = w.shape as [number, number];
  const product = tf.customGrad((...args) => {
    const weights = (args[0] as tf.Tensor).dataSync() as Float32Array;
    const result = new Float32Array(batch.rows * out);
    for (let p = 0; p < batch.col.length; p++) {
      const v = batch.value[p];
      const wo = batch.col[p] * out;
      const oo = batch.segment[p] * out;
      for (let k = 0; k < out; k++) result[oo + k] += v * weights[wo + k];
    }
    return {
      value: tf.tensor2d(result, [batch.rows, out]),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const grad = new Float32Array(rows * out);
        for (let p = 0; p < batch.col.length; p++) {
          const v = batch.value[p];
          const go = batch.col[p] * out;
          const dO = batch.segment[p] * out;
          for (let k = 0; k < out; k++) grad[go + k] += v * d[dO + k];
        }
        return tf.tensor2d(grad, [rows, out]);
      },
    };
  });
  return product(w) as tf.Tensor2D;
}
