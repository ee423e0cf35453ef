import { gatherSearch, type SearchSummary, type SearchTask, type SearchTaskResult } from '@autorec/core';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';
import type { Repository } from '../storage/repository.ts';
import { clearCancel, watchCancel } from './cancel.ts';
import { runScoringThread, runSearchThread, type ThreadRun, TRAINING_SPLIT } from './execute.ts';
import {
  type BatchJobs,
  CANCELLED_BY_REQUEST,
  describeScoring,
  describeSearch,
  type ScoringStatus,
  type SearchSpec,
  type SearchStatus,
} from './queue.ts';
import { type ScoringResult, type ScoringSpec, userRanges } from './scoring.ts';

export interface LocalBatchJobsOptions {
  repo: Repository;
  /**
   * The data folder: a scoring job's parts and file go to `scores/<id>/` in it — or, with versions
   * on S3, beside them in the bucket (`scoreRange`/`gatherParts` decide, as for the workers).
   */
  dataDir: string;
  /** Where model versions are kept (the scoring thread loads the version from there). */
  models: ModelFiles;
  /** The search tasks' threads open it read-only, as training threads do. */
  database: DatabaseLocation;
  /** Seed of the search tasks' data split (the training jobs'; default 1, as `autorec worker`'s). */
  seed?: number;
  /** This replica's id: the jobs it runs carry it. */
  owner: string;
  /**
   * How long a job's record stays `running` without renewal when another replica reads it
   * (PostgreSQL replicas: the job leases' time). 0 on SQLite, whose file one process owns: a
   * `running` record that process does not hold is one a stopped process left.
   */
  leaseMs: number;
  log: (record: Record<string, unknown>) => void;
}

type LocalJob = (
  | { kind: 'scoring'; status: ScoringStatus; run: (job: LocalJob) => Promise<ScoringResult> }
  | { kind: 'search'; status: SearchStatus; run: (job: LocalJob) => Promise<SearchSummary> }
) & { cancelled?: boolean };

/** A job's record in the settings table: its status, who runs it and when that was last said. */
export interface StoredJob {
  owner: string;
  renewedAt: number;
  status: ScoringStatus | SearchStatus;
}

/** The settings keys of in-process batch jobs' records: `scoring-job:<id>`, `search-job:<id>`. */
export const localJobKey = (kind: 'scoring' | 'search', id: string) => `${kind}-job:${id}`;
const key = localJobKey;
const STOPPED_RUNNING = 'the server stopped while the job ran; start it again';
const STOPPED_WAITING = 'the server stopped before the job started; start it again';
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

/**
 * Batch scoring jobs and hyper-parameter searches without Redis: the API runs them itself, in
 * the order they came, one at a time, each step in a worker thread niced like a training thread
 * (`runScoringThread`, `runSearchThread`; the thread lowers its own priority, worker.ts), so the
 * thread that answers requests only forwards messages and writes statuses. The same calls as
 * the queue's jobs — `scoreRange` per range then `gatherParts`; `runSearchTask` per (candidate,
 * fold) then core's `gatherSearch` — so the file and the ranking are the queue's.
 *
 * Beside `JobRunner`: its training jobs have their own one-at-a-time line, so at most one
 * training thread and one batch thread run at once — on a two-core laptop both cores, each
 * thread at nice +10, so requests keep their latency and neither line waits hours behind the
 * other (a nightly scoring job need not wait for a long training, nor the reverse).
 *
 * A job's status is kept in the settings table (`scoring-job:<id>`, `search-job:<id>`), written
 * when it starts, after every range or task and when it ends, so `GET` answers after a restart
 * and on any replica of a shared PostgreSQL. A job that was running or waiting when its process
 * stopped reads `failed` ("the server stopped…") — at once on SQLite, on PostgreSQL once its
 * runner has not renewed it for `leaseMs` — rather than `running` for ever. Finished records are
 * kept as long as the batch results (`--keep-batch-results`, training/retention.ts), as the
 * queue keeps its own.
 * `cancel` stops a job (DELETE; a request in the database reaches the replica that runs it).
 *
 * @example
 * const batch = new LocalBatchJobs({ repo, dataDir, models, database, owner: replicaId, leaseMs: 0, log });
 * const status = await batch.addScoring(spec, users, parts);
 */
