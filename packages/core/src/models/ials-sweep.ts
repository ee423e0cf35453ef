/**
 * The half-sweeps of implicit ALS (`IalsModel`): solve every row of one side against the other
 * side's fixed factors, on one or more threads, with either kernel set —
 *
 * - `wasm-simd`: the float32 WebAssembly SIMD kernels (`engine/ials-kernels.ts`) on one
 *   WebAssembly memory holding both sides, factors padded to a multiple of 8 floats;
 * - `js`: their typed-array twins (`ials-solver.ts`, float64 sums) on shared typed arrays,
 *   run by a function pool — where WebAssembly SIMD is missing, or when asked for.
 *
 * Each half-sweep is: G = YᵀY + λI (threads sum blocks of the other side's rows); where the
 * side has rows with few entries, W = G⁻¹Y and the exact Woodbury solve of those rows; then CG
 * on the rest. Rows go to threads in contiguous blocks of equal estimated work.
 */
import type { CsrMatrix } from '@autorec/data';
import { type FunctionPool, sharedFloat32, startFunctionPool, toShared } from '../engine/function-pool.ts';
import { type IalsKernel, type IalsKernels, startIalsKernels } from '../engine/ials-kernels.ts';
import type { KernelCall } from '../engine/kernel-pool.ts';
import { Arena, type ArenaBlock, type KernelPreference, paddedStride } from '../engine/kernels.ts';
import { invertSymmetricPositive } from '../linalg.ts';
import { gramRows, ialsCgRows, ialsExactRows, multiplyRows } from './ials-solver.ts';

/** Largest row solved exactly (the exact solve's scratch is maxEntries²). */
const MAX_EXACT_ENTRIES = 64;
/** Bytes one WebAssembly memory can address. */
const MAX_WASM_BYTES = 2 ** 32;

export interface SweepSetup {
  /** User-major CSR whose values are the confidences C_ui. */
  byUser: CsrMatrix;
  /** Its transpose. */
  byItem: CsrMatrix;
  k: number;
  lambda: number;
  cgSteps: number;
  threads: number;
  kernels: KernelPreference;
  /** Start factors, k floats a row. */
  x: Float32Array;
  y: Float32Array;
}

/** One half-sweep's outcome. */
export interface HalfSweep {
  /** The solved side's share of the objective, Σ_u (x_uᵀA_u x_u − 2x_uᵀb_u + ΣC_u). */
  loss: number;
  /** ‖Y‖² of the fixed side (the trace of its Gram matrix). */
  otherNorm: number;
}

export interface Sweeps {
  /** Kernels and threads, e.g. `wasm-simd×2`. */
  readonly backend: string;
  /** Solves every user (`users`) or every item against the other side. */
  solve(side: 'users' | 'items'): Promise<HalfSweep>;
  /** The current factors, k floats a row (copies or the live arrays; do not modify). */
  factors(): { x: Float32Array; y: Float32Array };
  close(): void;
}

/**
 * The sweeps for `setup`: WebAssembly SIMD unless `kernels` is `js` or it cannot run here
 * (`wasm-simd` then throws), else the typed-array kernels.
 */
export async function startSweeps(setup: SweepSetup): Promise<Sweeps> {
  if (setup.kernels !== 'js') {
    const wasm = await WasmSweeps.start(setup);
    if (wasm) return wasm;
    if (setup.kernels === 'wasm-simd')
      throw new Error("ials: kernels 'wasm-simd' requested but WebAssembly SIMD cannot run here; use 'auto'");
  }
  return JsSweeps.start(setup);
}

// ---------------------------------------------------------------------------------------
// Work estimates and the split of rows between threads.

/** Estimated multiply-adds of a CG solve and of an exact solve of a row with n entries. */
function cgCost(n: number, k: number, steps: number): number {
  return (steps + 1) * (k * k + 2 * n * k);
}
function exactCost(n: number, k: number): number {
  return (n * (n + 1) * k) / 2 + (n * n * n) / 6 + 2 * n * k;
}

/** How one side's rows are solved: the exact-solve bound and each row's cumulative cost. */
interface Plan {
  /** Rows with at most this many entries are solved exactly (0: none). */
  maxExact: number;
  /** Prefix sums of the rows' estimated costs (rows + 1 values). */
  cost: Float64Array;
}

/**
 * Decides which rows of a side are solved exactly: those with n entries where the exact solve
 * is cheaper than CG — provided the savings beat the one-off cost of the other side's G⁻¹ y_j
 * rows (other rows × k²). Users of Last.fm 2K (≈39 artists each) stay on CG; most artists go exact.
 */
