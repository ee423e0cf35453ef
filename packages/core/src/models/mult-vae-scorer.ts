import type { KernelCall } from '../engine/kernel-pool.ts';
import { Arena, type ArenaBlock, type KernelKind } from '../engine/kernels.ts';
import {
  GEMM_PACK_FLOATS,
  type MultKernel,
  type MultKernels,
  splitRange,
  startMultKernels,
} from '../engine/mult-kernels.ts';
import type { SparseBatch } from './mult-vae-dense.ts';
import { type MultNet, WEIGHT_NAMES } from './mult-vae-net.ts';

/** Listeners per forward pass: the logits block is this × items floats (42 MB on 41K songs). */
export const SCORER_BATCH = 256;

/**
 * Ranking with a trained Mult-VAE / Mult-DAE on the WebAssembly kernels of
 * `engine/mult-kernels.ts`: the same forward pass as {@link MultNet.scores} — encoder,
 * z = μ, decoder — with its products on the kernels' `gemm` and the decoder's big product
 * (listeners × hidden · hidden × items) as `scoreItems`, which reads the item-major W₄ as it
 * is and writes the logits listener-major (no transposes), split by item ranges between
 * threads. The logits equal the typed-array network's to float rounding (summation order and
 * the kernels' own tanh differ), not bit for bit.
 *
 * The network's weight arrays become views of this scorer's arena (shared with the worker
 * threads), so the weights are held once; {@link close} copies them back out and stops the
 * threads. Hidden sizes must be multiples of 8.
 */
export class MultKernelScorer {
  private constructor(
    private readonly net: MultNet,
    private readonly arena: Arena,
    private readonly kernels: MultKernels,
    private readonly blocks: Map<string, ArenaBlock>,
    /** Input plays one pass can take (listeners are split into passes that fit). */
    private readonly maxPlays: number,
  ) {}

  /** Which kernels rank, and on how many threads. */
  get engine(): { kind: KernelKind; threads: number } {
    return { kind: this.kernels.kind, threads: this.kernels.threads };
  }

  /** A scorer on `threads` threads, or an error when the kernels cannot run (`what` names the model). */
  static async create(net: MultNet, threads: number, what: string): Promise<MultKernelScorer> {
    const { items: I, hidden: H, code: C } = net;
    if (H % 8 !== 0) throw new RangeError(`${what}: the kernels need hidden a multiple of 8, got ${H}`);
    const B = SCORER_BATCH;
    // A listener's plays are distinct items, so one always fits; most passes take 256 listeners.
    const P = Math.max(I, 1 << 16);
    const arena = new Arena();
    const blocks = new Map<string, ArenaBlock>();
    const reserve = (name: string, length: number) => blocks.set(name, arena.reserve(Math.max(1, length)));
    for (const name of WEIGHT_NAMES) reserve(name, net.w[name].length);
    for (const [name, length] of [
      ['inPtr', B + 1],
      ['inItem', P],
      ['inVal', P],
      ['h1', B * H],
      ['code', B * C],
      ['h2', B * H],
      ['logits', B * I],
    ] as const)
      reserve(name, length);
    for (let t = 0; t < Math.max(1, threads); t++) reserve(`pack${t}`, GEMM_PACK_FLOATS);
    arena.commit(what, threads > 1);
    const kernels = await startMultKernels(arena, threads, 'wasm-simd');
    for (const name of WEIGHT_NAMES) {
      const view = arena.f32(blocks.get(name) as ArenaBlock);
      view.set(net.w[name]);
      net.w[name] = view;
    }
    return new MultKernelScorer(net, arena, kernels, blocks, P);
  }

  private at(name: string): number {
    const b = this.blocks.get(name);
    if (!b) throw new Error(`Mult-VAE scorer: no block ${name}`);
    return b.offset;
  }

  private view(name: string, length: number): Float32Array {
    return this.arena.f32(this.blocks.get(name) as ArenaBlock).subarray(0, length);
  }

  /** One call per thread over [0, n), cut into near-equal ranges (multiples of 4 where possible). */
  private split(n: number, call: (from: number, to: number, thread: number) => KernelCall<MultKernel>): void {
    this.kernels.run(splitRange(n, this.kernels.threads, call));
  }