export class LocalBatchJobs implements BatchJobs {
  /** Jobs of this process that wait or run (their status here is the newest). */
  private readonly jobs = new Map<string, LocalJob>();
  private readonly waiting: string[] = [];
  private running?: { job: LocalJob; thread?: ThreadRun<unknown> };
  private idle: Promise<void> = Promise.resolve();
  /** Each job's writes, in order (a range's write never lands after the final one). */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly renewal?: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(private readonly options: LocalBatchJobsOptions) {
    if (options.leaseMs > 0) {
      this.renewal = setInterval(() => {
        for (const job of this.jobs.values()) this.save(job);
      }, options.leaseMs / 3);
      this.renewal.unref();
    }
  }

  async addScoring(spec: ScoringSpec, users: number, parts: number): Promise<ScoringStatus> {
    const ranges = userRanges(users, parts).map((r, part) => ({ ...spec, part, ...r }));
    const status: ScoringStatus = {
      ...describeScoring(spec, users, new Date().toISOString()),
      status: 'running',
      parts: { total: ranges.length, done: 0 },
    };
    const { dataDir, models, log } = this.options;
    await this.add({
      kind: 'scoring',
      status,
      run: (job) => {
        const thread = runScoringThread({ scoring: { dataDir, models, spec, ranges } }, (part) => {
          status.parts.done += 1;
          log({
            scoring: spec.id,
            part: part.part,
            users: part.users,
            seconds: Math.round(part.seconds * 10) / 10,
            thread: part.thread,
          });
          this.save(job);
        });
        this.running = { job, thread };
        return thread.result;
      },
    });
    return structuredClone(status);
  }

  async addSearch(spec: SearchSpec, tasks: readonly SearchTask[]): Promise<SearchStatus> {
    const status: SearchStatus = {
      ...describeSearch(spec),
      status: 'running',
      tasks: { total: tasks.length, done: 0 },
    };
    await this.add({
      kind: 'search',
      status,
      run: async (job) => {
        const results: SearchTaskResult[] = [];
        for (const task of tasks) {
          if (this.closed) throw new Error(STOPPED_RUNNING);
          if (job.cancelled) throw new Error(CANCELLED_BY_REQUEST);
          const started = performance.now();
          const thread = runSearchThread(
            {
              jobId: spec.id,
              model: spec.model,
              params: spec.params,
              data: spec.data,
              database: this.options.database,
              maxSeq: spec.maxSeq,
              split: TRAINING_SPLIT,
              seed: this.options.seed ?? 1,
              search: { plan: spec.plan, task },
            },
            () => {}, // a search's status counts tasks; a task's epochs are not shown
          );
          this.running = { job, thread };
          const result = await thread.result;
          results.push(result);
          status.tasks.done += 1;
          this.options.log({
            search: spec.id,
            candidate: task.candidate,
            fold: task.fold,
            score: result.trial.score,
            seconds: seconds(started),
          });
          this.save(job);
        }
        return gatherSearch(spec.plan, results);
      },
    });
    return structuredClone(status);
  }

  scoringStatus(id: string): Promise<ScoringStatus | undefined> {
    return this.status('scoring', id) as Promise<ScoringStatus | undefined>;
  }

  searchStatus(id: string): Promise<SearchStatus | undefined> {
    return this.status('search', id) as Promise<SearchStatus | undefined>;
  }

  /**
   * A job of this process: one in line leaves it as `cancelled` at once; the running one's
   * thread is told to stop (a scoring range at its next batch of listeners, a search task at
   * its next epoch) and the job ends `cancelled`. A job another replica runs reads the cancel
   * request the caller wrote (its runner watches for it).
   */
  async cancel(id: string): Promise<void> {
    const job = this.jobs.get(id);
    if (!job) return;
    job.cancelled = true;
    const waiting = this.waiting.indexOf(id);
    if (waiting >= 0) {
      this.waiting.splice(waiting, 1);
      Object.assign(job.status, { status: 'cancelled', finishedAt: new Date().toISOString() });
      this.options.log({ [job.kind]: id, status: 'cancelled' });
      this.save(job);
      await this.writes.get(id);
      this.jobs.delete(id);
      this.writes.delete(id);
      await clearCancel(this.options.repo, id).catch(() => {});
    } else if (this.running?.job === job) this.running.thread?.cancel();
  }

