import { OptionError } from '../errors.ts';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_SHARED } from './kernels-wasm.ts';
import { fromBase64 } from './wasm-modules.ts';

/**
 * Sparse kernels behind AutoRec training and scoring. A loss on observed entries only needs
 * the network at those entries, so instead of dense users × items products these kernels walk
 * sparse index lists and touch one weight row (one song) per stored rating.
 *
 * Prediction walks a batch's rows (row-major CSR: `indptr`, `idx`, `val`):
 *
 * | kernel       | for each stored entry p = (r, c = idx[p])                       |
 * |--------------|------------------------------------------------------------------|
 * | `gatherRows` | dst[r] += val[p] · src[c]        (sparse X × W: the encoder)     |
 * | `sampledDot` | out[p] = a[r] · b[c] + bias[c]   (decoder at requested cells)    |
 *
 * Training walks the batch column by column (`list[t]` = a weight row c, entries
 * q ∈ colPtr[t]..colPtr[t+1] with batch row colRows[q]): each weight row is loaded once per
 * batch and its gradient is complete when its column ends, so the optimiser step is fused
 * into the same pass — no gradient matrix is written for Adam. Rows of the batch (hidden
 * activations, ≤ a few MB) stay in cache.
 *
 * | kernel            | for each column t (weight row c = list[t]) and its entries q     |
 * |-------------------|--------------------------------------------------------------------|
 * | `scatterFromRows` | dst[colRows[q]] += colVals[q] · src[c]        (encoder forward)    |
 * | `dotRows`         | out[q] = a[c] · b[colRows[q]] + bias[c]       (decoder forward)    |
 * | `backwardRows`    | gb[colRows[q]] += δ[q]·a[c];  g = Σ_q δ[q]·b[colRows[q]]; then step a[c] with g |
 * | `gradRows`        | g = Σ_q colVals[q]·b[colRows[q]]; then step a[c] with g           |
 *
 * "Step" is, with `mode` 1, one Adam update with L2 coefficient coef[t] (g ← g + coef·a[c];
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; a[c] ← a[c] − lr·m/(√v + ε)), returning
 * Σ coef·‖a[c]‖² before the step (twice the L2 term); with `mode` 0 it adds g to the gradient
 * row ga[c] (full-batch optimisers) and returns 0.
 *
 * Every pointer is a byte offset into one shared buffer (the {@link Arena}); weight rows are
 * `stride` floats with `stride` a multiple of 8 (padding lanes stay zero). Two
 * implementations share this contract: WebAssembly SIMD (f32x4), written in AssemblyScript in
 * packages/core/assembly/kernels.ts and committed compiled in kernels-wasm.ts (`npm run
 * build:kernels` regenerates it), and the plain typed-array loops below — the executable
 * specification the WebAssembly is property-tested against, used where WebAssembly SIMD is
 * unavailable or when forced (≈3–5× slower).
 *
 * @example
 * const arena = new Arena();                 // reserve weights and batch buffers, then commit
 * const k = createKernels(arena, 'auto');    // k.kind === 'wasm-simd' on Node 20
 * k.gatherRows(rows, indptr, idx, val, W, H, stride);
 */
export interface SparseKernels {
  readonly kind: KernelKind;
  gatherRows(
    nRows: number,
    indptr: number,
    idx: number,
    val: number,
    src: number,
    dst: number,
    stride: number,
  ): void;
  sampledDot(
    nRows: number,
    indptr: number,
    idx: number,
    a: number,
    b: number,
    bias: number,
    out: number,
    stride: number,
  ): void;
  scatterFromRows(
    nList: number,
    list: number,
    colPtr: number,
    colRows: number,
    colVals: number,
    src: number,
    dst: number,
    stride: number,
  ): void;
  dotRows(
    nList: number,
    list: number,
    colPtr: number,
    colRows: number,
    a: number,
    b: number,
    bias: number,
    out: number,
    stride: number,
  ): void;
  backwardRows(
    nList: number,
    list: number,
    colPtr: number,
    colRows: number,
    delta: number,
    a: number,
    b: number,
    gb: number,
    step: RowStep,
  ): number;
  gradRows(
    nList: number,
    list: number,
    colPtr: number,
    colRows: number,
    colVals: number,
    b: number,
    a: number,
    step: RowStep,
  ): number;
  /** Runs one export with raw arguments (see {@link rawArgs}); WebAssembly kernels only. */
  run?(name: PoolKernel, args: number[]): number;
}

