import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Objects } from '@autorec/core/s3';
import { type ModelFiles, storeObjects } from '../storage/model-files.ts';
import type { Repository } from '../storage/repository.ts';
import { clearCancel } from './cancel.ts';
import { localJobKey, type StoredJob } from './local-jobs.ts';
import type { BatchJobs } from './queue.ts';
import { JOB_FILE, PART_FILE, SCORING_ID, SCORING_MANIFEST, scoringFolder } from './scoring.ts';

/**
 * Retention of finished batch jobs (scoring jobs and searches). A nightly all-listeners top-N
 * is hundreds of MB, so finished jobs are kept `keepMs` (`--keep-batch-results DAYS`, 7 days by
 * default) and then forgotten — their files or objects (`scores/<id>/`), their status — by a
 * sweep that each API replica runs at start and then every `sweepEveryMs`.
 *
 * What GET can find and what is on disk agree: a status finished longer ago than `keepMs` reads
 * as unknown (404) from the moment it expires, whether or not a sweep has removed its file yet
 * ({@link expired}); the queue (BullMQ) is told to forget batch flows after the same time. The
 * sweep removes the files first and the status last, so a file never outlives its status for
 * longer than one sweep, and a folder whose status is gone (forgotten by Redis, or written
 * before this version) goes once its newest file is older than `keepMs`.
 *
 * It removes only what the jobs wrote: in folders `scores/<uuid>/` (the ids the API gives), the
 * names the jobs use — `top-<k>.tsv`, `parts/part-NNNNN.tsv`, their temporaries; on S3,
 * `manifest.json` (first: the result stops being whole) and `part-NNNNN.tsv`. Anything else
 * in the data folder or bucket, and any other file in those folders (which then stay), is left
 * alone. Every step is idempotent, so several replicas may sweep at once.
 */
export interface BatchRetention {
  /** How long a finished batch job's status and files are kept (ms); 0 keeps them for ever. */
  keepMs: number;
  /** Time between sweeps (ms; default an hour). */
  sweepEveryMs?: number;
  /** The clock the sweep and GET judge ages by (tests move it instead of waiting). */
  now?: () => number;
}

export const DAY_MS = 24 * 3600 * 1000;
export const DEFAULT_KEEP_DAYS = 7;
const HOUR_MS = 3600 * 1000;

/** Whether a batch job's status is past its retention: finished longer than `keepMs` ago. */
export function expired(
  status: { status: string; finishedAt?: string },
  keepMs: number,
  now: number,
): boolean {
  if (keepMs <= 0 || status.status === 'running' || status.finishedAt === undefined) return false;
  return now - Date.parse(status.finishedAt) > keepMs;
}

/** "7 days", "1 day", "36 h", "90 s": a retention as people read it. */
export function describeKeep(keepMs: number): string {
  if (keepMs <= 0) return 'for ever';
  if (keepMs % DAY_MS === 0) return `${keepMs / DAY_MS} day${keepMs === DAY_MS ? '' : 's'}`;
  if (keepMs >= HOUR_MS) return `${Math.round(keepMs / HOUR_MS)} h`;
  return `${Math.round(keepMs / 1000)} s`;
}

export interface SweepContext {
  repo: Repository;
  /** The statuses (raw: not hidden by age), of the queue or of this process. */
  batch: BatchJobs;
  dataDir: string;
  models: ModelFiles;
  keepMs: number;
  now: number;
  log: (record: Record<string, unknown>) => void;
}

/** What one sweep removed. */
export interface SweepResult {
  /** Scoring jobs whose files or objects were removed. */
  results: string[];
  /** Statuses (settings rows of in-process jobs) removed. */
  statuses: number;
  /** Cancel requests of jobs that have ended, removed. */
  cancelRequests: number;
}

/**
 * One sweep: finished scoring jobs' files (folder or S3), then the in-process jobs' statuses,
 * then cancel requests left by jobs that have ended. A step that fails is logged and the others
 * go on (the next sweep tries again).
 */
