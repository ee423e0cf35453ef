import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Every folder autorec writes holds this index: what kind of folder it is and each file it wrote
 * with its size and SHA-256. It is the mark that lets a later run replace the folder — a folder
 * without it, or holding anything it does not list, is never replaced — and what model reads
 * check (a damaged file is named, whatever its size).
 */
export const FOLDER_INDEX = 'files.json';

/** The kinds of folder autorec writes (the `format` of their index). */
export type FolderFormat = 'autorec-model' | 'autorec-report' | 'autorec-prepared';

export interface FolderIndex {
  format: FolderFormat;
  formatVersion: 1;
  /** Relative path (with `/`) → size and SHA-256 of every file written, the index itself excepted. */
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * An output path autorec will not write or replace (not a folder it wrote, a symbolic link, the
 * current folder, a device that is not a stream…) or could not write. The message names the path
 * and says why; `hint` says what to do instead.
 */
export class OutputPathError extends Error {
  readonly path: string;
  readonly hint: string;
  constructor(message: string, options: { path: string; hint: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'OutputPathError';
    this.path = options.path;
    this.hint = options.hint;
  }
}

const FORMAT_NAMES: Record<FolderFormat, string> = {
  'autorec-model': 'a saved model',
  'autorec-report': 'a comparison report',
  'autorec-prepared': 'a prepared dataset',
};

/** More entries than any folder of ours holds: stop walking and refuse (a home folder, a checkout). */
const MAX_WALK = 10_000;

// ---- temporary names, and what is in flight in this process ----

/**
 * The sibling `target` is written to before the swap: `.NAME.partial-<pid>-<hex>`, hidden, in the
 * same folder (so the final rename stays on one file system), with our pid so a later run can
 * tell an abandoned one (dead pid) from one another process is still writing.
 */
function partialName(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

function oldName(target: string): string {
  return join(dirname(target), `.${basename(target)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Temporaries of this process that are not committed yet; `removeUnfinishedOutputsSync` clears them. */
const inFlight = new Set<string>();

/**
 * Removes every temporary file and folder this process started and did not commit. The CLI calls
 * it on exit (a second Ctrl-C, SIGTERM, its launcher dying), so no partial output survives a
 * process that ends early; what a SIGKILL leaves, the next write to the same path removes.
 */
export function removeUnfinishedOutputsSync(): void {
  for (const path of inFlight) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort on the way out; the next run cleans what is left
    }
  }
  inFlight.clear();
}

/** Commits in progress (renames under way); `outputsSettled` waits for them. */
let committing = 0;
let settledWaiters: (() => void)[] = [];

/** Resolves once no commit is between its renames, so an exit never splits a swap. */
export function outputsSettled(): Promise<void> {
  if (committing === 0) return Promise.resolve();
  return new Promise((resolve) => settledWaiters.push(resolve));
}

function endCommit(): void {
  committing--;
  if (committing === 0) {
    const waiters = settledWaiters;
    settledWaiters = [];
    for (const w of waiters) w();
  }
}

// ---- stale temporaries of dead processes ----

/** Temporary names of every version: `.N.partial-P-H`, `.N.tmp-P-H`, `.N.old-P-H` and `N.P-H.tmp`. */
function temporaryPattern(name: string): RegExp {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(?:\\.${n}\\.(partial|tmp|old)-(\\d+)-[0-9a-f]+|${n}\\.(\\d+)-[0-9a-f]+\\.tmp)$`);
}

/** Whether process `pid` lives on this host (EPERM: it does, but is another user's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's live process
  }
}

/**
 * Removes what interrupted runs left next to `target`: partial files and folders whose process is
 * gone. If a run died between its two renames (the previous output moved aside, the new one not
 * yet in place), the previous output is put back first. Temporaries of live processes are left
 * alone. Returns the names removed or restored.
 */
export async function cleanStaleOutputs(target: string): Promise<string[]> {
  const dir = resolve(target);
  const parent = dirname(dir);
  const pattern = temporaryPattern(basename(dir));
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const cleaned: string[] = [];
  let targetExists = await lstat(dir).then(
    () => true,
    () => false,
  );
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[2] ?? m[3]);
    if (processAlive(pid)) continue;
    const path = join(parent, name);
    try {
      if (m[1] === 'old' && !targetExists) {
        await rename(path, dir);
        targetExists = true;
      } else await rm(path, { recursive: true, force: true });
      cleaned.push(name);
    } catch {
      // another process got there first
    }
  }
  return cleaned;
}

// ---- what may be replaced ----

/** How a destination stands: absent (created), or an existing folder the commit may replace. */
export type Destination = 'absent' | 'replaceable';

function refuse(path: string, why: string, hint?: string): never {
  throw new OutputPathError(`refusing to replace '${path}': ${why}`, {
    path,
    hint: hint ?? `choose a new or empty folder, or delete '${path}' yourself if you no longer need it`,
  });
}

/**
 * Checks that `dir` may be written as a folder of `format`: absent, empty, or a folder an earlier
 * run wrote (its `files.json` names the same format and lists every file now in it). Anything
 * else is refused with an `OutputPathError`: a file, a symbolic link, the current folder or one
 * that holds it, a folder without our index, a folder of another kind, or one holding anything
 * the index does not list. Nothing is written.
 *
 * @example
 * await checkFolderReplaceable('reports/latest', 'autorec-report'); // 'absent' | 'replaceable'
 */
export async function checkFolderReplaceable(directory: string, format: FolderFormat): Promise<Destination> {
  const dir = resolve(directory);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new OutputPathError(`cannot write '${dir}': a part of the path is a file, not a folder`, {
        path: dir,
        hint: 'choose a path whose parent folders exist or can be created',
      });
    throw new OutputPathError(`cannot read '${dir}': ${(e as NodeJS.ErrnoException).code}`, {
      path: dir,
      hint: 'choose a folder you can read and write',
    });
  }
  if (info.isSymbolicLink()) {
    const to = await readlink(dir).catch(() => '?');
    refuse(
      dir,
      `it is a symbolic link (to '${to}'); autorec does not replace links`,
      `give the folder it points to, '${resolve(dirname(dir), to)}', if that is what you mean`,
    );
  }
  if (!info.isDirectory()) refuse(dir, 'it is a file, not a folder', 'choose a folder name');
  const cwd = process.cwd();
  if (cwd === dir || cwd.startsWith(dir.endsWith(sep) ? dir : dir + sep))
    refuse(dir, 'it is the current folder or holds it', 'choose a new folder inside it, e.g. reports/latest');
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new OutputPathError(`cannot read '${dir}': ${e.code ?? e.message}`, {
      path: dir,
      hint: 'choose a folder you can read and write',
    });
  });
  if (entries.length === 0) return 'replaceable';
  const index = await readIndexFile(dir);
  if (!index) {
    const older =
      format === 'autorec-report'
        ? entries.includes('report.md') || entries.includes('results.json')
        : format === 'autorec-prepared'
          ? entries.includes('prepared.bin')
          : entries.includes('manifest.json');
    refuse(
      dir,
      older
        ? `it has no ${FOLDER_INDEX} (written by an older autorec, or not by autorec), so autorec cannot tell which files are its own`
        : `it is not empty and was not written by autorec (no ${FOLDER_INDEX})`,
    );
  }
  const listed = new Set<string>(Object.keys(index.files));
  if (index.format !== format)
    refuse(
      dir,
      `it holds ${index.format in FORMAT_NAMES ? FORMAT_NAMES[index.format as FolderFormat] : `'${index.format}'`}, not ${FORMAT_NAMES[format]}`,
    );
  const foreign = await firstUnlisted(dir, listed);
  if (foreign) refuse(dir, `'${foreign}' in it was not written by autorec`);
  return 'replaceable';
}

