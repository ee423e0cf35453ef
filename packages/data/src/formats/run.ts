import type { ParseReport } from '../dataset.ts';
import { DataError, formatLocation } from '../errors.ts';
import { type ProgressInfo, readLines } from '../io/read-lines.ts';
import type { ByteSource } from '../io/source.ts';
import { LineError } from './line-error.ts';

/** Parses one non-empty line (terminator removed), throwing `LineError` for a bad one. */
export interface LineParser {
  parse(bytes: Uint8Array, start: number, end: number, line: number): void;
  /** Finishes work deferred to batch it; called before the bytes given to `parse` change, and at the end. */
  flush?(): void;
}

/** How a read treats bad lines: `strict` stops at the first, `lenient` skips and counts them. */
export type ReadMode = 'strict' | 'lenient';

/** Options every reader takes. */
export interface CommonReadOptions {
  /** Names the input in messages and reports (and the dataset); defaults to a `File`'s name or `<stream>`. */
  name?: string;
  mode?: ReadMode;
  /** Input size for progress, when the source cannot tell (a plain stream). */
  totalBytes?: number;
  /** Called every ~100 ms while reading, then once at the end. */
  onProgress?: (progress: ProgressInfo) => void;
  /** Problems kept in `report.problems` in lenient mode (all are counted in `skipped`). */
  maxProblems?: number;
  /** Longest line read (default 1 MiB); a longer one stops the read in both modes, naming the line. */
  maxLineBytes?: number;
}

/**
 * Feeds every non-empty line of `source` to `parser`, applying the strict/lenient policy, and
 * reports what it saw. `accepted` and `duplicates` are left at 0 for the caller to fill in.
 * Empty lines carry no data and are passed over (they still count in `lines`).
 *
 * @example
 * const info = new Map();
 * const report = await runLineParser(file, msdTracksFormat.parser(info), 'unique_tracks.txt', { mode: 'lenient' });
 */
export async function runLineParser(
  source: ByteSource,
  parser: LineParser,
  label: string,
  options: CommonReadOptions,
): Promise<ParseReport> {
  const strict = (options.mode ?? 'strict') === 'strict';
  const maxProblems = options.maxProblems ?? 10;
  const problems: ParseReport['problems'] = [];
  let skipped = 0;
  const onLine = (bytes: Uint8Array, start: number, end: number, line: number): void => {
    if (start === end) return;
    try {
      parser.parse(bytes, start, end, line);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      const message = error.message + (encodingHint(bytes, start, end) ?? '');
      if (strict || error.fatal) throw new DataError(message, { file: label, line, field: error.field });
      skipped++;
      if (problems.length < maxProblems) {
        problems.push({ line, reason: formatLocation({ field: error.field }) + message });
      }
    }
  };
  const { bytesRead, lines } = await readLines(source, onLine, {
    totalBytes: options.totalBytes,
    onProgress: options.onProgress,
    label,
    maxLineBytes: options.maxLineBytes,
    onFlush: parser.flush ? () => parser.flush?.() : undefined,
  });
  return { source: label, bytesRead, lines, accepted: 0, skipped, duplicates: 0, problems };
}

const NUL = 0;
const CR = 13;

/**
 * Why a bad line may not be a bad line but a file in another encoding or line ending, said in
 * the error so the user fixes the file rather than its contents: NUL bytes between characters
 * (or a UTF-16 byte-order mark) mean UTF-16 text; a carriage return inside a line means lines
 * that end in CR only (the line splitter cuts at LF, dropping a CR before it).
 */
export function encodingHint(bytes: Uint8Array, start: number, end: number): string | undefined {
  const bom =
    end - start >= 2 &&
    ((bytes[start] === 0xff && bytes[start + 1] === 0xfe) ||
      (bytes[start] === 0xfe && bytes[start + 1] === 0xff));
  let nuls = 0;
  let crs = 0;
  for (let p = start; p < end; p++) {
    if (bytes[p] === NUL) nuls++;
    else if (bytes[p] === CR) crs++;
  }
  if (bom || nuls * 4 >= end - start) return ' (the file looks like UTF-16 text: save it as UTF-8)';
  if (crs > 0)
    return ` (the line holds ${crs} carriage return(s): the file's lines seem to end in CR only; convert them to LF)`;
  return undefined;
}

/** The error for an input with nothing usable in it, with the first problem when lines were skipped. */
export function noDataError(report: ParseReport): DataError {
  if (report.skipped === 0) return new DataError('no data lines', { file: report.source });
  const first = report.problems[0];
  const detail = first ? `; first problem at line ${first.line}: ${first.reason}` : '';
  return new DataError(`no valid data lines: all ${report.skipped} were skipped${detail}`, {
    file: report.source,
  });
}
