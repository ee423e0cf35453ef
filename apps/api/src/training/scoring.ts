import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  type CsrMatrix,
  loadKnownPlays,
  loadModel,
  type Recommender,
  recommendExcludingKnown,
} from '@autorec/core';
import { TOP_LISTS_HEADER, topListLines } from '@autorec/data';
import { type ModelFiles, versionStore } from '../storage/model-files.ts';

/**
 * Batch scoring: the top-k songs of every training listener of a model version (what
 * `autorec recommend --all-users` writes), cut into user ranges that workers score in any order
 * and on any machine — one queued job per range, each writing its own part file atomically —
 * and a gather step that joins the parts, in range order, into one file. The file lives in the
 * shared data folder: `scores/<id>/top-<k>.tsv` (user, rank, song, score; a header line; ids
 * escaped as the CLI escapes them).
 */

export interface ScoringSpec {
  id: string;
  model: string;
  version: number;
  /** The version's folder relative to the data folder (`models/<model>/v<N>`). */
  path: string;
  k: number;
}

export interface ScoringRange extends ScoringSpec {
  part: number;
  /** Users `from` (inclusive) to `to` (exclusive), in the model's user order. */
  from: number;
  to: number;
}

/** What a range job reports and the gather step sums. */
export interface PartResult {
  part: number;
  users: number;
  lines: number;
}

export interface ScoringResult {
  file: string;
  users: number;
  lines: number;
  bytes: number;
  parts: number;
}

/** Users scored per core call (one dense product each); the event loop runs between batches. */
const BATCH = 256;

/** Folder of a scoring job's parts and file, relative to the data folder. */
export function scoringFolder(id: string): string {
  return join('scores', id);
}

export function scoringFile(spec: Pick<ScoringSpec, 'id' | 'k'>): string {
  return join(scoringFolder(spec.id), `top-${spec.k}.tsv`);
}

const partFile = (id: string, part: number) =>
  join(scoringFolder(id), 'parts', `part-${String(part).padStart(5, '0')}.tsv`);

/** Splits `users` into `parts` contiguous ranges of near-equal size (none empty). */
export function userRanges(users: number, parts: number): { from: number; to: number }[] {
  const n = Math.max(1, Math.min(parts, users));
  return Array.from({ length: n }, (_, i) => ({
    from: Math.floor((i * users) / n),
    to: Math.floor(((i + 1) * users) / n),
  }));
}

/** A loaded model version, kept between the range jobs of one worker (the last one only). */
let cached: { key: string; model: Recommender; known: CsrMatrix | undefined } | undefined;

async function loadVersion(models: ModelFiles, spec: ScoringSpec) {
  const key = `${JSON.stringify(models)}\0${spec.path}`;
  if (cached?.key !== key) {
    cached?.model.dispose();
    cached = undefined;
    const store = versionStore(models, spec.path);
    const model = await loadModel(store);
    cached = { key, model, known: await loadKnownPlays(store) };
  }
  return cached;
}

/** Frees the model a worker keeps between range jobs. */
export function releaseScoringModel(): void {
  cached?.model.dispose();
  cached = undefined;
}

/**
 * Scores one range into its part file (a temporary name, then a rename: a part exists whole or
 * not at all). A part that exists already — the range's worker died after writing it — is not
 * written again. The event loop runs between batches of users, so the worker's queue lock is
 * renewed while it scores.
 */
export async function scoreRange(
  dataDir: string,
  models: ModelFiles,
  range: ScoringRange,
  signal?: AbortSignal,
): Promise<PartResult> {
  const target = join(dataDir, partFile(range.id, range.part));
  const users = range.to - range.from;
  try {
    await stat(target);
    return { part: range.part, users, lines: await countLines(target) };
  } catch {
    // not written yet
  }
  const { model, known } = await loadVersion(models, range);
  const ids = model.users.toArray().slice(range.from, range.to);
  if (ids.length !== users)
    throw new Error(`users ${range.from}–${range.to} are beyond the model's ${model.users.size} users`);
  await mkdir(join(dataDir, scoringFolder(range.id), 'parts'), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  let lines = 0;
  try {
    for (let from = 0; from < ids.length; from += BATCH) {
      signal?.throwIfAborted();
      const batch = ids.slice(from, from + BATCH);
      const lists = recommendExcludingKnown(model, batch, range.k, known, { batchSize: BATCH });
      for (const list of lists) lines += list.length;
      await file.write(topListLines(batch, lists));
      await yieldToLoop();
    }
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, target);
  return { part: range.part, users, lines };
}

/**
 * Joins the parts, in range order, into the job's file (atomically, as the parts) and removes
 * them. Every part must be there: the file then holds each training listener exactly once.
 */
export async function gatherParts(
  dataDir: string,
  spec: ScoringSpec,
  parts: PartResult[],
): Promise<ScoringResult> {
  const target = join(dataDir, scoringFile(spec));
  const folder = join(dataDir, scoringFolder(spec.id), 'parts');
  const ordered = [...parts].sort((a, b) => a.part - b.part);
  ordered.forEach((p, i) => {
    if (p.part !== i) throw new Error(`part ${i} of ${ordered.length} is missing`);
  });
  try {
    // A gather retried after its rename: the file is whole.
    const done = await stat(target);
    await rm(folder, { recursive: true, force: true });
    return summary(spec, ordered, done.size);
  } catch {
    // not written yet
  }
  const temporary = `${target}.${process.pid}.tmp`;
  const out = await open(temporary, 'w');
  try {
    await out.write(TOP_LISTS_HEADER);
    for (const p of ordered) {
      const input = await open(join(dataDir, partFile(spec.id, p.part)), 'r');
      try {
        for await (const chunk of input.createReadStream({ autoClose: false }))
          await out.write(chunk as Buffer);
      } finally {
        await input.close();
      }
    }
    await out.sync();
  } catch (error) {
    await out.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await out.close();
  await rename(temporary, target);
  const { size } = await stat(target);
  await rm(folder, { recursive: true, force: true });
  return summary(spec, ordered, size);
}

function summary(spec: ScoringSpec, parts: PartResult[], bytes: number): ScoringResult {
  return {
    file: scoringFile(spec),
    users: parts.reduce((n, p) => n + p.users, 0),
    lines: parts.reduce((n, p) => n + p.lines, 0),
    bytes,
    parts: parts.length,
  };
}

async function countLines(path: string): Promise<number> {
  const file = await open(path, 'r');
  let lines = 0;
  try {
    for await (const chunk of file.createReadStream({ autoClose: false }))
      for (const byte of chunk as Buffer) if (byte === 10) lines++;
  } finally {
    await file.close();
  }
  return lines;
}
