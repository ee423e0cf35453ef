import { type ConnectionOptions, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { JobRequest } from './execute.ts';

/**
 * Jobs on Redis, through BullMQ: the API adds them to one queue and `autorec worker`
 * processes on any machine take them (`queue-worker.ts`). The job's row in the database stays
 * the record a client reads (GET /v1/training-jobs/{id}); the queue carries the work, its
 * progress events and the liveness of whoever runs it (BullMQ's lock, renewed while the worker
 * lives; a job whose lock lapses is stalled and goes back to the queue for another worker).
 */
export const QUEUE_NAME = 'autorec-jobs';

/** What a queued job carries; the BullMQ job's name is its `kind`. */
export type QueuedJob = TrainPayload;

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
export class JobQueue {
  private constructor(
    readonly queue: Queue<QueuedJob>,
    private readonly events: QueueEvents,
  ) {}

  /** Connects to Redis (fails when it does not answer within `timeoutMs`). */
  static async open(url: string, hooks: JobQueueHooks, timeoutMs = 10_000): Promise<JobQueue> {
    const connection = redisConnection(url);
    const queue = new Queue<QueuedJob>(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    // Errors of a connection that reconnects are logged by the caller's hooks, not thrown.
    queue.on('error', () => {});
    events.on('error', () => {});
    try {
      await withTimeout(
        Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
        timeoutMs,
        `Redis at ${redactRedisUrl(url)} did not answer within ${timeoutMs / 1000} s`,
      );
    } catch (error) {
      await Promise.allSettled([queue.close(), events.close()]);
      throw error;
    }
    events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'object' && data !== null) hooks.onProgress(jobId, data as Record<string, unknown>);
    });
    events.on('completed', ({ jobId }) => hooks.onEnded(jobId));
    events.on('failed', ({ jobId, failedReason }) => hooks.onEnded(jobId, failedReason));
    return new JobQueue(queue, events);
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

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
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
