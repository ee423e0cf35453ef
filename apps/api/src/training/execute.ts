import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelName, SearchTaskResult } from '@autorec/core';
import type { SplitOptions } from '@autorec/data';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';
import type { ModelVersion, Repository, TrainingJob } from '../storage/repository.ts';
import type { FromWorker, ScoredPart, ScoringWorkerJob, SearchWorkerJob, WorkerJob } from './protocol.ts';
import type { ScoringResult } from './scoring.ts';

export interface JobRequest {
  model: ModelName;
  params: Record<string, unknown>;
  data: string;
  promoteTo?: string;
}

/**
 * How a training job splits its data: a per-user 10% test and 5% validation. A search task splits
 * the same way and searches on the training part only.
 */
export const TRAINING_SPLIT: SplitOptions = { method: 'per-user', test: 0.1, validation: 0.05 };

/** The training thread resolves workspace packages to their TypeScript sources, as the app does. */
const WORKER_EXEC_ARGV = ['--conditions=@autorec/source'];
/** Progress reaches the job's row at most this often while batches run (every report otherwise). */
const PROGRESS_WRITE_MS = 1_000;
const EPOCH_WRITE_MS = 100;

export interface TrainingRun {
  /** The job's final state (`succeeded` with `result`, `failed`, `cancelled`), not yet written. */
  readonly outcome: Promise<Partial<TrainingJob>>;
  /** Stops the fit at its next batch; the outcome is `cancelled`. */
  cancel(): void;
  /** Ends the thread at once (the server stops); the outcome is `failed`. */
  terminate(): Promise<void>;
}

export interface TrainingRunOptions {
  repo: Repository;
  /** Where the version is saved (`models/<model>/v<version>` in the data folder, or on S3). */
  models: ModelFiles;
  /** The training thread opens it read-only. */
  database: DatabaseLocation;
  seed: number;
  /** The version number this job writes, reserved once per job (a retried job gets the same one). */
  version: number;
  onProgress: (progress: Record<string, unknown>) => void;
  /** Called with the new version once it is registered; promotes it when the job asked for a label. */
  onVersion: (version: ModelVersion, promoteTo: string | undefined) => Promise<void>;
}

/**
 * Runs one training job in its own worker thread (so that whatever else the process does —
 * answering requests, renewing a queue lock — keeps its latency) and registers the version it
 * saves. The one home of a job's execution: the API's in-process runner and `autorec worker`
 * (a job from the Redis queue) both call it. It writes the row's `running` state and progress;
 * the caller writes the final state it resolves to.
 *
 * Registering is idempotent: a job retried after its worker died finds the version it
 * registered before (same job id, same reserved number) and does not register it again.
 */
export function runTraining(id: string, request: JobRequest, options: TrainingRunOptions): TrainingRun {
  const { repo, version } = options;
  let thread: Thread | undefined;
  let cancelled = false;
  const outcome = (async (): Promise<Partial<TrainingJob>> => {
    const path = join('models', request.model, `v${version}`);
    const { lastSeq } = await repo.eventStats();
    const spec: WorkerJob = {
      jobId: id,
      model: request.model,
      params: request.params,
      data: request.data,
      database: options.database,
      models: options.models,
      path,
      maxSeq: lastSeq,
      split: TRAINING_SPLIT,
      seed: options.seed,
    };
    await repo.updateJob(id, { status: 'running', startedAt: new Date().toISOString() });
    if (cancelled) return { status: 'cancelled', error: 'cancelled before it started' };
    let lastWrite = 0;
    thread = startThread(spec, (progress) => {
      options.onProgress(progress);
      const now = performance.now();
      // Every epoch too, unless epochs come faster than ten a second (a small data set).
      const epochly = progress.phase !== 'batch' && now - lastWrite > EPOCH_WRITE_MS;
      if (epochly || now - lastWrite > PROGRESS_WRITE_MS) {
        lastWrite = now;
        void repo.updateJob(id, { progress }).catch(() => {});
      }
    });
    const message = await thread.message;
    if (message.type === 'cancelled')
      return {
        status: 'cancelled',
        error: message.epochs > 0 ? `cancelled after ${message.epochs} epoch(s)` : 'cancelled',
      };
    if (message.type !== 'done') return { status: 'failed', error: (message as { message: string }).message };
    let registered = await registeredBy(repo, id, request.model, version);
    if (!registered) {
      registered = {
        model: request.model,
        version,
        path,
        status: 'ready',
        hyperParameters: message.hyperParameters,
        data: { ...message.data, fit: message.fit },
        metrics: message.metrics,
        createdAt: new Date().toISOString(),
        eventWatermark: lastSeq,
        jobId: id,
      };
      await repo.addVersion(registered);
    }
    await options.onVersion(registered, request.promoteTo);
    return {
      status: 'succeeded',
      result: { model: request.model, version, metrics: registered.metrics },
    };
  })().catch((error: unknown) => ({ status: 'failed' as const, error: (error as Error).message }));
  return {
    outcome,
    cancel() {
      cancelled = true;
      thread?.cancel();
    },
    async terminate() {
      await thread?.terminate();
    },
  };
}