/** The index of a folder autorec wrote; undefined when it has none or it is not ours. Old model indexes (sizes only) count. */
async function readIndexFile(
  dir: string,
): Promise<{ format: string; files: Record<string, unknown> } | undefined> {
  let text: string;
  try {
    if (!(await lstat(join(dir, FOLDER_INDEX))).isFile()) return undefined;
    text = await readFile(join(dir, FOLDER_INDEX), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; files?: unknown };
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      typeof parsed.files !== 'object' ||
      parsed.files === null
    )
      return undefined;
    const files = parsed.files as Record<string, unknown>;
    if (typeof parsed.format === 'string') return { format: parsed.format, files };
    // Models saved before the format field: `{ files: { name: size } }` in a flat folder.
    if (Object.values(files).every((v) => typeof v === 'number')) return { format: 'autorec-model', files };
    return undefined;
  } catch {
    return undefined;
  }
}

/** The first entry under `dir` that is not a listed regular file (or a folder on the way to one). */
async function firstUnlisted(dir: string, listed: Set<string>): Promise<string | undefined> {
  const folders = new Set<string>();
  for (const file of listed) {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  let seen = 0;
  const walk = async (rel: string): Promise<string | undefined> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true }).catch((e: NodeJS.ErrnoException) =>
      // A subfolder autorec cannot list may hold anything: refuse, naming it, rather than fail raw.
      refuse(
        dir,
        `cannot read '${rel}/' in it (${e.code ?? e.message}), so autorec cannot tell whether it holds only its own files`,
        'make the folder readable, or choose another --out',
      ),
    );
    for (const e of entries) {
      if (++seen > MAX_WALK) return `${rel ? `${rel}/` : ''}${e.name} (and too many other files)`;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (path === FOLDER_INDEX) continue;
      if (e.isFile() && listed.has(path)) continue;
      if (e.isDirectory() && folders.has(path)) {
        const inner = await walk(path);
        if (inner) return inner;
        continue;
      }
      return e.isDirectory() ? `${path}/` : path;
    }
    return undefined;
  };
  return walk('');
}

