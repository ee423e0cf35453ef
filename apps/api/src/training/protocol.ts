import type { ModelName, SearchPlan, SearchTask, SearchTaskResult } from '@autorec/core';
import type { SplitOptions } from '@autorec/data';
import type { ModelFiles } from '../storage/model-files.ts';
import type { DatabaseLocation } from '../storage/open.ts';
import type { ScoringRange, ScoringResult, ScoringSpec } from './scoring.ts';

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

/**
 * A search task for the thread instead of a training: the same data and split, then one
 * candidate trained on one fold of the training part and scored on the fold's held-out part
 * (`runSearchTask`); nothing is saved.
 */
export interface SearchWorkerJob extends Omit<WorkerJob, 'models' | 'path'> {
  search: { plan: SearchPlan; task: SearchTask };
}

/**
 * A batch scoring job for the thread (the API's in-process path, without Redis): every range
 * scored into its part file in turn (`scoreRange`), then joined (`gatherParts`) — what the
 * queue's `score-range` and `score-gather` jobs do, on one machine.
 */
export interface ScoringWorkerJob {
  scoring: { dataDir: string; models: ModelFiles; spec: ScoringSpec; ranges: ScoringRange[] };
}

/** What the scoring thread reports after each range (as a `progress` message). */
export interface ScoredPart {
  part: number;
  users: number;
  lines: number;
  seconds: number;
  /** The thread's `threadId` (the main thread's is 0): logged, so a test sees where it ran. */
  thread: number;
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
  | { type: 'searched'; result: SearchTaskResult }
  | { type: 'scored'; result: ScoringResult }
  | { type: 'cancelled'; epochs: number }
  | { type: 'failed'; message: string };