  /** Resolves when no job runs or waits. */
  async whenIdle(): Promise<void> {
    while (this.running || this.waiting.length > 0) await this.idle;
  }

  /**
   * Stops: waiting jobs and the running one (its thread ended at once) are marked failed, saying
   * the server stopped; resolves once their records are written.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewal);
    for (const id of this.waiting.splice(0)) {
      const job = this.jobs.get(id)!;
      Object.assign(job.status, {
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: STOPPED_WAITING,
      });
      this.save(job);
      this.jobs.delete(id);
    }
    await this.running?.thread?.terminate();
    await this.idle;
    await Promise.all(this.writes.values());
  }

  /** Records the job (a POST fails when its record cannot be written) and puts it in line. */
  private async add(job: LocalJob): Promise<void> {
    if (this.closed) throw new Error('the server is stopping');
    await this.options.repo.setSetting(key(job.kind, job.status.id), this.record(job));
    this.jobs.set(job.status.id, job);
    this.waiting.push(job.status.id);
    this.pump();
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const id = this.waiting.shift();
    if (id === undefined) return;
    const job = this.jobs.get(id)!;
    this.running = { job };
    this.idle = this.execute(job).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async execute(job: LocalJob): Promise<void> {
    const started = performance.now();
    const { id } = job.status;
    // A cancel request written by another replica (a DELETE there) reaches the job here.
    const unwatch = watchCancel(this.options.repo, id, () => void this.cancel(id));
    try {
      const result = await job.run(job);
      if (job.kind === 'scoring') job.status.parts.done = job.status.parts.total;
      else job.status.tasks.done = job.status.tasks.total;
      Object.assign(job.status, { status: 'succeeded', finishedAt: new Date().toISOString(), result });
    } catch (error) {
      const finishedAt = new Date().toISOString();
      if (job.cancelled && !this.closed) Object.assign(job.status, { status: 'cancelled', finishedAt });
      else {
        const message = this.closed ? STOPPED_RUNNING : (error as Error).message;
        Object.assign(job.status, { status: 'failed', finishedAt, error: message });
      }
    } finally {
      unwatch();
    }
    this.options.log({
      [job.kind]: id,
      status: job.status.status,
      seconds: seconds(started),
      ...(job.status.error ? { error: job.status.error } : {}),
    });
    this.save(job);
    await this.writes.get(id);
    this.jobs.delete(id);
    this.writes.delete(id);
    // Ended: a cancel request (one this run read, or one written after its last look) is forgotten.
    await clearCancel(this.options.repo, id).catch(() => {});
  }

  /** Writes the job's status as it is when the write runs, after the job's earlier writes. */
  private save(job: LocalJob): void {
    const { id } = job.status;
    const write = (this.writes.get(id) ?? Promise.resolve())
      .then(() => this.options.repo.setSetting(key(job.kind, id), this.record(job)))
      .catch((error: Error) =>
        this.options.log({ level: 'error', [job.kind]: id, message: `writing its status: ${error.message}` }),
      );
    this.writes.set(id, write);
  }

  private record(job: LocalJob): string {
    const stored: StoredJob = { owner: this.options.owner, renewedAt: Date.now(), status: job.status };
    return JSON.stringify(stored);
  }

  /**
   * A job's status: this process's own, or the record — a `running` one whose runner stopped
   * (this process does not hold it and it was not renewed within `leaseMs`) is marked failed.
   */
  private async status(
    kind: LocalJob['kind'],
    id: string,
  ): Promise<ScoringStatus | SearchStatus | undefined> {
    const local = this.jobs.get(id);
    if (local) return local.kind === kind ? structuredClone(local.status) : undefined;
    const raw = await this.options.repo.getSetting(key(kind, id));
    if (raw === undefined) return undefined;
    const stored = JSON.parse(raw) as StoredJob;
    if (stored.status.status !== 'running') return stored.status;
    const lapsed =
      stored.owner === this.options.owner || Date.now() - stored.renewedAt > this.options.leaseMs;
    if (!lapsed) return stored.status; // another replica runs it
    const status = {
      ...stored.status,
      status: 'failed' as const,
      finishedAt: new Date().toISOString(),
      error: STOPPED_RUNNING,
    };
    await this.options.repo.setSetting(key(kind, id), JSON.stringify({ ...stored, status }));
    return status;
  }
}
