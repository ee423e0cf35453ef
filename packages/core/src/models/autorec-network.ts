import type { CsrMatrix, Rng } from '@autorec/data';
import type { KernelCall, KernelPool } from '../engine/kernel-pool.ts';
import {
  Arena,
  type ArenaBlock,
  createKernels,
  type KernelPreference,
  paddedStride,
  type RowStep,
  rawArgs,
  type SparseKernels,
} from '../engine/kernels.ts';

export type EncoderActivation = 'sigmoid' | 'identity' | 'relu' | 'tanh' | 'selu';
/**
 * The function the network applies to encoder pre-activations: an encoder activation, or
 * `centred-sigmoid`, σ(z) − ½ — the same network as a sigmoid encoder whose decoder bias holds
 * ½·Σ_j V[c][j] (see the model's `centredCode` option for why it trains differently).
 */
export type CodeActivation = EncoderActivation | 'centred-sigmoid';
export type DecoderActivation = 'identity' | 'sigmoid';
export const ENCODER_ACTIVATIONS: readonly EncoderActivation[] = [
  'sigmoid',
  'identity',
  'relu',
  'tanh',
  'selu',
];

/** SELU's constants (Klambauer et al. 2017): selu(z) = λ·z for z > 0, λα(eᶻ − 1) otherwise. */
export const SELU = { lambda: 1.0507009873554805, alpha: 1.6732632423543772 };

/**
 * Unplayed columns drawn as zero targets for each row of a batch (the `implicit` objective):
 * `perEntry` per played entry of the row, uniformly from `candidates` (the columns with
 * training entries) minus the row's own, each with loss weight `weight`.
 */
export interface NegativeSampling {
  perEntry: number;
  weight: number;
  candidates: Uint32Array;
  rng: Rng;
}
export const DECODER_ACTIVATIONS: readonly DecoderActivation[] = ['identity', 'sigmoid'];
export type OptimizerName = 'adam' | 'rprop';

export interface NetworkLayout {
  /** Input = output dimension (songs for U-AutoRec, users for I-AutoRec). */
  width: number;
  hidden: number;
  /** Most rows (examples) one batch holds. */
  batchRows: number;
  /** Most stored entries one batch holds (input and target alike). */
  nnzCapacity: number;
  /** Optimiser state to allocate; none for a model that only predicts. */
  optimizer?: OptimizerName;
  /**
   * Whether the weights' optimiser state (Adam moments, RProp steps and gradients) lives in the
   * arena (default true: the sparse kernels step it there); the batch buffers are allocated
   * either way. False for the tfjs engine, which keeps that state in tensors.
   */
  optimizerStateInArena?: boolean;
  /**
   * Threads that will train it together (default 1): each extra one gets its own hidden and
   * gradient buffers, and the memory is allocated shared so worker threads can use it.
   */
  threads?: number;
}

/**
 * The AutoRec network h = f(W x + b), x' = g(V h + b') over one arena of typed arrays, with
 * the batch buffers the sparse kernels work in. Weights are stored one row per input or
 * output dimension (`E[c]` is column c of W, `V[c]` row c of V), each `stride` floats long
 * (hidden units padded to a multiple of 8; padding stays exactly 0 because activations are
 * never applied to padding lanes). It knows nothing about users or items: the model maps
 * U-AutoRec (rows = users) and I-AutoRec (rows = items) onto it.
 */
export class AutoRecNetwork {
  readonly stride: number;
  readonly arena = new Arena();
  readonly kernels: SparseKernels;
  readonly E: ArenaBlock;
  readonly bE: ArenaBlock;
  readonly V: ArenaBlock;
  readonly bV: ArenaBlock;
  /** Training state and the batch's column-major lists (absent in a predict-only network). */
  readonly train?: TrainingBuffers;
  /** Hidden activations and their gradient for one batch (batchRows × stride). */
  readonly H: ArenaBlock;
  readonly GH: ArenaBlock;
  /** Prediction batches: input rows (row-major CSR) and the cells to decode. */
  readonly inIndptr: ArenaBlock;
  readonly inIdx: ArenaBlock;
  readonly inVal: ArenaBlock;
  readonly tgtIndptr: ArenaBlock;
  readonly tgtIdx: ArenaBlock;
  /** Decoder pre-activations at the decoded cells (training: in column-major order). */
  readonly out: ArenaBlock;
  /** Hidden, hidden-gradient and scratch buffers of worker threads 1…threads−1. */
  readonly threadBlocks: { H: ArenaBlock; GH: ArenaBlock; scratch: ArenaBlock }[] = [];
  /** Worker threads sharing the batch work (see `attachPool`). */
  private pool?: KernelPool;

