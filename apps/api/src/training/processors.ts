import { randomUUID } from 'node:crypto';
import { gatherSearch } from '@autorec/core';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';
import type { ModelVersion, Repository, TrainingJob } from '../storage/repository.ts';
import { cancelRequested, clearCancel, watchCancel, watchUntil } from './cancel.ts';
import { registeredBy, runSearchThread, runTraining, TRAINING_SPLIT } from './execute.ts';
import { promoteRegistered } from './promote.ts';
import {
  CANCELLED_BY_REQUEST,
  partResults,
  QUEUE_NAME,
  type QueuedJob,
  redactRedisUrl,
  redisConnection,
  type ScoreGatherPayload,
  type ScoreRangePayload,
  type SearchGatherPayload,
  type SearchTaskPayload,
  searchResults,
  type TrainPayload,
  withTimeout,
} from './queue.ts';
import { gatherParts, releaseScoringModel, removeStaleTemporaries, scoreRange } from './scoring.ts';

export interface QueueWorkerOptions {
  redisUrl: string;
  repo: Repository;
  /**
   * The data folder: batch scoring files when versions are in the folder (then shared by the
   * API replicas and workers), only their temporary files when versions are on S3.
   */
  dataDir: string;
  /** Where model versions are kept: the data folder's models/, or S3. */
  models: ModelFiles;
  database: DatabaseLocation;
  seed?: number;
  /**
   * How long a job's lock lasts without renewal (ms; default 30 s): a worker that dies (SIGKILL,
   * power loss) has its job taken by another worker after at most about twice this. The lock is
   * renewed every half of it by this process's main thread, which training never blocks (it
   * runs in a worker thread).
   */
  lockMs?: number;
  /** How long Redis may take to answer at start (default 10 s); then the worker closes and throws. */
  connectTimeoutMs?: number;
  /** Structured log lines (job started, progress milestones, finished). */
  log: (record: Record<string, unknown>) => void;
}

/** How many times a job may be taken back from a worker that died before it fails. */
const MAX_STALLED = 2;
/** Progress reaches the queue's events at most this often while batches and epochs run. */
const PROGRESS_EVENT_MS = 250;
const ACTIVE = new Set(['queued', 'running']);
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export interface QueueWorker {
  readonly id: string;
  /**
   * Stops taking jobs; a job in progress stops at its next batch and goes back to the queue for
   * another worker (its row says `queued` again, its reserved version number kept).
   */
  close(): Promise<void>;
}

