import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  type CsrMatrix,
  loadKnownPlays,
  loadModel,
  type Recommender,
  recommendExcludingKnown,
} from '@autorec/core';
import { processAlive } from '@autorec/core/node';
import type { S3Objects } from '@autorec/core/s3';
import { TOP_LISTS_HEADER, topListLines } from '@autorec/data';
import { type ModelFiles, storeObjects, versionStore } from '../storage/model-files.ts';

/**
 * Batch scoring: the top-k songs of every training listener of a model version (what
 * `autorec recommend --all-users` writes), cut into user ranges that workers score in any order
 * and on any machine — one queued job per range, each writing its own part atomically — and a
 * gather step, run once all parts are there. The lines are TSV: user, rank, song, score (a
 * header line; ids escaped as the CLI escapes them). Where the files live follows the model
 * store, so whatever machines share the versions share the scores too:
 *
 * - Versions in the data folder (a shared file system across machines): the parts are files
 *   under `scores/<id>/parts/` (a temporary name, then a rename), and the gather joins them, in
 *   range order, into one file `scores/<id>/top-<k>.tsv` (atomically again) and removes them.
 * - Versions on S3 (`--models s3://bucket/prefix`): the parts go to `<prefix>/scores/<id>/` as
 *   objects `part-00000.tsv`, … Object stores have neither append nor rename, and a part is
 *   k lines for each of its users (10,000 users by default, k up to 1,000: too much to hold in
 *   memory), so a worker writes its part to a temporary file in its own data folder, then
 *   uploads it in one streamed PUT: the object appears whole or not at all, and its size,
 *   SHA-256 (signed: AWS S3 refuses bytes that differ from it) and line and user counts travel
 *   as its metadata. Every part starts with the header line, so the prefix is a data set by
 *   itself (Spark's and DuckDB's CSV readers with `header` read a folder of such files). The
 *   result is that prefix, not one object: the gather reads each part once, checks it against
 *   its metadata (a damaged or altered part is refused, naming the object), and writes
 *   `manifest.json` last (parts in order with their sizes, SHA-256 and counts), so a reader sees
 *   all the parts or none. `GET /v1/scoring-jobs/{id}/file` streams the header and the parts
 *   without their headers, in order, checking them against the manifest as it goes — the
 *   bytes of the folder's one file — so no replica needs the parts on its own disk, and none
 *   holds a whole file in memory.
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

const partName = (part: number) => `part-${String(part).padStart(5, '0')}.tsv`;
const partFile = (id: string, part: number) => join(scoringFolder(id), 'parts', partName(part));

/** A scoring job's id as the routes make it (a UUID): the only folders under `scores/` that are ours. */
export const SCORING_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** This host's name as it goes into temporary file names (letters, digits and dashes). */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';

/**
 * The temporary name a part or file is written under before its rename: `<target>.<host>.<pid>.tmp`.
 * The host is in it because the data folder may be shared by several machines (NFS), where a
 * pid means nothing to another host: only the writer's own host can tell that it is gone.
 */
export function temporaryName(target: string): string {
  return `${target}.${HOST}.${process.pid}.tmp`;
}

/** A temporary name's suffix ({@link temporaryName}): the host and the pid that wrote it. */
const TEMPORARY_SUFFIX = String.raw`\.([A-Za-z0-9-]+)\.(\d+)\.tmp`;
/** Names of ours in `scores/<id>/`: the job's file, or its temporary. */
export const JOB_FILE = new RegExp(`^top-\\d+\\.tsv(?:${TEMPORARY_SUFFIX})?$`);
/** Names of ours in `scores/<id>/parts/` (and of the parts on S3): a part, or its temporary. */
export const PART_FILE = new RegExp(`^part-\\d{5}\\.tsv(?:${TEMPORARY_SUFFIX})?$`);

/**
 * Removes the temporary files a killed worker or API left under `<dataDir>/scores/` (a range or
 * gather stopped between writing and renaming): only names of ours ({@link temporaryName}) in
 * job folders of ours (`scores/<uuid>/`, `scores/<uuid>/parts/`), written on this host by a
 * process that is no longer alive. Anything else — other hosts' files, other names, folders —
 * is left as it is. Returns the paths removed. Called when a worker or the API's batch runner
 * starts.
 */