function plan(m: CsrMatrix, k: number, steps: number): Plan {
  let maxExact = 0;
  for (let n = 1; n <= MAX_EXACT_ENTRIES; n++) if (exactCost(n, k) < cgCost(n, k, steps)) maxExact = n;
  let savings = 0;
  for (let r = 0; r < m.rows; r++) {
    const n = m.indptr[r + 1] - m.indptr[r];
    if (n > 0 && n <= maxExact) savings += cgCost(n, k, steps) - exactCost(n, k);
  }
  if (savings < m.cols * k * k) maxExact = 0;
  const cost = new Float64Array(m.rows + 1);
  for (let r = 0; r < m.rows; r++) {
    const n = m.indptr[r + 1] - m.indptr[r];
    cost[r + 1] = cost[r] + (n === 0 ? 0 : n <= maxExact ? exactCost(n, k) : cgCost(n, k, steps));
  }
  return { maxExact, cost };
}

/** Splits rows 0..n−1 into `parts` contiguous ranges of about equal `cost` (prefix sums). */
function blocks(cost: Float64Array, parts: number): [number, number][] {
  const n = cost.length - 1;
  const out: [number, number][] = [];
  let from = 0;
  for (let t = 1; t <= parts; t++) {
    let to = from;
    const target = (cost[n] * t) / parts;
    while (to < n && cost[to + 1] <= target) to++;
    if (t === parts) to = n;
    out.push([from, to]);
    from = to;
  }
  return out;
}

/** 0..n−1 in `parts` ranges of equal length. */
function even(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, t): [number, number] => [
    Math.floor((n * t) / parts),
    Math.floor((n * (t + 1)) / parts),
  ]);
}

/**
 * G = Σ parts (upper triangles read, `stride` floats a row) as a full k × k float64 matrix,
 * and its trace (‖Y‖² of the rows summed); λ is added to G's diagonal afterwards.
 */
function sumGram(
  parts: readonly (Float32Array | Float64Array)[],
  k: number,
  stride: number,
  lambda: number,
): { g: Float64Array; trace: number } {
  const g = new Float64Array(k * k);
  for (const part of parts)
    for (let a = 0; a < k; a++) for (let b = a; b < k; b++) g[a * k + b] += part[a * stride + b];
  let trace = 0;
  for (let a = 0; a < k; a++) {
    trace += g[a * k + a];
    g[a * k + a] += Math.max(lambda, 1e-9);
    for (let b = a + 1; b < k; b++) g[b * k + a] = g[a * k + b];
  }
  return { g, trace };
}

// ---------------------------------------------------------------------------------------
// WebAssembly SIMD.

/** One side's arrays in the arena and its plan. */
interface WasmSide {
  rows: number;
  plan: Plan;
  indptr: ArenaBlock;
  indices: ArenaBlock;
  conf: ArenaBlock;
  /** One byte per row (see `ialsExact`). */
  done: ArenaBlock;
  /**
   * Rows with entries, what the Gram sums: the others are zero once first solved (before that,
   * in the first user step, their random start values are left out; the typed-array twin sums them).
   */
  live: ArenaBlock;
  factors: ArenaBlock;
}

/** Byte offset of an arena block. */
const at = (b: ArenaBlock) => b.offset;

class WasmSweeps implements Sweeps {
  private constructor(
    private readonly arena: Arena,
    private readonly kernels: IalsKernels,
    private readonly users: WasmSide,
    private readonly items: WasmSide,
    private readonly k: number,
    private readonly stride: number,
    private readonly lambda: number,
    private readonly cgSteps: number,
    /** G, G⁻¹ (stride × stride), the threads' Gram parts, W rows, the threads' scratch areas. */
    private readonly g: ArenaBlock,
    private readonly inverse: ArenaBlock,
    private readonly parts: ArenaBlock[],
    private readonly w: ArenaBlock,
    private readonly scratch: ArenaBlock[],
  ) {}

  get backend(): string {
    return `wasm-simd×${this.kernels.threads}`;
  }