// ---- the atomic folder ----

/**
 * A folder written atomically: everything goes into a hidden sibling, and `commit()` writes the
 * index (`files.json`: format, every file's size and SHA-256) and swaps the sibling into place.
 * Until then the destination is untouched, so an interrupted run never leaves a half-written
 * folder under the final name; `discard()` removes the sibling. The destination is checked when
 * the folder is opened (so a bad path fails before any work) and again at commit.
 *
 * @example
 * const folder = await openAtomicFolder('reports/latest', 'autorec-report');
 * await folder.write('report.md', text);
 * await folder.commit();
 */
export interface AtomicFolder {
  /** Final location (absolute). */
  readonly dir: string;
  /** Where files are written until commit. */
  readonly temp: string;
  /** Writes a file (relative path, `/`-separated; folders are created). */
  write(name: string, content: string | Uint8Array): Promise<void>;
  /** A path inside the temporary folder, for writers that take a path. */
  path(...parts: string[]): string;
  commit(): Promise<void>;
  /** Removes the temporary folder. Safe to call twice and after commit. */
  discard(): Promise<void>;
}

export async function openAtomicFolder(directory: string, format: FolderFormat): Promise<AtomicFolder> {
  const dir = resolve(directory);
  await cleanStaleOutputs(dir);
  await checkFolderReplaceable(dir, format);
  const temp = partialName(dir);
  try {
    await mkdir(temp, { recursive: true });
  } catch (e) {
    throw new OutputPathError(
      `cannot create a folder next to '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { path: dir, hint: 'choose a writable location', cause: e },
    );
  }
  inFlight.add(temp);
  let done = false;
  return {
    dir,
    temp,
    path: (...parts) => join(temp, ...parts),
    async write(name, content) {
      if (done) throw new Error(`folder '${dir}' is already committed or discarded`);
      const target = join(temp, name);
      if (relative(temp, target).startsWith('..')) throw new Error(`invalid file name '${name}'`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    },
    async commit() {
      if (done) throw new Error(`folder '${dir}' is already committed or discarded`);
      await writeFile(join(temp, FOLDER_INDEX), `${JSON.stringify(await indexOf(temp, format), null, 2)}\n`);
      await swapIntoPlace(temp, dir, format);
      done = true;
    },
    async discard() {
      if (done) return;
      done = true;
      inFlight.delete(temp);
      await rm(temp, { recursive: true, force: true });
    },
  };
}

/** The index of the files under `root` (sizes and SHA-256), walked in sorted order. */
async function indexOf(root: string, format: FolderFormat): Promise<FolderIndex> {
  const files: FolderIndex['files'] = {};
  const walk = async (rel: string) => {
    const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && path !== FOLDER_INDEX) {
        const bytes = await readFile(join(root, path));
        files[path] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
      }
    }
  };
  await walk('');
  return { format, formatVersion: 1, files };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One commit per destination at a time in this process; other processes are held off by a lock file. */
const commitQueues = new Map<string, Promise<void>>();

/**
 * Moves the finished `temp` folder to `dir`: re-checks `dir`, moves an existing one aside, renames
 * `temp` into place, removes the old one. The two renames run back to back (synchronously), so
 * no signal handler runs between them; a SIGKILL there leaves the old folder aside, and the next
 * `cleanStaleOutputs` puts it back.
 */
async function swapIntoPlace(temp: string, dir: string, format: FolderFormat): Promise<void> {
  const previous = commitQueues.get(dir) ?? Promise.resolve();
  const mine = previous.then(async () => {
    committing++;
    const unlock = await lockDestination(dir);
    try {
      const state = await checkFolderReplaceable(dir, format);
      await mkdir(dirname(dir), { recursive: true });
      let old: string | undefined;
      try {
        if (state === 'replaceable') {
          old = oldName(dir);
          renameSync(dir, old);
        }
        renameSync(temp, dir);
      } catch (e) {
        if (old) renameSync(old, dir);
        throw new OutputPathError(
          `cannot replace '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          { path: dir, hint: 'choose a writable location', cause: e },
        );
      }
      inFlight.delete(temp);
      if (old) await rm(old, { recursive: true, force: true });
    } finally {
      unlock();
      endCommit();
    }
  });
  const settled = mine.catch(() => undefined);
  commitQueues.set(dir, settled);
  void settled.then(() => {
    if (commitQueues.get(dir) === settled) commitQueues.delete(dir);
  });
  return mine;
}