export async function removeStaleTemporaries(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'scores');
  const removed: string[] = [];
  const entries = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const job of await entries(root)) {
    if (!job.isDirectory() || !SCORING_ID.test(job.name)) continue;
    for (const dir of [join(root, job.name), join(root, job.name, 'parts')])
      for (const file of await entries(dir)) {
        const match = file.isFile() ? (JOB_FILE.exec(file.name) ?? PART_FILE.exec(file.name)) : null;
        // match[1] undefined: a finished file, not a temporary.
        if (!match?.[1] || match[1] !== HOST || processAlive(Number(match[2]))) continue;
        await rm(join(dir, file.name), { force: true });
        removed.push(join(dir, file.name));
      }
  }
  return removed;
}

/** The manifest of a scoring job's parts on S3, written last by the gather. */
export const SCORING_MANIFEST = 'manifest.json';

/** `manifest.json` of a scoring job on S3. */
export interface ScoringManifest {
  format: 'autorec-scores';
  formatVersion: 1;
  id: string;
  model: string;
  version: number;
  k: number;
  /** Listeners, lines (header excluded) and bytes of the joined file: header once, then the parts without theirs. */
  users: number;
  lines: number;
  bytes: number;
  /** The header line every part starts with. */
  header: string;
  /** In user order; sizes and SHA-256 of the objects as stored (each with its header line). */
  parts: { file: string; users: number; lines: number; bytes: number; sha256: string }[];
}

/** The objects of a scoring job beside the versions on S3, or undefined for the data folder. */
function scoringObjects(models: ModelFiles, id: string): S3Objects | undefined {
  return models.kind === 's3' ? storeObjects(models, scoringFolder(id)) : undefined;
}

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
 * Scores one range into its part (a temporary name, then a rename, or one PUT on S3: a part
 * exists whole or not at all). A part that exists already — the range's worker died after
 * writing it — is not written again. The event loop runs between batches of users, so the
 * worker's queue lock is renewed while it scores. `dataDir` holds the part on a folder store,
 * and only its temporary file on S3.
 */