  // Cached views (the arena never grows, so they stay valid).
  readonly e: Float32Array;
  readonly be: Float32Array;
  readonly v: Float32Array;
  readonly bv: Float32Array;
  readonly h: Float32Array;
  readonly gh: Float32Array;
  readonly inPtr: Int32Array;
  readonly inCol: Int32Array;
  readonly inValue: Float32Array;
  readonly tgtPtr: Int32Array;
  readonly tgtCol: Int32Array;
  readonly outValue: Float32Array;

  constructor(
    readonly layout: NetworkLayout,
    kernels: KernelPreference = 'auto',
    what = 'AutoRec',
  ) {
    const { width, hidden, batchRows, nnzCapacity, optimizer } = layout;
    if (!(width > 0 && hidden > 0 && batchRows > 0 && nnzCapacity > 0))
      throw new RangeError(`${what}: network dimensions must be positive, got ${JSON.stringify(layout)}`);
    const s = paddedStride(hidden);
    this.stride = s;
    const a = this.arena;
    this.E = a.reserve(width * s);
    this.bE = a.reserve(s);
    this.V = a.reserve(width * s);
    this.bV = a.reserve(width);
    // The tfjs engine keeps weights' optimiser state in tensors: no arena copy of it then.
    const stateHere = layout.optimizerStateInArena !== false;
    let blocks: Omit<TrainingBuffers, 'views'> | undefined;
    if (optimizer)
      blocks = {
        optimizer,
        gE: optimizer === 'rprop' && stateHere ? a.reserve(width * s) : undefined,
        gV: optimizer === 'rprop' && stateHere ? a.reserve(width * s) : undefined,
        E1: a.reserve(stateHere ? width * s : 0),
        E2: a.reserve(stateHere ? width * s : 0),
        V1: a.reserve(stateHere ? width * s : 0),
        V2: a.reserve(stateHere ? width * s : 0),
        list: a.reserve(width),
        coef: a.reserve(width),
        tgtColPtr: a.reserve(width + 1),
        inColPtr: a.reserve(width + 1),
        tgtColRows: a.reserve(nnzCapacity),
        inColRows: a.reserve(nnzCapacity),
        inColVals: a.reserve(nnzCapacity),
        delta: a.reserve(nnzCapacity),
        scratch: a.reserve(s),
      };
    this.H = a.reserve(batchRows * s);
    this.GH = a.reserve(batchRows * s);
    this.inIndptr = a.reserve(batchRows + 1);
    this.inIdx = a.reserve(nnzCapacity);
    this.inVal = a.reserve(nnzCapacity);
    this.tgtIndptr = a.reserve(batchRows + 1);
    this.tgtIdx = a.reserve(nnzCapacity);
    this.out = a.reserve(nnzCapacity);
    const threads = Math.max(1, Math.floor(layout.threads ?? 1));
    if (optimizer)
      for (let t = 1; t < threads; t++)
        this.threadBlocks.push({
          H: a.reserve(batchRows * s),
          GH: a.reserve(batchRows * s),
          scratch: a.reserve(s),
        });
    a.commit(what, threads > 1);
    this.kernels = createKernels(a, kernels);
    this.e = a.f32(this.E);
    this.be = a.f32(this.bE);
    this.v = a.f32(this.V);
    this.bv = a.f32(this.bV);
    this.h = a.f32(this.H);
    this.gh = a.f32(this.GH);
    this.inPtr = a.i32(this.inIndptr);
    this.inCol = a.i32(this.inIdx);
    this.inValue = a.f32(this.inVal);
    this.tgtPtr = a.i32(this.tgtIndptr);
    this.tgtCol = a.i32(this.tgtIdx);
    this.outValue = a.f32(this.out);
    if (blocks)
      this.train = {
        ...blocks,
        views: {
          list: a.i32(blocks.list),
          coef: a.f32(blocks.coef),
          tgtColPtr: a.i32(blocks.tgtColPtr),
          inColPtr: a.i32(blocks.inColPtr),
          tgtColRows: a.i32(blocks.tgtColRows),
          inColRows: a.i32(blocks.inColRows),
          inColVals: a.f32(blocks.inColVals),
          delta: a.f32(blocks.delta),
          targets: new Float32Array(nnzCapacity),
          weights: new Float32Array(nnzCapacity),
          positives: new Int32Array(width),
          negatives: new Int32Array(2 * nnzCapacity),
          keep: new Uint8Array(nnzCapacity),
          stamp: new Int32Array(width).fill(-1),
          slot: new Int32Array(width),
          cursorT: new Int32Array(width + 1),
          cursorI: new Int32Array(width + 1),
          batch: 0,
        },
      };
  }

