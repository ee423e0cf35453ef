import type { KernelCall } from '../engine/kernel-pool.ts';
import { Arena, type ArenaBlock, type KernelKind, type KernelPreference } from '../engine/kernels.ts';
import {
  GEMM_PACK_FLOATS,
  type MultKernel,
  type MultKernels,
  splitRange,
  startMultKernels,
} from '../engine/mult-kernels.ts';
import {
  exactSoftmaxLoss,
  type Negatives,
  type SparseBatch,
  sampledSoftmaxLoss,
  type TargetRows,
  variationalCodeGradient,
} from './mult-vae-dense.ts';
import { type GradientOptions, type MultNet, WEIGHT_NAMES, type WeightName } from './mult-vae-net.ts';

/** What the kernel trainer must hold: its scratch is sized once, for the largest batch. */
export interface MultKernelLayout {
  /** Listeners per batch at most. */
  batchSize: number;
  /** Input or target plays of one batch at most. */
  maxPlays: number;
  /** Negatives a batch (the sampled softmax's S; 0 = the exact softmax). */
  negatives: number;
  threads: number;
  kernels: KernelPreference;
  learningRate: number;
}

/** Listeners a `sampledSoftmaxCols` call can take: its scratch (a gemm pack) holds 3 f64 each. */
const SOFTMAX_MAX_LISTENERS = Math.floor(GEMM_PACK_FLOATS / 6);

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/**
 * A Mult-VAE / Mult-DAE network's training step on the WebAssembly kernels of
 * `engine/mult-kernels.ts`, split between threads: the same loss, gradient and Adam as
 * {@link MultNet.gradients} with `MultAdam` (the typed-array network, tested against tfjs's
 * autograd), in float32 throughout. The weights, their gradients and Adam moments live in one
 * {@link Arena} (shared with worker threads), and the network's `w` arrays are views of it while
 * training; {@link finish} copies them out and lets the arena go.
 *
 * Every product is a kernel `gemm` split by rows of its result; the per-play loops (encoder
 * gather, the listeners' own logits and their gradient) are split by listeners, their weight
 * gradients (W₁, W₄ rows of played items) by item ranges; tanh and the sampled softmax's loss by
 * listeners; Adam by rows. Each output row is computed by one thread in a fixed order, so one
 * thread and several give the same weights. Only the small element-wise steps (bias sums, the
 * KL term, tanh's derivative, the log of each listener's normaliser) and the exact softmax's
 * loss run in JavaScript on this thread.
 * Hidden sizes must be multiples of 8 (the per-play rows' SIMD width).
 */
export class MultKernelTrainer {
  /** Adam steps taken (the bias correction's t). */
  private t = 0;

  private constructor(
    private readonly net: MultNet,
    private readonly layout: MultKernelLayout,
    private readonly arena: Arena,
    private readonly kernels: MultKernels,
    private readonly blocks: Map<string, ArenaBlock>,
  ) {}

  /** Which kernels run the steps, and on how many threads. */
  get engine(): { kind: KernelKind; threads: number } {
    return { kind: this.kernels.kind, threads: this.kernels.threads };
  }

  static async create(net: MultNet, layout: MultKernelLayout, what: string): Promise<MultKernelTrainer> {
    const { items: I, hidden: H, latent: L, code: C } = net;
    if (H % 8 !== 0) throw new RangeError(`${what}: the kernels need hidden a multiple of 8, got ${H}`);
    const B = layout.batchSize;
    const P = Math.max(1, layout.maxPlays);
    const S = layout.negatives > 0 ? Math.min(layout.negatives, I) : 0;
    const arena = new Arena();
    const blocks = new Map<string, ArenaBlock>();
    const reserve = (name: string, length: number) => blocks.set(name, arena.reserve(Math.max(1, length)));
    for (const name of WEIGHT_NAMES)
      for (const part of ['w', 'g', 'm', 'v']) reserve(`${part}.${name}`, net.w[name].length);
    for (const [name, length] of [
      ['inPtr', B + 1],
      ['inItem', P],
      ['inVal', P],
      ['tStart', B + 1],
      ['tItem', P],
      ['pos', P],
      ['h1', B * H],
      ['code', B * C],
      ['z', B * L],
      ['h2', B * H],
      ['h2T', H * B],
      ['dh2', B * H],
      ['dz', B * L],
      ['dcode', B * C],
      ['dh1', B * H],
      ['w3T', H * L],
      ['w2T', C * H],
      ['rows1', I],
      ['rows4', I],
    ] as const)
      reserve(name, length);
    for (let t = 0; t < Math.max(1, layout.threads); t++) reserve(`pack${t}`, GEMM_PACK_FLOATS);
    if (S > 0) {
      reserve('neg', S);
      reserve('corr', S);
      reserve('G', S * H);
      reserve('negT', S * B);
      reserve('dG', S * H);
    } else reserve('logits', I * B);
    arena.commit(what, layout.threads > 1);
    for (const name of WEIGHT_NAMES) {
      const view = arena.f32(blocks.get(`w.${name}`) as ArenaBlock);
      view.set(net.w[name]);
      net.w[name] = view;
    }
    const kernels = await startMultKernels(arena, layout.threads, layout.kernels);
    return new MultKernelTrainer(net, layout, arena, kernels, blocks);
  }

