import { platform } from './platform.ts';

/**
 * Worker threads that run plain JavaScript kernels on shared memory: the JS counterpart of
 * `kernel-pool.ts` (which runs WebAssembly kernels). A kernel is a self-contained function —
 * no imports, no module-level names — so a worker can rebuild it from its source text; its
 * typed-array arguments must be views of a SharedArrayBuffer (see {@link sharedFloat32}) so
 * that a worker writes where the caller reads. Callers give each call disjoint rows to write.
 *
 * Messages, not `Atomics.wait`: a call is a few milliseconds of work (a block of ALS rows), so a
 * postMessage round trip (≈0.1 ms) is cheap, and an async `run` also works on a page's main
 * thread, where blocking is not allowed.
 *
 * @example
 * const pool = await startFunctionPool({ gramRows }, 2); // undefined where threads cannot run
 * if (pool) await pool.run([{ fn: 'gramRows', args: [y, k, 0, half, g0] }, { fn: 'gramRows', args: [y, k, half, n, g1] }]);
 * pool?.close();
 */
export interface FunctionPool {
  readonly threads: number;
  /**
   * Runs `calls[0]` on this thread and `calls[t]` on worker t at the same time; resolves with
   * their return values when all are done, or rejects with the first failure.
   */
  run(calls: readonly (PoolCall | undefined)[]): Promise<unknown[]>;
  close(): void;
}

export interface PoolCall {
  /** Name of one of the functions the pool was started with. */
  fn: string;
  args: readonly unknown[];
}

// biome-ignore lint/suspicious/noExplicitAny: kernels of any signature
type Kernel = (...args: any[]) => unknown;

/**
 * The worker's whole program. `__name` is defined because some transpilers (esbuild with
 * keepNames) wrap nested functions in a call to it.
 */
const WORKER_LOOP = `
var __name = (f) => f;
let fns;
function handle(data, reply) {
  if (data.sources) {
    fns = {};
    for (const [name, src] of Object.entries(data.sources)) fns[name] = new Function('return (' + src + ')')();
    reply({ ready: true });
    return;
  }
  try {
    reply({ id: data.id, result: fns[data.fn](...data.args) });
  } catch (e) {
    reply({ id: data.id, error: String(e && e.stack || e) });
  }
}
`;

const NODE_WORKER = `${WORKER_LOOP}
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (data) => handle(data, (m) => parentPort.postMessage(m)));
`;

const BROWSER_WORKER = `${WORKER_LOOP}
self.onmessage = (e) => handle(e.data, (m) => self.postMessage(m));
`;

interface Reply {
  id?: number;
  result?: unknown;
  error?: string;
  ready?: boolean;
}

interface WorkerHandle {
  post(message: unknown): void;
  onReply(listener: (reply: Reply) => void): void;
  terminate(): void;
}

/** True where typed arrays can be shared with workers (Node; cross-origin isolated pages). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated !== false;
}

/** A zeroed Float32Array on shared memory when `shared`, else on ordinary memory. */
export function sharedFloat32(length: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

/** A copy of `a` on shared memory (or `a` itself when `shared` is false or it already is). */
export function toShared<T extends Float32Array | Float64Array | Uint32Array>(a: T, shared: boolean): T {
  if (!shared || a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}

/** Cores of this machine (the browser's `hardwareConcurrency`, Node's available parallelism). */
export async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const spec = 'node:os';
    const os = (await import(/* @vite-ignore */ spec)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

/**
 * Starts `threads − 1` workers that know `functions`. Resolves to undefined — the caller then
 * runs everything on its own thread — when `threads` < 2, memory cannot be shared here, or
 * workers cannot start.
 */
export async function startFunctionPool(
  functions: Record<string, Kernel>,
  threads: number,
): Promise<FunctionPool | undefined> {
  if (threads < 2 || !sharedMemoryAvailable()) return undefined;
  const sources = Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.toString()]));
  const workers: WorkerHandle[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  try {
    for (let t = 1; t < threads; t++) {
      const w = await spawn();
      workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.onReply((reply) => {
          if (reply.ready) return resolve();
          const waiting = pending.get(reply.id ?? -1);
          if (!waiting) {
            // The worker itself died (not a kernel's exception): fail everything it owed.
            const error = new Error(`function pool: a worker stopped: ${reply.error ?? 'unknown error'}`);
            for (const p of pending.values()) p.reject(error);
            pending.clear();
            return reject(error);
          }
          pending.delete(reply.id!);
          if (reply.error !== undefined)
            waiting.reject(new Error(`function pool: a worker failed: ${reply.error}`));
          else waiting.resolve(reply.result);
        });
        w.post({ sources });
      });
    }
  } catch {
    for (const w of workers) w.terminate();
    return undefined;
  }
  let nextId = 0;
  let closed = false;
  return {
    threads,
    async run(calls) {
      if (closed) throw new Error('function pool: already closed');
      if (calls.length > threads)
        throw new RangeError(`function pool: ${calls.length} calls for ${threads} threads`);
      const remote = calls.slice(1).map((call, j) => {
        if (!call) return Promise.resolve(undefined);
        if (!Object.hasOwn(functions, call.fn))
          throw new Error(`function pool: unknown function '${call.fn}'`);
        const id = nextId++;
        return new Promise<unknown>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          workers[j].post({ id, fn: call.fn, args: call.args });
        });
      });
      const first = calls[0];
      let local: unknown;
      try {
        local = first ? functions[first.fn](...first.args) : undefined;
      } finally {
        // Wait for the workers even when this thread's call threw: they still write shared memory.
        await Promise.allSettled(remote);
      }
      return [local, ...(await Promise.all(remote))];
    },
    close() {
      if (closed) return;
      closed = true;
      for (const w of workers) w.terminate();
      for (const { reject } of pending.values()) reject(new Error('function pool: closed'));
      pending.clear();
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
    return {
      post: (m) => w.postMessage(m),
      onReply: (listener) => {
        w.on('message', listener);
        w.on('error', (e) => listener({ id: -1, error: String(e) }));
      },
      terminate: () => void w.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url);
  return {
    post: (m) => w.postMessage(m),
    onReply: (listener) => {
      w.onmessage = (e) => listener(e.data as Reply);
      w.onerror = (e) => listener({ id: -1, error: e.message });
    },
    terminate: () => {
      w.terminate();
      URL.revokeObjectURL(url);
    },
  };
}
