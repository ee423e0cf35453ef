import { type Arena, kernelModule, POOL_KERNELS, type PoolKernel, type SparseKernels } from './kernels.ts';
import { platform } from './platform.ts';

/** One kernel call: an export of the kernel module and its raw arguments (see `rawArgs`). */
export interface KernelCall<N extends string = PoolKernel> {
  name: N;
  args: number[];
}

/**
 * Worker threads that run kernel calls on the same shared WebAssembly memory as the calling
 * thread: `run(calls)` runs `calls[0]` on the calling thread and `calls[t]` on worker t at the
 * same time, and returns when all are done, with each call's return value. Callers give each
 * call disjoint rows to write (the pool does no locking).
 *
 * Synchronisation is one shared control block and `Atomics.wait`/`notify` — a few
 * microseconds per `run` — so the calling thread must be allowed to block: Node's main thread
 * or any Web Worker (not a page's main thread). Workers are started from source text, so no
 * extra file has to be found or bundled.
 *
 * @example
 * const pool = await startKernelPool(net.arena, net.kernels, 2); // undefined where threads cannot run
 * pool?.run([{ name: 'dotRows', args: a }, { name: 'dotRows', args: b }]);
 * pool?.close();
 */
export interface KernelPool<N extends string = PoolKernel> {
  readonly threads: number;
  run(calls: (KernelCall<N> | undefined)[]): number[];
  close(): void;
}

/** Floats per worker slot: function index, argument count, up to 24 arguments, the result. */
const SLOT = 28;
const RESULT = SLOT - 1;
/** Control words: sequence number, workers done, stop flag, a worker's call failed. */
const SEQ = 0;
const DONE = 1;
const STOP = 2;
const FAILED = 3;

/** The worker's whole program (no imports): instantiate the kernels, then serve calls. */
const WORKER_LOOP = `
function serve(init, ready) {
  const { module, memory, control, names, slot, slotFloats } = init;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((n) => ex[n]);
  const ctl = new Int32Array(control, 0, 4);
  const box = new Float64Array(control, 16 + slot * slotFloats * 8, slotFloats);
  let seen = 0;
  ready();
  for (;;) {
    Atomics.wait(ctl, ${SEQ}, seen);
    seen = Atomics.load(ctl, ${SEQ});
    if (Atomics.load(ctl, ${STOP}) === 1) return;
    const fn = box[0];
    if (fn >= 0) {
      const args = [];
      for (let k = 0; k < box[1]; k++) args.push(box[2 + k]);
      try {
        box[${RESULT}] = fns[fn](...args) ?? 0;
      } catch {
        Atomics.store(ctl, ${FAILED}, 1); // the caller is blocked: report through memory
      }
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

const NODE_WORKER = `${WORKER_LOOP}
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (init) => serve(init, () => parentPort.postMessage('ready')));
`;

const BROWSER_WORKER = `${WORKER_LOOP}
self.onmessage = (e) => serve(e.data, () => self.postMessage('ready'));
`;

interface WorkerHandle {
  post(message: unknown): void;
  ready: Promise<void>;
  terminate(): void;
}

/** Whether this thread may block in Atomics.wait (false on a page's main thread). */
export function canBlock(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `threads − 1` workers over `arena`'s shared memory. Resolves to undefined — the
 * caller then runs single-threaded — when `threads` < 2, the memory is not shared, the kernels
 * are not WebAssembly, this thread cannot block, or workers cannot start here.
 */
export async function startKernelPool(
  arena: Arena,
  kernels: SparseKernels,
  threads: number,
): Promise<KernelPool | undefined> {
  const memory = arena.wasmMemory;
  const module = kernelModule(true);
  const run = kernels.run?.bind(kernels);
  if (!memory || !arena.isShared || !module || !run) return undefined;
  return startModulePool(memory, module, POOL_KERNELS, threads, run);
}

/**
 * The same for any kernel module compiled for a shared memory: workers instantiate `module` on
 * `memory` and may run the exports named in `names`; `run` runs a call on this thread.
 * Undefined when `threads` < 2, this thread cannot block, or workers cannot start here.
 */
export async function startModulePool<N extends string>(
  memory: WebAssembly.Memory,
  module: WebAssembly.Module,
  names: readonly N[],
  threads: number,
  run: (name: N, args: number[]) => number,
): Promise<KernelPool<N> | undefined> {
  if (threads < 2 || !canBlock()) return undefined;
  const control = new SharedArrayBuffer(16 + threads * SLOT * 8);
  const ctl = new Int32Array(control, 0, 4);
  const boxes = Array.from({ length: threads }, (_, t) => new Float64Array(control, 16 + t * SLOT * 8, SLOT));
  const workers: WorkerHandle[] = [];
  try {
    for (let t = 1; t < threads; t++) {
      const w = await spawn();
      workers.push(w);
      w.post({ module, memory, control, names, slot: t, slotFloats: SLOT });
    }
    await Promise.all(workers.map((w) => w.ready));
  } catch {
    for (const w of workers) w.terminate();
    return undefined;
  }
  let closed = false;
  return {
    threads,
    run(calls) {
      if (closed) throw new Error('kernel pool: already closed');
      if (calls.length > threads)
        throw new RangeError(`kernel pool: ${calls.length} calls for ${threads} threads`);
      Atomics.store(ctl, DONE, 0);
      for (let t = 1; t < threads; t++) {
        const call = calls[t];
        const box = boxes[t];
        box[0] = call ? names.indexOf(call.name) : -1;
        if (call) {
          if (call.args.length > SLOT - 3)
            throw new RangeError(`kernel pool: too many arguments for ${call.name}`);
          box[1] = call.args.length;
          box.set(call.args, 2);
        }
      }
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      const results = new Array<number>(calls.length).fill(0);
      const first = calls[0];
      if (first) results[0] = run(first.name, first.args);
      for (let done = Atomics.load(ctl, DONE); done < threads - 1; done = Atomics.load(ctl, DONE))
        Atomics.wait(ctl, DONE, done);
      if (Atomics.load(ctl, FAILED) === 1)
        throw new Error(
          'kernel pool: a worker thread failed in a kernel call (its memory may be inconsistent)',
        );
      for (let t = 1; t < calls.length; t++) results[t] = boxes[t][RESULT];
      return results;
    },
    close() {
      if (closed) return;
      closed = true;
      Atomics.store(ctl, STOP, 1);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      for (const w of workers) w.terminate();
    },
  };
}

/** A worker running the pool's loop: worker_threads in Node, a Blob-URL Worker in browsers. */
async function spawn(): Promise<WorkerHandle> {
  if (platform() === 'node') {
    const spec = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ spec)) as typeof import('node:worker_threads');
    const w = new Worker(NODE_WORKER, { eval: true });
    w.unref();
    const ready = new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    return { post: (m) => w.postMessage(m), ready, terminate: () => void w.terminate() };
  }
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url);
  const ready = new Promise<void>((resolve, reject) => {
    w.onmessage = () => resolve();
    w.onerror = (e) => reject(new Error(e.message));
  });
  return {
    post: (m) => w.postMessage(m),
    ready,
    terminate: () => {
      w.terminate();
      URL.revokeObjectURL(url);
    },
  };
}
