import { DataError } from '../errors.ts';
import { grown } from '../grow.ts';

/**
 * Called once per line with the line's bytes `bytes[start..end)`, line terminator (LF or CRLF)
 * removed, and its 1-based number. `bytes` is only valid during the call: it is either the
 * current chunk or a buffer reused for lines that straddle chunks, so copy what you keep.
 */
export type LineHandler = (bytes: Uint8Array, start: number, end: number, line: number) => void;

/** Called when the bytes handed to `LineHandler` so far are about to change or be released. */
export type FlushHandler = () => void;

/**
 * The longest line a reader accepts by default. Real lines of ids and counts are well under 1 KB;
 * the cap keeps memory bounded on input without newlines (`/dev/zero`, a gzip bomb of zeros).
 */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

export interface LineSplitterOptions {
  /** See `FlushHandler`. */
  onFlush?: FlushHandler;
  /** Longer lines stop the read with a `DataError` naming the line; default `DEFAULT_MAX_LINE_BYTES`. */
  maxLineBytes?: number;
  /** Names the input in that error. */
  label?: string;
}

const LF = 10;
const CR = 13;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Splits a byte stream into lines, whatever the chunk boundaries: lines may straddle chunks,
 * a CRLF may be cut between its two bytes, and a UTF-8 character may be cut anywhere (lines are
 * cut at LF bytes only, which never occur inside a multi-byte character). Strips a leading
 * UTF-8 BOM and accepts a last line without a newline. Memory is one chunk plus the longest line,
 * which is capped (`maxLineBytes`): a longer line throws a `DataError` naming it, as soon as the
 * cap is passed, so input without newlines cannot grow memory.
 * A handler that defers work on the bytes it saw (to batch it) finishes that work in `onFlush`,
 * which runs after the last line of every chunk and at the end.
 *
 * @example
 * const lines: string[] = [];
 * const splitter = new LineSplitter((b, s, e) => lines.push(new TextDecoder().decode(b.subarray(s, e))));
 * splitter.push(new TextEncoder().encode('a\r\nb'));
 * splitter.end(); // lines: ['a', 'b']
 */
export class LineSplitter {
  /** Lines emitted so far, including empty ones. */
  lines = 0;
  private carry = new Uint8Array(256);
  private carryLength = 0;
  private sawStart = false;
  private readonly onLine: LineHandler;
  private readonly onFlush: FlushHandler | undefined;
  private readonly maxLineBytes: number;
  private readonly label: string | undefined;

  constructor(onLine: LineHandler, options: LineSplitterOptions = {}) {
    this.onLine = onLine;
    this.onFlush = options.onFlush;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.label = options.label;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (!this.sawStart) {
      // Hold bytes back until the first three are known, to strip a BOM cut across chunks.
      this.append(chunk, 0, chunk.length);
      if (this.carryLength < BOM.length && isPrefixOfBom(this.carry, this.carryLength)) return;
      this.releaseStart();
      return;
    }
    this.scan(chunk);
  }

  /** Flushes the last line when the input does not end with a newline. */
  end(): void {
    if (!this.sawStart) this.releaseStart();
    if (this.carryLength > 0) {
      const length = this.carryLength;
      this.carryLength = 0;
      this.emit(this.carry, 0, length);
    }
    this.onFlush?.();
  }

  private releaseStart(): void {
    this.sawStart = true;
    const skip = hasBom(this.carry, this.carryLength) ? BOM.length : 0;
    const head = this.carry.slice(skip, this.carryLength);
    this.carryLength = 0;
    this.scan(head);
  }

  private scan(chunk: Uint8Array): void {
    let pos = 0;
    let nl = chunk.indexOf(LF);
    if (this.carryLength > 0) {
      if (nl < 0) {
        this.append(chunk, 0, chunk.length);
        return;
      }
      this.append(chunk, 0, nl);
      const length = this.carryLength;
      this.carryLength = 0;
      this.emit(this.carry, 0, length);
      pos = nl + 1;
      nl = chunk.indexOf(LF, pos);
    }
    while (nl >= 0) {
      this.emit(chunk, pos, nl);
      pos = nl + 1;
      nl = chunk.indexOf(LF, pos);
    }
    this.onFlush?.();
    if (pos < chunk.length) this.append(chunk, pos, chunk.length);
  }

  private emit(bytes: Uint8Array, start: number, end: number): void {
    const stop = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (stop - start > this.maxLineBytes) this.tooLong();
    const line = ++this.lines;
    this.onLine(bytes, start, stop, line);
  }

  private append(bytes: Uint8Array, start: number, end: number): void {
    const needed = this.carryLength + (end - start);
    // + 1: the line's CR may be held before its LF; the start held back for the BOM check may be over.
    if (needed > this.maxLineBytes + 1 && this.sawStart) this.tooLong();
    if (needed > this.carry.length) {
      this.carry = grown(this.carry, Math.max(needed, this.carry.length * 2), this.carryLength);
    }
    this.carry.set(bytes.subarray(start, end), this.carryLength);
    this.carryLength = needed;
  }

  private tooLong(): never {
    throw new DataError(
      `the line is longer than ${this.maxLineBytes.toLocaleString('en')} bytes, the longest line read: ` +
        'is this a text file of lines (not binary data, or text without newlines)?',
      { file: this.label, line: this.lines + 1 },
    );
  }
}

function isPrefixOfBom(bytes: Uint8Array, length: number): boolean {
  for (let i = 0; i < length && i < BOM.length; i++) if (bytes[i] !== BOM[i]) return false;
  return true;
}

function hasBom(bytes: Uint8Array, length: number): boolean {
  return length >= BOM.length && isPrefixOfBom(bytes, BOM.length);
}
