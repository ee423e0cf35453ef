// The progress stream of batch jobs (routes/status-stream.ts) on a scripted status sequence:
// what a client sees whatever runs the job (the Redis queue or the API's own threads).
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { statusStream } from '../src/routes/status-stream.ts';
import { sseEvents } from './helpers.ts';

type Status = { status: string; parts: { total: number; done: number } };
const running = (done: number): Status => ({ status: 'running', parts: { total: 3, done } });

/** Serves `statusStream` over `sequence` (the first read is `first`), and returns what a client reads. */
async function streamOf(first: Status, sequence: (Status | undefined)[]) {
  let reads = 0;
  const app = new Hono().get('/', (c) =>
    statusStream(
      c,
      first,
      async () => sequence[reads++],
      (s) => s.parts.done,
      1,
    ),
  );
  const text = await (await app.request('/')).text();
  return { events: sseEvents(text), reads };
}

describe('a batch job’s progress stream', () => {
  it('sends progress when the count done changes, then the final status, and closes', async () => {
    const final = { status: 'succeeded', parts: { total: 3, done: 3 }, result: { lines: 30 } };
    const { events, reads } = await streamOf(running(0), [
      running(0),
      running(1),
      running(1),
      running(2),
      final,
    ]);
    expect(events.map((e) => [e.event, (e.data.parts as Status['parts']).done])).toEqual([
      ['progress', 0],
      ['progress', 1],
      ['progress', 2],
      ['end', 3],
    ]);
    expect(events.at(-1)?.data).toEqual(final);
    expect(reads).toBe(5);
  });

  it('a job already over: only its end; a failed one ends with its error', async () => {
    const failed = { status: 'failed', parts: { total: 3, done: 1 }, error: 'stalled' };
    const { events, reads } = await streamOf(failed, []);
    expect(events).toEqual([{ event: 'end', data: failed }]);
    expect(reads).toBe(0);
  });

  it('a job forgotten while the client listens closes the stream without an end', async () => {
    const { events } = await streamOf(running(1), [running(1), undefined]);
    expect(events.map((e) => e.event)).toEqual(['progress']);
  });
});
