import type { ModelName, SearchPlan, SearchSummary, SearchTask, SearchTaskResult } from '@autorec/core';
import { type ConnectionOptions, FlowProducer, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { JobRequest } from './execute.ts';
import {
  type PartResult,
  type ScoringRange,
  type ScoringResult,
  type ScoringSpec,
  userRanges,
} from './scoring.ts';

/**
 * Jobs on Redis, through BullMQ: the API adds them to one queue and `autorec worker`
 * processes on any machine take them (`queue-worker.ts`). The job's row in the database stays
 * the record a client reads (GET /v1/training-jobs/{id}); the queue carries the work, its
 * progress events and the liveness of whoever runs it (BullMQ's lock, renewed while the worker
 * lives; a job whose lock lapses is stalled and goes back to the queue for another worker).
 */
export const QUEUE_NAME = 'autorec-jobs';

/** What a queued job carries; the BullMQ job's name is its `kind`. */
export type QueuedJob =
  | TrainPayload
  | ScoreRangePayload
  | ScoreGatherPayload
  | SearchTaskPayload
  | SearchGatherPayload;

/**
 * A hyper-parameter search: every (candidate, fold) of `plan` trained and scored on the training
 * part of one data snapshot (events up to `maxSeq`, split as training jobs split it), gathered
 * into mean ± sd per candidate (core's `searchTasks`/`runSearchTask`/`gatherSearch`).
 */
export interface SearchSpec {
  id: string;
  model: ModelName;
  /** Parameters every candidate shares (a candidate's own values win). */
  params: Record<string, unknown>;
  /** `events` or a synthetic preset's name, as for training jobs. */
  data: string;
  /** The events' watermark when the search was created: every task reads the same snapshot. */
  maxSeq: number;
  plan: SearchPlan;
  createdAt: string;
}

/** One (candidate, fold) of a search: a child of the search's gather step. */
export interface SearchTaskPayload {
  kind: 'search-task';
  spec: SearchSpec;
  task: SearchTask;
}

/** A search's last step, run once every task is done: ranks the candidates. */
export interface SearchGatherPayload {
  kind: 'search-gather';
  spec: SearchSpec;
}

/** A search as `GET /v1/search-jobs/{id}` shows it (read from the queue). */
export interface SearchStatus {
  id: string;
  model: string;
  metric: string;
  folds: number;
  candidates: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  tasks: { total: number; done: number };
  createdAt: string;
  finishedAt?: string;
  result?: SearchSummary;
  error?: string;
}

/** One user range of a batch scoring job: a child of the job's gather step. */
export interface ScoreRangePayload {
  kind: 'score-range';
  range: ScoringRange;
}

/** A batch scoring job's last step, run once every range is scored: joins the parts. */
export interface ScoreGatherPayload {
  kind: 'score-gather';
  spec: ScoringSpec;
  users: number;
  createdAt: string;
}

/** A batch scoring job as `GET /v1/scoring-jobs/{id}` shows it (read from the queue). */
export interface ScoringStatus {
  id: string;
  model: string;
  version: number;
  k: number;
  users: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  parts: { total: number; done: number };
  createdAt: string;
  finishedAt?: string;
  result?: ScoringResult;
  error?: string;
}

export interface TrainPayload {
  kind: 'train';
  /** The job's row id, also the BullMQ job id (adding it twice adds it once). */
  jobId: string;
  request: JobRequest;
  /** The version number it writes, reserved by the first worker that took it (kept for retries). */
  version?: number;
}

/** A `redis://` or `rediss://` URL. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//.test(url);
}

/** Connection options of every queue, worker and event listener (BullMQ makes the ioredis clients). */
export function redisConnection(url: string): ConnectionOptions {
  // Commands wait for a lost connection to come back instead of failing after 20 retries:
  // BullMQ's blocking connections need this, and a queue add during a Redis restart then waits.
  return { url, maxRetriesPerRequest: null };
}

/** Finished jobs stay in Redis a day (at most 1,000), for their events and `bullmq` tools. */
export const JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
  // A job that throws is not retried (a training that fails fails again); a job whose worker
  // died is (stalled-job handling, see `maxStalledCount` in queue-worker.ts).
  attempts: 1,
};

