import { type BackendInfo, type BackendOptions, initBackend } from './backend.ts';
import { type Platform, platform, setPlatform } from './platform.ts';

/**
 * What the app chose for every model's compute, once: the tfjs backend that dense products
 * (ranking scores) and AutoRec's tfjs engine run on, and the platform that decides how worker
 * threads start and where tfjs-backend-wasm's files are found — tfjs's own platform object,
 * for this package.
 */
export interface ComputeContext {
  readonly backend: BackendInfo;
  readonly platform: Platform;
}

export interface ComputeOptions extends BackendOptions {
  /** The platform, when the app knows it (default: Node when `process.versions.node` is set). */
  platform?: Platform;
}

let context: ComputeContext | undefined;

/**
 * Sets up the compute context: the app (CLI, API, Web Worker, test setup) calls this once,
 * before fitting or loading models; models then run on what it chose and never switch tfjs's
 * global backend themselves. Calling it again with the same request returns the same context;
 * a different forced backend switches (the app's decision, e.g. the web app's backend menu).
 * Without it, models score with their JavaScript loops (no tfjs dense products) and say so
 * (`FitResult.backend`).
 *
 * @example
 * const compute = await setupCompute({ backend: 'auto' }); // { backend: { name: 'wasm', reason: 'auto: …' }, platform: 'node' }
 * const model = createModel('svd');
 * await model.fit(trainSet); // ranks with one wasm matMul per batch of users
 */
export async function setupCompute(options: ComputeOptions = {}): Promise<ComputeContext> {
  if (options.platform) setPlatform(options.platform);
  const backend = await initBackend(options);
  context = { backend, platform: platform() };
  return context;
}

/** The context the app set up, or undefined before `setupCompute`. */
export function computeContext(): ComputeContext | undefined {
  return context;
}
