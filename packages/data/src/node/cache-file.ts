import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { decodePreparedDataset, encodePreparedDataset } from '../cache.ts';
import { DataError } from '../errors.ts';
import type { PreparedDataset } from '../prepare.ts';

/**
 * Saves a PreparedDataset cache to `path` atomically: the bytes go to a temporary file in
 * the same folder, which is then renamed over `path`, so a crash or a concurrent reader
 * never sees half a cache. Only a regular file is ever replaced: a symbolic link, a folder, a
 * device or a pipe at `path` is refused with a `DataError` naming it (renaming over it would
 * delete the link or the device node, not write through it). Returns the size in bytes.
 *
 * @example
 * const bytes = await savePreparedDataset('/tmp/msd.prepared', prepared);
 */
export async function savePreparedDataset(path: string, prepared: PreparedDataset): Promise<number> {
  await checkReplaceable(path);
  const bytes = encodePreparedDataset(prepared);
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    // Checked again: the path may have become a link or a folder while the cache was written.
    await checkReplaceable(path);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof DataError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new DataError(`cannot write the cache (${e.code ?? e.message})`, { file: path });
  }
  return bytes.byteLength;
}

/** Refuses anything at `path` but a regular file (or nothing). */
async function checkReplaceable(path: string): Promise<void> {
  const info = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new DataError(`cannot write the cache (${e.code ?? e.message})`, { file: path });
  });
  if (!info || info.isFile()) return;
  const kind = info.isSymbolicLink()
    ? 'a symbolic link'
    : info.isDirectory()
      ? 'a folder'
      : info.isFIFO()
        ? 'a pipe'
        : 'a device or special file';
  throw new DataError(`refusing to replace ${kind} with the cache; give a new or regular file`, {
    file: path,
  });
}

/**
 * Loads a cache written by `savePreparedDataset`. A missing, corrupt, truncated or
 * wrong-version file throws a DataError naming the path.
 *
 * @example
 * const prepared = await loadPreparedDataset('/tmp/msd.prepared');
 */
export async function loadPreparedDataset(path: string): Promise<PreparedDataset> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason =
      e.code === 'ENOENT' ? 'cache file not found' : `cannot read the cache (${e.code ?? e.message})`;
    throw new DataError(reason, { file: path });
  }
  return decodePreparedDataset(bytes, path);
}
