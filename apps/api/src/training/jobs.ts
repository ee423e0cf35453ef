import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';
import type { ModelVersion, Repository, TrainingJob } from '../storage/repository.ts';
import { cancelRequested, clearCancel, requestCancel, watchCancel } from './cancel.ts';
import { type JobRequest, runTraining, type TrainingRun } from './execute.ts';
import type { JobQueue } from './queue.ts';

export type { JobRequest };

/** What a job's SSE stream carries: progress while it runs, then its final state. */
export type JobEvent =
  | { type: 'progress'; progress: Record<string, unknown> }
  | { type: 'end'; job: TrainingJob };

export interface JobRunnerOptions {
  repo: Repository;
  /** Where versions are saved. */
  models: ModelFiles;
  /** The training thread opens it read-only. */
  database: DatabaseLocation;
  /** Called with each new version; promotes it when the job asked for a label. */
  onVersion: (version: ModelVersion, promoteTo: string | undefined) => Promise<void>;
  onFinished?: (job: TrainingJob, seconds: number) => void;
  log: (line: string) => void;
  seed?: number;
  /** This replica's id: its jobs carry it, and it renews their leases while it lives. */
  owner?: string;
  /**
   * Training jobs go to this Redis queue for `autorec worker`s instead of running here; their
   * progress comes back through the queue's events (`onQueueProgress`, `onQueueEnded`).
   */
  queue?: JobQueue;
}

/** How often a job that runs on another replica is read from the database for its subscribers. */
const REMOTE_POLL_MS = 1_000;
const ACTIVE = new Set(['queued', 'running']);

/**
 * Runs training jobs one at a time, each in its own worker thread so that requests keep their
 * latency while a model trains (`runTraining`; a plain `Worker` rather than a pool such as
 * piscina: there is one long task at a time that streams progress and can be cancelled, not
 * many short ones). Progress goes to the job row and to subscribers (the SSE endpoint); cancel
 * stops the fit at the next batch — also a job another replica runs (a flag in the database
 * that its runner polls). With a `queue`, jobs go to Redis instead and `autorec worker`s run
 * them; this runner then only follows them for its subscribers.
 */