/**
 * A batch job's steps (the flow's parent, whose state GET reads, and its children, whose
 * reasons it reads) stay in Redis as long as its results are kept (`keepMs`, the API's
 * `--keep-batch-results`; 0: for ever) and no longer — by age only: a count would let a few
 * large jobs push an earlier job's status out while its file is still kept.
 */
export function batchJobOptions(keepMs: number): JobsOptions {
  const keep = keepMs > 0 ? { age: Math.max(1, Math.ceil(keepMs / 1000)) } : false;
  return { removeOnComplete: keep, removeOnFail: keep, attempts: 1 };
}

/**
 * Where batch scoring jobs and hyper-parameter searches run, as the routes see them: the Redis
 * queue of `autorec worker`s (`JobQueue`) or, without `--redis`, this process's own threads
 * (`LocalBatchJobs`, training/local-jobs.ts). Both take the same specs and answer the same
 * statuses, so a client cannot tell them apart except by speed.
 */
export interface BatchJobs {
  /** Starts scoring `users` listeners of a version in `parts` user ranges; answers at once. */
  addScoring(spec: ScoringSpec, users: number, parts: number): Promise<ScoringStatus>;
  /** A scoring job's state; undefined when unknown (or forgotten). */
  scoringStatus(id: string): Promise<ScoringStatus | undefined>;
  /** Starts a search, one task per (candidate, fold); answers at once. */
  addSearch(spec: SearchSpec, tasks: readonly SearchTask[]): Promise<SearchStatus>;
  /** A search's state; undefined when unknown (or forgotten). */
  searchStatus(id: string): Promise<SearchStatus | undefined>;
  /**
   * Stops a running scoring job or search whose cancel request the caller has just written to
   * the database (`requestCancel`): whoever runs its ranges or tasks — a worker, this process or
   * another replica — reads that flag; this stops what this process itself runs or holds in line
   * at once. The status then reads `cancelled`.
   */
  cancel(id: string): Promise<void>;
}

/** Why a range or task of a cancelled job failed: how a status tells cancelled from failed. */
export const CANCELLED_BY_REQUEST = 'cancelled by request';

export interface JobQueueHooks {
  /** A worker reported progress on job `id`. */
  onProgress: (id: string, progress: Record<string, unknown>) => void;
  /** Job `id` finished in the queue: completed, or failed (with BullMQ's reason, e.g. stalled too often). */
  onEnded: (id: string, failedReason?: string) => void;
}

/**
 * The API's side of the queue: adds jobs, removes ones no worker took yet, and listens to the
 * queue's events (progress, completed, failed) for the job streams.
 *
 * @example
 * const queue = await JobQueue.open('redis://127.0.0.1:6379', { onProgress, onEnded });
 * await queue.addTraining(job.id, { model: 'ials', params: {}, data: 'events' });
 */
export class JobQueue implements BatchJobs {
  private constructor(
    readonly queue: Queue<QueuedJob>,
    private readonly events: QueueEvents,
    private readonly flows: FlowProducer,
    private readonly batchOptions: JobsOptions,
  ) {}

