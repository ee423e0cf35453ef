import { gunzipIfNeeded } from './gzip.ts';
import { type FlushHandler, type LineHandler, LineSplitter } from './lines.ts';
import { type ByteSource, byteChunks, sourceSize } from './source.ts';

/** Where a read is: input bytes consumed (compressed bytes for gzip), the total when known, lines so far. */
export interface ProgressInfo {
  bytesRead: number;
  totalBytes?: number;
  lines: number;
}

export interface LineReadOptions {
  /** Input size for progress; defaults to the size of a `Uint8Array`/`Blob` source. */
  totalBytes?: number;
  /** Called at most every `progressIntervalMs` while reading, then once at the end. */
  onProgress?: (progress: ProgressInfo) => void;
  progressIntervalMs?: number;
  /** Names the input in errors (e.g. corrupt gzip). */
  label?: string;
  /** See `LineSplitter`: finishes deferred work before the line bytes change. */
  onFlush?: FlushHandler;
  /** See `LineSplitter`: longer lines stop the read with an error naming the line. */
  maxLineBytes?: number;
}

/**
 * Streams a source line by line (gzip detected by content), calling `onLine` for every line.
 * Holds one chunk and the current line (at most `maxLineBytes`) in memory, never the whole input.
 *
 * @example
 * let n = 0;
 * const { lines, bytesRead } = await readLines(file.stream(), () => n++, { onProgress: console.log });
 */
export async function readLines(
  source: ByteSource,
  onLine: LineHandler,
  options: LineReadOptions = {},
): Promise<{ bytesRead: number; lines: number }> {
  const { onProgress, progressIntervalMs = 100, label } = options;
  const totalBytes = options.totalBytes ?? sourceSize(source);
  const splitter = new LineSplitter(onLine, {
    onFlush: options.onFlush,
    maxLineBytes: options.maxLineBytes,
    label,
  });
  let bytesRead = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of byteChunks(source)) {
      bytesRead += chunk.length;
      yield chunk;
    }
  }
  const report = () => onProgress?.({ bytesRead, totalBytes, lines: splitter.lines });
  let lastReport = Date.now();
  for await (const chunk of gunzipIfNeeded(counted(), label)) {
    splitter.push(chunk);
    if (onProgress && Date.now() - lastReport >= progressIntervalMs) {
      lastReport = Date.now();
      report();
    }
  }
  splitter.end();
  report();
  return { bytesRead, lines: splitter.lines };
}