  static async start(s: SweepSetup): Promise<WasmSweeps | undefined> {
    const { k, cgSteps } = s;
    const stride = paddedStride(k);
    const threads = Math.max(1, s.threads);
    const arena = new Arena();
    const reserveSide = (m: CsrMatrix) => {
      const n = m.indptr[m.rows];
      return {
        rows: m.rows,
        plan: plan(m, k, cgSteps),
        indptr: arena.reserve(m.rows + 1),
        indices: arena.reserve(n),
        conf: arena.reserve(n),
        done: arena.reserve(Math.ceil(m.rows / 4)),
        live: arena.reserve(m.rows),
        factors: arena.reserve(m.rows * stride),
      };
    };
    const users = reserveSide(s.byUser);
    const items = reserveSide(s.byItem);
    const square = stride * stride;
    const g = arena.reserve(square);
    const inverse = arena.reserve(square);
    const parts = Array.from({ length: threads }, () => arena.reserve(square));
    const exact = Math.max(users.plan.maxExact, items.plan.maxExact) > 0;
    const w = arena.reserve(exact ? Math.max(users.rows, items.rows) * stride : 0);
    const maxE = Math.max(users.plan.maxExact, items.plan.maxExact);
    // Scratch: 4 rows for CG, maxE² + 2·maxE float64s for the exact solve.
    const scratchFloats = Math.max(4 * stride, 2 * (maxE * maxE + 2 * maxE));
    const scratch = Array.from({ length: threads }, () => arena.reserve(scratchFloats));
    if (arena.bytes > MAX_WASM_BYTES || typeof WebAssembly === 'undefined') return undefined;
    try {
      arena.commit('ials', threads > 1);
    } catch {
      return undefined; // no WebAssembly memory that large here: the typed arrays may still fit
    }
    const kernels = await startIalsKernels(arena, threads);
    if (!kernels) return undefined;
    const fill = (side: WasmSide, m: CsrMatrix, start: Float32Array) => {
      arena.i32(side.indptr).set(m.indptr);
      arena.i32(side.indices).set(m.indices);
      arena.f32(side.conf).set(m.values);
      const live = arena.i32(side.live);
      let n = 0;
      for (let r = 0; r < m.rows; r++) if (m.indptr[r + 1] > m.indptr[r]) live[n++] = r;
      side.live = { offset: side.live.offset, length: n };
      const f = arena.f32(side.factors);
      for (let r = 0; r < m.rows; r++) f.set(start.subarray(r * k, (r + 1) * k), r * stride);
    };
    fill(users, s.byUser, s.x);
    fill(items, s.byItem, s.y);
    return new WasmSweeps(
      arena,
      kernels,
      users,
      items,
      k,
      stride,
      s.lambda,
      cgSteps,
      g,
      inverse,
      parts,
      w,
      scratch,
    );
  }

  /** Runs one call per range (range t on thread t); the sum of what they return. */
  private each(
    name: IalsKernel,
    ranges: [number, number][],
    args: (r0: number, r1: number, t: number) => number[],
  ): number {
    const calls = ranges.map(([r0, r1], t): KernelCall<IalsKernel> => ({ name, args: args(r0, r1, t) }));
    let sum = 0;
    for (const r of this.kernels.run(calls)) sum += r;
    return sum;
  }

  async solve(which: 'users' | 'items'): Promise<HalfSweep> {
    const [side, other] = which === 'users' ? [this.users, this.items] : [this.items, this.users];
    const { arena, k, stride } = this;
    const threads = this.kernels.threads;
    const rowBytes = stride * 4;
    for (const part of this.parts) arena.f32(part).fill(0);
    this.each('gramRows', even(other.live.length, threads), (t0, t1, t) => [
      at(other.live),
      t0,
      t1,
      at(other.factors),
      rowBytes,
      at(this.parts[t]),
    ]);
    const { g, trace } = sumGram(
      this.parts.map((p) => arena.f32(p)),
      k,
      stride,
      this.lambda,
    );
    const gArena = arena.f32(this.g);
    for (let a = 0; a < k; a++) gArena.set(g.subarray(a * k, (a + 1) * k), a * stride);
    const rows = blocks(side.plan.cost, threads);
    const done = new Uint8Array(arena.f32(side.done).buffer, at(side.done), side.rows);
    done.fill(0);
    const csr = [at(side.indptr), at(side.indices), at(side.conf), at(side.factors), at(other.factors)];
    let loss = 0;
    if (side.plan.maxExact > 0) {
      const inverse = invertSymmetricPositive(g, k); // factors g in place: it is in the arena already
      const inv = arena.f32(this.inverse);
      for (let a = 0; a < k; a++) inv.set(inverse.subarray(a * k, (a + 1) * k), a * stride);
      this.each('multiplyRows', even(other.rows, threads), (r0, r1) => [
        at(other.factors),
        at(this.inverse),
        rowBytes,
        r0,
        r1,
        at(this.w),
      ]);
      loss += this.each('ialsExact', rows, (r0, r1, t) => [
        ...csr,
        at(this.w),
        rowBytes,
        r0,
        r1,
        side.plan.maxExact,
        at(side.done),
        at(this.scratch[t]),
      ]);
    }
    loss += this.each('ialsCg', rows, (r0, r1, t) => [
      ...csr,
      at(this.g),
      rowBytes,
      r0,
      r1,
      this.cgSteps,
      at(side.done),
      at(this.scratch[t]),
    ]);
    return { loss, otherNorm: trace };
  }