/** How `backwardRows`/`gradRows` apply a finished row gradient (see {@link SparseKernels}). */
export interface RowStep {
  /** 1 = Adam step on the row, 0 = add the gradient to `ga`. */
  mode: 0 | 1;
  stride: number;
  /** A stride-long scratch row. */
  scratch: number;
  /** Gradient rows (mode 0). */
  ga: number;
  /** Adam moments (mode 1). */
  m: number;
  v: number;
  /** L2 coefficient per listed row (f32), mode 1. */
  coef: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export type KernelKind = 'wasm-simd' | 'js';
export type KernelPreference = 'auto' | KernelKind;

/** Rows are padded to a multiple of this many floats so the SIMD loops need no tail. */
export const ROW_ALIGN = 8;

export function paddedStride(width: number): number {
  return Math.ceil(width / ROW_ALIGN) * ROW_ALIGN;
}

// ---------------------------------------------------------------------------------------
// Arena: one linear memory holding every array the kernels touch.

/** Byte size of 64 KiB WebAssembly pages above which wasm32 cannot address memory. */
const MAX_WASM_BYTES = 65536 * 65536;

export interface ArenaBlock {
  readonly offset: number;
  readonly length: number;
}

/**
 * Bump allocator over one WebAssembly.Memory (or an ArrayBuffer without WebAssembly). Sizes
 * are declared first with `reserve`, then `commit` allocates the memory once, so typed-array
 * views never go stale from growth.
 *
 * @example
 * const arena = new Arena();
 * const w = arena.reserve(1000);      // 1000 floats
 * arena.commit('U-AutoRec weights');
 * arena.f32(w).fill(0.5);
 */
export class Arena {
  private size = 0;
  private memory?: WebAssembly.Memory;
  private buffer?: ArrayBuffer | SharedArrayBuffer;

  /** Reserves `length` 4-byte elements aligned to 64 bytes (a cache line). */
  reserve(length: number): ArenaBlock {
    if (this.buffer) throw new Error('arena already committed');
    const offset = this.size;
    this.size = offset + Math.ceil((length * 4) / 64) * 64;
    return { offset, length };
  }

  get bytes(): number {
    return this.size;
  }

  /** Whether the memory is a shared WebAssembly memory (worker threads can run kernels on it). */
  get isShared(): boolean {
    return typeof SharedArrayBuffer !== 'undefined' && this.buffer instanceof SharedArrayBuffer;
  }

  /**
   * Allocates the memory; `what` names the model in the error when it cannot fit. With
   * `shared` (and where shared memory exists), the memory can be handed to worker threads.
   */
  commit(what: string, shared = false): void {
    const bytes = Math.max(this.size, 65536);
    if (bytes > MAX_WASM_BYTES)
      throw new OptionError(
        `${what}: needs ${(bytes / 2 ** 30).toFixed(1)} GiB of weights and optimiser state, more than the ` +
          '4 GiB a WebAssembly memory can address; lower hiddenUnits or batchSize',
        { model: what, option: 'hiddenUnits' },
      );
    if (typeof WebAssembly !== 'undefined') {
      const pages = Math.ceil(bytes / 65536);
      this.memory =
        shared && typeof SharedArrayBuffer !== 'undefined'
          ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
          : new WebAssembly.Memory({ initial: pages });
      this.buffer = this.memory.buffer;
    } else {
      this.buffer = new ArrayBuffer(bytes);
    }
  }

  get wasmMemory(): WebAssembly.Memory | undefined {
    return this.memory;
  }

  private get raw(): ArrayBuffer | SharedArrayBuffer {
    if (!this.buffer) throw new Error('arena not committed');
    return this.buffer;
  }

  f32(block: ArenaBlock): Float32Array {
    return new Float32Array(this.raw, block.offset, block.length);
  }

  i32(block: ArenaBlock): Int32Array {
    return new Int32Array(this.raw, block.offset, block.length);
  }

  /** Whole-buffer views for the JS kernels (index = byte offset / 4). */
  views(): { f: Float32Array; i: Int32Array } {
    return { f: new Float32Array(this.raw), i: new Int32Array(this.raw) };
  }
}

// ---------------------------------------------------------------------------------------
// WebAssembly SIMD kernels, written in AssemblyScript (packages/core/assembly/kernels.ts) and
// committed as compiled bytes (kernels-wasm.ts, regenerated by `npm run build:kernels`).

const compiled: { plain?: WebAssembly.Module | null; shared?: WebAssembly.Module | null } = {};

/**
 * The compiled kernel module, or null when this runtime lacks WebAssembly SIMD. It is 2.5 KB,
 * under the 4 KB that browsers allow for synchronous compilation on the main thread, so it is
 * compiled synchronously and works in a page as well as in a worker.
 */
export function kernelModule(shared = false): WebAssembly.Module | null {
  const key = shared ? 'shared' : 'plain';
  const cached = compiled[key];
  if (cached !== undefined) return cached;
  compiled[key] = null;
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = kernelModuleBytes(shared);
  if (WebAssembly.validate(bytes)) compiled[key] = new WebAssembly.Module(bytes);
  return compiled[key] ?? null;
}

/** The kernels' WebAssembly binary (importing a shared memory with `shared`). */
export function kernelModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  return fromBase64(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PLAIN);
}

