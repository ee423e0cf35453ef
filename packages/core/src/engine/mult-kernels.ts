import { type KernelCall, type KernelPool, startModulePool } from './kernel-pool.ts';
import type { Arena, KernelKind, KernelPreference } from './kernels.ts';
import { MULT_WASM_PLAIN, MULT_WASM_SHARED } from './mult-wasm.ts';
import { moduleLoader } from './wasm-modules.ts';

/**
 * Mult-VAE / Mult-DAE's training kernels (`models/mult-vae-kernels.ts` runs a training step on
 * them): the batch's dense products, the per-play loops of the sparse input layer and of the
 * sampled softmax, and Adam over listed rows — float32, in WebAssembly SIMD (written in
 * AssemblyScript in packages/core/assembly/mult.ts, committed compiled in mult-wasm.ts, `npm
 * run build:kernels`), with the typed-array twins below as their executable specification. The
 * twins repeat each float32 operation in the kernels' order (`Math.fround` after every multiply
 * and add, the SIMD lanes' partial sums where a kernel keeps them), so the two agree bit for bit.
 *
 * Each kernel covers a range of output rows and writes nothing outside it, so a call split
 * between threads by ranges gives the same bits as one call:
 *
 * | export        | arguments                                        | computes                                              |
 * |---------------|--------------------------------------------------|-------------------------------------------------------|
 * | `gemm`        | a, ars, acs, b, c, m0, m1, k, n, pack            | C[i] = Σ_p A(i,p)·B[p] for i in m0..m1−1; A(i,p) at a + i·ars + p·acs |
 * | `gatherRows`  | r0, r1, indptr, idx, val, src, dst, rowBytes, acc | dst[r] (+)= Σ_p val[p]·src[idx[p]] (zeroed unless acc) |
 * | `dotRows`     | r0, r1, indptr, idx, a, b, bias, out, rowBytes   | out[p] = a[r]·b[idx[p]] + bias[idx[p]]                |
 * | `scatterRows` | lo, hi, nRows, indptr, idx, val, src, dst, rowBytes | dst[idx[p]] += val[p]·src[r] where lo ≤ idx[p] < hi |
 * | `gatherList`  | s0, s1, list, src, dst, rowBytes                 | dst[s] = src[list[s]]                                 |
 * | `addListRows` | s0, s1, list, src, dst, rowBytes                 | dst[list[s]] += src[s]                                |
 * | `adamRange`   | p, g, m, v, e0, e1, coef, lr, β1, 1−β1, β2, 1−β2, ε | Adam with L2 on floats e0..e1−1 (below)            |
 * | `adamRows`    | t0, t1, list, width, p, g, m, v, coef, lr, …     | the same on rows list[t] of `width` floats            |
 * | `tanhRows`    | r0, r1, x, bias, cols                            | x[r][j] = tanh(x[r][j] + bias[j]) (float64 in between) |
 * | `sampledSoftmaxCols` | b0, b1, S, B, negT, corr, start, pos, scratch | `sampledSoftmaxLoss`'s gradient for listeners b0..b1−1; their max logit and Σ e^{f − max} to scratch; returns −Σ f over their plays |
 * | `scoreItems`  | i0, i1, nb, h, w, bias, out, n, rowBytes         | out[b·n + i] = h[b]·w[i] + bias[i] for items i0..i1−1, listeners b < nb (ranking logits, listener-major) |
 *
 * Rows r of a batch are CSR (entries p in indptr[r]..indptr[r+1]); B is k × n and C m × n
 * row-major; A is row-major (ars = 4k, acs = 4) or stored transposed (ars = 4, acs = 4m); `pack`
 * is the call's own scratch of {@link GEMM_PACK_FLOATS} floats (blocks of B are copied there;
 * threads must not share one).
 * Adam: g ← g + coef·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g; p ← p − lr·m/(√v + ε);
 * g ← 0; returns Σ p² before the step (float64, element order) when coef ≠ 0, else 0.
 *
 * The last two work in float64 with the module's own exp and tanh ({@link expF64},
 * {@link tanhF64}: no lookup tables, which would be a data segment written over the arena when
 * a thread instantiates the module), which the twins repeat, so they agree bit for bit too.
 *
 * Pointers are byte offsets into an {@link Arena}'s memory; `rowBytes` of the per-play kernels a
 * positive multiple of 32 (rows of a multiple of 8 floats).
 *
 * @example
 * const k = await startMultKernels(arena, 2, 'auto'); // worker threads on a shared arena
 * k.run([{ name: 'gemm', args: [...] }, { name: 'gemm', args: [...] }]);
 * k.close();
 */
