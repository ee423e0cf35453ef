import type { Rng } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import { type CodeActivation, SELU } from './autorec-activation.ts';
import { loadBatch } from './autorec-batch.ts';
import type { AutoRecNetwork } from './autorec-network.ts';
import { ADAM, adamRate, type BatchStepper, RPROP } from './autorec-stepper.ts';
import type { TrainConfig, TrainData } from './autorec-train.ts';

/**
 * AutoRec training on tfjs ops, on whichever tfjs backend is active (tfjs-node's native
 * TensorFlow, WebGL, WebAssembly or cpu): the same objective, batches, dropout draws and lazy
 * Adam as the sparse kernels, so the two engines agree to float rounding.
 *
 * A batch never holds a dense rows × width matrix. The batch's distinct columns (songs for
 * U-AutoRec) are gathered into small weight blocks; the encoder's sparse product is a gather
 * of those rows times the inputs, summed per row by `scatterND` (which adds duplicate
 * indices); the decoder is evaluated only at observed cells. Gradients are written out by
 * hand rather than taken by `tf.grads`: the gradient of `tf.gather` needs UnsortedSegmentSum,
 * which the wasm backend lacks, while `scatterND` — the same sum — exists on every backend.
 * Adam then updates only the touched rows (gather, step, `tensorScatterUpdate`), as the
 * kernels do; RProp accumulates the full-batch gradient in dense tensors and steps once per epoch.
 *
 * Tensors are replaced batch by batch inside `tf.tidy`, so the live tensor count stays the
 * same from batch to batch; the loss stays on the backend until progress asks for it.
 *
 * @example
 * const outcome = await trainNetwork('u-autorec', net, data, config, options, 'tfjs');
 */
