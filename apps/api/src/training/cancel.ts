import type { Repository } from '../storage/repository.ts';

/** How often a running job's runner looks for a cancel request made elsewhere. */
export const CANCEL_POLL_MS = 1_000;

const key = (id: string) => `cancel-requested:${id}`;

/**
 * Asks whoever runs job `id` — another API replica, or an `autorec worker` on another machine —
 * to stop it: a flag in the shared database (a setting keyed by the job), which every runner
 * polls while its job runs (`watchCancel`). The runner then stops the fit at its next batch and
 * marks the job `cancelled`.
 */
export async function requestCancel(repo: Repository, id: string): Promise<void> {
  await repo.setSetting(key(id), new Date().toISOString());
}

/**
 * Forgets job `id`'s cancel request once the job has ended (its runner calls this after writing
 * the final row), so the flags do not pile up in the settings table.
 */
export async function clearCancel(repo: Repository, id: string): Promise<void> {
  await repo.deleteSetting(key(id));
}

export async function cancelRequested(repo: Repository, id: string): Promise<boolean> {
  return (await repo.getSetting(key(id))) !== undefined;
}

/** Calls `onCancel` once when job `id` gets a cancel request; returns the function that stops watching. */
export function watchCancel(repo: Repository, id: string, onCancel: () => void): () => void {
  return watchUntil(() => cancelRequested(repo, id), onCancel);
}

/**
 * Asks `check` every {@link CANCEL_POLL_MS} and calls `onTrue` once when it answers true;
 * returns the function that stops watching. A check that throws (the database or Redis
 * unreachable for a moment) is asked again at the next tick.
 */
export function watchUntil(check: () => Promise<boolean>, onTrue: () => void): () => void {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      if (await check()) {
        clearInterval(timer);
        onTrue();
      }
    } catch {
      // unreachable for a moment: the next tick asks again
    } finally {
      busy = false;
    }
  }, CANCEL_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