export async function scoreRange(
  dataDir: string,
  models: ModelFiles,
  range: ScoringRange,
  signal?: AbortSignal,
): Promise<PartResult> {
  const objects = scoringObjects(models, range.id);
  if (objects) return scoreRangeToObject(dataDir, models, objects, range, signal);
  const target = join(dataDir, partFile(range.id, range.part));
  const users = range.to - range.from;
  try {
    await stat(target);
    return { part: range.part, users, lines: await countLines(target) };
  } catch {
    // not written yet
  }
  await mkdir(join(dataDir, scoringFolder(range.id), 'parts'), { recursive: true });
  const temporary = temporaryName(target);
  const file = await open(temporary, 'w');
  let lines: number;
  try {
    ({ lines } = await writeRange(file, models, range, signal, false));
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

/** What a part object carries as metadata (`x-amz-meta-*`): what the gather checks it against. */
interface PartMetadata {
  users: number;
  lines: number;
  bytes: number;
  sha256: string;
}

function partMetadata(metadata: Record<string, string>): PartMetadata | undefined {
  const users = Number(metadata.users);
  const lines = Number(metadata.lines);
  const bytes = Number(metadata.bytes);
  const sha256 = metadata.sha256;
  if (![users, lines, bytes].every(Number.isSafeInteger) || !/^[0-9a-f]{64}$/.test(sha256 ?? ''))
    return undefined;
  return { users, lines, bytes, sha256 };
}

async function scoreRangeToObject(
  dataDir: string,
  models: ModelFiles,
  objects: S3Objects,
  range: ScoringRange,
  signal: AbortSignal | undefined,
): Promise<PartResult> {
  const name = partName(range.part);
  const users = range.to - range.from;
  const prior = await objects.head(name);
  const written = prior && partMetadata(prior.metadata);
  // A PUT is atomic with its metadata, so an object without ours is not one of ours: replaced.
  if (written) {
    if (written.users !== users)
      throw new Error(`${objects.urlOf(name)} holds ${written.users} users, not this range's ${users}`);
    return { part: range.part, users, lines: written.lines };
  }
  const folder = join(dataDir, scoringFolder(range.id), 'parts');
  await mkdir(folder, { recursive: true });
  const temporary = temporaryName(join(dataDir, partFile(range.id, range.part)));
  try {
    const file = await open(temporary, 'w');
    let counts: { lines: number; bytes: number; sha256: string };
    try {
      counts = await writeRange(file, models, range, signal, true);
    } finally {
      await file.close();
    }
    const { lines, bytes, sha256 } = counts;
    const body = Readable.toWeb(createReadStream(temporary)) as ReadableStream<Uint8Array>;
    await objects.put(
      name,
      { body, bytes, sha256 },
      { users: String(users), lines: String(lines), bytes: String(bytes), sha256 },
    );
    return { part: range.part, users, lines };
  } finally {
    await rm(temporary, { force: true });
    // The folders only held the temporary file; another range's may still be there.
    for (const dir of [folder, join(dataDir, scoringFolder(range.id))]) await rmdir(dir).catch(() => {});
  }
}

/**
 * Writes a range's lines to `file`, batch by batch (with the header first, and their SHA-256
 * computed on the way, for an S3 part).
 */
async function writeRange(
  file: FileHandle,
  models: ModelFiles,
  range: ScoringRange,
  signal: AbortSignal | undefined,
  asObject: boolean,
): Promise<{ lines: number; bytes: number; sha256: string }> {
  const { model, known } = await loadVersion(models, range);
  const ids = model.users.toArray().slice(range.from, range.to);
  if (ids.length !== range.to - range.from)
    throw new Error(`users ${range.from}–${range.to} are beyond the model's ${model.users.size} users`);
  const hash = asObject ? createHash('sha256') : undefined;
  let lines = 0;
  let bytes = 0;
  const write = async (text: string) => {
    const chunk = Buffer.from(text);
    hash?.update(chunk);
    bytes += chunk.length;
    await file.write(chunk);
  };
  if (asObject) await write(TOP_LISTS_HEADER);
  for (let from = 0; from < ids.length; from += BATCH) {
    signal?.throwIfAborted();
    const batch = ids.slice(from, from + BATCH);
    const lists = recommendExcludingKnown(model, batch, range.k, known, { batchSize: BATCH });
    for (const list of lists) lines += list.length;
    await write(topListLines(batch, lists));
    await yieldToLoop();
  }
  return { lines, bytes, sha256: hash?.digest('hex') ?? '' };
}

/**
 * Joins the parts, in range order, into the job's file (atomically, as the parts) and removes
 * them; on S3, checks every part object against its metadata and writes the manifest. Every
 * part must be there: the file then holds each training listener exactly once. `models` says
 * where the parts are, as for `scoreRange` (default: the data folder).
 */
export async function gatherParts(
  dataDir: string,
  spec: ScoringSpec,
  parts: PartResult[],
  models: ModelFiles = { kind: 'folder', dataDir },
): Promise<ScoringResult> {
  const ordered = [...parts].sort((a, b) => a.part - b.part);
  ordered.forEach((p, i) => {
    if (p.part !== i) throw new Error(`part ${i} of ${ordered.length} is missing`);
  });
  const objects = scoringObjects(models, spec.id);
  if (objects) return gatherObjects(objects, spec, ordered);
  const target = join(dataDir, scoringFile(spec));
  const folder = join(dataDir, scoringFolder(spec.id), 'parts');
  try {
    // A gather retried after its rename: the file is whole.
    const done = await stat(target);
    await rm(folder, { recursive: true, force: true });
    return summary(spec, ordered, done.size);
  } catch {
    // not written yet
  }
  const temporary = temporaryName(target);
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

async function gatherObjects(
  objects: S3Objects,
  spec: ScoringSpec,
  ordered: PartResult[],
): Promise<ScoringResult> {
  const file = `${objects.url}/`;
  // A gather retried after it wrote the manifest: the job's files are whole.
  const done = await readManifest(objects);
  if (done)
    return { file, users: done.users, lines: done.lines, bytes: done.bytes, parts: done.parts.length };
  const header = Buffer.byteLength(TOP_LISTS_HEADER);
  const entries: ScoringManifest['parts'] = [];
  for (const p of ordered) {
    const name = partName(p.part);
    const where = objects.urlOf(name);
    if (!(await objects.head(name)))
      throw new Error(`part ${p.part} of ${ordered.length} (${where}) is missing`);
    const got = await objects.get(name);
    const expected = partMetadata(got.metadata);
    if (!expected)
      throw new Error(
        `${where} has no part metadata (users, lines, bytes, sha256): not written by a scoring range`,
      );
    if (expected.users !== p.users)
      throw new Error(`${where} holds ${expected.users} users, its range ${p.users}`);
    const reading = checkedChunks(got.body, where, expected);
    let step = await reading.next();
    while (!step.done) step = await reading.next();
    const seen = step.value;
    if (seen.lines !== expected.lines + 1)
      throw new Error(`${where} is damaged: ${seen.lines - 1} lines, its metadata says ${expected.lines}`);
    entries.push({
      file: name,
      users: expected.users,
      lines: expected.lines,
      bytes: expected.bytes,
      sha256: expected.sha256,
    });
  }
  const manifest: ScoringManifest = {
    format: 'autorec-scores',
    formatVersion: 1,
    id: spec.id,
    model: spec.model,
    version: spec.version,
    k: spec.k,
    users: entries.reduce((n, e) => n + e.users, 0),
    lines: entries.reduce((n, e) => n + e.lines, 0),
    bytes: header + entries.reduce((n, e) => n + e.bytes - header, 0),
    header: TOP_LISTS_HEADER,
    parts: entries,
  };
  await objects.put(SCORING_MANIFEST, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return { file, users: manifest.users, lines: manifest.lines, bytes: manifest.bytes, parts: entries.length };
}

async function readManifest(objects: S3Objects): Promise<ScoringManifest | undefined> {
  if (!(await objects.head(SCORING_MANIFEST))) return undefined;
  const { body } = await objects.get(SCORING_MANIFEST);
  const manifest = (await new Response(body).json().catch(() => undefined)) as ScoringManifest | undefined;
  if (manifest?.format !== 'autorec-scores' || !Array.isArray(manifest.parts))
    throw new Error(`${objects.urlOf(SCORING_MANIFEST)} is not a scoring manifest`);
  return manifest;
}

/**
 * An object's bytes, chunk by chunk, counted and hashed on the way; fails naming the object
 * when its size or SHA-256 differs from `expected`. Each chunk is passed on only once the next
 * one has arrived, and the last only after the checks, so a damaged part never reaches a reader
 * whole (a download stops short of its Content-Length). Returns the bytes and lines it read.
 */
async function* checkedChunks(
  body: ReadableStream<Uint8Array>,
  where: string,
  expected: { bytes: number; sha256: string },
): AsyncGenerator<Uint8Array, { bytes: number; lines: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let held: Uint8Array | undefined;
  const damaged = (what: string) => new Error(`${where} is damaged: ${what}; score the job again`);
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (bytes > expected.bytes) throw damaged(`more than the ${expected.bytes} bytes it was written with`);
    hash.update(chunk);
    for (const byte of chunk) if (byte === 10) lines++;
    if (held) yield held;
    held = chunk;
  }
  if (bytes !== expected.bytes) throw damaged(`${bytes} bytes, written with ${expected.bytes}`);
  if (hash.digest('hex') !== expected.sha256)
    throw damaged('its SHA-256 differs from the one it was written with');
  if (held) yield held;
  return { bytes, lines };
}

/** A finished scoring job's file, to download: its size and its bytes as a stream. */
export interface ScoringDownload {
  bytes: number;
  body: ReadableStream<Uint8Array>;
}

/**
 * The file of a finished scoring job, from where the gather left it (`models` as for
 * `scoreRange`), or undefined when it is not there. On S3: the header, then every part without
 * its header, in order — the bytes of the folder's one file — each part checked against the
 * manifest as it streams (a damaged one ends the stream with an error naming the object, before
 * its last bytes).
 */
export async function openScoringFile(
  dataDir: string,
  models: ModelFiles,
  spec: Pick<ScoringSpec, 'id' | 'k'>,
): Promise<ScoringDownload | undefined> {
  const objects = scoringObjects(models, spec.id);
  if (!objects) {
    const path = join(dataDir, scoringFile(spec));
    const size = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) return undefined;
    return { bytes: size, body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array> };
  }
  const manifest = await readManifest(objects);
  if (!manifest) return undefined;
  const header = new TextEncoder().encode(manifest.header);
  async function* joined(): AsyncGenerator<Uint8Array> {
    yield header;
    for (const part of manifest!.parts) {
      const where = objects!.urlOf(part.file);
      const got = await objects!.get(part.file);
      let skip = header.length; // each part's own header line
      for await (let chunk of checkedChunks(got.body, where, part)) {
        if (skip > 0) {
          const cut = Math.min(skip, chunk.length);
          skip -= cut;
          chunk = chunk.subarray(cut);
        }
        if (chunk.length > 0) yield chunk;
      }
    }
  }
  return {
    bytes: manifest.bytes,
    body: Readable.toWeb(Readable.from(joined())) as ReadableStream<Uint8Array>,
  };
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