  /**
   * Connects to Redis (fails when it does not answer within `timeoutMs`). Batch jobs' steps are
   * kept `batchKeepMs` once finished (default: a day, as training jobs; 0: for ever).
   */
  static async open(
    url: string,
    hooks: JobQueueHooks,
    timeoutMs = 10_000,
    batchKeepMs = 24 * 3600 * 1000,
  ): Promise<JobQueue> {
    const connection = redisConnection(url);
    const queue = new Queue<QueuedJob>(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    const flows = new FlowProducer({ connection });
    // A connection that breaks reconnects by itself; its errors are not the caller's to handle.
    queue.on('error', () => {});
    events.on('error', () => {});
    flows.on('error', () => {});
    try {
      await withTimeout(
        Promise.all([queue.waitUntilReady(), events.waitUntilReady(), flows.waitUntilReady()]),
        timeoutMs,
        `Redis at ${redactRedisUrl(url)} did not answer within ${timeoutMs / 1000} s`,
      );
    } catch (error) {
      await Promise.allSettled([queue.close(), events.close(), flows.close()]);
      throw error;
    }
    events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'object' && data !== null) hooks.onProgress(jobId, data as Record<string, unknown>);
    });
    events.on('completed', ({ jobId }) => hooks.onEnded(jobId));
    events.on('failed', ({ jobId, failedReason }) => hooks.onEnded(jobId, failedReason));
    return new JobQueue(queue, events, flows, batchJobOptions(batchKeepMs));
  }

  async addTraining(id: string, request: JobRequest): Promise<void> {
    const payload: TrainPayload = { kind: 'train', jobId: id, request };
    await this.queue.add('train', payload, { ...JOB_OPTIONS, jobId: id });
  }

  /**
   * Removes job `id` when no worker has taken it yet; false when one runs it (or it is gone).
   * (BullMQ refuses to remove a job whose lock a worker holds.)
   */
  async removeWaiting(id: string): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // a worker took it meanwhile
    }
  }

  /**
   * Queues a batch scoring job as a BullMQ flow: one `score-range` child per user range and the
   * `score-gather` parent, which runs once every child has completed (a child that fails fails
   * the parent). The parent's id is the scoring job's id.
   */
  async addScoring(spec: ScoringSpec, users: number, parts: number): Promise<ScoringStatus> {
    const createdAt = new Date().toISOString();
    const ranges = userRanges(users, parts);
    await this.addFlow(
      spec.id,
      { kind: 'score-gather', spec, users, createdAt },
      ranges.map((r, part) => ({
        id: `${spec.id}.${part}`,
        data: { kind: 'score-range', range: { ...spec, part, ...r } },
      })),
    );
    return {
      ...describeScoring(spec, users, createdAt),
      status: 'running',
      parts: { total: ranges.length, done: 0 },
    };
  }

  /**
   * Queues a search as a BullMQ flow: one `search-task` child per (candidate, fold) — any worker
   * takes any of them — and the `search-gather` parent, run once all are done (a task that fails
   * fails the search). The parent's id is the search's id.
   */
  async addSearch(spec: SearchSpec, tasks: readonly SearchTask[]): Promise<SearchStatus> {
    await this.addFlow(
      spec.id,
      { kind: 'search-gather', spec },
      tasks.map((task) => ({
        id: `${spec.id}.${task.candidate}.${task.fold}`,
        data: { kind: 'search-task', spec, task },
      })),
    );
    return { ...describeSearch(spec), status: 'running', tasks: { total: tasks.length, done: 0 } };
  }

  /**
   * A flow: the children (any worker takes any of them) and a parent BullMQ runs once all have
   * completed; a child that fails fails the parent. Job names are the payloads' kinds; ids are
   * given, so adding the same flow twice adds it once.
   */
  private async addFlow(
    id: string,
    parent: ScoreGatherPayload | SearchGatherPayload,
    children: { id: string; data: ScoreRangePayload | SearchTaskPayload }[],
  ): Promise<void> {
    await this.flows.add({
      name: parent.kind,
      queueName: QUEUE_NAME,
      data: parent,
      opts: { ...this.batchOptions, jobId: id },
      children: children.map((c) => ({
        name: c.data.kind,
        queueName: QUEUE_NAME,
        data: c.data,
        opts: { ...this.batchOptions, jobId: c.id, failParentOnFailure: true },
      })),
    });
  }

  /** A search's state, tasks done and ranking; undefined when the queue does not know it (or no longer). */
  async searchStatus(id: string): Promise<SearchStatus | undefined> {
    const job = await this.queue.getJob(id);
    if (job?.name !== 'search-gather') return undefined;
    const { spec } = job.data as SearchGatherPayload;
    const progress = await flowProgress(job, () => this.queue.getJob(id));
    const { state, total, done, finishedAt } = progress;
    const base = { ...describeSearch(spec), tasks: { total, done } };
    if (state === 'completed')
      return {
        ...base,
        status: 'succeeded',
        finishedAt,
        result: progress.job.returnvalue as unknown as SearchSummary,
      };
    if (state === 'failed') return { ...base, finishedAt, ...(await this.failure(progress.job)) };
    return { ...base, status: 'running' };
  }

  /** A scoring job's state, parts done and result; undefined when the queue does not know it (or no longer). */
  async scoringStatus(id: string): Promise<ScoringStatus | undefined> {
    const job = await this.queue.getJob(id);
    if (job?.name !== 'score-gather') return undefined;
    const { spec, users, createdAt } = job.data as ScoreGatherPayload;
    const progress = await flowProgress(job, () => this.queue.getJob(id));
    const { state, total, done, finishedAt } = progress;
    const base = { ...describeScoring(spec, users, createdAt), parts: { total, done } };
    if (state === 'completed')
      return {
        ...base,
        status: 'succeeded',
        finishedAt,
        result: progress.job.returnvalue as unknown as ScoringResult,
      };
    if (state === 'failed') return { ...base, finishedAt, ...(await this.failure(progress.job)) };
    return { ...base, status: 'running' };
  }

  /** Nothing to do here: the workers read the cancel request before and while they run a range or task. */
  async cancel(_id: string): Promise<void> {}

  /**
   * A failed flow's state and reason: BullMQ fails the parent with "child <key> failed", so the
   * child's own reason is read — a cancelled job's ranges fail with {@link CANCELLED_BY_REQUEST}.
   */
  private async failure(
    parent: NonNullable<Awaited<ReturnType<Queue['getJob']>>>,
  ): Promise<{ status: 'failed' | 'cancelled'; error?: string }> {
    const child = /^child (.+) failed$/.exec(parent.failedReason ?? '')?.[1];
    const failed = child ? await this.queue.getJob(child.slice(child.lastIndexOf(':') + 1)) : undefined;
    const reason = failed?.failedReason ?? parent.failedReason;
    if (reason === CANCELLED_BY_REQUEST) return { status: 'cancelled' };
    return { status: 'failed', error: failed ? `${failed.id}: ${reason}` : reason };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close(), this.flows.close()]);
  }
}

