import { open } from 'node:fs/promises';
import type { Dataset } from '../dataset.ts';
import { DataError } from '../errors.ts';
import type { ItemInfoFormatName } from '../formats/info-table.ts';
import { type ItemInfoMap, type ItemInfoReadOptions, readItemInfo } from '../formats/item-info.ts';
import { type PlaysRead, readPlays } from '../formats/plays.ts';
import { type ReadOptions, readInteractions } from '../formats/read.ts';
import type { CommonReadOptions } from '../formats/run.ts';

/** A file opened for streaming: its bytes, size (for progress) and name (for messages). */
export interface FileSource {
  stream: ReadableStream<Uint8Array>;
  totalBytes: number;
  name: string;
}

/** Big reads keep per-chunk overhead negligible; two chunks are read ahead while one is parsed. */
const CHUNK_BYTES = 1 << 20;

/**
 * Opens a file as a web byte stream (read ahead on the I/O thread pool while the caller parses),
 * with its size. A missing file is a `DataError` ("<path>: file not found"). The file is closed
 * when the stream ends or is cancelled.
 *
 * @example
 * const { stream, totalBytes } = await openFileSource('train_triplets.txt');
 */
export async function openFileSource(path: string): Promise<FileSource> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw new DataError('is a directory, not a file', { file: path });
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const buffer = new Uint8Array(CHUNK_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
          } else {
            controller.enqueue(buffer.subarray(0, bytesRead));
          }
        } catch (error) {
          await close().catch(() => undefined);
          controller.error(fileError(path, error as NodeJS.ErrnoException));
        }
      },
      cancel: close,
    },
    { highWaterMark: 2 },
  );
  return { stream, totalBytes: stats.size, name: path };
}

/**
 * `readInteractions` on a file path (plain or gzip, detected by content), with progress sized
 * by the file. Messages name the path.
 *
 * @example
 * const ds = await readInteractionsFile('data/user_artists.dat', { format: 'lastfm-hetrec' });
 */
export async function readInteractionsFile(path: string, options: ReadOptions): Promise<Dataset> {
  const file = await openFileSource(path);
  return readInteractions(file.stream, withFile(options, file));
}

/**
 * `readItemInfo` on a file path: `artists.dat` (`lastfm-hetrec`) or `unique_tracks.txt` (`msd-tracks`).
 *
 * @example
 * const info = await readItemInfoFile('data/artists.dat', 'lastfm-hetrec');
 * joinItemInfo(dataset, info);
 */
export async function readItemInfoFile(
  path: string,
  format: ItemInfoFormatName,
  options: Omit<ItemInfoReadOptions, 'format'> = {},
): Promise<ItemInfoMap> {
  const file = await openFileSource(path);
  return readItemInfo(file.stream, withFile({ ...options, format }, file));
}

/**
 * `readPlays` on a file path: one listener's `song_id<TAB>count` (or `song_id,count`, or bare
 * `song_id`) lines. Messages name the path.
 *
 * @example
 * const { plays } = await readPlaysFile('mine.tsv');
 * model.recommendForPlays(plays, 10);
 */
export async function readPlaysFile(path: string, options: CommonReadOptions = {}): Promise<PlaysRead> {
  const file = await openFileSource(path);
  return readPlays(file.stream, withFile(options, file));
}

/** The read options with the file's size (for progress) and path (for messages) unless the caller set them. */
function withFile<T extends CommonReadOptions>(options: T, file: FileSource): T {
  return { ...options, totalBytes: options.totalBytes ?? file.totalBytes, name: options.name ?? file.name };
}

function fileError(path: string, error: NodeJS.ErrnoException): Error {
  switch (error.code) {
    case 'ENOENT':
      return new DataError('file not found', { file: path });
    case 'EACCES':
    case 'EPERM':
      return new DataError('permission denied', { file: path });
    case 'EISDIR':
      return new DataError('is a directory, not a file', { file: path });
    default:
      return error;
  }
}
