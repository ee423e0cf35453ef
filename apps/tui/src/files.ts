import { once } from 'node:events';
import { fstatSync, statSync } from 'node:fs';
import { writeFileAtomically } from '@autorec/core/node';

/**
 * Streams text chunks to `path` through the core's `writeFileAtomically`: a regular file is
 * replaced whole at the end (never half-written), a pipe or a device is written through, and
 * links to files, folders and block devices are refused (an `OutputPathError`). `/dev/stdout`
 * (or `-`) and `/dev/stderr` go to this process's own streams (which may be sockets, not openable by
 * path). Stops with the signal's reason when `signal` aborts. Returns the byte size.
 */
export async function writeAtomically(
  path: string,
  chunks: Iterable<string> | AsyncIterable<string>,
  signal?: AbortSignal,
): Promise<number> {
  const stream =
    path === '/dev/stdout' || path === '-'
      ? process.stdout
      : path === '/dev/stderr'
        ? process.stderr
        : undefined;
  if (!stream) return writeFileAtomically(path, chunks, { signal });
  let bytes = 0;
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    bytes += Buffer.byteLength(chunk);
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  return bytes;
}

/**
 * True when writing to `path` writes to this process's standard output — `/dev/stdout`, `-`, or
 * any path naming the same file, pipe or terminal as descriptor 1 — so a command writing data
 * there must keep its own summary off stdout (it goes to stderr) and cannot add `--json`.
 *
 * @example
 * writesToStdout('/dev/stdout'); // true
 * writesToStdout('plays.tsv');   // false
 */
export function writesToStdout(path: string): boolean {
  if (path === '/dev/stdout' || path === '-') return true;
  try {
    const target = statSync(path);
    const stdout = fstatSync(1);
    return target.dev === stdout.dev && target.ino === stdout.ino && !target.isDirectory();
  } catch {
    return false;
  }
}
