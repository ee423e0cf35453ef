/**
 * A fixed-window request counter per key, in memory (one process; a shared store comes with
 * the replicas). Hand-written because it is a dozen lines and Hono's ecosystem limiters pull
 * in more than they add here.
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    /** Requests per window; 0 turns limiting off. */
    readonly limit: number,
    readonly windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `key`: whether it may go on, what is left and when the window resets. */
  take(key: string): { allowed: boolean; remaining: number; resetSeconds: number } {
    const t = this.now();
    const windowMs = this.windowSeconds * 1000;
    if (t - this.windowStart >= windowMs) {
      this.windowStart = t - (t % windowMs);
      this.counts = new Map();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    const resetSeconds = Math.max(1, Math.ceil((this.windowStart + windowMs - t) / 1000));
    return { allowed: used <= this.limit, remaining: Math.max(0, this.limit - used), resetSeconds };
  }
}