  private block(name: string): ArenaBlock {
    const b = this.blocks.get(name);
    if (!b) throw new Error(`Mult-VAE kernels: no block ${name}`);
    return b;
  }

  private at(name: string): number {
    return this.block(name).offset;
  }

  private f32(name: string, length?: number): Float32Array {
    const view = this.arena.f32(this.block(name));
    return length === undefined ? view : view.subarray(0, length);
  }

  private i32(name: string, length?: number): Int32Array {
    const view = this.arena.i32(this.block(name));
    return length === undefined ? view : view.subarray(0, length);
  }

  private run(calls: (KernelCall<MultKernel> | undefined)[]): number[] {
    return this.kernels.run(calls);
  }

  /**
   * One call per thread over [0, n), cut into near-equal ranges (multiples of 4 where possible);
   * `call` gets the thread's index too.
   */
  private split(
    n: number,
    call: (from: number, to: number, thread: number) => KernelCall<MultKernel>,
  ): number[] {
    return this.run(splitRange(n, this.kernels.threads, call));
  }

  private splitRows(
    ptr: Int32Array,
    rows: number,
    call: (from: number, to: number) => KernelCall<MultKernel>,
  ): number[] {
    const T = this.kernels.threads;
    const total = ptr[rows];
    const calls: KernelCall<MultKernel>[] = [];
    let from = 0;
    for (let t = 1; t <= T && from < rows; t++) {
      let to = from;
      if (t === T) to = rows;
      else while (to < rows && ptr[to] < (total * t) / T) to++;
      if (to > from) calls.push(call(from, to));
      from = to;
    }
    return this.run(calls);
  }

  /** One call per thread over an item range [lo, hi), cut so each gets about as many of `items`. */
  private splitItems(items: Int32Array, call: (lo: number, hi: number) => KernelCall<MultKernel>): number[] {
    const T = this.kernels.threads;
    const I = this.net.items;
    if (T === 1) return this.run([call(0, I)]);
    const count = new Int32Array(I);
    for (let p = 0; p < items.length; p++) count[items[p]]++;
    const calls: KernelCall<MultKernel>[] = [];
    let lo = 0;
    let seen = 0;
    for (let t = 1; t <= T; t++) {
      let hi = lo;
      if (t === T) hi = I;
      else
        while (hi < I && seen < (items.length * t) / T) {
          seen += count[hi];
          hi++;
        }
      if (hi > lo) calls.push(call(lo, hi));
      lo = hi;
    }
    return this.run(calls);
  }

  /** C (m × n) = A · B by rows of C; A row-major m × k, or with `transposedA` stored k × m. */
  private gemm(a: string, b: string, c: string, m: number, k: number, n: number, transposedA = false): void {
    const [ars, acs] = transposedA ? [4, 4 * m] : [4 * k, 4];
    const [pa, pb, pc] = [this.at(a), this.at(b), this.at(c)];
    this.split(m, (m0, m1, t) => ({
      name: 'gemm',
      args: [pa, ars, acs, pb, pc, m0, m1, k, n, this.at(`pack${t}`)],
    }));
  }

