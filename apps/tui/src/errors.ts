import { ModelFormatError, OptionError, TrainingDivergedError, UnknownIdError } from '@autorec/core';
import { OutputPathError } from '@autorec/core/node';
import { DataError, InsufficientDataError } from '@autorec/data';

/**
 * A problem the user can fix (a missing file, a bad flag value, an unknown id): shown as one
 * line plus a hint, never with a stack trace. Exit code 1, or 2 for command-line usage.
 *
 * @example
 * throw new UserError("no model in 'models/svd'", { hint: 'train one with: autorec train --model svd --out models/svd' });
 */
export class UserError extends Error {
  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A bad command line (unknown flag value, missing or conflicting options): exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint: hint ?? 'see --help for the options', exitCode: 2 });
    this.name = 'UsageError';
  }
}

/**
 * Raised when Ctrl-C (SIGINT) stopped the work; the CLI exits 130 like a shell does. `partial`
 * is what was finished before, for the `--json` error document (`{ "error", "partial" }`).
 */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  readonly partial?: unknown;
  constructor(message = 'interrupted', options: { partial?: unknown } = {}) {
    super(message);
    this.name = 'InterruptedError';
    this.partial = options.partial;
  }
}

/** What the CLI prints for an error and the exit code it uses. */
export interface ErrorReport {
  message: string;
  hint?: string;
  exitCode: number;
  /** False for bugs: those keep their stack for AUTOREC_DEBUG=1 and get a "please report" hint. */
  expected: boolean;
}

/**
 * Sorts an error into something a user caused (one clear line and a hint) or a bug.
 * DataError (bad input files), OutputPathError (an --out autorec will not write or replace), the core's OptionError (a bad model option, exit 2 like other
 * usage errors), ModelFormatError (an unreadable model folder) and UnknownIdError (an id the
 * model never saw) carry messages written for users, so they are shown as they are.
 *
 * @example
 * describeError(new DataError('file not found', { file: 'x.txt' })); // { message: 'x.txt: file not found', exitCode: 1, … }
 */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof UserError)
    return { message: error.message, hint: error.hint, exitCode: error.exitCode, expected: true };
  if (error instanceof InterruptedError) return { message: error.message, exitCode: 130, expected: true };
  if (error instanceof DataError)
    return { message: error.message, hint: dataHint(error), exitCode: 1, expected: true };
  if (error instanceof OutputPathError)
    return { message: error.message, hint: error.hint, exitCode: 1, expected: true };
  if (error instanceof OptionError)
    return {
      message: error.message,
      hint: 'see --help for the options; model options go in --param [MODEL.]KEY=VALUE',
      exitCode: 2,
      expected: true,
    };
  if (error instanceof ModelFormatError)
    return {
      message: error.message,
      hint: 'is this a model folder? save the model again with `autorec train`',
      exitCode: 1,
      expected: true,
    };
  if (error instanceof TrainingDivergedError)
    return {
      message: `${error.message}; nothing was saved`,
      hint: 'lower the learning rate (--lr) or --lambda, or train on ratings of a smaller range (--transform log-bins)',
      exitCode: 1,
      expected: true,
    };
  if (error instanceof UnknownIdError)
    return {
      message: error.message,
      hint:
        error.kind === 'user'
          ? 'pick a user of the training data (`autorec stats --users` on it lists their ids), or give the listening history with --plays FILE'
          : 'pick an id (or, where the model has names, a name) from the training data',
      exitCode: 1,
      expected: true,
    };
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `internal error: ${message}`,
    hint: 'this is a bug; run again with AUTOREC_DEBUG=1 for the stack trace and report it',
    exitCode: 1,
    expected: false,
  };
}

function dataHint(error: DataError): string {
  if (error instanceof InsufficientDataError)
    return 'use more data, hold out less (--split), or lower the filter minimums (--min-user-plays, --min-song-users)';
  if (/not found/.test(error.reason)) return 'check the path (relative paths start from the current folder)';
  if (/^the line is longer than/.test(error.reason))
    return 'play-count files hold short lines of ids and counts: check that this is the right file';
  if (/looks like UTF-16 text/.test(error.reason))
    return 'convert it, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.tsv';
  if (/end in CR only/.test(error.reason)) return "convert it, e.g. tr '\\r' '\\n' < FILE > FILE.lf.tsv";
  if (error.location.line !== undefined)
    return 'check --format, or pass --lenient to skip bad lines and count them';
  if (/cache/.test(error.reason)) return 'rebuild it with `autorec prepare`';
  return 'check the input file and --format';
}