export const MULT_KERNEL_NAMES = [
  'gemm',
  'gatherRows',
  'dotRows',
  'scatterRows',
  'gatherList',
  'addListRows',
  'adamRange',
  'adamRows',
  'tanhRows',
  'sampledSoftmaxCols',
  'scoreItems',
] as const;
export type MultKernel = (typeof MULT_KERNEL_NAMES)[number];

/**
 * One kernel call per thread over [0, n): `threads` near-equal ranges, cut at multiples of 4
 * where possible (the kernels' tiles); `call` gets the range and the call's index (the thread's
 * packing buffer). Empty ranges get no call.
 */
export function splitRange(
  n: number,
  threads: number,
  call: (from: number, to: number, thread: number) => KernelCall<MultKernel>,
): KernelCall<MultKernel>[] {
  const calls: KernelCall<MultKernel>[] = [];
  let from = 0;
  for (let t = 1; t <= threads; t++) {
    const to = t === threads ? n : Math.min(n, Math.ceil((n * t) / threads / 4) * 4);
    if (to > from) calls.push(call(from, to, calls.length));
    from = Math.max(from, to);
  }
  return calls;
}

/** Floats of a `gemm` call's scratch: one 128 × 256 block of B (assembly/mult.ts, KC × NC). */
export const GEMM_PACK_FLOATS = 128 * 256;

/** Runs calls on this thread (calls[0]) and on worker threads (calls[t]) at once; see `KernelPool`. */
export interface MultKernels {
  readonly kind: KernelKind;
  readonly threads: number;
  run(calls: (KernelCall<MultKernel> | undefined)[]): number[];
  close(): void;
}

/** The compiled module (for a shared memory with `shared`), or null where WebAssembly SIMD is missing. */
export const multModule = moduleLoader(MULT_WASM_PLAIN, MULT_WASM_SHARED);

/**
 * The kernels over `arena`'s memory: WebAssembly SIMD when available (`'auto'`) or required
 * (`'wasm-simd'`, an error where it cannot run), else the typed-array twins (`'js'`, one
 * thread). With WebAssembly, on `threads` threads when the arena is shared and this thread may
 * block, else on this thread alone.
 */
export async function startMultKernels(
  arena: Arena,
  threads: number,
  preference: KernelPreference = 'auto',
): Promise<MultKernels> {
  const memory = arena.wasmMemory;
  const module = preference === 'js' || !memory ? null : await multModule(arena.isShared);
  if (!module || !memory) {
    if (preference === 'wasm-simd')
      throw new Error("Mult-VAE kernels 'wasm-simd' requested but this runtime has no WebAssembly SIMD");
    return jsMultKernels(arena);
  }
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<
    MultKernel,
    (...args: number[]) => number | undefined
  >;
  const local = (name: MultKernel, args: number[]) => exports[name](...args) ?? 0;
  const pool: KernelPool<MultKernel> | undefined = arena.isShared
    ? await startModulePool(memory, module, MULT_KERNEL_NAMES, threads, local)
    : undefined;
  if (pool)
    return { kind: 'wasm-simd', threads: pool.threads, run: (c) => pool.run(c), close: () => pool.close() };
  return { kind: 'wasm-simd', ...oneThread(local) };
}

function oneThread(local: (name: MultKernel, args: number[]) => number) {
  return {
    threads: 1,
    run(calls: (KernelCall<MultKernel> | undefined)[]): number[] {
      if (calls.length > 1) throw new RangeError(`Mult-VAE kernels: ${calls.length} calls for 1 thread`);
      return calls.map((c) => (c ? local(c.name, c.args) : 0));
    },
    close() {},
  };
}

/** The typed-array twins over `arena`'s memory, on this thread. */
export function jsMultKernels(arena: Arena): MultKernels {
  const { f, i } = arena.views();
  return {
    kind: 'js',
    ...oneThread((name, args) => (MULT_TWINS[name] as (...a: unknown[]) => number)(f, i, ...args)),
  };
}

// ---------------------------------------------------------------------------------------
// The typed-array twins: the same float32 operations in the same order (index = byte offset / 4).

const fr = Math.fround;

/** dst row (n floats at float index d) += a · src row, one rounding per multiply and add. */
function axpy(f: Float32Array, d: number, s: number, a: number, n: number): void {
  for (let j = 0; j < n; j++) f[d + j] = fr(f[d + j] + fr(a * f[s + j]));
}

/** The kernels' dot product: two f32x4 accumulators over blocks of 8, then their lanes summed. */
function dotRow(f: Float32Array, x: number, y: number, n: number): number {
  const acc = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let j = 0; j < n; j += 8)
    for (let l = 0; l < 8; l++) acc[l] = fr(acc[l] + fr(f[x + j + l] * f[y + j + l]));
  const lanes = [0, 1, 2, 3].map((l) => fr(acc[l] + acc[l + 4]));
  return fr(fr(fr(lanes[0] + lanes[1]) + lanes[2]) + lanes[3]);
}