  /**
   * One Adam step on one batch (see `MultAdam`): the loss before the step — multinomial NLL
   * (exact, or sampled with `options.negatives`) + β·KL + λΣ‖W‖² over the rows stepped.
   */
  step(batch: SparseBatch, targets: TargetRows, options: GradientOptions): number {
    const net = this.net;
    const { items: I, hidden: H, latent: L, code: C } = net;
    const B = batch.rows;
    const w = net.w;
    if (targets.rows !== B) throw new RangeError(`mult network: ${targets.rows} target rows for ${B} inputs`);
    if (B > this.layout.batchSize)
      throw new RangeError(
        `Mult-VAE kernels: a batch of ${B} listeners, laid out for ${this.layout.batchSize}`,
      );
    const plays = Math.max(batch.item.length, targets.item.length);
    if (plays > Math.max(1, this.layout.maxPlays))
      throw new RangeError(
        `Mult-VAE kernels: a batch of ${plays} plays, laid out for ${this.layout.maxPlays}`,
      );
    const rowBytes = H * 4;

    // The batch: input rows as CSR (segment is in row order), targets, into the arena.
    const inPtr = this.i32('inPtr', B + 1);
    inPtr.fill(0);
    for (let p = 0; p < batch.segment.length; p++) inPtr[batch.segment[p] + 1]++;
    for (let b = 0; b < B; b++) inPtr[b + 1] += inPtr[b];
    const inItem = this.i32('inItem', batch.item.length);
    inItem.set(batch.item);
    this.f32('inVal').set(batch.value);
    const tStart = this.i32('tStart', B + 1);
    tStart.set(targets.start);
    const tItem = this.i32('tItem', targets.item.length);
    tItem.set(targets.item);

    // Encoder: h₁ = tanh(x̃ W₁ + b₁), code = h₁ W₂ + b₂.
    const [pInPtr, pInItem, pInVal, pH1] = [
      this.at('inPtr'),
      this.at('inItem'),
      this.at('inVal'),
      this.at('h1'),
    ];
    const pW1 = this.at('w.w1');
    this.splitRows(inPtr, B, (r0, r1) => ({
      name: 'gatherRows',
      args: [r0, r1, pInPtr, pInItem, pInVal, pW1, pH1, rowBytes, 0],
    }));
    const pB1 = this.at('w.b1');
    this.split(B, (r0, r1) => ({ name: 'tanhRows', args: [r0, r1, pH1, pB1, H] }));
    const h1 = this.f32('h1', B * H);
    this.gemm('h1', 'w.w2', 'code', B, H, C);
    const code = this.f32('code', B * C);
    addRowVector(code, w.b2);
    const z = this.f32('z', B * L);
    const noise = net.variational ? options.noise : undefined;
    for (let b = 0; b < B; b++)
      for (let k = 0; k < L; k++) {
        const mu = code[b * C + k];
        z[b * L + k] = noise ? mu + Math.exp(0.5 * code[b * C + L + k]) * noise[b * L + k] : mu;
      }
    // Decoder hidden layer h₂ = tanh(z W₃ + b₃), and h₂ᵀ for the logits.
    this.gemm('z', 'w.w3', 'h2', B, L, H);
    const [pH2, pB3] = [this.at('h2'), this.at('w.b3')];
    this.split(B, (r0, r1) => ({ name: 'tanhRows', args: [r0, r1, pH2, pB3, H] }));
    const h2 = this.f32('h2', B * H);
    transposeInto(h2, B, H, this.f32('h2T', H * B));

    const g = (name: WeightName) => this.f32(`g.${name}`);
    let loss: number;
    let rows4: Int32Array | null = null;
    const negatives = options.negatives;
    if (!negatives) loss = this.exactOutput(B, targets);
    else {
      loss = this.sampledOutput(B, targets, negatives);
      rows4 = distinctInto(this.i32('rows4'), negatives.item, tItem, I);
    }

    // Back through the decoder: ∂a₂ = ∂h₂ ⊙ (1 − h₂²); W₃, b₃ and ∂z.
    const dh2 = this.f32('dh2', B * H);
    for (let j = 0; j < dh2.length; j++) dh2[j] *= 1 - h2[j] * h2[j];
    this.gemm('z', 'dh2', 'g.w3', L, B, H, true);
    addColumnSums(g('b3'), dh2, B, H);
    transposeInto(w.w3, L, H, this.f32('w3T', H * L));
    this.gemm('dh2', 'w3T', 'dz', B, H, L);
    const dz = this.f32('dz', B * L);
    const dcode = this.f32('dcode', B * C);
    if (net.variational)
      loss += (options.beta * variationalCodeGradient(code, dz, noise, options.beta, B, L, dcode)) / B;
    else dcode.set(dz);
    // The encoder: W₂, b₂, ∂a₁ = (∂code W₂ᵀ) ⊙ (1 − h₁²), b₁ and W₁'s rows of the input items.
    this.gemm('h1', 'dcode', 'g.w2', H, B, C, true);
    addColumnSums(g('b2'), dcode, B, C);
    transposeInto(w.w2, H, C, this.f32('w2T', C * H));
    this.gemm('dcode', 'w2T', 'dh1', B, C, H);
    const dh1 = this.f32('dh1', B * H);
    for (let j = 0; j < dh1.length; j++) dh1[j] *= 1 - h1[j] * h1[j];
    addColumnSums(g('b1'), dh1, B, H);
    const [pDh1, pGw1] = [this.at('dh1'), this.at('g.w1')];
    this.splitItems(inItem, (lo, hi) => ({
      name: 'scatterRows',
      args: [lo, hi, B, pInPtr, pInItem, pInVal, pDh1, pGw1, rowBytes],
    }));
    const rows1 = distinctInto(this.i32('rows1'), inItem, new Int32Array(0), I);
    return loss + this.adam(rows1, rows4, options.weightDecay);
  }

