import type { ModelVersion, Repository } from './storage/repository.ts';

export interface ReplicaTiming {
  /** How often the `production` label is read, besides notifications (ms; default 5 s). */
  pollMs?: number;
  /**
   * A job whose replica has not renewed its lease for this long is taken for dead and marked
   * `interrupted` (ms; default 30 s). Leases are renewed every third of it.
   */
  leaseMs?: number;
}

export interface ReplicaOptions extends ReplicaTiming {
  repo: Repository;
  /** This replica's id; its jobs carry it. */
  id: string;
  /** Loads a version and makes it the served one (throws `VersionUnusableError` when it cannot). */
  serve: (version: ModelVersion) => Promise<void>;
  /** The version this replica serves now. */
  served: () => { model: string; version: number } | undefined;
  log: (record: Record<string, unknown>) => void;
  /**
   * Renew this replica's job leases and interrupt lapsed ones (default true). Off when jobs run
   * on a Redis queue: there the queue's locks tell whether a job's worker lives.
   */
  leases?: boolean;
}

export const DEFAULT_POLL_MS = 5_000;
export const DEFAULT_LEASE_MS = 30_000;

/**
 * What keeps API replicas that share one database and one model folder in step:
 * - the served model follows the `production` label: a replica that moves it notifies the
 *   others (PostgreSQL LISTEN/NOTIFY through `Repository.watchLabels`), and every replica
 *   also polls it, so a lost notification delays a swap by at most `pollMs`. Swaps run one at
 *   a time (`exclusive`); each is the `ModelServer`'s atomic switch.
 * - job leases: this replica renews the lease of the jobs it runs; any replica marks jobs whose
 *   lease lapsed (their replica died) `interrupted`, and leaves a live replica's jobs alone.
 *
 * @example
 * const replica = new Replica({ repo, id: randomUUID(), serve, served: () => server.current?.version, log });
 * await replica.start();
 * await replica.exclusive(() => serve(version)); // a local promotion, never beside a sync
 */
export class Replica {
  private readonly pollMs: number;
  readonly leaseMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private timers: ReturnType<typeof setInterval>[] = [];
  private unwatch?: () => Promise<void>;
  /** Versions that failed to load here, not retried on every poll. */
  private readonly failed = new Set<string>();
  private closed = false;

  constructor(private readonly options: ReplicaOptions) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Listens for label moves and starts the poll and lease timers. */
  async start(): Promise<void> {
    const { repo, id } = this.options;
    this.unwatch = await repo.watchLabels((label) => {
      if (label === 'production') void this.sync();
    });
    this.every(this.pollMs, () => this.sync());
    if (this.options.leases === false) return;
    this.every(this.leaseMs / 3, async () => {
      await repo.renewJobLeases(id);
      const lapsed = await repo.interruptUnfinishedJobs(this.leaseMs);
      if (lapsed.length > 0)
        this.options.log({ level: 'warn', message: 'jobs of a stopped replica interrupted', jobs: lapsed });
    });
  }

  /** Runs `work` when no other swap runs (promotions and syncs never interleave). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Serves the version `production` points at, when it is not the one served already. */
  sync(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      const { repo, served } = this.options;
      const production = (await repo.labels()).get('production');
      const now = served();
      if (!production || (now?.model === production.model && now.version === production.version)) return;
      const key = `${production.model}/${production.version}`;
      if (this.failed.has(key)) return;
      const version = await repo.version(production.model, production.version);
      if (version?.status !== 'ready') return;
      try {
        await this.options.serve(version);
      } catch (error) {
        this.failed.add(key);
        this.options.log({ level: 'error', message: `cannot serve ${key}: ${(error as Error).message}` });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.unwatch?.();
    await this.chain;
  }

  private every(ms: number, tick: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      tick()
        .catch((error: unknown) =>
          this.options.log({ level: 'error', message: `replica: ${(error as Error).message}` }),
        )
        .finally(() => {
          busy = false;
        });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
