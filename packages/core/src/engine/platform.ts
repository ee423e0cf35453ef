/** Where core runs: Node (worker_threads, the wasm files on disk) or a browser (Web Workers, URLs). */
export type Platform = 'node' | 'browser';

let platformChoice: Platform | undefined;

/** Sets the platform (the app's `setupCompute({ platform })`). */
export function setPlatform(value: Platform): void {
  platformChoice = value;
}

/**
 * The platform: what the app said to `setupCompute`, else decided here once — the one place in
 * core that looks at `process` to tell Node from a browser.
 */
export function platform(): Platform {
  if (platformChoice === undefined) {
    const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
    platformChoice = typeof p?.versions?.node === 'string' ? 'node' : 'browser';
  }
  return platformChoice;
}
