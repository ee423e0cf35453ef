import type { KernelCall, KernelPool } from '../engine/kernel-pool.ts';
import { type ArenaBlock, type RowStep, rawArgs, type SparseKernels } from '../engine/kernels.ts';
import { activate, activationGradient, type CodeActivation } from './autorec-activation.ts';
import type { AutoRecNetwork } from './autorec-network.ts';

/**
 * The forward and backward pass of one training batch (laid out by `loadBatch`) over an
 * {@link AutoRecNetwork}'s arena, with the optimiser step inside the backward pass: one pass for
 * any number of threads — the batch's columns are cut into one range per thread of `pool` (one
 * range on the calling thread without a pool, any kernel kind), each thread works in its own
 * hidden and gradient rows, and those are added.
 *
 * @example
 * const pass = new BatchPass(net, pool); // pool: undefined for one thread
 * const nList = loadBatch(net, m, values, rows, from, to);
 * pass.forward(to - from, nList, 'sigmoid');
 * // … the loss's delta per target into net.training().views.delta …
 * pass.backward(to - from, nList, 'sigmoid', gbE, adamStep);
 */
export class BatchPass {
  /**
   * `pool` must have been built for this network's arena with at most the threads the network
   * was laid out for (`NetworkLayout.threads`).
   */
  constructor(
    readonly net: AutoRecNetwork,
    private readonly pool?: KernelPool,
  ) {
    if (pool && pool.threads > net.threadBlocks.length + 1)
      throw new RangeError(
        `AutoRec: a pool of ${pool.threads} threads for a network built for ${net.threadBlocks.length + 1}`,
      );
  }

  /**
   * H = f(bE + Σ x_c E[c]) from the batch's input columns; out[q] = V[c]·H[r] + bV[c] at its
   * targets. One pass for any number of threads: the columns are cut into one range per thread
   * (one range on a single thread), each thread sums into its own hidden rows, then they are added.
   */
  forward(nRows: number, nList: number, activation: CodeActivation): void {
    const t = this.net.training();
    const { h, be, stride: s } = this.net;
    for (let r = 0; r < nRows; r++) h.set(be, r * s);
    for (let k = 1; k < this.threads; k++) this.net.arena.f32(this.hiddenOf(k)).fill(0, 0, nRows * s);
    // Encoder: each thread sums its columns' contributions into its own hidden rows.
    this.runSplit(nList, t.inColPtr, COLUMN_COST.forward, (n, list, ptr, k) => ({
      name: 'scatterFromRows',
      args: [
        n,
        list,
        ptr,
        t.inColRows.offset,
        t.inColVals.offset,
        this.net.E.offset,
        this.hiddenOf(k).offset,
        s,
      ],
    }));
    this.reducePartials(nRows, (k) => this.hiddenOf(k));
    activate(h, nRows, s, this.net.layout.hidden, activation);
    // Decoder at the targets: each column's cells belong to one thread.
    this.runSplit(nList, t.tgtColPtr, COLUMN_COST.forward, (n, list, ptr) => ({
      name: 'dotRows',
      args: [
        n,
        list,
        ptr,
        t.tgtColRows.offset,
        this.net.V.offset,
        this.net.H.offset,
        this.net.bV.offset,
        this.net.out.offset,
        s,
      ],
    }));
  }

  /**
   * Backpropagates `delta` (dLoss/d decoder pre-activation per target entry) and, with
   * `adam`, steps every touched row of V and E (L2 coefficient `coef` per column); without it
   * (RProp) adds the gradients to gV and gE. Adds the encoder-bias gradient to `gbE`. Returns
   * Σ coef·‖row‖² over the stepped rows (Adam; twice the batch's L2 term).
   */
  backward(
    nRows: number,
    nList: number,
    activation: CodeActivation,
    gbE: Float64Array,
    adam?: { lr: number; beta1: number; beta2: number; eps: number },
  ): number {
    const t = this.net.training();
    const s = this.net.stride;
    // Thread k's step: its own scratch row, and the L2 coefficients from its first column on.
    const step = (ga: ArenaBlock | undefined, m: ArenaBlock, v: ArenaBlock, k = 0, from = 0): RowStep => ({
      mode: adam ? 1 : 0,
      stride: s,
      scratch: k === 0 ? t.scratch.offset : this.net.threadBlocks[k - 1].scratch.offset,
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

  /** The backward pass of {@link backward}, on one thread or the pool like the forward pass. */
  private backwardPass(
    nRows: number,
    nList: number,
    activation: CodeActivation,
    gbE: Float64Array,
    step: (ga: ArenaBlock | undefined, m: ArenaBlock, v: ArenaBlock, k: number, from: number) => RowStep,
  ): number {
    const t = this.net.training();
    const s = this.net.stride;
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    for (let k = 0; k < this.threads; k++) this.net.arena.f32(this.gradOf(k)).fill(0, 0, nRows * s);
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
          this.net.V.offset,
          this.net.H.offset,
          this.gradOf(k).offset,
          step(t.gV, t.V1, t.V2, k, from),
        ],
      })),
    );
    const gh = this.reducePartials(nRows, (k) => this.gradOf(k));
    activationGradient(gh, this.net.h, nRows, s, this.net.layout.hidden, activation, gbE);
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
          this.net.GH.offset,
          this.net.E.offset,
          step(t.gE, t.E1, t.E2, k, from),
        ],
      })),
    );
    return reg;
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
    return k === 0 ? this.net.H : this.net.threadBlocks[k - 1].H;
  }

  private gradOf(k: number): ArenaBlock {
    return k === 0 ? this.net.GH : this.net.threadBlocks[k - 1].GH;
  }

  /** Adds threads 1…n−1's partial rows (block `of(k)`) into thread 0's, over nRows rows. */
  private reducePartials(nRows: number, of: (k: number) => ArenaBlock): Float32Array {
    const target = this.net.arena.f32(of(0));
    const len = nRows * this.net.stride;
    for (let k = 1; k < this.threads; k++) {
      const part = this.net.arena.f32(of(k));
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
    const t = this.net.training();
    if (!this.pool) return [runHere(this.net.kernels, call(nList, t.list.offset, ptr.offset, 0, 0))];
    const ranges = this.chunks(this.pool.threads, nList, this.net.arena.i32(ptr), perColumn);
    return this.pool.run(
      ranges.map(([a, b], k) => toPoolCall(call(b - a, t.list.offset + 4 * a, ptr.offset + 4 * a, k, a))),
    );
  }

  /** Threads the batch work runs on: the pool's, or 1. */
  private get threads(): number {
    return this.pool?.threads ?? 1;
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