/** A job's thread: its last message, and how to stop it. */
interface Thread {
  /** `done`, `searched`, `cancelled` or `failed` (a thread that dies says so). */
  readonly message: Promise<FromWorker>;
  /** Stops the fit at its next batch (the thread then says `cancelled`). */
  cancel(): void;
  /** Ends the thread at once. */
  terminate(): Promise<void>;
}

/** Starts the training thread on `spec`; progress messages go to `onProgress`. */
function startThread(
  spec: WorkerJob | SearchWorkerJob | ScoringWorkerJob,
  onProgress: (p: Record<string, unknown>) => void,
): Thread {
  let cancelled = false;
  let terminated = false;
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    workerData: spec,
    execArgv: WORKER_EXEC_ARGV,
  });
  const message = new Promise<FromWorker>((done) => {
    let settled = false;
    const settle = (m: FromWorker) => {
      if (settled) return;
      settled = true;
      done(m);
    };
    worker.on('message', (m: FromWorker) => (m.type === 'progress' ? onProgress(m.progress) : settle(m)));
    worker.on('error', (error) => settle({ type: 'failed', message: error.message }));
    worker.on('exit', (code) =>
      settle(
        cancelled
          ? { type: 'cancelled', epochs: 0 }
          : {
              type: 'failed',
              message: terminated
                ? 'the process stopped while the job ran'
                : `the training thread stopped (exit code ${code})`,
            },
      ),
    );
  });
  return {
    message,
    cancel() {
      cancelled = true;
      worker.postMessage({ type: 'cancel' });
    },
    async terminate() {
      terminated = true;
      await worker.terminate();
    },
  };
}

/**
 * Runs one task of a hyper-parameter search (`runSearchTask` in core) in a training thread, on
 * the same data and split as a training job, so the queue worker's main thread keeps renewing
 * its lock. Resolves with the task's result; a cancelled or failed task rejects.
 */
export function runSearchThread(
  spec: SearchWorkerJob,
  onProgress: (p: Record<string, unknown>) => void,
): ThreadRun<SearchTaskResult> {
  const thread = startThread(spec, onProgress);
  const result = thread.message.then((m) => {
    if (m.type === 'searched') return m.result;
    throw new Error(m.type === 'failed' ? m.message : `the search task was ${m.type}`);
  });
  return { result, cancel: () => thread.cancel(), terminate: () => thread.terminate() };
}

/** A search task's or a scoring job's thread: its result, and how to stop it. */
export interface ThreadRun<T> {
  /** Rejects when the thread fails, is cancelled or terminated (the message says which). */
  readonly result: Promise<T>;
  /** Stops at the next batch (of training, or of users scored). */
  cancel(): void;
  /** Ends the thread at once (the server stops). */
  terminate(): Promise<void>;
}

/**
 * Runs a whole batch scoring job in a training thread — every range into its part file, then the
 * joined file — so the process that answers requests only forwards messages: the in-process path
 * of the API without Redis (`LocalBatchJobs`). `onPart` hears of each range once it is written.
 */
export function runScoringThread(
  spec: ScoringWorkerJob,
  onPart: (part: ScoredPart) => void,
): ThreadRun<ScoringResult> {
  const thread = startThread(spec, (p) => onPart(p as unknown as ScoredPart));
  const result = thread.message.then((m) => {
    if (m.type === 'scored') return m.result;
    throw new Error(m.type === 'failed' ? m.message : `the scoring job was ${m.type}`);
  });
  return { result, cancel: () => thread.cancel(), terminate: () => thread.terminate() };
}

/**
 * A version this job registered already (its worker died after registering and before the job
 * was marked finished): the retry finishes the job with it instead of training again.
 */
export async function registeredBy(
  repo: Repository,
  id: string,
  model: string,
  version: number,
): Promise<ModelVersion | undefined> {
  const found = await repo.version(model, version);
  return found?.jobId === id ? found : undefined;
}
