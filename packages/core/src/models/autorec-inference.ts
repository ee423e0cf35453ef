import type { CsrMatrix } from '@autorec/data';
import { activate, type CodeActivation } from './autorec-activation.ts';
import type { AutoRecNetwork } from './autorec-network.ts';

// What a trained AutoRecNetwork computes for the model: the codes of rows (U-AutoRec's users,
// I-AutoRec's songs, a new listener) and decoder pre-activations at given cells. Every batch runs
// in the network's prediction buffers (input CSR, target cells, H), cut to fit them by `batchEnd`.

/**
 * What the model reads of a trained AutoRec network, the paper's one hidden layer or DeepRec's
 * stack alike: the output layer as one row per output column — x'_c = g(⟨a, v_c⟩ + b'_c), with a
 * the activations of the layer it reads (the code for one layer, the first hidden layer l₁ for
 * the deep stack) — and those activations for any input row. Scoring, fold-in, similar items
 * and predictions are written once against it (`AutoRecModel` with `EmbeddingModel`).
 */
export interface TrainedNetwork {
  /** Width of a: what the output layer reads (hidden units; l₁ for the deep stack). */
  readonly dim: number;
  /** Output column c's weights at v[c·stride … c·stride + dim) and its bias bv[c]. */
  readonly v: Float32Array;
  readonly stride: number;
  readonly bv: Float32Array;
  /** a of rows `rows` of `input` (values aligned with input.values): rows.length × dim, packed. */
  encodeRows(input: CsrMatrix, values: Float32Array, rows: ArrayLike<number>): Float32Array;
  /** a of one input row given as column indices and values (a new listener): dim floats. */
  encodeOne(indices: ArrayLike<number>, values: ArrayLike<number>): Float32Array;
  /**
   * Decoder pre-activations ⟨a_row, v_col⟩ + b'_col at (row, col) pairs of training rows (float32
   * from the one-layer kernels; the deep stack's loop keeps its float64 sums).
   */
  decodePairs(
    input: CsrMatrix,
    values: Float32Array,
    pairRow: Int32Array,
    pairCol: Int32Array,
  ): Float32Array | Float64Array;
}

/**
 * The one-hidden-layer network as a {@link TrainedNetwork}: views of its arena and its kernels.
 * `activation` is read at each call (training reads the centred code, see `codeCentring`).
 */
export function oneLayer(net: AutoRecNetwork, activation: () => CodeActivation): TrainedNetwork {
  return {
    dim: net.hidden,
    v: net.v,
    stride: net.stride,
    bv: net.bv,
    encodeRows: (input, values, rows) => encodeRows(net, input, values, rows, activation()),
    encodeOne: (indices, values) => encodeOne(net, indices, values, activation()),
    decodePairs: (input, values, pairRow, pairCol) =>
      decodePairs(net, input, values, activation(), pairRow, pairCol),
  };
}

/**
 * Decoder pre-activations z at arbitrary (row, col) pairs, each row encoded from its
 * training input `input`/`values`. Pairs are grouped by row and run in batches that fit the
 * buffers; a row with more pairs than fit is split. Returns z in pair order.
 */
export function decodePairs(
  net: AutoRecNetwork,
  input: CsrMatrix,
  values: Float32Array,
  activation: CodeActivation,
  pairRow: Int32Array,
  pairCol: Int32Array,
): Float32Array {
  const n = pairRow.length;
  const z = new Float32Array(n);
  if (n === 0) return z;
  // Counting sort of pair indices by row.
  const start = new Uint32Array(input.rows + 1);
  for (let k = 0; k < n; k++) start[pairRow[k] + 1]++;
  for (let r = 0; r < input.rows; r++) start[r + 1] += start[r];
  const order = new Uint32Array(n);
  const cursor = start.slice(0, input.rows);
  for (let k = 0; k < n; k++) order[cursor[pairRow[k]]++] = k;
  // Jobs: (row, pair range) with at most nnzCapacity pairs each.
  const cap = net.layout.nnzCapacity;
  const jobRow: number[] = [];
  const jobFrom: number[] = [];
  for (let r = 0; r < input.rows; r++)
    for (let q = start[r]; q < start[r + 1]; q += cap) {
      jobRow.push(r);
      jobFrom.push(q);
    }
  const jobEnd = (j: number) => Math.min(jobFrom[j] + cap, start[jobRow[j] + 1]);
  const rowNnz = (r: number) => input.indptr[r + 1] - input.indptr[r];
  const { tgtPtr, tgtCol, outValue } = net;
  let j = 0;
  while (j < jobRow.length) {
    // Greedy batch of jobs that fits rows, input entries and pairs.
    const k = batchEnd(j, jobRow.length, net.layout.batchRows, [
      [cap, (b) => rowNnz(jobRow[b])],
      [cap, (b) => jobEnd(b) - jobFrom[b]],
    ]);
    loadInput(net, input, values, jobRow.slice(j, k), 0, k - j);
    let q = 0;
    tgtPtr[0] = 0;
    for (let b = j; b < k; b++) {
      for (let t = jobFrom[b]; t < jobEnd(b); t++) tgtCol[q++] = pairCol[order[t]];
      tgtPtr[b - j + 1] = q;
    }
    encode(net, k - j, activation);
    decodeTargets(net, k - j);
    q = 0;
    for (let b = j; b < k; b++) for (let t = jobFrom[b]; t < jobEnd(b); t++) z[order[t]] = outValue[q++];
    j = k;
  }
  return z;
}