  get width(): number {
    return this.layout.width;
  }

  get hidden(): number {
    return this.layout.hidden;
  }

  /**
   * Glorot-uniform weights from `rng` (the tfjs/Keras default for dense layers), zero encoder
   * bias, and decoder bias `decoderBias` (the baseline, so training starts from it).
   */
  initialise(rng: Rng, decoderBias: Float32Array): void {
    const { width, hidden } = this.layout;
    const s = this.stride;
    const limit = Math.sqrt(6 / (width + hidden));
    for (const w of [this.e, this.v]) {
      w.fill(0);
      for (let c = 0; c < width; c++)
        for (let j = 0; j < hidden; j++) w[c * s + j] = (2 * rng.next() - 1) * limit;
    }
    this.be.fill(0);
    this.bv.set(decoderBias);
  }

  /**
   * Copies rows `rows[from..to)` of `m` (values from `values`, aligned with m.values) into the
   * input CSR, with inverted dropout at rate `dropout` (kept entries scaled by 1/(1 − rate))
   * when given an rng. Returns the number of input entries.
   */
  loadInput(
    m: CsrMatrix,
    values: Float32Array,
    rows: ArrayLike<number>,
    from: number,
    to: number,
    dropout = 0,
    rng?: Rng,
  ): number {
    const { inPtr, inCol, inValue } = this;
    const drop = dropout > 0 && rng !== undefined;
    const keepScale = 1 / (1 - dropout);
    let w = 0;
    inPtr[0] = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
        if (drop) {
          if (rng.next() < dropout) continue;
          inCol[w] = m.indices[p];
          inValue[w++] = values[p] * keepScale;
        } else {
          inCol[w] = m.indices[p];
          inValue[w++] = values[p];
        }
      }
      inPtr[r - from + 1] = w;
    }
    return w;
  }

  /**
   * Decoder pre-activations z at arbitrary (row, col) pairs, each row encoded from its
   * training input `input`/`values`. Pairs are grouped by row and run in batches that fit the
   * buffers; a row with more pairs than fit is split. Returns z in pair order.
   */
  decodePairs(
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
    const cap = this.layout.nnzCapacity;
    const jobRow: number[] = [];
    const jobFrom: number[] = [];
    for (let r = 0; r < input.rows; r++)
      for (let q = start[r]; q < start[r + 1]; q += cap) {
        jobRow.push(r);
        jobFrom.push(q);
      }
    const jobEnd = (j: number) => Math.min(jobFrom[j] + cap, start[jobRow[j] + 1]);
    const rowNnz = (r: number) => input.indptr[r + 1] - input.indptr[r];
    const { tgtPtr, tgtCol, outValue } = this;
    let j = 0;
    while (j < jobRow.length) {
      // Greedy batch of jobs that fits rows, input entries and pairs.
      const k = packRows(j, jobRow.length, this.layout.batchRows, [
        [cap, (b) => rowNnz(jobRow[b])],
        [cap, (b) => jobEnd(b) - jobFrom[b]],
      ]);
      this.loadInput(input, values, jobRow.slice(j, k), 0, k - j);
      let q = 0;
      tgtPtr[0] = 0;
      for (let b = j; b < k; b++) {
        for (let t = jobFrom[b]; t < jobEnd(b); t++) tgtCol[q++] = pairCol[order[t]];
        tgtPtr[b - j + 1] = q;
      }
      this.encode(k - j, activation);
      this.decodeTargets(k - j);
      q = 0;
      for (let b = j; b < k; b++) for (let t = jobFrom[b]; t < jobEnd(b); t++) z[order[t]] = outValue[q++];
      j = k;
    }
    return z;
  }

  /** Hidden codes of every row of `input` (rows × hidden, unpadded), e.g. item codes for I-AutoRec. */
  encodeAll(input: CsrMatrix, values: Float32Array, activation: CodeActivation): Float32Array {
    return this.encodeRows(input, values, rowRange(0, input.rows), activation);
  }

  /** Hidden codes of rows `rows` of `input` (rows.length × hidden, unpadded), in batches that fit. */
  encodeRows(
    input: CsrMatrix,
    values: Float32Array,
    rows: ArrayLike<number>,
    activation: CodeActivation,
  ): Float32Array {
    const { hidden, batchRows, nnzCapacity } = this.layout;
    const s = this.stride;
    const codes = new Float32Array(rows.length * hidden);
    const entries = (k: number) => input.indptr[rows[k] + 1] - input.indptr[rows[k]];
    let r = 0;
    while (r < rows.length) {
      const e = packRows(r, rows.length, batchRows, [[nnzCapacity, entries]]);
      this.loadInput(input, values, rows, r, e);
      this.encode(e - r, activation);
      for (let b = 0; b < e - r; b++) codes.set(this.h.subarray(b * s, b * s + hidden), (r + b) * hidden);
      r = e;
    }
    return codes;
  }

  /** H = f(bE + Σ x_c E[c]) for the first `nRows` rows of the input CSR. */
  encode(nRows: number, activation: CodeActivation): void {
    const { h, be, stride: s } = this;
    const hidden = this.layout.hidden;
    for (let r = 0; r < nRows; r++) h.set(be, r * s);
    this.kernels.gatherRows(
      nRows,
      this.inIndptr.offset,
      this.inIdx.offset,
      this.inVal.offset,
      this.E.offset,
      this.H.offset,
      s,
    );
    activate(h, nRows, s, hidden, activation);
  }

  /**
   * The code of one input row given as column indices and values, of any length: the sparse
   * product runs in pieces that fit the buffers (it is linear before the activation). Returns
   * a copy (hidden floats).
   */
  encodeOne(indices: ArrayLike<number>, values: ArrayLike<number>, activation: CodeActivation): Float32Array {
    const { h, be, inPtr, inCol, inValue, stride: s } = this;
    const hidden = this.layout.hidden;
    const cap = this.layout.nnzCapacity;
    h.set(be, 0);
    for (let from = 0; from < indices.length; from += cap) {
      const n = Math.min(cap, indices.length - from);
      for (let j = 0; j < n; j++) {
        inCol[j] = indices[from + j];
        inValue[j] = values[from + j];
      }
      inPtr[0] = 0;
      inPtr[1] = n;
      this.kernels.gatherRows(
        1,
        this.inIndptr.offset,
        this.inIdx.offset,
        this.inVal.offset,
        this.E.offset,
        this.H.offset,
        s,
      );
    }
    activate(h, 1, s, hidden, activation);
    return h.slice(0, hidden);
  }

  /** out[p] = V[c]·H[r] + bV[c] at the target entries (decoder pre-activations). */
  decodeTargets(nRows: number): void {
    this.kernels.sampledDot(
      nRows,
      this.tgtIndptr.offset,
      this.tgtIdx.offset,
      this.H.offset,
      this.V.offset,
      this.bV.offset,
      this.out.offset,
      this.stride,
    );
  }

  /**
   * Lays out rows `rows[from..to)` of `m` for training, column by column: `list` holds the
   * weight rows (columns) the batch touches, `tgtColPtr`/`tgtColRows`/`targets` every observed
   * entry with its value from `values`, `inColPtr`/`inColRows`/`inColVals` the input entries
   * (values from `inputs`, aligned with m.values like `values`) that survive dropout at rate
   * `dropout` (scaled by 1/(1 − rate)). With `negatives`, each row also gets sampled unplayed
   * columns as targets of value 0 (weight `negatives.weight`; observed targets weigh 1), after
   * the row's observed ones in each column. Returns the number of columns.
   */
  loadBatch(
    m: CsrMatrix,
    values: Float32Array,
    rows: ArrayLike<number>,
    from: number,
    to: number,
    dropout = 0,
    rng?: Rng,
    inputs: Float32Array = values,
    negatives?: NegativeSampling,
  ): number {
    const t = this.trainBuffers();
    const { list, tgtColPtr, inColPtr, tgtColRows, inColRows, inColVals, targets, keep, stamp, slot } =
      t.views;
    const { weights, positives, negatives: sampled } = t.views;
    const { cursorT, cursorI } = t.views;
    const batch = ++t.views.batch;
    const drop = dropout > 0 && rng !== undefined;
    const keepScale = 1 / (1 - dropout);
    let nList = 0;
    let k = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
        const c = m.indices[p];
        if (stamp[c] !== batch) {
          stamp[c] = batch;
          slot[c] = nList;
          list[nList] = c;
          cursorT[nList + 1] = 0;
          cursorI[nList + 1] = 0;
          nList++;
        }
        const kept = !drop || rng.next() >= dropout;
        keep[k++] = kept ? 1 : 0;
        cursorT[slot[c] + 1]++;
        if (kept) cursorI[slot[c] + 1]++;
      }
    }
    for (let j = 0; j < nList; j++) positives[j] = cursorT[j + 1];
    // Negatives: drawn per row (rejecting the row's own columns, marked in `mark`), listed as
    // (row, column) pairs; their columns join the list with no input and no L2 share.
    let nNeg = 0;
    if (negatives) {
      const mark = this.negativeMarks();
      const { candidates, perEntry } = negatives;
      for (let r = from; r < to; r++) {
        const row = rows[r];
        const n = m.indptr[row + 1] - m.indptr[row];
        for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) mark[m.indices[p]] = row + 1;
        const want = Math.min(Math.round(perEntry * n), candidates.length - n);
        for (let drawn = 0, tries = 0; drawn < want && tries < 20 * want; tries++) {
          const c = candidates[Math.floor(negatives.rng.next() * candidates.length)];
          if (mark[c] === row + 1) continue;
          if (stamp[c] !== batch) {
            stamp[c] = batch;
            slot[c] = nList;
            list[nList] = c;
            cursorT[nList + 1] = 0;
            cursorI[nList + 1] = 0;
            positives[nList] = 0;
            nList++;
          }
          cursorT[slot[c] + 1]++;
          sampled[2 * nNeg] = r - from;
          sampled[2 * nNeg + 1] = c;
          nNeg++;
          drawn++;
        }
      }
    }
    cursorT[0] = 0;
    cursorI[0] = 0;
    for (let j = 0; j < nList; j++) {
      cursorT[j + 1] += cursorT[j];
      cursorI[j + 1] += cursorI[j];
    }
    tgtColPtr.set(cursorT.subarray(0, nList + 1));
    inColPtr.set(cursorI.subarray(0, nList + 1));
    k = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
        const j = slot[m.indices[p]];
        const qt = cursorT[j]++;
        tgtColRows[qt] = r - from;
        targets[qt] = values[p];
        weights[qt] = 1;
        if (keep[k++]) {
          const qi = cursorI[j]++;
          inColRows[qi] = r - from;
          inColVals[qi] = drop ? inputs[p] * keepScale : inputs[p];
        }
      }
    }
    for (let q = 0; q < nNeg; q++) {
      const qt = cursorT[slot[sampled[2 * q + 1]]]++;
      tgtColRows[qt] = sampled[2 * q];
      targets[qt] = 0;
      weights[qt] = negatives!.weight;
    }
    return nList;
  }

  private marks?: Int32Array;

  /** Per-column row marks for negative sampling (allocated on first use). */
  private negativeMarks(): Int32Array {
    this.marks ??= new Int32Array(this.layout.width);
    return this.marks;
  }

  /**
   * Shares each batch's kernel work with a pool of worker threads (it must have been built for
   * this network's arena, with at most `threads` threads); undefined goes back to one thread.
   */
  attachPool(pool: KernelPool | undefined): void {
    if (pool && pool.threads > this.threadBlocks.length + 1)
      throw new RangeError(
        `AutoRec: a pool of ${pool.threads} threads for a network built for ${this.threadBlocks.length + 1}`,
      );
    this.pool = pool;
  }

  /**
   * Backpropagates `delta` (dLoss/d decoder pre-activation per target entry) and, with
   * `adam`, steps every touched row of V and E (L2 coefficient `coef` per column); without it
   * (RProp) adds the gradients to gV and gE. Adds the encoder-bias gradient to `gbE`. Returns
   * Σ coef·‖row‖² over the stepped rows (Adam; twice the batch's L2 term).
   */
  backwardBatch(
    nRows: number,
    nList: number,
    activation: CodeActivation,
    gbE: Float64Array,
    adam?: { lr: number; beta1: number; beta2: number; eps: number },
  ): number {
    const t = this.trainBuffers();
    const s = this.stride;
    // Thread k's step: its own scratch row, and the L2 coefficients from its first column on.
    const step = (ga: ArenaBlock | undefined, m: ArenaBlock, v: ArenaBlock, k = 0, from = 0): RowStep => ({
      mode: adam ? 1 : 0,
      stride: s,
      scratch: k === 0 ? t.scratch.offset : this.threadBlocks[k - 1].scratch.offset,
      ga: ga?.offset ?? 0,
      m: m.offset,
      v: v.offset,
      coef: t.coef.offset + 4 * from,
      lr: adam?.lr ?? 0,
      beta1: adam?.beta1 ?? 0,
      beta2: adam?.beta2 ?? 0,
      eps: adam?.eps ?? 0,
    });
    return this.backwardPass(nRows, nList, activation, gbE, step);
  }

  /**
   * The batch's columns cut into one contiguous range per thread, each of about the same cost:
   * its entries (from the column pointers `ptr`, nList + 1 ints) plus `perColumn` per column
   * (see COLUMN_COST).
   */
  private chunks(threads: number, nList: number, ptr: Int32Array, perColumn: number): [number, number][] {
    const cost = (j: number) => ptr[j] + perColumn * j;
    const total = cost(nList);
    const out: [number, number][] = [];
    let from = 0;
    for (let k = 1; k <= threads; k++) {
      let to = from;
      const goal = (total * k) / threads;
      if (k === threads) to = nList;
      else while (to < nList && cost(to) < goal) to++;
      out.push([from, to]);
      from = to;
    }
    return out;
  }

  /** Hidden rows of thread `k` (0: the network's own). */
  private hiddenOf(k: number): ArenaBlock {
    return k === 0 ? this.H : this.threadBlocks[k - 1].H;
  }

  private gradOf(k: number): ArenaBlock {
    return k === 0 ? this.GH : this.threadBlocks[k - 1].GH;
  }

  /** Adds threads 1…n−1's partial rows (block `of(k)`) into thread 0's, over nRows rows. */
  private reducePartials(nRows: number, of: (k: number) => ArenaBlock): Float32Array {
    const target = this.arena.f32(of(0));
    const len = nRows * this.stride;
    for (let k = 1; k < this.threads; k++) {
      const part = this.arena.f32(of(k));
      for (let q = 0; q < len; q++) target[q] += part[q];
    }
    return target;
  }

  /**
   * Runs one kernel per thread over contiguous ranges of the batch's columns (cut by
   * `chunks` over the column pointers `ptr`; all of them on a single thread); `call` gets each
   * range's column count, list and pointer addresses, the thread and the range's first column.
   * Returns the calls' results.
   */
  private runSplit(
    nList: number,
    ptr: ArenaBlock,
    perColumn: number,
    call: (n: number, list: number, ptr: number, k: number, from: number) => TypedCall,
  ): number[] {
    const t = this.trainBuffers();
    if (!this.pool) return [runHere(this.kernels, call(nList, t.list.offset, ptr.offset, 0, 0))];
    const ranges = this.chunks(this.pool.threads, nList, this.arena.i32(ptr), perColumn);
    return this.pool.run(
      ranges.map(([a, b], k) => toPoolCall(call(b - a, t.list.offset + 4 * a, ptr.offset + 4 * a, k, a))),
    );
  }

  /** Threads the batch work runs on: the pool's, or 1. */
  private get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * H = f(bE + Σ x_c E[c]) from the batch's input columns; out[q] = V[c]·H[r] + bV[c] at its
   * targets. One pass for any number of threads: the columns are cut into one range per thread
   * (one range on a single thread), each thread sums into its own hidden rows, then they are added.
   */
  forwardBatch(nRows: number, nList: number, activation: CodeActivation): void {
    const t = this.trainBuffers();
    const { h, be, stride: s } = this;
    for (let r = 0; r < nRows; r++) h.set(be, r * s);
    for (let k = 1; k < this.threads; k++) this.arena.f32(this.hiddenOf(k)).fill(0, 0, nRows * s);
    // Encoder: each thread sums its columns' contributions into its own hidden rows.
    this.runSplit(nList, t.inColPtr, COLUMN_COST.forward, (n, list, ptr, k) => ({
      name: 'scatterFromRows',
      args: [n, list, ptr, t.inColRows.offset, t.inColVals.offset, this.E.offset, this.hiddenOf(k).offset, s],
    }));
    this.reducePartials(nRows, (k) => this.hiddenOf(k));
    activate(h, nRows, s, this.layout.hidden, activation);
    // Decoder at the targets: each column's cells belong to one thread.
    this.runSplit(nList, t.tgtColPtr, COLUMN_COST.forward, (n, list, ptr) => ({
      name: 'dotRows',
      args: [
        n,
        list,
        ptr,
        t.tgtColRows.offset,
        this.V.offset,
        this.H.offset,
        this.bV.offset,
        this.out.offset,
        s,
      ],
    }));
  }

  /** The backward pass of {@link backwardBatch}, on one thread or the pool like the forward pass. */
  private backwardPass(
    nRows: number,
    nList: number,
    activation: CodeActivation,
    gbE: Float64Array,
    step: (ga: ArenaBlock | undefined, m: ArenaBlock, v: ArenaBlock, k: number, from: number) => RowStep,
  ): number {
    const t = this.trainBuffers();
    const s = this.stride;
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    for (let k = 0; k < this.threads; k++) this.arena.f32(this.gradOf(k)).fill(0, 0, nRows * s);
    // Decoder rows (stepped per column) and each thread's share of the hidden gradient.
    let reg = sum(
      this.runSplit(nList, t.tgtColPtr, COLUMN_COST.backward, (n, list, ptr, k, from) => ({
        name: 'backwardRows',
        args: [
          n,
          list,
          ptr,
          t.tgtColRows.offset,
          t.delta.offset,
          this.V.offset,
          this.H.offset,
          this.gradOf(k).offset,
          step(t.gV, t.V1, t.V2, k, from),
        ],
      })),
    );
    const gh = this.reducePartials(nRows, (k) => this.gradOf(k));
    activationGradient(gh, this.h, nRows, s, this.layout.hidden, activation, gbE);
    // Encoder rows, stepped per column from the summed hidden gradient.
    reg += sum(
      this.runSplit(nList, t.inColPtr, COLUMN_COST.backward, (n, list, ptr, k, from) => ({
        name: 'gradRows',
        args: [
          n,
          list,
          ptr,
          t.inColRows.offset,
          t.inColVals.offset,
          this.GH.offset,
          this.E.offset,
          step(t.gE, t.E1, t.E2, k, from),
        ],
      })),
    );
    return reg;
  }

  private trainBuffers(): TrainingBuffers {
    if (!this.train) throw new Error('AutoRec: network was built without optimiser state');
    return this.train;
  }

  /** Copies the weights out (for early stopping snapshots and saving). */
  snapshot(into?: NetworkWeights): NetworkWeights {
    const w = into ?? {
      e: new Float32Array(this.e.length),
      be: new Float32Array(this.be.length),
      v: new Float32Array(this.v.length),
      bv: new Float32Array(this.bv.length),
    };
    w.e.set(this.e);
    w.be.set(this.be);
    w.v.set(this.v);
    w.bv.set(this.bv);
    return w;
  }

  restore(w: NetworkWeights): void {
    this.e.set(w.e);
    this.be.set(w.be);
    this.v.set(w.v);
    this.bv.set(w.bv);
  }
}