export class JobRunner {
  private readonly queue: string[] = [];
  private readonly requests = new Map<string, JobRequest>();
  private running?: { id: string; run: TrainingRun };
  private readonly events = new EventEmitter();
  /** Jobs submitted here and not finished: their events come from this runner. */
  private readonly local = new Set<string>();
  /** Jobs of other replicas with subscribers here, polled from the database. */
  private readonly remote = new Map<string, ReturnType<typeof setInterval>>();
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: JobRunnerOptions) {
    this.events.setMaxListeners(0);
  }

  /** Queues a job and returns it (status `queued`). */
  async submit(request: JobRequest): Promise<TrainingJob> {
    const job: TrainingJob = {
      id: randomUUID(),
      model: request.model,
      params: request.params,
      data: request.data,
      status: 'queued',
      createdAt: new Date().toISOString(),
      promoteTo: request.promoteTo,
    };
    const { queue } = this.options;
    if (queue) {
      // No owner: the queue's lock, not this replica's lease, tells whether its worker lives.
      await this.options.repo.addJob(job);
      try {
        await queue.addTraining(job.id, request);
      } catch (error) {
        await this.finish(
          job.id,
          { status: 'failed', error: `cannot queue it: ${(error as Error).message}` },
          0,
        );
        throw error;
      }
      return job;
    }
    await this.options.repo.addJob(job, this.options.owner);
    this.local.add(job.id);
    this.requests.set(job.id, request);
    this.queue.push(job.id);
    this.pump();
    return job;
  }

  /**
   * Listens to a job's progress and end; returns the unsubscribe function. A job that another
   * replica runs is followed through its row (progress is written about once a second).
   */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    this.events.on(id, listener);
    if (!this.local.has(id)) this.followRemote(id);
    return () => this.events.off(id, listener);
  }

  private followRemote(id: string): void {
    if (this.remote.has(id) || this.closed) return;
    let last: string | undefined;
    let busy = false;
    const stop = () => {
      clearInterval(this.remote.get(id));
      this.remote.delete(id);
    };
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        if (this.events.listenerCount(id) === 0 || this.local.has(id)) return stop();
        const job = await this.options.repo.job(id);
        if (!job) return stop();
        const progress = job.progress === undefined ? undefined : JSON.stringify(job.progress);
        // Queued jobs' progress comes sooner from the queue's events (`onQueueProgress`).
        if (progress !== undefined && progress !== last && !this.options.queue) {
          last = progress;
          this.events.emit(id, { type: 'progress', progress: job.progress! } satisfies JobEvent);
        }
        if (!ACTIVE.has(job.status)) {
          stop();
          this.events.emit(id, { type: 'end', job } satisfies JobEvent);
        }
      } catch (error) {
        this.options.log(`job ${id}: reading its row: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    }, REMOTE_POLL_MS);
    timer.unref();
    this.remote.set(id, timer);
  }

  get runningJob(): string | undefined {
    return this.running?.id;
  }

  /**
   * Cancels a queued job at once, a running one at its next batch — here, or wherever it runs
   * (another replica, an `autorec worker`) through the cancel flag its runner polls. False when
   * the job is not active.
   */
  async cancel(id: string): Promise<boolean> {
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      await this.finish(id, { status: 'cancelled', error: 'cancelled before it started' }, 0);
      return true;
    }
    if (this.running?.id === id) {
      this.running.run.cancel();
      return true;
    }
    const job = await this.options.repo.job(id);
    if (!job || !ACTIVE.has(job.status)) return false;
    if (await this.options.queue?.removeWaiting(id)) {
      await this.finish(id, { status: 'cancelled', error: 'cancelled before it started' }, 0);
      return true;
    }
    await requestCancel(this.options.repo, id);
    return true;
  }

  /** A worker's progress report on a queued job (from the queue's events). */
  onQueueProgress(id: string, progress: Record<string, unknown>): void {
    this.events.emit(id, { type: 'progress', progress } satisfies JobEvent);
  }

  /**
   * A queued job ended in the queue. Its worker wrote the row already — unless BullMQ gave up
   * on it (it stalled more often than allowed): then the row says failed, with BullMQ's reason.
   */
  async onQueueEnded(id: string, failedReason?: string): Promise<void> {
    const job = await this.options.repo.job(id);
    if (job && ACTIVE.has(job.status) && failedReason !== undefined)
      await this.options.repo.updateJob(id, {
        status: 'failed',
        error: `the queue gave up on it: ${failedReason}`,
        finishedAt: new Date().toISOString(),
      });
  }

  /** Resolves when no job runs or waits. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  /** Stops the running job (marked `interrupted`) and drops the queue. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.remote.values()) clearInterval(timer);
    this.remote.clear();
    for (const id of this.queue.splice(0))
      await this.finish(id, { status: 'interrupted', error: 'the server stopped before the job started' }, 0);
    const running = this.running;
    if (running) {
      await running.run.terminate();
      await this.finish(
        running.id,
        { status: 'interrupted', error: 'the server stopped while the job ran' },
        0,
      );
    }
  }

  private pump(): void {
    if (this.running || this.closed || this.queue.length === 0) return;
    const id = this.queue.shift()!;
    this.idle = this.runJob(id)
      .catch((error: unknown) => this.options.log(`job ${id}: ${(error as Error).stack ?? error}`))
      .finally(() => {
        this.running = undefined;
        this.pump();
      });
  }

  private async runJob(id: string): Promise<void> {
    const { repo } = this.options;
    const request = this.requests.get(id)!;
    this.requests.delete(id);
    if (await cancelRequested(repo, id)) {
      await this.finish(id, { status: 'cancelled', error: 'cancelled before it started' }, 0);
      return;
    }
    const started = performance.now();
    const run = runTraining(id, request, {
      repo,
      models: this.options.models,
      database: this.options.database,
      seed: this.options.seed ?? 1,
      version: await repo.reserveVersion(request.model),
      onProgress: (progress) => this.events.emit(id, { type: 'progress', progress } satisfies JobEvent),
      onVersion: this.options.onVersion,
    });
    this.running = { id, run };
    // A DELETE that reached another replica of this database.
    const unwatch = watchCancel(repo, id, () => run.cancel());
    const outcome = await run.outcome;
    unwatch();
    if (this.closed) return; // close() marks it interrupted
    await this.finish(id, outcome, (performance.now() - started) / 1000);
  }

  private async finish(id: string, patch: Partial<TrainingJob>, seconds: number): Promise<void> {
    this.local.delete(id);
    await this.options.repo.updateJob(id, { ...patch, finishedAt: new Date().toISOString() });
    await clearCancel(this.options.repo, id);
    const job = await this.options.repo.job(id);
    if (job) {
      this.options.onFinished?.(job, seconds);
      this.events.emit(id, { type: 'end', job } satisfies JobEvent);
    }
  }
}