/** Hidden codes of every row of `input` (rows × hidden, unpadded), e.g. item codes for I-AutoRec. */
export function encodeAll(
  net: AutoRecNetwork,
  input: CsrMatrix,
  values: Float32Array,
  activation: CodeActivation,
): Float32Array {
  return encodeRows(net, input, values, rowRange(0, input.rows), activation);
}

/** Hidden codes of rows `rows` of `input` (rows.length × hidden, unpadded), in batches that fit. */
export function encodeRows(
  net: AutoRecNetwork,
  input: CsrMatrix,
  values: Float32Array,
  rows: ArrayLike<number>,
  activation: CodeActivation,
): Float32Array {
  const { hidden, batchRows, nnzCapacity } = net.layout;
  const s = net.stride;
  const codes = new Float32Array(rows.length * hidden);
  const entries = (k: number) => input.indptr[rows[k] + 1] - input.indptr[rows[k]];
  let r = 0;
  while (r < rows.length) {
    const e = batchEnd(r, rows.length, batchRows, [[nnzCapacity, entries]]);
    loadInput(net, input, values, rows, r, e);
    encode(net, e - r, activation);
    for (let b = 0; b < e - r; b++) codes.set(net.h.subarray(b * s, b * s + hidden), (r + b) * hidden);
    r = e;
  }
  return codes;
}

/**
 * The code of one input row given as column indices and values, of any length: the sparse
 * product runs in pieces that fit the buffers (it is linear before the activation). Returns
 * a copy (hidden floats).
 */
export function encodeOne(
  net: AutoRecNetwork,
  indices: ArrayLike<number>,
  values: ArrayLike<number>,
  activation: CodeActivation,
): Float32Array {
  const { h, be, inPtr, inCol, inValue, stride: s } = net;
  const hidden = net.layout.hidden;
  const cap = net.layout.nnzCapacity;
  h.set(be, 0);
  for (let from = 0; from < indices.length; from += cap) {
    const n = Math.min(cap, indices.length - from);
    for (let j = 0; j < n; j++) {
      inCol[j] = indices[from + j];
      inValue[j] = values[from + j];
    }
    inPtr[0] = 0;
    inPtr[1] = n;
    addInputRows(net, 1);
  }
  activate(h, 1, s, hidden, activation);
  return h.slice(0, hidden);
}

/** H = f(bE + Σ x_c E[c]) for the first `nRows` rows of the input CSR. */
function encode(net: AutoRecNetwork, nRows: number, activation: CodeActivation): void {
  const { h, be, stride: s } = net;
  const hidden = net.layout.hidden;
  for (let r = 0; r < nRows; r++) h.set(be, r * s);
  addInputRows(net, nRows);
  activate(h, nRows, s, hidden, activation);
}

/** H[r] += Σ x_c E[c] over the first `nRows` rows of the input CSR (the encoder's sparse product). */
function addInputRows(net: AutoRecNetwork, nRows: number): void {
  net.kernels.gatherRows(
    nRows,
    net.inIndptr.offset,
    net.inIdx.offset,
    net.inVal.offset,
    net.E.offset,
    net.H.offset,
    net.stride,
  );
}

/** out[p] = V[c]·H[r] + bV[c] at the target entries (decoder pre-activations). */
function decodeTargets(net: AutoRecNetwork, nRows: number): void {
  net.kernels.sampledDot(
    nRows,
    net.tgtIndptr.offset,
    net.tgtIdx.offset,
    net.H.offset,
    net.V.offset,
    net.bV.offset,
    net.out.offset,
    net.stride,
  );
}

/** Copies rows `rows[from..to)` of `m` (values from `values`, aligned with m.values) into the input CSR. */
function loadInput(
  net: AutoRecNetwork,
  m: CsrMatrix,
  values: Float32Array,
  rows: ArrayLike<number>,
  from: number,
  to: number,
): void {
  const { inPtr, inCol, inValue } = net;
  let w = 0;
  inPtr[0] = 0;
  for (let r = from; r < to; r++) {
    const row = rows[r];
    for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
      inCol[w] = m.indices[p];
      inValue[w++] = values[p];
    }
    inPtr[r - from + 1] = w;
  }
}

/**
 * The end of a greedy batch from item `from` (exclusive, ≤ `count`): at most `maxRows` items,
 * and for each budget [capacity, sizeOf] the items' sizes add up to at most capacity — the one
 * rule every batch of rows or decode jobs is packed by.
 *
 * @example
 * batchEnd(0, lengths.length, 256, [[nnzCapacity, (k) => lengths[k]]]); // first batch is [0, end)
 */
export function batchEnd(
  from: number,
  count: number,
  maxRows: number,
  budgets: readonly (readonly [number, (k: number) => number])[],
): number {
  const used = budgets.map(() => 0);
  let k = from;
  while (k < count && k - from < maxRows && budgets.every(([cap, size], b) => used[b] + size(k) <= cap)) {
    budgets.forEach(([, size], b) => {
      used[b] += size(k);
    });
    k++;
  }
  return k;
}

function rowRange(from: number, to: number): Uint32Array {
  const out = new Uint32Array(to - from);
  for (let k = 0; k < out.length; k++) out[k] = from + k;
  return out;
}