  /** C (m × n) = A · B by rows of C; A's rows `ars` bytes apart (its first k columns are read). */
  private gemm(a: string, ars: number, b: string, c: string, m: number, k: number, n: number): void {
    const [pa, pb, pc] = [this.at(a), this.at(b), this.at(c)];
    this.split(m, (m0, m1, t) => ({
      name: 'gemm',
      args: [pa, ars, 4, pb, pc, m0, m1, k, n, this.at(`pack${t}`)],
    }));
  }

  /**
   * The logits of the batch's listeners over every item, rows × items row-major, into `out` at
   * `offset` (a fresh array when `out` is omitted): the decoder's output at z = μ.
   */
  scores(batch: SparseBatch, out?: Float32Array, offset = 0): Float32Array {
    const I = this.net.items;
    const target = out ?? new Float32Array(batch.rows * I);
    if (target.length < offset + batch.rows * I)
      throw new RangeError(`Mult-VAE scorer: ${target.length} floats for ${batch.rows} × ${I} scores`);
    // Row starts of the batch (its segment is in row order), then passes that fit the scratch.
    const start = new Int32Array(batch.rows + 1);
    for (let p = 0; p < batch.segment.length; p++) start[batch.segment[p] + 1]++;
    for (let b = 0; b < batch.rows; b++) start[b + 1] += start[b];
    let r0 = 0;
    while (r0 < batch.rows) {
      let r1 = r0 + 1;
      while (r1 < batch.rows && r1 - r0 < SCORER_BATCH && start[r1 + 1] - start[r0] <= this.maxPlays) r1++;
      if (start[r1] - start[r0] > this.maxPlays)
        throw new RangeError(
          `Mult-VAE scorer: a listener with ${start[r1] - start[r0]} plays, at most ${this.maxPlays}`,
        );
      this.pass(batch, start, r0, r1);
      target.set(this.view('logits', (r1 - r0) * I), offset + r0 * I);
      r0 = r1;
    }
    return target;
  }

  /** The forward pass of listeners r0..r1−1 into the `logits` block. */
  private pass(batch: SparseBatch, start: Int32Array, r0: number, r1: number): void {
    const { items: I, hidden: H, latent: L, code: C } = this.net;
    const B = r1 - r0;
    const rowBytes = H * 4;
    const p0 = start[r0];
    const plays = start[r1] - p0;
    const ptr = this.arena.i32(this.blocks.get('inPtr') as ArenaBlock).subarray(0, B + 1);
    for (let b = 0; b <= B; b++) ptr[b] = start[r0 + b] - p0;
    this.arena.i32(this.blocks.get('inItem') as ArenaBlock).set(batch.item.subarray(p0, p0 + plays));
    this.view('inVal', plays).set(batch.value.subarray(p0, p0 + plays));
    const [pPtr, pItem, pVal, pH1, pH2] = ['inPtr', 'inItem', 'inVal', 'h1', 'h2'].map((n) => this.at(n));
    // Encoder: h₁ = tanh(x̃ W₁ + b₁), code = h₁ W₂ + b₂ (listeners split by rows).
    const pW1 = this.at('w1');
    this.split(B, (a, b) => ({ name: 'gatherRows', args: [a, b, pPtr, pItem, pVal, pW1, pH1, rowBytes, 0] }));
    const pB1 = this.at('b1');
    this.split(B, (a, b) => ({ name: 'tanhRows', args: [a, b, pH1, pB1, H] }));
    this.gemm('h1', 4 * H, 'w2', 'code', B, H, C);
    const code = this.view('code', B * C);
    const b2 = this.net.w.b2;
    for (let b = 0; b < B; b++) for (let k = 0; k < C; k++) code[b * C + k] += b2[k];
    // Decoder at z = μ (the code's first L columns): h₂ = tanh(μ W₃ + b₃), then the logits.
    this.gemm('code', 4 * C, 'w3', 'h2', B, L, H);
    const pB3 = this.at('b3');
    this.split(B, (a, b) => ({ name: 'tanhRows', args: [a, b, pH2, pB3, H] }));
    const [pW4, pB4, pOut] = [this.at('w4'), this.at('b4'), this.at('logits')];
    this.split(I, (i0, i1) => ({ name: 'scoreItems', args: [i0, i1, B, pH2, pW4, pB4, pOut, I, rowBytes] }));
  }

  /** Copies the weights back into the network's own arrays and stops the threads. Safe to call twice. */
  close(): void {
    for (const name of WEIGHT_NAMES)
      if (this.net.w[name].buffer === this.view(name, 0).buffer) this.net.w[name] = this.net.w[name].slice();
    this.kernels.close();
  }
}