/** A kernel call with its typed arguments, as {@link SparseKernels} takes them. */
type TypedCall =
  | { name: 'scatterFromRows'; args: Parameters<SparseKernels['scatterFromRows']> }
  | { name: 'dotRows'; args: Parameters<SparseKernels['dotRows']> }
  | { name: 'backwardRows'; args: Parameters<SparseKernels['backwardRows']> }
  | { name: 'gradRows'; args: Parameters<SparseKernels['gradRows']> };

/** Runs `c` on this thread (any kernel kind). Returns its result (0 for the forward kernels). */
function runHere(k: SparseKernels, c: TypedCall): number {
  switch (c.name) {
    case 'scatterFromRows':
      k.scatterFromRows(...c.args);
      return 0;
    case 'dotRows':
      k.dotRows(...c.args);
      return 0;
    case 'backwardRows':
      return k.backwardRows(...c.args);
    case 'gradRows':
      return k.gradRows(...c.args);
  }
}

/** `c` as a worker thread runs it: the module export's raw arguments (see `rawArgs`). */
function toPoolCall(c: TypedCall): KernelCall {
  switch (c.name) {
    case 'scatterFromRows':
      return { name: c.name, args: rawArgs.scatterFromRows(...c.args) };
    case 'dotRows':
      return { name: c.name, args: rawArgs.dotRows(...c.args) };
    case 'backwardRows':
      return { name: c.name, args: rawArgs.backwardRows(...c.args) };
    case 'gradRows':
      return { name: c.name, args: rawArgs.gradRows(...c.args) };
  }
}

