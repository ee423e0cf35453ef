import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiKey, KeyRing, Scope } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import type { ModelServer } from './serving.ts';
import type { ModelFiles } from './storage/model-files.ts';
import type { Repository } from './storage/repository.ts';
import type { JobRunner } from './training/jobs.ts';
import type { BatchJobs } from './training/queue.ts';

/** What the routes work with; built once by `createApp`'s caller. */
export interface AppDeps {
  repo: Repository;
  server: ModelServer;
  jobs: JobRunner;
  /**
   * Where batch scoring jobs and searches run: the Redis queue of `autorec worker`s (`--redis`),
   * or this process's own threads (`LocalBatchJobs`) without one.
   */
  batch: BatchJobs;
  keys: KeyRing;
  metrics: ApiMetrics;
  /** Promotes a version to a label (`production` swaps the served model). */
  promote: (model: string, version: number, label: string) => Promise<void>;
  options: AppOptions;
  /** Folder of the database and the model versions. */
  dataDir: string;
  /** Where model versions are kept (the data folder's models/, or S3). */
  models: ModelFiles;
  log: (record: Record<string, unknown>) => void;
  /**
   * How long finished batch jobs are kept (ms; 0: for ever) and the clock that ages them: one
   * finished longer ago reads as unknown (training/retention.ts).
   */
  retention: { keepMs: number; now: () => number };
}

export interface AppOptions {
  /** Let callers without a key read (GET recommendations, songs, models). Writes always need a key. */
  anonymousRead: boolean;
  /** Origins allowed by CORS; empty: no cross-origin access. */
  corsOrigins: string[];
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Requests per minute per key (0: unlimited). */
  rateLimit: number;
}

export interface AppEnv {
  Variables: { requestId: string; key: ApiKey | undefined; scope: Scope };
}

export type ApiApp = OpenAPIHono<AppEnv>;