export async function sweepBatchResults(ctx: SweepContext): Promise<SweepResult> {
  const result: SweepResult = { results: [], statuses: 0, cancelRequests: 0 };
  if (ctx.keepMs <= 0) return result;
  const kept = new Set<string>(); // scoring jobs whose files could not all be removed: status stays
  const step = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      ctx.log({ level: 'warn', sweep: what, message: (error as Error).message });
    }
  };
  await step('scoring files', async () => {
    const folders =
      ctx.models.kind === 's3' ? await objectFolders(ctx.models) : await diskFolders(ctx.dataDir);
    for (const folder of folders) {
      if (!(await due(ctx, folder.id, folder.newest))) continue;
      try {
        if ((await folder.remove()) > 0) result.results.push(folder.id);
      } catch (error) {
        kept.add(folder.id);
        ctx.log({
          level: 'warn',
          sweep: 'scoring files',
          scoring: folder.id,
          message: (error as Error).message,
        });
      }
    }
  });
  await step('statuses', async () => {
    for (const kind of ['scoring', 'search'] as const)
      for (const row of await ctx.repo.settingsWithPrefix(localJobKey(kind, ''))) {
        const id = row.key.slice(localJobKey(kind, '').length);
        if (kept.has(id) || !(await rowExpired(ctx, kind, id, row.value))) continue;
        await ctx.repo.deleteSetting(row.key);
        result.statuses++;
      }
  });
  await step('cancel requests', async () => {
    for (const row of await ctx.repo.settingsWithPrefix('cancel-requested:')) {
      const id = row.key.slice('cancel-requested:'.length);
      if (await stillRunning(ctx, id)) continue;
      await clearCancel(ctx.repo, id);
      result.cancelRequests++;
    }
  });
  return result;
}

/** Whether scoring job `id`'s files may go: finished longer than `keepMs` ago, or unknown and old. */
async function due(ctx: SweepContext, id: string, newest: number): Promise<boolean> {
  const status = await ctx.batch.scoringStatus(id);
  if (status?.status === 'running') return false;
  if (status?.finishedAt !== undefined) return expired(status, ctx.keepMs, ctx.now);
  // No status (the queue forgot it, or its record is gone): judged by its newest file.
  return ctx.now - newest > ctx.keepMs;
}

/**
 * Whether an in-process job's record may go. A `running` record is asked through `batch` (which
 * marks it failed when its runner is gone); one no runner knows is judged by its last renewal.
 */
async function rowExpired(
  ctx: SweepContext,
  kind: 'scoring' | 'search',
  id: string,
  raw: string,
): Promise<boolean> {
  let stored: StoredJob;
  try {
    stored = JSON.parse(raw) as StoredJob;
  } catch {
    return false; // not a record of ours: left alone
  }
  if (stored.status?.status !== 'running') return expired(stored.status ?? {}, ctx.keepMs, ctx.now);
  const status = await (kind === 'scoring' ? ctx.batch.scoringStatus(id) : ctx.batch.searchStatus(id));
  if (status) return expired(status, ctx.keepMs, ctx.now);
  return ctx.now - stored.renewedAt > ctx.keepMs;
}

/** Whether job `id` of a cancel request (training or batch) still waits or runs. */
async function stillRunning(ctx: SweepContext, id: string): Promise<boolean> {
  const training = await ctx.repo.job(id);
  if (training) return training.status === 'queued' || training.status === 'running';
  const status = (await ctx.batch.scoringStatus(id)) ?? (await ctx.batch.searchStatus(id));
  return status?.status === 'running';
}

/** A scoring job's folder (or prefix): its id, its newest file's time, and how to remove our files. */
interface ResultFolder {
  id: string;
  newest: number;
  /** Removes our files (not the others); returns how many it removed. */
  remove(): Promise<number>;
}