/**
 * A BullMQ worker that takes the API's queued jobs, one at a time, and runs them with the same
 * code as the API's in-process runner (`runTraining`): progress to the job row and to the queue's
 * events, the new version to the shared model store and the database, promotion by label (API
 * replicas follow `production` by notification or poll).
 *
 * Nothing is written twice when a job is retried after its worker died: the version number is
 * reserved once and kept in the queued job's data; a version the job already registered is not
 * registered again; a job whose row is finished is not run again.
 *
 * @example
 * const worker = await startQueueWorker({ redisUrl, repo, dataDir: 'data', database, log });
 * // … later, on SIGTERM:
 * await worker.close();
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { repo, log } = options;
  const id = randomUUID();
  const lockMs = options.lockMs ?? 30_000;
  const stopping = new AbortController();

  const finishRow = async (jobId: string, patch: Partial<TrainingJob>) => {
    await repo.updateJob(jobId, { ...patch, finishedAt: new Date().toISOString() });
    await clearCancel(repo, jobId);
  };
  const promote = (version: ModelVersion, label: string | undefined) =>
    promoteRegistered(repo, options.models, version, label);

  /** For reading a batch job's flow parent (its id is the job's). */
  const lookups = new Queue<QueuedJob>(QUEUE_NAME, { connection: redisConnection(options.redisUrl) });
  lookups.on('error', () => {});

  /**
   * Why a range or task of batch job `id` must not start, or must stop: a cancel request, or
   * the job has ended already — a sibling step failed or was cancelled, which failed the job
   * at once (its cancel request may be forgotten by then), or the job is gone. Undefined: go on.
   */
  async function stopReason(id: string): Promise<string | undefined> {
    if (await cancelRequested(repo, id)) return CANCELLED_BY_REQUEST;
    const parent = await lookups.getJob(id);
    const state = parent ? await parent.getState() : 'unknown';
    if (state === 'failed' || state === 'completed' || state === 'unknown')
      return `its job has already ended (${state === 'unknown' ? 'gone' : state})`;
    return undefined;
  }

  async function train(job: Job<TrainPayload>, token: string | undefined): Promise<string> {
    const { jobId, request } = job.data;
    const row = await repo.job(jobId);
    if (!row) {
      log({ level: 'warn', job: jobId, message: 'no row for this job in the database; dropped' });
      return 'missing';
    }
    if (!ACTIVE.has(row.status)) return row.status; // finished before its worker died
    if (await cancelRequested(repo, jobId)) {
      await finishRow(jobId, { status: 'cancelled', error: 'cancelled before it started' });
      return 'cancelled';
    }
    let version = job.data.version;
    if (version === undefined) {
      version = await repo.reserveVersion(request.model);
      await job.updateData({ ...job.data, version });
    }
    log({
      job: jobId,
      model: request.model,
      version,
      attempt: job.attemptsStarted,
      worker: id,
      status: 'running',
    });
    const prior = await registeredBy(repo, jobId, request.model, version);
    if (prior) {
      // Registered by a worker that died before it promoted: promote (or fail) as that run would have.
      const outcome: Partial<TrainingJob> = await promote(prior, request.promoteTo).then(
        () => ({
          status: 'succeeded',
          result: { model: prior.model, version: prior.version, metrics: prior.metrics },
        }),
        (error: Error) => ({ status: 'failed', error: error.message }),
      );
      await finishRow(jobId, outcome);
      return outcome.status as string;
    }
    let lastEvent = 0;
    const run = runTraining(jobId, request, {
      repo,
      models: options.models,
      database: options.database,
      seed: options.seed ?? 1,
      version,
      onProgress: (progress) => {
        const now = performance.now();
        if ((progress.phase === 'batch' || progress.phase === 'epoch') && now - lastEvent < PROGRESS_EVENT_MS)
          return;
        lastEvent = now;
        void job.updateProgress(progress).catch(() => {});
      },
      onVersion: promote,
    });
    const unwatch = watchCancel(repo, jobId, () => run.cancel());
    let handBack = false;
    const onStop = () => {
      handBack = true;
      run.cancel();
    };
    stopping.signal.addEventListener('abort', onStop, { once: true });
    if (stopping.signal.aborted) onStop();
    const outcome = await run.outcome;
    unwatch();
    stopping.signal.removeEventListener('abort', onStop);
    if (handBack && outcome.status === 'cancelled' && !(await cancelRequested(repo, jobId))) {
      // This worker stops: the job goes back to the queue (not counted as an attempt).
      await repo.updateJob(jobId, {
        status: 'queued',
        progress: { phase: 'queued', reason: 'its worker stopped' },
      });
      await job.moveToDelayed(Date.now(), token);
      log({
        job: jobId,
        worker: id,
        status: 'queued',
        message: 'handed back to the queue: this worker stops',
      });
      throw new DelayedError();
    }
    await finishRow(jobId, outcome);
    log({ job: jobId, worker: id, status: outcome.status, error: outcome.error, result: outcome.result });
    return outcome.status ?? 'failed';
  }

  /**
   * One user range of a scoring job into its part file; a stop hands the range back, a cancel
   * request (read before it starts and while it runs) fails it, which fails the job.
   */
  async function scoreOne(job: Job<ScoreRangePayload>, token: string | undefined) {
    const { range } = job.data;
    const before = await stopReason(range.id);
    if (before) throw new Error(before);
    const started = performance.now();
    const cancel = new AbortController();
    let reason: string | undefined;
    const unwatch = watchUntil(
      async () => (reason = await stopReason(range.id)) !== undefined,
      () => cancel.abort(),
    );
    try {
      const signal = AbortSignal.any([stopping.signal, cancel.signal]);
      const part = await scoreRange(options.dataDir, options.models, range, signal);
      log({ scoring: range.id, part: range.part, users: part.users, seconds: seconds(started), worker: id });
      return part;
    } catch (error) {
      if (cancel.signal.aborted) throw new Error(reason);
      if (!stopping.signal.aborted) throw error;
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    } finally {
      unwatch();
    }
  }

  async function gather(job: Job<ScoreGatherPayload>) {
    const { spec } = job.data;
    const parts = partResults(await job.getChildrenValues());
    const result = await gatherParts(options.dataDir, spec, parts, options.models);
    log({ scoring: spec.id, status: 'succeeded', ...result, worker: id });
    return result;
  }

  /**
   * One (candidate, fold) of a search, in a training thread; a stop hands the task back, a
   * cancel request fails it (and so the search), as for a scoring range.
   */
  async function searchOne(job: Job<SearchTaskPayload>, token: string | undefined) {
    const { spec, task } = job.data;
    const before = await stopReason(spec.id);
    if (before) throw new Error(before);
    const started = performance.now();
    let lastEvent = 0;
    const run = runSearchThread(
      {
        jobId: spec.id,
        model: spec.model,
        params: spec.params,
        data: spec.data,
        database: options.database,
        maxSeq: spec.maxSeq,
        split: TRAINING_SPLIT,
        seed: options.seed ?? 1,
        search: { plan: spec.plan, task },
      },
      (progress) => {
        const now = performance.now();
        if (now - lastEvent < PROGRESS_EVENT_MS) return;
        lastEvent = now;
        void job.updateProgress({ candidate: task.candidate, fold: task.fold, ...progress }).catch(() => {});
      },
    );
    const onStop = () => run.cancel();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    let reason: string | undefined;
    const unwatch = watchUntil(
      async () => (reason = await stopReason(spec.id)) !== undefined,
      () => run.cancel(),
    );
    try {
      const result = await run.result;
      log({
        search: spec.id,
        candidate: task.candidate,
        fold: task.fold,
        score: result.trial.score,
        seconds: seconds(started),
        worker: id,
      });
      return result;
    } catch (error) {
      if (reason) throw new Error(reason);
      if (!stopping.signal.aborted) throw error;
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    } finally {
      unwatch();
      stopping.signal.removeEventListener('abort', onStop);
    }
  }

  async function gatherSearchJob(job: Job<SearchGatherPayload>) {
    const { spec } = job.data;
    const summary = gatherSearch(spec.plan, searchResults(await job.getChildrenValues()));
    log({
      search: spec.id,
      status: 'succeeded',
      best: summary.best.params,
      score: summary.best.score.mean,
      worker: id,
    });
    return summary;
  }

  const worker = new Worker<QueuedJob, unknown>(
    QUEUE_NAME,
    async (job, token) => {
      if (job.name === 'train') return train(job as Job<TrainPayload>, token);
      if (job.name === 'score-range') return scoreOne(job as Job<ScoreRangePayload>, token);
      if (job.name === 'score-gather') return gather(job as Job<ScoreGatherPayload>);
      if (job.name === 'search-task') return searchOne(job as Job<SearchTaskPayload>, token);
      if (job.name === 'search-gather') return gatherSearchJob(job as Job<SearchGatherPayload>);
      throw new Error(`unknown job kind '${job.name}' (a newer API than this worker?)`);
    },
    {
      connection: redisConnection(options.redisUrl),
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: MAX_STALLED,
      autorun: false,
      name: id,
    },
  );
  worker.on('error', (error) => log({ level: 'error', worker: id, message: `queue: ${error.message}` }));
  // A batch job has ended once its gather step completed, or as soon as any of its steps failed
  // (a failed range or task fails the job at once, in the same Redis script): nobody reads its
  // cancel request any more — steps still in the queue see the ended job — so it is forgotten.
  // Every worker that sees an end deletes it; deleting twice is harmless.
  const forget = (job: Job<QueuedJob> | undefined) => {
    const data = job?.data;
    const batch =
      data?.kind === 'score-range' ? data.range.id : data?.kind === 'train' ? undefined : data?.spec.id;
    if (batch !== undefined)
      void clearCancel(repo, batch).catch((error: Error) =>
        log({
          level: 'warn',
          worker: id,
          job: batch,
          message: `forgetting its cancel request: ${error.message}`,
        }),
      );
  };
  worker.on('completed', (job) => {
    if (job.data.kind === 'score-gather' || job.data.kind === 'search-gather') forget(job);
  });
  worker.on('failed', (job) => forget(job));
  worker.on('stalled', (jobId) =>
    log({
      level: 'warn',
      job: jobId,
      worker: id,
      message: 'its worker stopped renewing the lock; queued again',
    }),
  );
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  try {
    await withTimeout(
      worker.waitUntilReady(),
      timeoutMs,
      `Redis at ${redactRedisUrl(options.redisUrl)} did not answer within ${timeoutMs / 1000} s`,
    );
  } catch (error) {
    await worker.close(true).catch(() => {});
    await lookups.close().catch(() => {});
    throw error;
  }
  // What a worker killed on this host mid-range left in the data folder (its pid is gone).
  for (const path of await removeStaleTemporaries(options.dataDir))
    log({ worker: id, removed: path, message: 'a temporary file of a stopped process' });
  void worker.run().catch((error: Error) => log({ level: 'error', worker: id, message: error.message }));
  return {
    id,
    async close() {
      stopping.abort();
      await worker.close();
      await lookups.close().catch(() => {});
      releaseScoringModel();
    },
  };
}