/**
 * The work of one column in entries' worth, beyond its entries: loading its weight row (and in
 * the backward pass stepping it). Splitting the columns between threads by entries alone gave
 * the thread with the many rare songs twice the work of the one with the popular songs. Tuned
 * on the msd shape (500 units, 1,024 users per batch, 2 threads): epoch 52 s on one thread;
 * 43 s split by entries, 35 s with (4, 8), 34 s with (6, 12), 34 s with (10, 20).
 */
const COLUMN_COST = { forward: 6, backward: 12 };

/** Arena blocks and JS views for training. */
export interface TrainingBuffers {
  optimizer: OptimizerName;
  /** Gradient accumulators (RProp only: Adam steps rows as their gradient completes). */
  gE?: ArenaBlock;
  gV?: ArenaBlock;
  /** Per-weight optimiser state: Adam m, v; RProp step size, previous gradient. */
  E1: ArenaBlock;
  E2: ArenaBlock;
  V1: ArenaBlock;
  V2: ArenaBlock;
  list: ArenaBlock;
  coef: ArenaBlock;
  tgtColPtr: ArenaBlock;
  inColPtr: ArenaBlock;
  tgtColRows: ArenaBlock;
  inColRows: ArenaBlock;
  inColVals: ArenaBlock;
  delta: ArenaBlock;
  scratch: ArenaBlock;
  views: {
    list: Int32Array;
    coef: Float32Array;
    tgtColPtr: Int32Array;
    inColPtr: Int32Array;
    tgtColRows: Int32Array;
    inColRows: Int32Array;
    inColVals: Float32Array;
    delta: Float32Array;
    /** Target values in column-major order. */
    targets: Float32Array;
    /** Loss weight of each target (1 for observed entries, the sampling weight for negatives). */
    weights: Float32Array;
    /** Observed (not sampled) targets of each listed column in this batch. */
    positives: Int32Array;
    /** Scratch: sampled negative columns and their rows, as (row, column) pairs. */
    negatives: Int32Array;
    keep: Uint8Array;
    stamp: Int32Array;
    slot: Int32Array;
    cursorT: Int32Array;
    cursorI: Int32Array;
    batch: number;
  };
}

