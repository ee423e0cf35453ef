import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelName } from '@autorec/core';
import type { DatabaseLocation } from '../storage/open.ts';
import type { ModelVersion, Repository, TrainingJob } from '../storage/repository.ts';
import type { FromWorker, WorkerJob } from './protocol.ts';

export interface JobRequest {
  model: ModelName;
  params: Record<string, unknown>;
  data: string;
  promoteTo?: string;
}

/** What a job's SSE stream carries: progress while it runs, then its final state. */
export type JobEvent =
  | { type: 'progress'; progress: Record<string, unknown> }
  | { type: 'end'; job: TrainingJob };

export interface JobRunnerOptions {
  repo: Repository;
  dataDir: string;
  /** The training thread opens it read-only. */
  database: DatabaseLocation;
  /** Called with each new version; promotes it when the job asked for a label. */
  onVersion: (version: ModelVersion, promoteTo: string | undefined) => Promise<void>;
  onFinished?: (job: TrainingJob, seconds: number) => void;
  log: (line: string) => void;
  seed?: number;
  /** This replica's id: its jobs carry it, and it renews their leases while it lives. */
  owner?: string;
}

/** How often a job that runs on another replica is read from the database for its subscribers. */
const REMOTE_POLL_MS = 1_000;
const ACTIVE = new Set(['queued', 'running']);

/** The training thread resolves workspace packages to their TypeScript sources, as the app does. */
const WORKER_EXEC_ARGV = ['--conditions=@autorec/source'];

/**
 * Runs training jobs one at a time, each in its own worker thread so that requests keep their
 * latency while a model trains. (A plain `Worker` rather than a pool such as piscina: there is
 * one long task at a time that streams progress and can be cancelled, not many short ones.)
 * Progress goes to the job row and to subscribers (the SSE endpoint); cancel stops the fit at
 * the next batch.
 */
export class JobRunner {
  private readonly queue: string[] = [];
  private readonly requests = new Map<string, JobRequest>();
  private running?: { id: string; worker: Worker; cancelled: boolean };
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
        if (progress !== undefined && progress !== last) {
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

  /** Cancels a queued job at once, a running one at its next batch. False when it is not active. */
  async cancel(id: string): Promise<boolean> {
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      await this.finish(id, { status: 'cancelled', error: 'cancelled before it started' }, 0);
      return true;
    }
    if (this.running?.id === id) {
      this.running.cancelled = true;
      this.running.worker.postMessage({ type: 'cancel' });
      return true;
    }
    return false;
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
      await running.worker.terminate();
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
    const { repo, dataDir } = this.options;
    const request = this.requests.get(id)!;
    this.requests.delete(id);
    const version = await repo.reserveVersion(request.model);
    const path = join('models', request.model, `v${version}`);
    const { lastSeq } = await repo.eventStats();
    const spec: WorkerJob = {
      jobId: id,
      model: request.model,
      params: request.params,
      data: request.data,
      database: this.options.database,
      outDir: resolve(dataDir, path),
      maxSeq: lastSeq,
      split: { method: 'per-user', test: 0.1, validation: 0.05 },
      seed: this.options.seed ?? 1,
    };
    const started = performance.now();
    await repo.updateJob(id, { status: 'running', startedAt: new Date().toISOString() });
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
      workerData: spec,
      execArgv: WORKER_EXEC_ARGV,
    });
    this.running = { id, worker, cancelled: false };
    const seconds = () => (performance.now() - started) / 1000;
    let lastWrite = 0;
    await new Promise<void>((done) => {
      let settled = false;
      const settle = async (
        patch: Partial<TrainingJob>,
        register?: Extract<FromWorker, { type: 'done' }>,
      ) => {
        if (settled) return;
        settled = true;
        try {
          if (register) {
            const registered: ModelVersion = {
              model: request.model,
              version,
              path,
              status: 'ready',
              hyperParameters: register.hyperParameters,
              data: { ...register.data, fit: register.fit },
              metrics: register.metrics,
              createdAt: new Date().toISOString(),
              eventWatermark: lastSeq,
              jobId: id,
            };
            await repo.addVersion(registered);
            patch.result = { model: request.model, version, metrics: register.metrics };
            await this.options.onVersion(registered, request.promoteTo);
          }
          await this.finish(id, patch, seconds());
        } catch (error) {
          await this.finish(id, { status: 'failed', error: (error as Error).message }, seconds());
        }
        done();
      };
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'progress') {
          this.events.emit(id, { type: 'progress', progress: message.progress } satisfies JobEvent);
          const now = performance.now();
          if (now - lastWrite > 1000 || message.progress.phase !== 'batch') {
            lastWrite = now;
            void repo.updateJob(id, { progress: message.progress });
          }
        } else if (message.type === 'done') void settle({ status: 'succeeded' }, message);
        else if (message.type === 'cancelled')
          void settle({ status: 'cancelled', error: `cancelled after ${message.epochs} epoch(s)` });
        else void settle({ status: 'failed', error: message.message });
      });
      worker.on('error', (error) => void settle({ status: 'failed', error: error.message }));
      worker.on('exit', (code) => {
        if (this.closed) return done();
        void settle(
          this.running?.cancelled
            ? { status: 'cancelled', error: 'cancelled' }
            : { status: 'failed', error: `the training thread stopped (exit code ${code})` },
        );
      });
    });
  }

  private async finish(id: string, patch: Partial<TrainingJob>, seconds: number): Promise<void> {
    this.local.delete(id);
    await this.options.repo.updateJob(id, { ...patch, finishedAt: new Date().toISOString() });
    const job = await this.options.repo.job(id);
    if (job) {
      this.options.onFinished?.(job, seconds);
      this.events.emit(id, { type: 'end', job } satisfies JobEvent);
    }
  }
}