  factors(): { x: Float32Array; y: Float32Array } {
    const compact = (side: WasmSide) => {
      const f = this.arena.f32(side.factors);
      if (this.stride === this.k) return Float32Array.from(f);
      const out = new Float32Array(side.rows * this.k);
      for (let r = 0; r < side.rows; r++)
        out.set(f.subarray(r * this.stride, r * this.stride + this.k), r * this.k);
      return out;
    };
    return { x: compact(this.users), y: compact(this.items) };
  }

  close(): void {
    this.kernels.close();
  }
}

// ---------------------------------------------------------------------------------------
// Typed arrays.

/** The typed-array kernels workers may run. */
const JS_KERNELS = { ialsCgRows, ialsExactRows, gramRows, multiplyRows };

/** One side of the factorisation: its rows (CSR with confidences), plan and exact-solve marks. */
interface JsSide {
  m: CsrMatrix;
  plan: Plan;
  /** 1 where a row was solved exactly in the current half-sweep. */
  done: Uint8Array;
  factors: Float32Array;
}

class JsSweeps implements Sweeps {
  private constructor(
    private readonly pool: FunctionPool | undefined,
    private readonly users: JsSide,
    private readonly items: JsSide,
    private readonly k: number,
    private readonly lambda: number,
    private readonly cgSteps: number,
  ) {}

  get backend(): string {
    return this.pool ? `js×${this.pool.threads}` : 'js';
  }

  static async start(s: SweepSetup): Promise<JsSweeps> {
    const pool = s.threads > 1 ? await startFunctionPool(JS_KERNELS, s.threads) : undefined;
    const shared = pool !== undefined;
    const side = (m: CsrMatrix, start: Float32Array): JsSide => {
      const factors = sharedFloat32(start.length, shared);
      factors.set(start);
      return {
        m: {
          ...m,
          indptr: toShared(m.indptr, shared),
          indices: toShared(m.indices, shared),
          values: toShared(m.values, shared),
        },
        plan: plan(m, s.k, s.cgSteps),
        done: shared ? new Uint8Array(new SharedArrayBuffer(m.rows)) : new Uint8Array(m.rows),
        factors,
      };
    };
    return new JsSweeps(pool, side(s.byUser, s.x), side(s.byItem, s.y), s.k, s.lambda, s.cgSteps);
  }

  /** Runs `fn` once per range (range t on thread t); resolves with the sum of what the calls return. */
  private async each(
    fn: keyof typeof JS_KERNELS,
    ranges: [number, number][],
    args: (r0: number, r1: number, t: number) => unknown[],
  ): Promise<number> {
    const kernel = JS_KERNELS[fn] as (...a: unknown[]) => number;
    const results = this.pool
      ? await this.pool.run(ranges.map(([r0, r1], t) => ({ fn, args: args(r0, r1, t) })))
      : ranges.map(([r0, r1], t) => kernel(...args(r0, r1, t)));
    let sum = 0;
    for (const r of results) sum += r as number;
    return sum;
  }

  async solve(which: 'users' | 'items'): Promise<HalfSweep> {
    const [side, other] = which === 'users' ? [this.users, this.items] : [this.items, this.users];
    const { k, cgSteps } = this;
    const threads = this.pool?.threads ?? 1;
    const shared = this.pool !== undefined;
    const x = side.factors;
    const y = other.factors;
    const otherRows = other.m.rows;
    const evenRows = even(otherRows, threads);
    const parts = Array.from({ length: threads }, () => toShared(new Float64Array(k * k), shared));
    await this.each('gramRows', evenRows, (r0, r1, t) => [y, k, r0, r1, parts[t]]);
    const { g: gram, trace } = sumGram(parts, k, k, this.lambda);
    const g = toShared(gram, shared);
    const rows = blocks(side.plan.cost, threads);
    side.done.fill(0);
    const m = side.m;
    let loss = 0;
    if (side.plan.maxExact > 0) {
      const inverse = toShared(invertSymmetricPositive(Float64Array.from(g), k), shared);
      const w = sharedFloat32(otherRows * k, shared);
      await this.each('multiplyRows', evenRows, (r0, r1) => [y, inverse, k, r0, r1, w]);
      loss += await this.each('ialsExactRows', rows, (r0, r1) => [
        m.indptr,
        m.indices,
        m.values,
        x,
        y,
        w,
        k,
        r0,
        r1,
        side.plan.maxExact,
        side.done,
      ]);
    }
    loss += await this.each('ialsCgRows', rows, (r0, r1) => [
      m.indptr,
      m.indices,
      m.values,
      x,
      y,
      g,
      k,
      r0,
      r1,
      cgSteps,
      side.done,
    ]);
    return { loss, otherNorm: trace };
  }

  factors(): { x: Float32Array; y: Float32Array } {
    return { x: this.users.factors, y: this.items.factors };
  }

  close(): void {
    this.pool?.close();
  }
}