/** The four weight arrays in arena layout (rows padded to the stride). */
export interface NetworkWeights {
  e: Float32Array;
  be: Float32Array;
  v: Float32Array;
  bv: Float32Array;
}

/** Applies the encoder activation to the first `hidden` lanes of `nRows` rows, in place. */
export function activate(
  h: Float32Array,
  nRows: number,
  stride: number,
  hidden: number,
  activation: CodeActivation,
): void {
  if (activation === 'identity') return;
  for (let r = 0; r < nRows; r++) {
    const o = r * stride;
    switch (activation) {
      case 'sigmoid':
        for (let j = o; j < o + hidden; j++) h[j] = 1 / (1 + Math.exp(-h[j]));
        break;
      case 'centred-sigmoid':
        for (let j = o; j < o + hidden; j++) h[j] = 1 / (1 + Math.exp(-h[j])) - 0.5;
        break;
      case 'relu':
        for (let j = o; j < o + hidden; j++) if (h[j] < 0) h[j] = 0;
        break;
      case 'tanh':
        for (let j = o; j < o + hidden; j++) h[j] = Math.tanh(h[j]);
        break;
      case 'selu':
        for (let j = o; j < o + hidden; j++)
          h[j] = h[j] > 0 ? SELU.lambda * h[j] : SELU.lambda * SELU.alpha * Math.expm1(h[j]);
        break;
    }
  }
}

