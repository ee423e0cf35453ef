import { jsonReplacer } from '@autorec/core';
import { describeError, InterruptedError } from './errors.ts';
import { printable, printableJson } from './printable.ts';

/** Where a command writes: results to stdout (human text or one JSON document), progress to stderr. */
export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

/**
 * True when a person is watching: stdout and stderr are terminals and no CI system is
 * running us. Outside a terminal nothing waits for input and progress is plain lines.
 */
export function isInteractive(streams: OutputStreams): boolean {
  return Boolean(streams.stdout.isTTY && streams.stderr.isTTY) && !streams.env.CI;
}

/**
 * The one way commands print. In `--json` mode stdout gets exactly one JSON document (the
 * result, or `{ "error": … }` on failure); human mode prints the text form. Progress and
 * notes always go to stderr, so pipes only see results. Everything printed passes `printable`
 * here, so ids and metadata from data files cannot send control sequences to the terminal.
 *
 * @example
 * const out = new Output({ json: true }, process);
 * out.note('reading…');
 * out.result({ users: 3 }, () => 'users: 3');
 */
export class Output {
  readonly json: boolean;
  readonly interactive: boolean;
  private readonly streams: OutputStreams;

  constructor(options: { json?: boolean }, streams: OutputStreams) {
    this.json = options.json ?? false;
    this.streams = streams;
    this.interactive = isInteractive(streams);
  }

  /** Width for tables and charts (80 outside a terminal). */
  get columns(): number {
    return this.streams.stdout.columns ?? 80;
  }

  /** The terminal's width when stdout is one (tables fit it); undefined in a pipe (nothing is cut). */
  get terminalColumns(): number | undefined {
    return this.streams.stdout.isTTY ? this.columns : undefined;
  }

  /** A progress or status line on stderr. */
  note(line: string): void {
    this.streams.stderr.write(`${printable(line)}\n`);
  }

  /** Rewrites the current stderr line (terminal only), for live progress bars. */
  status(line: string): void {
    if (!this.streams.stderr.isTTY) return;
    const width = this.streams.stderr.columns ?? 80;
    this.streams.stderr.write(`\r\x1b[2K${printable(line).slice(0, width - 1)}`);
  }

  /** Clears a line left by `status`. */
  clearStatus(): void {
    if (this.streams.stderr.isTTY) this.streams.stderr.write('\r\x1b[2K');
  }

  /** The command's result: `data` as JSON in `--json` mode, else `human()` as text. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.streams.stdout.write(`${printableJson(JSON.stringify(data, jsonReplacer, 2))}\n`);
    else {
      const text = printable(human());
      this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /**
   * Prints an error: one line plus a hint on stderr (and an `{ "error" }` document on stdout in
   * `--json` mode). Returns the exit code. Stacks only for bugs, and only with AUTOREC_DEBUG=1.
   */
  error(error: unknown): number {
    const report = describeError(error);
    const debug = Boolean(this.streams.env.AUTOREC_DEBUG) && this.streams.env.AUTOREC_DEBUG !== '0';
    this.clearStatus();
    this.streams.stderr.write(`autorec: ${printable(report.message)}\n`);
    if (report.hint) this.streams.stderr.write(`  hint: ${printable(report.hint)}\n`);
    if (debug && error instanceof Error && error.stack) this.streams.stderr.write(`${error.stack}\n`);
    if (this.json) {
      const doc: Record<string, unknown> = {
        error: { message: report.message, hint: report.hint, exitCode: report.exitCode },
      };
      if (error instanceof InterruptedError && error.partial !== undefined) doc.partial = error.partial;
      this.streams.stdout.write(`${printableJson(JSON.stringify(doc, jsonReplacer, 2))}\n`);
    }
    return report.exitCode;
  }
}

export { jsonReplacer };
