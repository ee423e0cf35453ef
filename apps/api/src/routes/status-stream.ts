import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

/** How often a batch job's status is read for its stream: a range or a search task takes seconds. */
export const STATUS_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

/** What every batch job status has: `running` until it ends. */
interface BatchStatus {
  status: string;
}

/**
 * A batch job's progress as Server-Sent Events (scoring jobs and searches): a `progress` event
 * with the whole status whenever `step` of it changes (parts or tasks done), then one `end`
 * event with the final status, and the stream closes. The status is read by polling `read`
 * rather than from an event bus: the queued jobs live in Redis, the in-process ones in the
 * database, and either may run on another replica — reading the status the GET route reads
 * serves them all the same, at the cost of a read every {@link STATUS_POLL_MS} while a client
 * listens.
 *
 * @example
 * return statusStream(c, first, () => batch.scoringStatus(id), (s) => s.parts.done);
 */
export function statusStream<T extends BatchStatus>(
  c: Context,
  first: T,
  read: () => Promise<T | undefined>,
  step: (status: T) => number,
  pollMs = STATUS_POLL_MS,
): Response {
  return streamSSE(c, async (stream) => {
    let counter = 0;
    const send = (event: 'progress' | 'end', status: T) =>
      stream.writeSSE({ event, id: String(++counter), data: JSON.stringify(status) });
    let status: T | undefined = first;
    let sent: number | undefined;
    let quietSince = Date.now();
    let wake: (() => void) | undefined;
    stream.onAbort(() => wake?.());
    const pause = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    while (!stream.aborted) {
      if (!status) return; // forgotten while we listened (the queue keeps finished jobs a day)
      if (status.status !== 'running') {
        await send('end', status);
        return;
      }
      if (step(status) !== sent) {
        sent = step(status);
        quietSince = Date.now();
        await send('progress', status);
      } else if (Date.now() - quietSince >= KEEP_ALIVE_MS) {
        quietSince = Date.now();
        await stream.write(': keep-alive\n\n');
      }
      await pause();
      status = await read();
    }
  });
}
