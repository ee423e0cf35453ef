import { IALS_WASM_PLAIN, IALS_WASM_SHARED } from './ials-wasm.ts';
import { type KernelCall, type KernelPool, startModulePool } from './kernel-pool.ts';
import type { Arena } from './kernels.ts';
import { moduleLoader } from './wasm-modules.ts';

/**
 * Implicit ALS's row kernels in WebAssembly SIMD (float32), written in AssemblyScript in
 * packages/core/assembly/ials.ts and committed compiled in ials-wasm.ts (`npm run
 * build:kernels`). Their typed-array twins, and the maths, are in models/ials-solver.ts:
 *
 * | export         | twin            | computes, for rows r0..r1−1                                   |
 * |----------------|-----------------|---------------------------------------------------------------|
 * | `ialsCg`       | `ialsCgRows`    | CG steps on A x_u = b (the row's loss share returned)          |
 * | `ialsExact`    | `ialsExactRows` | the exact Woodbury solve of rows with few entries              |
 * | `gramRows`     | `gramRows`      | g += Σ y yᵀ over listed rows (upper triangle)                  |
 * | `multiplyRows` | `multiplyRows`  | dst_r = M src_r (M symmetric)                                  |
 *
 * Arguments are byte offsets into an {@link Arena}'s memory, row lengths in bytes (a multiple
 * of 32: factors padded with zeros to a multiple of 8 floats), row indices as numbers.
 *
 * The module (≈4 KB) is compiled asynchronously, so that a page's main thread may load it too.
 *
 * @example
 * const kernels = await startIalsKernels(arena, 2); // undefined without WebAssembly SIMD
 * kernels?.run([{ name: 'gramRows', args: [list, 0, half, y, rowBytes, g0] }, { name: 'gramRows', args: [list, half, n, y, rowBytes, g1] }]);
 * kernels?.close();
 */
export const IALS_KERNELS = ['ialsCg', 'ialsExact', 'gramRows', 'multiplyRows'] as const;
export type IalsKernel = (typeof IALS_KERNELS)[number];

/** Runs calls on this thread (calls[0]) and on worker threads (calls[t]) at once; see `KernelPool`. */
export interface IalsKernels {
  readonly threads: number;
  run(calls: (KernelCall<IalsKernel> | undefined)[]): number[];
  close(): void;
}

/** The compiled module (for a shared memory with `shared`), or null where WebAssembly SIMD is missing. */
export const ialsModule = moduleLoader(IALS_WASM_PLAIN, IALS_WASM_SHARED);

/**
 * The kernels over `arena`'s memory, on `threads` threads where the memory is shared and this
 * thread may block (else on this thread alone); undefined where the module cannot run.
 */
export async function startIalsKernels(arena: Arena, threads: number): Promise<IalsKernels | undefined> {
  const memory = arena.wasmMemory;
  if (!memory) return undefined;
  const module = await ialsModule(arena.isShared);
  if (!module) return undefined;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<
    IalsKernel,
    (...args: number[]) => number
  >;
  const local = (name: IalsKernel, args: number[]) => exports[name](...args);
  const pool: KernelPool<IalsKernel> | undefined = arena.isShared
    ? await startModulePool(memory, module, IALS_KERNELS, threads, local)
    : undefined;
  if (pool) return pool;
  return {
    threads: 1,
    run(calls) {
      if (calls.length > 1) throw new RangeError(`ials kernels: ${calls.length} calls for 1 thread`);
      return calls.map((c) => (c ? local(c.name, c.args) : 0));
    },
    close() {},
  };
}
