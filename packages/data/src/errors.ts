/** Where in the input a problem was found. Every field is optional because streams may have no name. */
export interface InputLocation {
  /** File name, or a label such as `<stream>` for in-memory input. */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /** Column or field name. */
  field?: string;
}

/**
 * An error caused by the input data (not by a bug): bad lines, wrong formats, corrupt caches.
 * Its message names the file, line and field so a user can find and fix the input.
 */
export class DataError extends Error {
  readonly location: InputLocation;
  readonly reason: string;

  constructor(reason: string, location: InputLocation = {}) {
    super(formatLocation(location) + reason);
    this.name = 'DataError';
    this.reason = reason;
    this.location = location;
  }
}

export function formatLocation({ file, line, field }: InputLocation): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (line !== undefined) parts.push(`line ${line}`);
  if (field !== undefined) parts.push(`field '${field}'`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/**
 * The data is too small for what was asked of it: a filter that leaves nobody, a split that
 * leaves no training or no test ratings, too few users to compare. The message says how much
 * is needed; the fix is more data, a smaller holdout or lower filter minimums.
 *
 * @example
 * throw new InsufficientDataError('the split leaves no test ratings: holdout:0.01 of 12 interactions needs at least 50');
 */
export class InsufficientDataError extends DataError {
  constructor(reason: string, location: InputLocation = {}) {
    super(reason, location);
    this.name = 'InsufficientDataError';
  }
}