/** How long a commit waits for another process's commit to the same destination (a few renames). */
const LOCK_WAIT_MS = 10_000;

/**
 * A lock file `.NAME.lock` holding our pid, created exclusively; a lock of a dead process is
 * taken over. Waits (polling) while a live process holds it, then fails with a clear message.
 */
async function lockDestination(dir: string): Promise<() => void> {
  const lock = join(dirname(dir), `.${basename(dir)}.lock`);
  await mkdir(dirname(dir), { recursive: true });
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      inFlight.add(lock);
      return () => {
        inFlight.delete(lock);
        rmSync(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new OutputPathError(`cannot write next to '${dir}': ${(e as NodeJS.ErrnoException).code}`, {
          path: dir,
          hint: 'choose a writable location',
          cause: e,
        });
    }
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() > until)
      throw new OutputPathError(
        `'${dir}' is being replaced by another process (pid ${holder || '?'}); try again when it has finished`,
        { path: dir, hint: `if no autorec is running, delete '${lock}'` },
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- one file ----

/** Paths that name an open descriptor of this process: written through, never replaced. */
const DESCRIPTOR_PATH = /^\/(?:dev\/(?:stdout|stderr|fd\/\d+)|proc\/self\/fd\/\d+)$/;

/**
 * How `writeFileAtomically` will treat `path`: `replace` a regular file (or create one) by a
 * temporary file renamed over it, or `through` — write straight into a character device, a pipe
 * or an open descriptor (`/dev/stdout`, `/dev/null`, a FIFO), which a rename would replace by a
 * plain file. Folders, block devices, sockets and symbolic links to files or folders are refused:
 * a link is followed only to a stream, otherwise the user names its target.
 */
export async function outputFileMode(file: string): Promise<'replace' | 'through'> {
  const path = resolve(file);
  if (DESCRIPTOR_PATH.test(path)) return 'through';
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'replace';
    throw new OutputPathError(`cannot write '${path}': ${(e as NodeJS.ErrnoException).code}`, {
      path,
      hint: 'choose a writable file path',
      cause: e,
    });
  }
  if (info.isSymbolicLink()) {
    const to = resolve(dirname(path), await readlink(path));
    const target = await stat(path).catch(() => undefined);
    if (target && (target.isCharacterDevice() || target.isFIFO())) return 'through';
    throw new OutputPathError(
      `refusing to write '${path}': it is a symbolic link (to '${to}'); autorec does not replace links`,
      { path, hint: `give the file it points to, '${to}', if you mean to replace that file` },
    );
  }
  if (info.isFile()) return 'replace';
  if (info.isCharacterDevice() || info.isFIFO()) return 'through';
  const kind = info.isDirectory()
    ? 'a folder'
    : info.isBlockDevice()
      ? 'a block device'
      : 'not a regular file';
  throw new OutputPathError(`refusing to write '${path}': it is ${kind}`, {
    path,
    hint: 'choose a file path (a new file, a regular file, a pipe or /dev/stdout)',
  });
}

/**
 * Streams `chunks` to `file`, all or nothing: a regular file is written to a hidden temporary
 * sibling renamed over it at the end, so the previous content stays until the new one is
 * complete; a device, a pipe or `/dev/stdout` is written through (see `outputFileMode`). A
 * failure or an abort removes the temporary file and throws (`OutputPathError` for I/O, the
 * signal's reason for an abort). Returns the number of bytes written.
 *
 * @example
 * await writeFileAtomically('top.tsv', lines(), { signal });
 */
export async function writeFileAtomically(
  file: string,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const path = resolve(file);
  const mode = await outputFileMode(path);
  let bytes = 0;
  const counted = async function* () {
    for await (const chunk of chunks) {
      options.signal?.throwIfAborted();
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      yield chunk;
    }
  };
  if (mode === 'through') {
    // An open descriptor is written by number: it may be a socket, which cannot be opened by path.
    const fd = descriptorOf(path);
    const sink =
      fd === undefined
        ? createWriteStream(path, { flags: 'w' })
        : createWriteStream('', { fd, autoClose: false });
    await pipeline(Readable.from(counted()), sink).catch((e) => {
      throw writeError(path, e, options.signal);
    });
    return bytes;
  }
  await cleanStaleOutputs(path);
  const temp = partialName(path);
  inFlight.add(temp);
  try {
    await mkdir(dirname(path), { recursive: true });
    await pipeline(Readable.from(counted()), createWriteStream(temp, { flags: 'wx' }));
    // Re-checked: the path may have become a link or a folder while we wrote.
    if ((await outputFileMode(path)) !== 'replace') throw new Error('the path changed while writing');
    renameSync(temp, path);
    inFlight.delete(temp);
    return bytes;
  } catch (e) {
    inFlight.delete(temp);
    await rm(temp, { force: true }).catch(() => undefined);
    throw writeError(path, e, options.signal);
  }
}

/** The descriptor number `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names. */
function descriptorOf(path: string): number | undefined {
  if (path === '/dev/stdout') return 1;
  if (path === '/dev/stderr') return 2;
  const m = /\/fd\/(\d+)$/.exec(path);
  return m && DESCRIPTOR_PATH.test(path) ? Number(m[1]) : undefined;
}

function writeError(path: string, e: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof OutputPathError) return e;
  const err = e as NodeJS.ErrnoException;
  return new OutputPathError(`cannot write '${path}': ${err.code ?? err.message}`, {
    path,
    hint: err.code === 'ENOSPC' ? 'free some disk space or write elsewhere' : 'choose a writable path',
    cause: e,
  });
}