/**
 * gh ← gh ⊙ f′ (f′ written in terms of the activation's output h, so pre-activations need not
 * be kept), and adds each row of the result to `gbE`.
 */
function activationGradient(
  gh: Float32Array,
  h: Float32Array,
  nRows: number,
  stride: number,
  hidden: number,
  activation: CodeActivation,
  gbE: Float64Array,
): void {
  for (let r = 0; r < nRows; r++) {
    const o = r * stride;
    for (let j = 0; j < hidden; j++) {
      const y = h[o + j];
      let g = gh[o + j];
      if (activation === 'sigmoid') g *= y * (1 - y);
      else if (activation === 'centred-sigmoid') g *= (0.5 + y) * (0.5 - y);
      else if (activation === 'tanh') g *= 1 - y * y;
      else if (activation === 'relu' && y <= 0) g = 0;
      else if (activation === 'selu') g *= y > 0 ? SELU.lambda : y + SELU.lambda * SELU.alpha;
      gh[o + j] = g;
      gbE[j] += g;
    }
  }
}

/**
 * The decoder's output map. `identity` is x' = z. `sigmoid` is scaled to the target range
 * [lo, hi] — x' = lo + (hi − lo)·σ(z) — since a plain sigmoid cannot reach ratings 1–5.
 */
