import type { ModelName } from '@autorec/core';
import type { SplitOptions } from '@autorec/data';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';

/** What the training thread is given. */
export interface WorkerJob {
  jobId: string;
  model: ModelName;
  params: Record<string, unknown>;
  /** `events` (the store's events up to `maxSeq`) or a synthetic preset's name. */
  data: string;
  database: DatabaseLocation;
  /** Where the version is saved, and its `models/<model>/v<N>`. */
  models: ModelFiles;
  path: string;
  maxSeq: number;
  split: SplitOptions;
  seed: number;
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: Record<string, unknown> }
  | {
      type: 'done';
      hyperParameters: Record<string, unknown>;
      data: Record<string, unknown>;
      metrics: Record<string, number>;
      fit: { epochs: unknown[]; bestEpoch: number; seconds: number; backend: string };
    }
  | { type: 'cancelled'; epochs: number }
  | { type: 'failed'; message: string };
