/**
 * A problem with one input line, thrown by line parsers. The reader adds the file name and line
 * number, then throws a `DataError` (strict mode) or records the problem and skips the line
 * (lenient mode). `fatal` problems (the file as a whole cannot be read, e.g. a CSV header lacks a
 * mapped column) stop the read in both modes.
 *
 * @example
 * throw new LineError('empty id', 'song_id'); // → "plays.tsv, line 12, field 'song_id': empty id"
 */
export class LineError extends Error {
  readonly field?: string;
  readonly fatal: boolean;

  constructor(reason: string, field?: string, fatal = false) {
    super(reason);
    this.name = 'LineError';
    this.field = field;
    this.fatal = fatal;
  }
}

/** Input text for a message: quoted, cut short, control characters escaped. */
export function quote(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
