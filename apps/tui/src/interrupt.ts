import { outputsSettled, removeUnfinishedOutputsSync } from '@autorec/core/node';
import { InterruptedError } from './errors.ts';

/** The signals that stop a command, and the exit code a shell gives for each (128 + number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** Open `onInterrupt` scopes: while one is open, it decides what a stop signal does. */
let scopes = 0;
let guarded = false;

/**
 * Makes the CLI process safe to stop at any moment; called once at start. On exit (however it
 * comes) every temporary output of this process is removed, so only whole outputs survive. A
 * stop signal outside an `onInterrupt` scope (e.g. while `recommend --all-users` or `generate`
 * writes) ends the process at once with 128 + the signal number, after any folder swap in
 * progress. When the launcher (bin/autorec.js) started us over an IPC channel and that channel
 * closes — the launcher died, even of SIGKILL — we exit too, so no orphan finishes the work later
 * and replaces an output the user saw "stopped".
 */
export function guardProcess(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', removeUnfinishedOutputsSync);
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[])
    process.on(signal, () => {
      if (scopes === 0) void quit(STOP_SIGNALS[signal], `autorec: stopped by ${signal}\n`);
    });
  if (process.channel) {
    process.channel.unref(); // the channel alone must not keep us running
    process.on('disconnect', () => void quit(129));
  }
}

/** Exits with `code` once no output folder is between its two renames. */
async function quit(code: number, message?: string): Promise<void> {
  if (message) process.stderr.write(message);
  await outputsSettled();
  process.exit(code);
}

/**
 * Turns Ctrl-C (and SIGTERM, SIGHUP) into an AbortSignal: the first one aborts (training stops
 * at the next batch boundary); one within `echoMs` of the first is the same keypress seen twice
 * (the terminal signals both the launcher and us, and the launcher forwards it) and is ignored;
 * a later one quits at once with 130 (temporary outputs are removed on the way out).
 *
 * @example
 * const interrupt = onInterrupt(() => out.note('stopping…'));
 * try { await run({ signal: interrupt.signal }); } finally { interrupt.dispose(); }
 */
export function onInterrupt(
  onFirst?: () => void,
  options: { echoMs?: number; exit?: (code: number) => void } = {},
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const echoMs = options.echoMs ?? 1000;
  const exit = options.exit ?? ((code: number) => void quit(code));
  let firstAt = 0;
  const handler = () => {
    const now = Date.now();
    if (!controller.signal.aborted) {
      firstAt = now;
      controller.abort(new InterruptedError('interrupted by Ctrl-C'));
      onFirst?.();
    } else if (now - firstAt > echoMs) exit(130);
  };
  const signals = Object.keys(STOP_SIGNALS) as StopSignal[];
  for (const s of signals) process.on(s, handler);
  scopes++;
  let disposed = false;
  return {
    signal: controller.signal,
    dispose() {
      if (disposed) return;
      disposed = true;
      scopes--;
      for (const s of signals) process.off(s, handler);
    },
  };
}