export function tfjsStepper(
  net: AutoRecNetwork,
  data: TrainData,
  config: TrainConfig,
  dropRng: Rng,
): BatchStepper {
  const t = net.train;
  if (!t) throw new Error('AutoRec: network was built without optimiser state');
  const { m, values, inputs, colCount } = data;
  const { width, hidden } = net.layout;
  const s = net.stride;
  const { output, activation, lambda } = config;
  const rprop = config.optimizer === 'rprop';
  const { list, tgtColPtr, tgtColRows, targets, inColPtr, inColRows, inColVals } = t.views;

  // Weights, optimiser state (Adam: m, v; RProp: step size, previous gradient) and, for
  // RProp, the epoch's gradient sums. Every entry is replaced by the step that updates it.
  const state: Record<string, tf.Tensor> = {
    E: tf.tensor2d(unpad(net.e, width, hidden, s), [width, hidden]),
    V: tf.tensor2d(unpad(net.v, width, hidden, s), [width, hidden]),
    bE: tf.tensor1d(net.be.slice(0, hidden)),
    bV: tf.tensor1d(net.bv.slice(0, width)),
  };
  const init = rprop ? config.learningRate : 0;
  for (const k of ['E', 'V', 'bE', 'bV']) {
    state[`${k}1`] = tf.fill(state[k].shape, init);
    state[`${k}2`] = tf.zerosLike(state[k]);
    if (rprop) state[`${k}g`] = tf.zerosLike(state[k]);
  }
  let sse = tf.scalar(0);
  let reg = tf.scalar(0);
  let count = 0;
  let step = 0;

  const replace = (next: Record<string, tf.Tensor>): void => {
    for (const [k, v] of Object.entries(next)) {
      state[k].dispose();
      state[k] = v;
    }
  };
  const accumulate = (addSse: tf.Scalar, addReg?: tf.Scalar): void => {
    const nextSse = sse.add(addSse) as tf.Scalar;
    sse.dispose();
    addSse.dispose();
    sse = nextSse;
    if (addReg) {
      const nextReg = reg.add(addReg) as tf.Scalar;
      reg.dispose();
      addReg.dispose();
      reg = nextReg;
    }
  };

  const batch = (rows: Uint32Array, from: number, to: number): void => {
    const nB = to - from;
    const nList = loadBatch(net, m, values, rows, from, to, config.inputDropout, dropRng, inputs);
    const nT = tgtColPtr[nList];
    const nI = inColPtr[nList];
    const tSlot = slotsOf(tgtColPtr, nList);
    const iSlot = slotsOf(inColPtr, nList);
    const coef = new Float32Array(nList);
    for (let j = 0; j < nList; j++)
      coef[j] = (lambda * (tgtColPtr[j + 1] - tgtColPtr[j])) / colCount[list[j]];
    count += nT;
    const lr = rprop ? 0 : adamRate(config.learningRate, ++step);
    const { E, V, bE, bV } = state;

    const result = tf.tidy(() => {
      // Index tensors are [n, 1]: the shape scatterND, tensorScatterUpdate and gatherND take.
      const listIdx = tf.tensor2d(list.subarray(0, nList), [nList, 1], 'int32');
      const tRow = tf.tensor2d(tgtColRows.subarray(0, nT), [nT, 1], 'int32');
      const tCol = tf.tensor2d(tSlot, [nT, 1], 'int32');
      const y = tf.tensor1d(targets.subarray(0, nT));
      const iRow = tf.tensor2d(inColRows.subarray(0, nI), [nI, 1], 'int32');
      const iCol = tf.tensor2d(iSlot, [nI, 1], 'int32');
      const x = tf.tensor2d(inColVals.subarray(0, nI), [nI, 1]);

      // Forward: the batch's weight rows, the sparse encoder, the decoder at observed cells.
      const Eb = takeRows(E, listIdx);
      const Vb = takeRows(V, listIdx);
      const bVb = takeRows(bV, listIdx);
      const H = activate(tf.scatterND(iRow, takeRows(Eb, iCol).mul(x), [nB, hidden]).add(bE), activation);
      const Hg = takeRows(H, tRow);
      const Vg = takeRows(Vb, tCol);
      const z = Hg.mul(Vg).sum(1).add(takeRows(bVb, tCol));
      let pred = z;
      let slope: tf.Tensor | undefined;
      if (output.activation === 'sigmoid') {
        const sz = tf.sigmoid(z);
        const span = output.hi - output.lo;
        pred = sz.mul(span).add(output.lo);
        slope = sz.mul(tf.scalar(1).sub(sz)).mul(span);
      }
      const err = pred.sub(y);
      const batchSse = err.square().sum() as tf.Scalar;

      // Backward: δ at the observed cells, then each gradient as a scatter of per-cell terms.
      const d = (slope ? err.mul(slope) : err).mul(2).expandDims(1);
      let gVb = tf.scatterND(tCol, Hg.mul(d), [nList, hidden]);
      const gbVb = tf.scatterND(tCol, d.squeeze([1]), [nList]);
      const GZ = activationGradient(tf.scatterND(tRow, Vg.mul(d), [nB, hidden]), H, activation);
      const gbE = GZ.sum(0);
      let gEb = tf.scatterND(iCol, takeRows(GZ, iRow).mul(x), [nList, hidden]);

      if (rprop) {
        // Full batch: add this batch's gradient (no L2 yet) into the epoch's sums.
        return {
          Eg: state.Eg.add(tf.scatterND(listIdx, gEb, [width, hidden])),
          Vg: state.Vg.add(tf.scatterND(listIdx, gVb, [width, hidden])),
          bEg: state.bEg.add(gbE),
          bVg: state.bVg.add(tf.scatterND(listIdx, gbVb, [width])),
          batchSse,
        };
      }
      // This batch's share of each touched row's L2 term (see trainNetwork).
      const c = tf.tensor2d(coef, [nList, 1]);
      gEb = gEb.add(c.mul(Eb));
      gVb = gVb.add(c.mul(Vb));
      const batchReg = c
        .mul(Eb.square().sum(1, true).add(Vb.square().sum(1, true)))
        .sum()
        .div(2) as tf.Scalar;
      return {
        ...adamRows('E', Eb, gEb, listIdx, lr),
        ...adamRows('V', Vb, gVb, listIdx, lr),
        ...adamRows('bV', bVb, gbVb, listIdx, lr),
        ...adamDense('bE', gbE, lr),
        batchSse,
        batchReg,
      };
    });
    const { batchSse, batchReg, ...next } = result as Record<string, tf.Tensor>;
    replace(next);
    accumulate(batchSse as tf.Scalar, batchReg as tf.Scalar | undefined);
  };

  /** Lazy Adam on the rows `idx` of weight `key`, whose current values are `rowsNow`. */
  function adamRows(key: string, rowsNow: tf.Tensor, g: tf.Tensor, idx: tf.Tensor, lr: number) {
    const m1 = takeRows(state[`${key}1`], idx);
    const m2 = takeRows(state[`${key}2`], idx);
    const [w, n1, n2] = adamMath(rowsNow, m1, m2, g, lr);
    return {
      [key]: tf.tensorScatterUpdate(state[key], idx, w),
      [`${key}1`]: tf.tensorScatterUpdate(state[`${key}1`], idx, n1),
      [`${key}2`]: tf.tensorScatterUpdate(state[`${key}2`], idx, n2),
    };
  }

  function adamDense(key: string, g: tf.Tensor, lr: number) {
    const [w, n1, n2] = adamMath(state[key], state[`${key}1`], state[`${key}2`], g, lr);
    return { [key]: w, [`${key}1`]: n1, [`${key}2`]: n2 };
  }

  /** iRprop− on every weight with the epoch's gradient (+ λ·w for the weight matrices). */
  const rpropEpoch = (): void => {
    const next = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      let l2 = tf.scalar(0);
      for (const k of ['E', 'V', 'bE', 'bV']) {
        const w = state[k];
        let g = state[`${k}g`];
        if (k === 'E' || k === 'V') {
          g = g.add(w.mul(lambda));
          l2 = l2.add(w.square().sum());
        }
        const sign = g.mul(state[`${k}2`]);
        const grow = sign.greater(0);
        const shrink = sign.less(0);
        const size = tf.where(
          grow,
          state[`${k}1`].mul(RPROP.up).minimum(RPROP.max),
          tf.where(shrink, state[`${k}1`].mul(RPROP.down).maximum(RPROP.min), state[`${k}1`]),
        );
        const gKept = tf.where(shrink, tf.zerosLike(g), g);
        out[k] = w.sub(tf.sign(gKept).mul(size));
        out[`${k}1`] = size;
        out[`${k}2`] = gKept;
        out[`${k}g`] = tf.zerosLike(g);
      }
      out.l2 = l2.mul(lambda / 2);
      return out;
    });
    const { l2, ...rest } = next;
    replace(rest);
    reg.dispose();
    reg = l2 as tf.Scalar;
  };

  const zeroGradients = (): void => {
    if (!rprop) return;
    replace(Object.fromEntries(['E', 'V', 'bE', 'bV'].map((k) => [`${k}g`, tf.zerosLike(state[k])])));
  };

  return {
    batch,
    totals: () => ({ sse: sse.dataSync()[0], reg: reg.dataSync()[0], count }),
    beginEpoch: () => {
      sse.dispose();
      reg.dispose();
      sse = tf.scalar(0);
      reg = tf.scalar(0);
      count = 0;
    },
    finishEpoch: () => {
      if (rprop) rpropEpoch();
    },
    abandonEpoch: zeroGradients,
    sync: () => {
      pad(state.E.dataSync() as Float32Array, net.e, width, hidden, s);
      pad(state.V.dataSync() as Float32Array, net.v, width, hidden, s);
      net.be.set(state.bE.dataSync() as Float32Array);
      net.bv.set(state.bV.dataSync() as Float32Array);
    },
    dispose: () => {
      for (const v of Object.values(state)) v.dispose();
      sse.dispose();
      reg.dispose();
    },
  };
}