/** Whether the WebAssembly SIMD kernels can run here. */
export function wasmSimdAvailable(): boolean {
  return kernelModule() !== null;
}

interface WasmExports {
  gatherRows(...args: number[]): void;
  sampledDot(...args: number[]): void;
  scatterFromRows(...args: number[]): void;
  dotRows(...args: number[]): void;
  backwardRows(...args: number[]): number;
  gradRows(...args: number[]): number;
}

/**
 * The exported functions' raw arguments for each kernel call of {@link SparseKernels} (strides in
 * bytes, the row step expanded): what the main thread and worker threads pass to the module.
 */
export const rawArgs = {
  scatterFromRows: (
    n: number,
    list: number,
    cp: number,
    cr: number,
    cv: number,
    src: number,
    dst: number,
    stride: number,
  ) => [n, list, cp, cr, cv, src, dst, rowBytes(stride)],
  dotRows: (
    n: number,
    list: number,
    cp: number,
    cr: number,
    a: number,
    b: number,
    bias: number,
    out: number,
    stride: number,
  ) => [n, list, cp, cr, a, b, bias, out, rowBytes(stride)],
  backwardRows: (
    n: number,
    list: number,
    cp: number,
    cr: number,
    delta: number,
    a: number,
    b: number,
    gb: number,
    s: RowStep,
  ) => [n, list, cp, cr, delta, a, b, gb, ...stepArgs(s)],
  gradRows: (
    n: number,
    list: number,
    cp: number,
    cr: number,
    cv: number,
    b: number,
    a: number,
    s: RowStep,
  ) => [n, list, cp, cr, cv, b, a, ...stepArgs(s)],
};

/** Names of the exports a worker thread may be asked to run (see `kernel-pool.ts`). */
export type PoolKernel = keyof typeof rawArgs;
export const POOL_KERNELS: readonly PoolKernel[] = ['scatterFromRows', 'dotRows', 'backwardRows', 'gradRows'];

function rowBytes(stride: number): number {
  return checkStride(stride) * 4;
}

function stepArgs(s: RowStep): number[] {
  return [s.mode, s.scratch, s.ga, s.m, s.v, s.coef, rowBytes(s.stride), s.lr, s.beta1, s.beta2, s.eps];
}

/** Kernels over `arena`'s memory: WebAssembly SIMD when available (or forced), else typed-array loops. */
export function createKernels(arena: Arena, preference: KernelPreference = 'auto'): SparseKernels {
  const shared = arena.isShared;
  const module = preference === 'js' ? null : kernelModule(shared);
  if (preference === 'wasm-simd' && !module)
    throw new Error(
      "kernels 'wasm-simd' requested but this runtime has no WebAssembly SIMD; use 'auto' or 'js'",
    );
  const memory = arena.wasmMemory;
  if (!module || !memory) {
    if (preference === 'wasm-simd') throw new Error("kernels 'wasm-simd' need WebAssembly memory");
    return jsKernels(arena);
  }
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  const rb = rowBytes;
  return {
    kind: 'wasm-simd',
    gatherRows: (n, ip, ix, v, src, dst, stride) => e.gatherRows(n, ip, ix, v, src, dst, rb(stride)),
    sampledDot: (n, ip, ix, a, b, bias, out, stride) => e.sampledDot(n, ip, ix, a, b, bias, out, rb(stride)),
    scatterFromRows: (...args) => e.scatterFromRows(...rawArgs.scatterFromRows(...args)),
    dotRows: (...args) => e.dotRows(...rawArgs.dotRows(...args)),
    backwardRows: (...args) => e.backwardRows(...rawArgs.backwardRows(...args)),
    gradRows: (...args) => e.gradRows(...rawArgs.gradRows(...args)),
    run: (name, args) => (e[name] as (...a: number[]) => number | undefined)(...args) ?? 0,
  };
}

function checkStride(stride: number): number {
  if (stride % ROW_ALIGN !== 0 || stride <= 0)
    throw new RangeError(`row stride must be a positive multiple of ${ROW_ALIGN}, got ${stride}`);
  return stride;
}

// ---------------------------------------------------------------------------------------
// Typed-array kernels: the same contract in plain JavaScript.