function adamSpan(
  f: Float32Array,
  p: number,
  g: number,
  m: number,
  v: number,
  from: number,
  to: number,
  coefIn: number,
  lrIn: number,
  b1In: number,
  b1cIn: number,
  b2In: number,
  b2cIn: number,
  epsIn: number,
): number {
  const [coef, lr, b1, b1c, b2, b2c, eps] = [coefIn, lrIn, b1In, b1cIn, b2In, b2cIn, epsIn].map(fr);
  let sum = 0;
  for (let j = from; j < to; j++) {
    const pv = f[p + j];
    let gv = f[g + j];
    if (coef !== 0) {
      sum += pv * pv;
      gv = fr(gv + fr(coef * pv));
    }
    const mv = fr(fr(b1 * f[m + j]) + fr(b1c * gv));
    const vv = fr(fr(b2 * f[v + j]) + fr(fr(b2c * gv) * gv));
    f[m + j] = mv;
    f[v + j] = vv;
    f[p + j] = fr(pv - fr(fr(lr * mv) / fr(fr(Math.sqrt(vv)) + eps)));
    f[g + j] = 0;
  }
  return sum;
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = Math.LOG2E;
const bits = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k in −1075…1024, from its bits (two factors below the normal range). */
function pow2(k: number): number {
  const make = (e: number) => {
    bits.setUint32(0, e << 20);
    bits.setUint32(4, 0);
    return bits.getFloat64(0);
  };
  return k < -1020 ? make(k + 1023 + 60) * make(1023 - 60) : make(k + 1023);
}

/**
 * e^x as the kernels compute it: x = k ln 2 + r, |r| ≤ ½ ln 2, e^r by its Taylor series to r¹³
 * (relative error < 1e-16), times 2^k; 0 below −745, ∞ above 709 (the kernels pass x ≤ 40).
 */
export function expF64(x: number): number {
  if (x < -745) return 0;
  if (x > 709) return Number.POSITIVE_INFINITY;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1 / 6227020800;
  for (const c of [479001600, 39916800, 3628800, 362880, 40320, 5040, 720, 120, 24, 6]) p = p * r + 1 / c;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  return p * pow2(k);
}

/** tanh x as the kernels compute it: its odd series below 1/16, else 1 − 2 / (e^{2|x|} + 1). */
export function tanhF64(x: number): number {
  const a = Math.abs(x);
  if (a > 20) return x < 0 ? -1 : 1;
  if (a < 0.0625) {
    const x2 = x * x;
    return (
      x + x * x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835 + x2 * (-1382 / 155925)))))
    );
  }
  const t = 1 - 2 / (expF64(2 * a) + 1);
  return x < 0 ? -t : t;
}

