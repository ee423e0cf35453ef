/**
 * Everything the API stores, behind one small interface: listening events, song metadata,
 * model versions with their labels, training jobs and a few settings. Two implementations:
 * SQLite (`sqlite.ts`, the embedded default) and PostgreSQL (`postgres.ts`, for several
 * replicas on one database); `open.ts` picks one. Methods are async so a networked database
 * fits the same shape. test/repository.test.ts runs one suite against both.
 */

/** One listening event as sent by a client. `seq` is the store's own increasing number. */
export interface EventInput {
  eventId?: string;
  user: string;
  song: string;
  count: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** A listener's plays of one song, summed over events, with the newest event's sequence number. */
export interface SongPlays {
  song: string;
  count: number;
  lastSeq: number;
}

export interface UserSummary {
  user: string;
  events: number;
  songs: number;
  plays: number;
  firstTimestamp: number;
  lastTimestamp: number;
}

export interface SongInfo {
  song: string;
  artist?: string;
  title?: string;
}

export type VersionStatus = 'ready' | 'unusable';

export interface ModelVersion {
  model: string;
  version: number;
  /** Folder of the saved model, relative to the data folder. */
  path: string;
  status: VersionStatus;
  /** Why the version is unusable. */
  reason?: string;
  hyperParameters: Record<string, unknown>;
  /** What it was trained on (source, counts, split). */
  data: Record<string, unknown>;
  metrics: Record<string, number>;
  createdAt: string;
  /** Highest event sequence number in its training data: later events are "since training". */
  eventWatermark: number;
  jobId?: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface TrainingJob {
  id: string;
  model: string;
  params: Record<string, unknown>;
  data: string;
  status: JobStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The last progress report (epoch, losses, validation, ETA). */
  progress?: Record<string, unknown>;
  /** The version it registered, when it succeeded. */
  result?: { model: string; version: number; metrics: Record<string, number> };
  error?: string;
  /** Promote the new version to this label when the job succeeds. */
  promoteTo?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Repository {
  /** Stores events in one transaction; an `eventId` already stored is a duplicate, not an error. */
  addEvents(events: readonly EventInput[]): Promise<{ accepted: number; duplicates: number }>;
  /** Number of events and the highest sequence number. */
  eventStats(): Promise<{ events: number; lastSeq: number }>;
  /** A listener's plays summed per song. */
  userPlays(user: string): Promise<SongPlays[]>;
  userSummary(user: string): Promise<UserSummary | undefined>;
  /** A listener's events, newest first, `limit` at a time. */
  userEvents(
    user: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<{ seq: number; eventId?: string; song: string; count: number; timestamp: number }>>;
  /** Erases a listener's events; returns how many were deleted. */
  deleteUser(user: string): Promise<number>;
  /** Every (user, song, count) event up to `maxSeq`, in chunks (for training). */
  scanEvents(
    maxSeq: number,
    onChunk: (users: string[], songs: string[], counts: number[]) => void,
  ): Promise<void>;

  upsertSongs(songs: readonly SongInfo[]): Promise<number>;
  song(song: string): Promise<SongInfo | undefined>;
  songsInfo(songs: readonly string[]): Promise<Map<string, SongInfo>>;
  allSongInfo(): Promise<Map<string, SongInfo>>;
  /** Catalogue in id order; `query` matches id, artist or title (case-insensitive substring). */
  listSongs(query: string | undefined, cursor: string | undefined, limit: number): Promise<Page<SongInfo>>;

  /**
   * Reserves the next version number of `model`: every call returns a new one, also across
   * replicas on one database (a counter row updated atomically), so two trainings never write
   * the same version folder. A job that fails leaves a gap in the numbers.
   */
  reserveVersion(model: string): Promise<number>;
  addVersion(version: ModelVersion): Promise<void>;
  version(model: string, version: number): Promise<ModelVersion | undefined>;
  versions(model?: string): Promise<ModelVersion[]>;
  markUnusable(model: string, version: number, reason: string): Promise<void>;
  /** Label → version, e.g. `production`. */
  labels(): Promise<Map<string, { model: string; version: number }>>;
  /** Points `label` at a version (replacing what it pointed at). */
  setLabel(label: string, model: string, version: number): Promise<void>;

  /** Stores a new job; `owner` is the replica that runs it (its lease starts now). */
  addJob(job: TrainingJob, owner?: string): Promise<void>;
  updateJob(id: string, patch: Partial<TrainingJob>): Promise<void>;
  job(id: string): Promise<TrainingJob | undefined>;
  jobs(limit: number): Promise<TrainingJob[]>;
  /** Renews the lease of every unfinished job `owner` runs (a replica's heartbeat). */
  renewJobLeases(owner: string): Promise<void>;
  /**
   * Jobs left `queued`/`running` by a replica that stopped become `interrupted`; returns their
   * ids. With `leaseMs`, only jobs whose lease was last renewed more than `leaseMs` ago (or
   * never): a live replica's jobs keep running. Without it, every unfinished job (one process
   * owns the database, e.g. the embedded SQLite file).
   */
  interruptUnfinishedJobs(leaseMs?: number): Promise<string[]>;
  /**
   * Runs `work` while holding the named lock, which replicas on the same database share (a
   * PostgreSQL advisory lock; SQLite has one process and just runs it). For decisions that only
   * one replica may take, e.g. importing and training on an empty database.
   */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * Calls `onChange` soon after any replica moves a label (PostgreSQL LISTEN/NOTIFY); returns
   * the function that stops listening. SQLite has no other writer to hear: it never calls.
   * Callers poll as well — a notification can be lost while the connection is re-made.
   */
  watchLabels(onChange: (label: string) => void): Promise<() => Promise<void>>;

  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  /** Removes a setting (nothing when there is none). */
  deleteSetting(key: string): Promise<void>;
  /** Every setting whose key starts with `prefix` (e.g. `scoring-job:`), in key order. */
  settingsWithPrefix(prefix: string): Promise<{ key: string; value: string }[]>;
  /** Writes and reads back a row: true when the database is writable. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