async function diskFolders(dataDir: string): Promise<ResultFolder[]> {
  const root = join(dataDir, 'scores');
  const entries = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  const folders: ResultFolder[] = [];
  for (const entry of await entries(root)) {
    if (!entry.isDirectory() || !SCORING_ID.test(entry.name)) continue;
    const id = entry.name;
    const folder = join(dataDir, scoringFolder(id));
    const parts = join(folder, 'parts');
    let newest = 0;
    const ours: string[] = [];
    for (const [dir, pattern] of [
      [folder, JOB_FILE],
      [parts, PART_FILE],
    ] as const)
      for (const file of await entries(dir)) {
        if (!file.isFile()) continue; // `parts/`: its files count, not its own time
        const path = join(dir, file.name);
        const info = await stat(path).catch(() => undefined);
        if (info) newest = Math.max(newest, info.mtimeMs);
        if (pattern.test(file.name)) ours.push(path);
      }
    if (newest === 0) newest = (await stat(folder).catch(() => undefined))?.mtimeMs ?? 0;
    folders.push({
      id,
      newest,
      async remove() {
        for (const path of ours) await rm(path, { force: true });
        // Empty now, unless it holds files that are not ours: then kept.
        for (const dir of [parts, folder])
          await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
          });
        return ours.length;
      },
    });
  }
  return folders;
}

async function objectFolders(models: Extract<ModelFiles, { kind: 's3' }>): Promise<ResultFolder[]> {
  const scores = storeObjects(models, 'scores');
  const folders: ResultFolder[] = [];
  for (const prefix of (await scores.list('', { folders: true })).folders) {
    const id = prefix.replace(/\/$/, '');
    if (!SCORING_ID.test(id)) continue;
    const objects: S3Objects = storeObjects(models, scoringFolder(id));
    const listed = (await objects.list()).objects;
    const names = listed.map((o) => o.name);
    const newest = Math.max(0, ...listed.map((o) => o.lastModified.getTime()));
    folders.push({
      id,
      newest,
      async remove() {
        // The manifest first: from then on the result reads as absent, never as damaged.
        const ours = names.filter((name) => name === SCORING_MANIFEST || PART_FILE.test(name));
        if (ours.includes(SCORING_MANIFEST)) await objects.remove(SCORING_MANIFEST);
        for (const name of ours) if (name !== SCORING_MANIFEST) await objects.remove(name);
        return ours.length;
      },
    });
  }
  return folders;
}

export interface BatchSweeper {
  /** Runs a sweep now (after the one in progress, if any); resolves with what it removed. */
  sweep(): Promise<SweepResult>;
  /** Stops the timer and waits for a sweep in progress. */
  close(): Promise<void>;
}

/**
 * Sweeps at once and then every `sweepEveryMs` (an unref'd timer: it never keeps the process
 * alive), one sweep at a time; logs what each removed. Nothing runs when `keepMs` is 0.
 */
export function startBatchSweeps(
  ctx: Omit<SweepContext, 'keepMs' | 'now'>,
  retention: BatchRetention,
): BatchSweeper {
  const clock = retention.now ?? Date.now;
  let running: Promise<SweepResult> = Promise.resolve({ results: [], statuses: 0, cancelRequests: 0 });
  let closed = false;
  const sweep = () => {
    running = running
      .catch(() => undefined)
      .then(async () => {
        if (closed) return { results: [], statuses: 0, cancelRequests: 0 };
        const removed = await sweepBatchResults({ ...ctx, keepMs: retention.keepMs, now: clock() });
        if (removed.results.length + removed.statuses + removed.cancelRequests > 0)
          ctx.log({
            sweep: 'batch results',
            kept: describeKeep(retention.keepMs),
            scoringFiles: removed.results,
            statuses: removed.statuses,
            cancelRequests: removed.cancelRequests,
          });
        return removed;
      });
    return running;
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (retention.keepMs > 0) {
    void sweep();
    timer = setInterval(() => void sweep(), retention.sweepEveryMs ?? HOUR_MS);
    timer.unref();
  }
  return {
    sweep,
    async close() {
      clearInterval(timer);
      closed = true;
      await running.catch(() => {});
    },
  };
}