/**
 * A flow parent's state and how many of its children are done, with the job as of that state:
 * `job` was read before its state, so one that settled in between is read again for its return
 * value, failure and finish time.
 */
async function flowProgress(
  job: NonNullable<Awaited<ReturnType<Queue['getJob']>>>,
  reread: () => ReturnType<Queue['getJob']>,
) {
  const state = await job.getState();
  const counts = await job.getDependenciesCount();
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const settled = state === 'completed' || state === 'failed' ? ((await reread()) ?? job) : job;
  return {
    job: settled,
    state,
    total,
    done: state === 'completed' ? total : (counts.processed ?? 0),
    finishedAt: settled.finishedOn ? new Date(settled.finishedOn).toISOString() : undefined,
  };
}

/** A search's fields that do not change while it runs. */
export function describeSearch(spec: SearchSpec) {
  return {
    id: spec.id,
    model: spec.model,
    metric: spec.plan.metric,
    folds: spec.plan.folds,
    candidates: spec.plan.candidates.length,
    createdAt: spec.createdAt,
  };
}

/** The task results of a search's gather step (BullMQ keeps each child's return value). */
export function searchResults(values: Record<string, unknown>): SearchTaskResult[] {
  return Object.values(values) as SearchTaskResult[];
}

/** A scoring job's fields that do not change while it runs. */
export function describeScoring(spec: ScoringSpec, users: number, createdAt: string) {
  return { id: spec.id, model: spec.model, version: spec.version, k: spec.k, users, createdAt };
}

/** The part results of a gather step's children (BullMQ keeps each child's return value). */
export function partResults(values: Record<string, unknown>): PartResult[] {
  return Object.values(values) as PartResult[];
}

/** For logs: the URL without its password. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** `work`, or an error saying `message` when it takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
