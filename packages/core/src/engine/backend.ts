import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors.ts';
import { platform } from './platform.ts';

/**
 * tfjs backend selection, done once and reported. Core runs in Node and in a browser Web
 * Worker, so nothing Node-only is imported statically: `@tensorflow/tfjs-node` and
 * `node:module` are loaded with dynamic `import()` inside try/catch.
 *
 * Order when nothing is forced:
 * - Node: `@tensorflow/tfjs-node` (native TensorFlow, when installed — it is an optional
 *   dependency whose install downloads libtensorflow, so often absent) → WebAssembly → cpu.
 * - Browser: WebGL → WebAssembly → cpu.
 *
 * `backend` in the options, else env `AUTOREC_BACKEND` (node | wasm | cpu | webgl), forces one;
 * a forced backend that cannot start is an error naming why, never a silent fallback.
 *
 * Measured here (Node 20, one core): wasm matMul ≈42 GFLOP/s on 1024², but ≈0.9 GFLOP/s with
 * transposeA and ≈3.5 with transposeB (so callers pass pre-transposed operands); tfjs cpu
 * ≈1 GFLOP/s; the wasm backend runs one thread in Node and has no UnsortedSegmentSum kernel,
 * so the gradient of tf.gather throws there. AutoRec therefore trains either on tfjs ops with
 * hand-written gradients (`models/autorec-train-tfjs.ts`, any backend) or on the sparse kernels
 * in `kernels.ts` (faster on wasm and cpu); tfjs also does the dense products (scoring all songs
 * for a batch of users).
 *
 * @example
 * const info = await initBackend();          // { name: 'wasm', reason: 'auto: … ' }
 * const forced = await initBackend({ backend: 'cpu' });
 */
export type BackendName = 'node' | 'wasm' | 'cpu' | 'webgl';
export const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'cpu', 'webgl'];

export interface BackendInfo {
  name: BackendName;
  /** Why this backend: forced by option or env, or the auto order and what failed before it. */
  reason: string;
}

export interface BackendOptions {
  /** Force a backend; 'auto' (default) follows the order above unless AUTOREC_BACKEND is set. */
  backend?: BackendName | 'auto';
  /**
   * Where the browser finds tfjs-backend-wasm's .wasm files (a URL prefix, or a map of file
   * names to URLs), passed to `setWasmPaths`. In Node the package directory is found itself.
   */
  wasmPaths?: string | Record<string, string>;
}

/** tfjs's own name for each backend. */
const TFJS_NAME: Record<BackendName, string> = {
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
  webgl: 'webgl',
};

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;
let pendingKey = '';

/** The backend chosen so far, or undefined before the first `initBackend`. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

function isNode(): boolean {
  return platform() === 'node';
}

function envBackend(): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.AUTOREC_BACKEND?.trim();
  return v ? v : undefined;
}

/**
 * Selects and initialises the tfjs backend (once; later calls with the same request return
 * the same answer, a different forced backend switches). Resolves to what was chosen and why.
 */
export function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend && options.backend !== 'auto' ? options.backend : undefined;
  const key = `${requested ?? 'auto'}|${envBackend() ?? ''}`;
  if (pending && (key === pendingKey || (!requested && current))) return pending;
  pendingKey = key;
  pending = select(requested, options).then(
    (info) => {
      current = info;
      return info;
    },
    (error) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

async function select(requested: BackendName | undefined, options: BackendOptions): Promise<BackendInfo> {
  const env = envBackend();
  if (requested) return force(requested, 'forced by option backend', options);
  if (env !== undefined) {
    if (!isBackendName(env))
      throw new OptionError(
        `AUTOREC_BACKEND='${env}' is not a backend; use one of ${BACKEND_NAMES.join(', ')}`,
        {
          option: 'backend',
        },
      );
    return force(env, 'forced by AUTOREC_BACKEND', options);
  }
  const order: BackendName[] = isNode() ? ['node', 'wasm', 'cpu'] : ['webgl', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const name of order) {
    const problem = await tryStart(name, options);
    if (problem === undefined)
      return {
        name,
        reason: failures.length
          ? `auto: ${failures.join('; ')}`
          : `auto: first choice ${isNode() ? 'in Node' : 'in the browser'}`,
      };
    failures.push(`${name} unavailable (${problem})`);
  }
  throw new Error(`no tfjs backend could start: ${failures.join('; ')}`);
}

async function force(name: BackendName, why: string, options: BackendOptions): Promise<BackendInfo> {
  const problem = await tryStart(name, options);
  if (problem !== undefined)
    throw new OptionError(
      `tfjs backend '${name}' (${why}) is not available: ${problem}. ` +
        `Use another (${BACKEND_NAMES.join(', ')}) or unset it to choose automatically.`,
    );
  return { name, reason: why };
}

/** Starts a backend; returns undefined on success, else what went wrong. */
async function tryStart(name: BackendName, options: BackendOptions): Promise<string | undefined> {
  const restoreListeners = name === 'wasm' ? keepProcessListeners() : undefined;
  try {
    switch (name) {
      case 'node': {
        if (!isNode()) return 'only in Node';
        // A variable specifier keeps bundlers from resolving the optional native package.
        const spec = '@tensorflow/tfjs-node';
        await import(/* @vite-ignore */ spec);
        break;
      }
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const paths = options.wasmPaths ?? (isNode() ? await nodeWasmDirectory() : undefined);
        if (paths !== undefined) wasm.setWasmPaths(paths as string);
        break;
      }
      case 'webgl':
        if (isNode()) return 'no WebGL in Node';
        break;
      case 'cpu':
        break;
    }
    const ok = await tf.setBackend(TFJS_NAME[name]);
    if (!ok) return `tf.setBackend('${TFJS_NAME[name]}') failed`;
    await tf.ready();
    return undefined;
  } catch (error) {
    return firstLine((error as Error).message ?? String(error));
  } finally {
    restoreListeners?.();
  }
}

type ProcessEvents = {
  listeners(event: string): ((...args: unknown[]) => void)[];
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
};

/**
 * tfjs-backend-wasm's Emscripten glue adds process-wide `uncaughtException` and
 * `unhandledRejection` handlers in Node that rethrow from inside the handler, so any later
 * uncaught error in the host program prints the backend's whole minified source (30 KB) instead
 * of its own stack. Returns a function that removes whatever handlers appeared since the call,
 * leaving Node's default behaviour (print the error, exit 1) — which those handlers only imitate.
 */
function keepProcessListeners(): (() => void) | undefined {
  const proc = (globalThis as { process?: ProcessEvents }).process;
  if (!isNode() || typeof proc?.listeners !== 'function') return undefined;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(proc.listeners(e))]));
  return () => {
    for (const e of events)
      for (const listener of proc.listeners(e))
        if (!before.get(e)?.has(listener)) proc.removeListener(e, listener);
  };
}

/** The directory holding tfjs-backend-wasm's .wasm files, found through Node's resolver. */
async function nodeWasmDirectory(): Promise<string> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return `${pkg.slice(0, pkg.length - 'package.json'.length)}dist/`;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