export class DecoderOutput {
  constructor(
    readonly activation: DecoderActivation,
    readonly lo: number,
    readonly hi: number,
  ) {}

  value(z: number): number {
    return this.activation === 'identity' ? z : this.lo + (this.hi - this.lo) / (1 + Math.exp(-z));
  }

  /** dx'/dz given z. */
  slope(z: number): number {
    if (this.activation === 'identity') return 1;
    const s = 1 / (1 + Math.exp(-z));
    return (this.hi - this.lo) * s * (1 - s);
  }

  /** z such that value(z) = x (clamped inside the range for the sigmoid). */
  inverse(x: number): number {
    if (this.activation === 'identity') return x;
    const span = this.hi - this.lo;
    const t = Math.min(0.999, Math.max(0.001, (x - this.lo) / span));
    return Math.log(t / (1 - t));
  }
}

/**
 * The end of a greedy batch from item `from` (exclusive, ≤ `count`): at most `maxRows` items,
 * and for each budget [capacity, sizeOf] the items' sizes add up to at most capacity — the one
 * rule every batch of rows or decode jobs is packed by.
 *
 * @example
 * packRows(0, lengths.length, 256, [[nnzCapacity, (k) => lengths[k]]]); // first batch is [0, end)
 */
export function packRows(
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