/**
 * Rows `idx` ([n, 1] int32) of `t`. On the wasm backend gatherND, which copies whole rows,
 * measured ≈9× faster than gather, which walks element by element (9,300 rows of 500 floats:
 * 15 ms against 133 ms); elsewhere gather is the faster (cpu: 215 ms against 543 ms).
 */
function takeRows(t: tf.Tensor, idx: tf.Tensor): tf.Tensor {
  return tf.getBackend() === 'wasm' ? tf.gatherND(t, idx) : tf.gather(t, idx.squeeze([1]));
}

/** One Adam step: returns the new weights and moments. */
function adamMath(w: tf.Tensor, m1: tf.Tensor, m2: tf.Tensor, g: tf.Tensor, lr: number): tf.Tensor[] {
  const n1 = m1.mul(ADAM.beta1).add(g.mul(1 - ADAM.beta1));
  const n2 = m2.mul(ADAM.beta2).add(g.square().mul(1 - ADAM.beta2));
  return [w.sub(n1.mul(lr).div(n2.sqrt().add(ADAM.eps))), n1, n2];
}

/** The code activation f on a tensor (the tfjs engine and the deep network share it). */
export function activate(z: tf.Tensor, activation: CodeActivation): tf.Tensor {
  switch (activation) {
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'centred-sigmoid':
      return tf.sigmoid(z).sub(0.5);
    case 'tanh':
      return tf.tanh(z);
    case 'selu':
      return tf.selu(z);
    case 'relu':
      return tf.relu(z);
    case 'identity':
      return z;
  }
}

/** g ⊙ f′, with f′ written in terms of the output h (as the kernels do). */
function activationGradient(g: tf.Tensor, h: tf.Tensor, activation: CodeActivation): tf.Tensor {
  switch (activation) {
    case 'sigmoid':
      return g.mul(h.mul(tf.scalar(1).sub(h)));
    case 'centred-sigmoid':
      return g.mul(h.add(0.5).mul(tf.scalar(0.5).sub(h)));
    case 'tanh':
      return g.mul(tf.scalar(1).sub(h.square()));
    case 'selu':
      return g.mul(tf.where(h.greater(0), tf.scalar(SELU.lambda), h.add(SELU.lambda * SELU.alpha)));
    case 'relu':
      return g.mul(h.greater(0).cast('float32'));
    case 'identity':
      return g;
  }
}

/** Column slot of each entry of column-major lists with pointers `ptr` over `n` columns. */
function slotsOf(ptr: Int32Array, n: number): Int32Array {
  const out = new Int32Array(ptr[n]);
  for (let j = 0; j < n; j++) out.fill(j, ptr[j], ptr[j + 1]);
  return out;
}

/** Rows of `stride` floats → rows of `hidden` floats. */
function unpad(src: Float32Array, rows: number, hidden: number, stride: number): Float32Array {
  if (hidden === stride) return src.slice(0, rows * hidden);
  const out = new Float32Array(rows * hidden);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * stride, r * stride + hidden), r * hidden);
  return out;
}

/** Rows of `hidden` floats → rows of `stride` floats (padding lanes stay as they are: 0). */
function pad(src: Float32Array, dst: Float32Array, rows: number, hidden: number, stride: number): void {
  if (hidden === stride) {
    dst.set(src.subarray(0, rows * hidden));
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * hidden, (r + 1) * hidden), r * stride);
}
