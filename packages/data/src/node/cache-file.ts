import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { decodePreparedDataset, encodePreparedDataset } from '../cache.ts';
import { DataError } from '../errors.ts';
import type { PreparedDataset } from '../prepare.ts';

/**
 * Saves a PreparedDataset cache to `path` atomically: the bytes go to a temporary file in
 * the same folder, which is then renamed over `path`, so a crash or a concurrent reader
 * never sees half a cache. Returns the size in bytes.
 *
 * @example
 * const bytes = await savePreparedDataset('/tmp/msd.prepared', prepared);
 */
export async function savePreparedDataset(path: string, prepared: PreparedDataset): Promise<number> {
  const bytes = encodePreparedDataset(prepared);
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    const e = error as NodeJS.ErrnoException;
    throw new DataError(`cannot write the cache (${e.code ?? e.message})`, { file: path });
  }
  return bytes.byteLength;
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