/** The twins, by export name: (float view, int view, the export's arguments). */
export const MULT_TWINS: Record<MultKernel, (f: Float32Array, i: Int32Array, ...args: number[]) => number> = {
  gemm(f, _i, a, ars, acs, b, c, m0, m1, k, n, _pack) {
    for (let r = m0; r < m1; r++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s = fr(s + fr(f[(a + r * ars + p * acs) >> 2] * f[(b >> 2) + p * n + j]));
        f[(c >> 2) + r * n + j] = s;
      }
    return 0;
  },
  gatherRows(f, i, r0, r1, indptr, idx, val, src, dst, rowBytes, accumulate) {
    const n = rowBytes >> 2;
    for (let r = r0; r < r1; r++) {
      const d = (dst >> 2) + r * n;
      if (!accumulate) f.fill(0, d, d + n);
      for (let p = i[(indptr >> 2) + r]; p < i[(indptr >> 2) + r + 1]; p++)
        axpy(f, d, (src >> 2) + i[(idx >> 2) + p] * n, f[(val >> 2) + p], n);
    }
    return 0;
  },
  dotRows(f, i, r0, r1, indptr, idx, a, b, bias, out, rowBytes) {
    const n = rowBytes >> 2;
    for (let r = r0; r < r1; r++)
      for (let p = i[(indptr >> 2) + r]; p < i[(indptr >> 2) + r + 1]; p++) {
        const c = i[(idx >> 2) + p];
        f[(out >> 2) + p] = fr(dotRow(f, (a >> 2) + r * n, (b >> 2) + c * n, n) + f[(bias >> 2) + c]);
      }
    return 0;
  },
  scatterRows(f, i, lo, hi, nRows, indptr, idx, val, src, dst, rowBytes) {
    const n = rowBytes >> 2;
    for (let r = 0; r < nRows; r++)
      for (let p = i[(indptr >> 2) + r]; p < i[(indptr >> 2) + r + 1]; p++) {
        const c = i[(idx >> 2) + p];
        if (c >= lo && c < hi) axpy(f, (dst >> 2) + c * n, (src >> 2) + r * n, f[(val >> 2) + p], n);
      }
    return 0;
  },
  gatherList(f, i, s0, s1, list, src, dst, rowBytes) {
    const n = rowBytes >> 2;
    for (let s = s0; s < s1; s++) {
      const from = (src >> 2) + i[(list >> 2) + s] * n;
      f.copyWithin((dst >> 2) + s * n, from, from + n);
    }
    return 0;
  },
  addListRows(f, i, s0, s1, list, src, dst, rowBytes) {
    const n = rowBytes >> 2;
    for (let s = s0; s < s1; s++) axpy(f, (dst >> 2) + i[(list >> 2) + s] * n, (src >> 2) + s * n, 1, n);
    return 0;
  },
  adamRange(f, _i, p, g, m, v, e0, e1, ...hyper) {
    const [coef, lr, b1, b1c, b2, b2c, eps] = hyper;
    return adamSpan(f, p >> 2, g >> 2, m >> 2, v >> 2, e0, e1, coef, lr, b1, b1c, b2, b2c, eps);
  },
  tanhRows(f, _i, r0, r1, x, bias, cols) {
    for (let r = r0; r < r1; r++)
      for (let j = 0; j < cols; j++) {
        const o = (x >> 2) + r * cols + j;
        f[o] = tanhF64(f[o] + f[(bias >> 2) + j]);
      }
    return 0;
  },
  sampledSoftmaxCols(f, i, b0, b1, S, B, negT, corr, start, pos, scratch) {
    const n = b1 - b0;
    const d = new Float64Array(f.buffer, f.byteOffset + scratch, 3 * n);
    const [max, sum, scale] = [d.subarray(0, n), d.subarray(n, 2 * n), d.subarray(2 * n)];
    max.fill(Number.NEGATIVE_INFINITY);
    sum.fill(0);
    const [nt, c, st, ps] = [negT >> 2, corr >> 2, start >> 2, pos >> 2];
    for (let s = 0; s < S; s++)
      for (let b = b0; b < b1; b++) {
        const g = f[nt + s * B + b] + f[c + s];
        if (g > max[b - b0]) max[b - b0] = g;
      }
    let loss = 0;
    for (let b = b0; b < b1; b++)
      for (let p = i[st + b]; p < i[st + b + 1]; p++) {
        if (f[ps + p] > max[b - b0]) max[b - b0] = f[ps + p];
        loss -= f[ps + p];
      }
    for (let s = 0; s < S; s++)
      for (let b = b0; b < b1; b++) {
        const e = expF64(f[nt + s * B + b] + f[c + s] - max[b - b0]);
        f[nt + s * B + b] = e;
        sum[b - b0] += e;
      }
    for (let b = b0; b < b1; b++)
      for (let p = i[st + b]; p < i[st + b + 1]; p++) {
        const e = expF64(f[ps + p] - max[b - b0]);
        f[ps + p] = e;
        sum[b - b0] += e;
      }
    for (let b = b0; b < b1; b++) {
      const plays = i[st + b + 1] - i[st + b];
      scale[b - b0] = plays > 0 ? plays / sum[b - b0] / B : 0;
    }
    for (let s = 0; s < S; s++) for (let b = b0; b < b1; b++) f[nt + s * B + b] *= scale[b - b0];
    for (let b = b0; b < b1; b++)
      for (let p = i[st + b]; p < i[st + b + 1]; p++) f[ps + p] = f[ps + p] * scale[b - b0] - 1 / B;
    return loss;
  },
  scoreItems(f, _i, i0, i1, nb, h, w, bias, out, n, rowBytes) {
    const k = rowBytes >> 2;
    for (let b = 0; b < nb; b++)
      for (let item = i0; item < i1; item++) {
        const x = (h >> 2) + b * k;
        const y = (w >> 2) + item * k;
        const acc = [0, 0, 0, 0];
        for (let j = 0; j < k; j += 4)
          for (let l = 0; l < 4; l++) acc[l] = fr(acc[l] + fr(f[x + j + l] * f[y + j + l]));
        const sum = fr(fr(fr(acc[0] + acc[1]) + acc[2]) + acc[3]);
        f[(out >> 2) + b * n + item] = fr(sum + f[(bias >> 2) + item]);
      }
    return 0;
  },
  adamRows(f, i, t0, t1, list, width, p, g, m, v, ...hyper) {
    const [coef, lr, b1, b1c, b2, b2c, eps] = hyper;
    let sum = 0;
    for (let t = t0; t < t1; t++) {
      const from = i[(list >> 2) + t] * width;
      sum += adamSpan(f, p >> 2, g >> 2, m >> 2, v >> 2, from, from + width, coef, lr, b1, b1c, b2, b2c, eps);
    }
    return sum;
  },
};