function jsKernels(arena: Arena): SparseKernels {
  const { f, i } = arena.views();
  const axpy = (dst: number, src: number, a: number, n: number) => {
    for (let j = 0; j < n; j++) f[dst + j] += a * f[src + j];
  };
  /** Adam step (mode 1) or gradient accumulation (mode 0) on weight row c from the scratch row. */
  const finish = (s: RowStep, row: number, c: number, t: number): number => {
    const n = s.stride;
    const g = s.scratch >> 2;
    if (s.mode === 0) {
      axpy((s.ga >> 2) + c * n, g, 1, n);
      return 0;
    }
    const coef = f[(s.coef >> 2) + t];
    const m = (s.m >> 2) + c * n;
    const v = (s.v >> 2) + c * n;
    let acc = 0;
    for (let j = 0; j < n; j++) {
      const pv = f[row + j];
      acc += coef * pv * pv;
      const gv = f[g + j] + coef * pv;
      const mv = s.beta1 * f[m + j] + (1 - s.beta1) * gv;
      const vv = s.beta2 * f[v + j] + (1 - s.beta2) * gv * gv;
      f[m + j] = mv;
      f[v + j] = vv;
      f[row + j] = pv - (s.lr * mv) / (Math.sqrt(vv) + s.eps);
      f[g + j] = 0;
    }
    return acc;
  };
  return {
    kind: 'js',
    gatherRows(nRows, indptr, idx, val, src, dst, stride) {
      const ip = indptr >> 2;
      for (let r = 0; r < nRows; r++)
        for (let p = i[ip + r]; p < i[ip + r + 1]; p++)
          axpy((dst >> 2) + r * stride, (src >> 2) + i[(idx >> 2) + p] * stride, f[(val >> 2) + p], stride);
    },
    sampledDot(nRows, indptr, idx, a, b, bias, out, stride) {
      const ip = indptr >> 2;
      for (let r = 0; r < nRows; r++) {
        const ar = (a >> 2) + r * stride;
        for (let p = i[ip + r]; p < i[ip + r + 1]; p++) {
          const c = i[(idx >> 2) + p];
          const br = (b >> 2) + c * stride;
          let s = 0;
          for (let j = 0; j < stride; j++) s += f[ar + j] * f[br + j];
          f[(out >> 2) + p] = s + f[(bias >> 2) + c];
        }
      }
    },
    scatterFromRows(nList, list, colPtr, colRows, colVals, src, dst, stride) {
      for (let t = 0; t < nList; t++) {
        const s = (src >> 2) + i[(list >> 2) + t] * stride;
        for (let q = i[(colPtr >> 2) + t]; q < i[(colPtr >> 2) + t + 1]; q++)
          axpy((dst >> 2) + i[(colRows >> 2) + q] * stride, s, f[(colVals >> 2) + q], stride);
      }
    },
    dotRows(nList, list, colPtr, colRows, a, b, bias, out, stride) {
      for (let t = 0; t < nList; t++) {
        const c = i[(list >> 2) + t];
        const ar = (a >> 2) + c * stride;
        for (let q = i[(colPtr >> 2) + t]; q < i[(colPtr >> 2) + t + 1]; q++) {
          const br = (b >> 2) + i[(colRows >> 2) + q] * stride;
          let s = 0;
          for (let j = 0; j < stride; j++) s += f[ar + j] * f[br + j];
          f[(out >> 2) + q] = s + f[(bias >> 2) + c];
        }
      }
    },
    backwardRows(nList, list, colPtr, colRows, delta, a, b, gb, s) {
      const n = s.stride;
      let reg = 0;
      for (let t = 0; t < nList; t++) {
        const c = i[(list >> 2) + t];
        const ar = (a >> 2) + c * n;
        f.fill(0, s.scratch >> 2, (s.scratch >> 2) + n);
        for (let q = i[(colPtr >> 2) + t]; q < i[(colPtr >> 2) + t + 1]; q++) {
          const row = i[(colRows >> 2) + q];
          const d = f[(delta >> 2) + q];
          axpy((gb >> 2) + row * n, ar, d, n);
          axpy(s.scratch >> 2, (b >> 2) + row * n, d, n);
        }
        reg += finish(s, ar, c, t);
      }
      return reg;
    },
    gradRows(nList, list, colPtr, colRows, colVals, b, a, s) {
      const n = s.stride;
      let reg = 0;
      for (let t = 0; t < nList; t++) {
        const c = i[(list >> 2) + t];
        f.fill(0, s.scratch >> 2, (s.scratch >> 2) + n);
        for (let q = i[(colPtr >> 2) + t]; q < i[(colPtr >> 2) + t + 1]; q++)
          axpy(s.scratch >> 2, (b >> 2) + i[(colRows >> 2) + q] * n, f[(colVals >> 2) + q], n);
        reg += finish(s, (a >> 2) + c * n, c, t);
      }
      return reg;
    },
  };
}
