import type { Rng } from '@autorec/data';
import {
  Arena,
  type ArenaBlock,
  createKernels,
  type KernelPreference,
  paddedStride,
  type SparseKernels,
} from '../engine/kernels.ts';

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
 * The AutoRec network h = f(W x + b), x' = g(V h + b') laid out over one arena of typed arrays,
 * with the batch buffers the sparse kernels work in. Weights are stored one row per input or
 * output dimension (`E[c]` is column c of W, `V[c]` row c of V), each `stride` floats long
 * (hidden units padded to a multiple of 8; padding stays exactly 0 because activations are
 * never applied to padding lanes). It knows nothing about users or items: the model maps
 * U-AutoRec (rows = users) and I-AutoRec (rows = items) onto it.
 *
 * This is the layout only; what runs on it lives beside it: `autorec-batch.ts` fills a
 * training batch, `autorec-batch-pass.ts` runs its forward and backward pass (with the
 * optimiser step) on one thread or a kernel pool, `autorec-inference.ts` encodes rows and
 * decodes cells of a trained network, `autorec-activation.ts` holds f and g.
 *
 * @example
 * const net = new AutoRecNetwork({ width: songs, hidden: 100, batchRows: 256, nnzCapacity: 1 << 16 });
 * net.initialise(new Rng(42), new Float32Array(songs));
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

  /** The training buffers (an error for a network built to predict only). */
  training(): TrainingBuffers {
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
    /** Negative sampling: per column, 1 + the row that last marked it as its own (allocated on first use). */
    rowMarks?: Int32Array;
  };
}

/** The four weight arrays in arena layout (rows padded to the stride). */
export interface NetworkWeights {
  e: Float32Array;
  be: Float32Array;
  v: Float32Array;
  bv: Float32Array;
}
