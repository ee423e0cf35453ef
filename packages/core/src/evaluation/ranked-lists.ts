// What the two ranking protocols (training users, held-out users) share: how a user's top-K list
// is cut from a row of scores, and how a long loop reports progress. Internal to the evaluation
// folder (index.ts does not re-export it).
import { eventLoopTurns } from '../event-loop.ts';
import type { Recommender } from '../recommender.ts';
import { topKExcept } from '../topk.ts';

/**
 * A function giving one user's top-`k` item indices from `n` scores at `offset`, leaving out
 * `own` (the user's training or fold-in items), `also` (other known plays) and, unless `includeColdItems`, the model's cold
 * items — as `recommend` does. One item mask serves every user (set, ranked, cleared), so the
 * loop allocates nothing per user but the list.
 *
 * @example
 * const topOf = topKExcluding(model, 10, false);
 * const list = topOf(scores, b * train.cols, rowIndices(train, u));
 */
export function topKExcluding(
  model: Recommender,
  k: number,
  includeColdItems: boolean | undefined,
): (scores: Float32Array, offset: number, own: ArrayLike<number>, also?: ArrayLike<number>) => number[] {
  const cold = includeColdItems ? undefined : model.coldItems();
  const pick = topKExcept(model.trainSet.ratings.cols, k, cold);
  return (scores, offset, own, also = []) => pick(scores, offset, own, also).indices;
}

/**
 * A progress step for a long evaluation loop: calls `onProgress(done, total)`, then — when
 * someone listens (a callback or a signal) and 100 ms have passed since the last turn — lets the
 * event loop run, so a progress bar repaints and an abort can land between steps.
 *
 * @example
 * const step = progressStep(options);
 * for (…) { …; await step(done, users.length); }
 */
export function progressStep(options: {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}): (done: number, total: number) => Promise<void> {
  const turn = eventLoopTurns(options.signal !== undefined || options.onProgress !== undefined);
  return async (done, total) => {
    options.onProgress?.(done, total);
    await turn();
  };
}
