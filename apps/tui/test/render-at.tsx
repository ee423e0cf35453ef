import { EventEmitter } from 'node:events';
import { render as inkRender } from 'ink';
import type { ReactElement } from 'react';
import { displayWidth } from '../src/text.ts';

/** A stdout of a given size that keeps every frame, and can be resized like a terminal window. */
class SizedStdout extends EventEmitter {
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = () => this.frames.at(-1);
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

/**
 * Renders `tree` as Ink would in a terminal of `columns` × `rows` (ink-testing-library's
 * stdout is always 100 columns and has no rows), for layout tests and resize.
 */
export function renderAt(tree: ReactElement, columns: number, rows: number) {
  const stdout = new SizedStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = inkRender(tree, {
    stdout: stdout as never,
    stderr: new SizedStdout(columns, rows) as never,
    stdin: stdin as never,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { ...instance, stdout, stdin, lastFrame: stdout.lastFrame, frames: stdout.frames };
}

/** The frame's lines without colour codes. */
export function linesOf(frame: string | undefined): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colour codes
  return (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '').split('\n');
}

/** Fails unless every line fits `columns` cells and there are at most `rows` lines. */
export function expectFits(frame: string | undefined, columns: number, rows: number): void {
  const lines = linesOf(frame);
  const wide = lines.filter((l) => displayWidth(l) > columns);
  if (wide.length > 0) throw new Error(`lines wider than ${columns}:\n${wide.join('\n')}`);
  if (lines.length > rows) throw new Error(`${lines.length} lines, more than ${rows}:\n${lines.join('\n')}`);
}

/** Resolves once `check` passes on the last frame (it throws until then), or fails with the last error. */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  check: (frame: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const f = lastFrame() ?? '';
    if (check(f)) return f;
    if (Date.now() > until) throw new Error(`timed out; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
