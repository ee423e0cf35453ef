/**
 * A function to call often in a long synchronous loop: it resolves at once, except — when
 * `listening` (someone passed an AbortSignal or a progress callback) and `everyMs` have passed
 * since the last turn — after letting the event loop run once, so a progress bar repaints and an
 * abort fired from another task (a UI button, a worker message) lands mid-loop. Nobody
 * listening, the loop never pays for a turn.
 *
 * @example
 * const turn = eventLoopTurns(options.signal !== undefined || options.onProgress !== undefined);
 * for (…) { …; await turn(); if (options.signal?.aborted) break; }
 */
export function eventLoopTurns(listening: boolean, everyMs = 100): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (!listening) return;
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  };
}
