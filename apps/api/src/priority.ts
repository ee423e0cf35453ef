import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's priority by `by` nice steps (capped at 19) and returns its new nice
 * value; `undefined` where that is not done — not Linux, or not permitted (some containers).
 *
 * Only on Linux: there the nice value belongs to the thread (NPTL), and threads it starts later
 * (a worker thread, the kernel pool's workers, libuv's pool) inherit it, so on a machine whose
 * cores are all busy the scheduler gives a normal-priority thread ≈ 10× the share of a contested
 * core that a thread at +10 gets — and the nicer thread still takes every idle core. Elsewhere the
 * nice value is the whole process's, and lowering it would slow the serving thread too.
 *
 * @example
 * lowerThreadPriority(10); // a job thread: recommendations keep their latency while it runs
 */
export function lowerThreadPriority(by: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const nice = Math.min(19, getPriority() + by);
    setPriority(nice);
    return nice;
  } catch {
    return undefined;
  }
}