  /** The exact softmax: logits w₄ h₂ᵀ + b₄ (items × B), W₄'s gradient and ∂h₂; returns the NLL. */
  private exactOutput(B: number, targets: TargetRows): number {
    const { items: I, hidden: H } = this.net;
    this.gemm('w.w4', 'h2T', 'logits', I, H, B);
    const delta = this.f32('logits', I * B);
    const b4 = this.net.w.b4;
    for (let i = 0; i < I; i++) for (let b = 0; b < B; b++) delta[i * B + b] += b4[i];
    const loss = exactSoftmaxLoss(delta, I, targets);
    this.gemm('logits', 'h2', 'g.w4', I, B, H);
    const gb4 = this.f32('g.b4');
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += delta[i * B + b];
      gb4[i] += s;
    }
    this.gemm('logits', 'w.w4', 'dh2', B, I, H, true);
    return loss;
  }

  /**
   * The sampled softmax (see `sampledSoftmaxLoss`): the negatives' logits G h₂ᵀ (G their W₄
   * rows), the listeners' own logits by play, their gradients into W₄'s rows, b₄ and ∂h₂.
   */
  private sampledOutput(B: number, targets: TargetRows, negatives: Negatives): number {
    const { items: I, hidden: H } = this.net;
    const rowBytes = H * 4;
    const S = negatives.item.length;
    if (S > this.block('neg').length)
      throw new RangeError(`Mult-VAE kernels: ${S} negatives, laid out for ${this.block('neg').length}`);
    this.i32('neg', S).set(negatives.item);
    const [pNeg, pG, pW4, pB4, pGw4] = [
      this.at('neg'),
      this.at('G'),
      this.at('w.w4'),
      this.at('w.b4'),
      this.at('g.w4'),
    ];
    this.split(S, (s0, s1) => ({ name: 'gatherList', args: [s0, s1, pNeg, pW4, pG, rowBytes] }));
    this.gemm('G', 'h2T', 'negT', S, H, B);
    const [pStart, pItem, pPos, pH2] = [this.at('tStart'), this.at('tItem'), this.at('pos'), this.at('h2')];
    const tStart = this.i32('tStart', B + 1);
    this.splitRows(tStart, B, (r0, r1) => ({
      name: 'dotRows',
      args: [r0, r1, pStart, pItem, pH2, pW4, pB4, pPos, rowBytes],
    }));
    const negT = this.f32('negT', S * B);
    const b4 = this.net.w.b4;
    for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) negT[s * B + b] += b4[negatives.item[s]];
    const slot = new Int32Array(I).fill(-1);
    for (let s = 0; s < S; s++) slot[negatives.item[s]] = s;
    const hits: number[] = [];
    for (let b = 0; b < B; b++)
      for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
        const i = targets.item[p];
        if (slot[i] >= 0) hits.push(slot[i] * B + b);
      }
    const pos = this.f32('pos', targets.item.length);
    let loss: number;
    if (B > SOFTMAX_MAX_LISTENERS)
      loss = sampledSoftmaxLoss(pos, negT, negatives, Int32Array.from(hits), targets);
    else {
      // The same loss by listener ranges on the threads (played negatives masked first).
      for (const h of hits) negT[h] = Number.NEGATIVE_INFINITY;
      const pCorr = this.at('corr');
      this.f32('corr', S).set(negatives.correction);
      const pNegT = this.at('negT');
      const ranges: [number, number][] = [];
      const parts = this.split(B, (b0, b1, t) => {
        ranges.push([b0, b1]);
        return {
          name: 'sampledSoftmaxCols',
          args: [b0, b1, S, B, pNegT, pCorr, pStart, pPos, this.at(`pack${t}`)],
        };
      });
      // Each range's −Σ f, then n_b (m_b + log Σ_b) from its scratch (max, then sum, per listener).
      loss = 0;
      ranges.forEach(([b0, b1], t) => {
        const n = b1 - b0;
        const block = this.block(`pack${t}`);
        const d = new Float64Array(this.arena.f32(block).buffer, block.offset, 2 * n);
        loss += parts[t];
        for (let b = b0; b < b1; b++) {
          const plays = targets.start[b + 1] - targets.start[b];
          if (plays > 0) loss += plays * (d[b - b0] + Math.log(d[n + b - b0]));
        }
      });
      loss /= B;
    }
    // W₄'s rows: the negatives' (∂negT h₂, added to their rows), then the listeners' plays.
    this.gemm('negT', 'h2', 'dG', S, B, H);
    const pDG = this.at('dG');
    this.split(S, (s0, s1) => ({ name: 'addListRows', args: [s0, s1, pNeg, pDG, pGw4, rowBytes] }));
    const gb4 = this.f32('g.b4');
    for (let s = 0; s < S; s++) {
      let sum = 0;
      for (let b = 0; b < B; b++) sum += negT[s * B + b];
      gb4[negatives.item[s]] += sum;
    }
    // ∂h₂ = ∂negTᵀ G + Σ_plays δ w₄[i]; W₄[i] += δ h₂ by item range.
    this.gemm('negT', 'G', 'dh2', B, S, H, true);
    const pDh2 = this.at('dh2');
    this.splitRows(tStart, B, (r0, r1) => ({
      name: 'gatherRows',
      args: [r0, r1, pStart, pItem, pPos, pW4, pDh2, rowBytes, 1],
    }));
    const tItem = this.i32('tItem', targets.item.length);
    this.splitItems(tItem, (lo, hi) => ({
      name: 'scatterRows',
      args: [lo, hi, B, pStart, pItem, pPos, pH2, pGw4, rowBytes],
    }));
    for (let p = 0; p < pos.length; p++) gb4[tItem[p]] += pos[p];
    return loss;
  }

  /**
   * Adam on every weight (exact softmax) or lazily on W₁'s, W₄'s and b₄'s touched rows (sampled,
   * as `MultAdam`), with L2 λ on the weight matrices; returns λ Σ‖W‖² over the rows stepped.
   */
  private adam(rows1: Int32Array, rows4: Int32Array | null, lambda: number): number {
    this.t++;
    const lr = (this.layout.learningRate * Math.sqrt(1 - BETA2 ** this.t)) / (1 - BETA1 ** this.t);
    const hyper = [lr, BETA1, 1 - BETA1, BETA2, 1 - BETA2, EPSILON];
    const H = this.net.hidden;
    let sum = 0;
    for (const name of WEIGHT_NAMES) {
      const coef = name.startsWith('w') ? 2 * lambda : 0;
      const [p, g, m, v] = ['w', 'g', 'm', 'v'].map((part) => this.at(`${part}.${name}`));
      const rows = rows4 ? (name === 'w1' ? rows1 : name === 'w4' || name === 'b4' ? rows4 : null) : null;
      const results = rows
        ? this.split(rows.length, (t0, t1) => ({
            name: 'adamRows',
            args: [
              t0,
              t1,
              this.at(rows === rows1 ? 'rows1' : 'rows4'),
              name === 'b4' ? 1 : H,
              p,
              g,
              m,
              v,
              coef,
              ...hyper,
            ],
          }))
        : this.split(this.net.w[name].length, (e0, e1) => ({
            name: 'adamRange',
            args: [p, g, m, v, e0, e1, coef, ...hyper],
          }));
      for (const r of results) sum += r;
    }
    return lambda * sum;
  }

  /** Copies the weights out of the arena into the network's own arrays and stops the threads. */
  finish(): void {
    for (const name of WEIGHT_NAMES) this.net.w[name] = this.net.w[name].slice();
    this.kernels.close();
  }
}

function addRowVector(m: Float32Array, v: Float32Array): void {
  const n = v.length;
  for (let o = 0; o < m.length; o += n) for (let j = 0; j < n; j++) m[o + j] += v[j];
}

function addColumnSums(target: Float32Array, m: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) target[j] += m[r * cols + j];
}

/** Aᵀ (cols × rows) of a row-major rows × cols matrix into `out`. */
function transposeInto(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
}

/** The distinct values of two index lists (each < n), ascending, written at the start of `out`. */
function distinctInto(out: Int32Array, a: ArrayLike<number>, b: ArrayLike<number>, n: number): Int32Array {
  const seen = new Uint8Array(n);
  for (let j = 0; j < a.length; j++) seen[a[j]] = 1;
  for (let j = 0; j < b.length; j++) seen[b[j]] = 1;
  let count = 0;
  for (let i = 0; i < n; i++) if (seen[i]) out[count++] = i;
  return out.subarray(0, count);
}
