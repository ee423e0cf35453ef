import { InterruptedError } from './errors.ts';

/**
 * Turns Ctrl-C into an AbortSignal: the first SIGINT aborts (training stops at the next batch
 * boundary); a SIGINT within `echoMs` of the first is the same keypress seen twice (the
 * terminal signals both the launcher and us, and the launcher forwards it) and is ignored; a
 * later one quits at once with 130.
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
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let firstAt = 0;
  const handler = () => {
    const now = Date.now();
    if (!controller.signal.aborted) {
      firstAt = now;
      controller.abort(new InterruptedError('interrupted by Ctrl-C'));
      onFirst?.();
    } else if (now - firstAt > echoMs) exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
