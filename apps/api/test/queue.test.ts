// Training jobs on a Redis queue (BullMQ), run by `autorec worker` processes: a real
// redis-server for this file (free loopback port, own folder, stopped by its pid), an API on
// SQLite in a temporary folder, and real worker processes (worker-main.ts, what `autorec worker`
// runs) — two of them, one SIGKILLed mid-job.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnownPlays, loadModel, recommendExcludingKnown } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingJob } from '../src/storage/repository.ts';
import { cancelRequested } from '../src/training/cancel.ts';
import {
  expectProgressStream,
  startTestService,
  type TestService,
  threadNices,
  untilEnded,
  WRITER,
  waitFor,
} from './helpers.ts';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from './redis-server.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

const skip = redisSkip();
/** A lapsed lock is noticed within about two of these: short, so a killed worker's job moves on soon. */
const LOCK_MS = 1_500;

async function problem404(response: Promise<Response>): Promise<void> {
  expect((await response).status).toBe(404);
}

const finished = (job: TrainingJob | undefined) =>
  job && !['queued', 'running'].includes(job.status) ? job : undefined;

describe.skipIf(skip)(`training jobs on a Redis queue${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-queue-'));
  let redis: RedisServer;
  let api: TestService;
  const workers: WorkerProcess[] = [];
  const sayings: string[] = [];

  beforeAll(async () => {
    redis = await startRedis(findRedisServer()!);
    // The API's first start queues the first model's training; a worker takes it once the API
    // has made its data folder (a worker refuses a folder that is not one).
    const starting = startTestService(
      { redisUrl: redis.url, say: (line) => sayings.push(line), replica: { pollMs: 200 } },
      dir,
    );
    await waitFor(() => existsSync(join(dir, 'autorec.db')) || undefined, 30_000);
    workers.push(
      startWorker(dir, redis.url, ['--lock-ms', String(LOCK_MS)]),
      startWorker(dir, redis.url, ['--lock-ms', String(LOCK_MS)]),
    );
    await Promise.all(workers.map((w) => w.ready));
    api = await starting;
  }, 120_000);

  afterAll(async () => {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await api?.dispose();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = async (body: Record<string, unknown>) => {
    const res = await api.call('POST', '/v1/training-jobs', body, WRITER);
    expect(res.status).toBe(202);
    return (await res.json()) as TrainingJob;
  };
  /** The worker that logged taking job `id`. */
  const takenBy = (id: string) =>
    workers.findIndex((w) => w.records.some((r) => r.job === id && r.status === 'running'));

  it('the first start queues the first training; a worker runs it and the API serves its version', async () => {
    expect(sayings.some((l) => l.startsWith('training jobs go to the queue at redis://127.0.0.1:'))).toBe(
      true,
    );
    const [first] = await api.deps.repo.jobs(10);
    expect(first).toMatchObject({ model: 'ials', status: 'succeeded', result: { version: 1 } });
    expect(takenBy(first.id)).toBeGreaterThanOrEqual(0);
    expect(api.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
    expect(api.deps.jobs.runningJob).toBeUndefined(); // nothing trains in the API's process
    // A worker runs 10 nicer than it was started (--nice's default; the test's workers run at 0),
    // so beside a replica its batch scoring (on the main thread) and training yield the cores.
    if (process.platform === 'linux') {
      const started = threadNices('self')[0];
      const nice = Math.min(19, started + 10);
      const defaults = startWorker(dir, redis.url, [], { ...process.env, AUTOREC_WORKER_NICE: '' });
      try {
        await defaults.ready;
        expect(threadNices(defaults.child.pid!)[0]).toBe(nice);
        expect(defaults.stderr()).toContain(`; at nice ${nice}`);
        expect(threadNices(workers[0].child.pid!)[0]).toBe(started);
      } finally {
        defaults.child.kill('SIGTERM');
        expect(await defaults.exited).toBe(0);
      }
    }
  });

  it("a job's progress reaches the SSE stream from the queue's events; its promoted version serves", async () => {
    const job = await submit({ model: 'svd', params: { epochs: 300, factors: 8 }, promote: 'production' });
    const stream = await (await api.call('GET', `/v1/training-jobs/${job.id}/events`)).text();
    expect(stream).toMatch(/event: progress\n/);
    const end = JSON.parse(/event: end\n(?:id: \d+\n)?data: (.*)\n/.exec(stream)![1]) as TrainingJob;
    expect(end).toMatchObject({ status: 'succeeded', result: { model: 'svd', version: 1 } });
    expect((await api.deps.repo.version('svd', 1))?.jobId).toBe(job.id);
    // The worker moved the label; the API follows it (its poll).
    await waitFor(() => api.deps.server.current?.version.model === 'svd' || undefined);
    const res = await api.call('GET', '/v1/training-jobs/' + job.id);
    expect((await res.json()).progress).toMatchObject({ phase: expect.any(String) });
  }, 120_000);

  it('DELETE cancels a job a worker runs (at its next batch) and one no worker has taken yet (at once)', async () => {
    const params = { epochs: 1_000_000, factors: 8 };
    const [a, b] = [await submit({ model: 'svd', params }), await submit({ model: 'svd', params })];
    // Both workers busy, then a third job waits in the queue.
    await waitFor(async () => (await api.deps.repo.job(b.id))?.status === 'running' || undefined);
    const waiting = await submit({ model: 'svd', params });
    const cancelWaiting = await api.call('DELETE', `/v1/training-jobs/${waiting.id}`, undefined, WRITER);
    expect(cancelWaiting.status).toBe(202);
    expect((await cancelWaiting.json()).status).toBe('cancelled');
    for (const job of [a, b])
      expect((await api.call('DELETE', `/v1/training-jobs/${job.id}`)).status).toBe(202);
    for (const job of [a, b]) {
      const done = await waitFor(async () => finished(await api.deps.repo.job(job.id)));
      expect(done.status).toBe('cancelled');
      // The worker forgets the cancel request once the job has ended.
      await waitFor(async () => !(await cancelRequested(api.deps.repo, job.id)) || undefined);
    }
    expect((await api.call('DELETE', `/v1/training-jobs/${a.id}`)).status).toBe(409);
    // Cancelled jobs register nothing.
    expect((await api.deps.repo.versions('svd')).map((v) => v.jobId)).toHaveLength(1);
  }, 240_000);

  it('a scoring job: user ranges scored by both workers, joined into one file with each listener once', async () => {
    const res = await api.call(
      'POST',
      '/v1/scoring-jobs',
      { model: 'ials', version: 1, k: 5, parts: 4 },
      WRITER,
    );
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/scoring-jobs/${queued.id}`);
    expect(queued).toMatchObject({ status: 'running', parts: { total: 4, done: 0 } });
    const streamed = api.call('GET', `/v1/scoring-jobs/${queued.id}/events`).then((r) => r.text());
    const done = await untilEnded(api, `/v1/scoring-jobs/${queued.id}`, 60_000);
    expect(done).toMatchObject({ status: 'succeeded', parts: { total: 4, done: 4 } });
    // Its progress stream, read from the queue as GET reads it, ended with the same status.
    expect(expectProgressStream(await streamed, 'parts')).toEqual(done);
    const file = await (await api.call('GET', `/v1/scoring-jobs/${queued.id}/file`)).text();
    const [header, ...lines] = file.trimEnd().split('\n');
    expect(header).toBe('user\trank\tsong\tscore');
    expect(lines).toHaveLength(done.result.lines);
    expect(Buffer.byteLength(file)).toBe(done.result.bytes);
    // Each training listener exactly once, with ranks 1..5, in the model's user order.
    const store = directoryStore(join(dir, 'models/ials/v1'));
    const model = await loadModel(store);
    const users = model.users.toArray();
    const byUser = new Map<string, string[][]>();
    for (const line of lines) {
      const fields = line.split('\t');
      byUser.set(fields[0], [...(byUser.get(fields[0]) ?? []), fields]);
    }
    expect([...byUser.keys()]).toEqual(users);
    expect(done.result.users).toBe(users.length);
    const first = byUser.get(users[0])!;
    expect(first.map((f) => f[1])).toEqual(['1', '2', '3', '4', '5']);
    // The list recommend gives, leaving out every play the listener is known for (validation
    // and test plays too). Scored here on this process's backend, in the worker on its own:
    // the scores agree to the file's four decimals, the order up to near-ties.
    const [expected] = recommendExcludingKnown(model, [users[0]], 5, await loadKnownPlays(store));
    expect(first.map((f) => Number(f[3]))).toEqual(expected.map((r) => expect.closeTo(r.score, 3)));
    const listed = new Set(expected.map((r) => r.item));
    for (const [, , item, score] of first)
      if (!listed.has(item)) expect(Math.abs(Number(score) - expected[4].score)).toBeLessThan(1e-3);
    model.dispose();
    // Both workers scored ranges; the parts are gone once joined.
    const scorers = workers.filter((w) =>
      w.records.some((r) => r.scoring === queued.id && r.part !== undefined),
    );
    expect(scorers.length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(dir, 'scores', queued.id, 'parts'))).toBe(false);
    await problem404(api.call('GET', '/v1/scoring-jobs/0f8fad5b-d9cb-469f-a165-70867728950e'));
    expect((await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 99 }, WRITER)).status).toBe(
      404,
    );
  }, 90_000);

  it('a worker SIGKILLed mid-job: the other one takes the job over; one version, written once', async () => {
    const job = await submit({ model: 'svd', params: { epochs: 8_000, factors: 8 } });
    const progressed = await waitFor(async () => {
      const j = await api.deps.repo.job(job.id);
      return j?.status === 'running' && j.progress?.epoch !== undefined ? j : undefined;
    }, 30_000);
    expect(progressed.status).toBe('running');
    const first = takenBy(job.id);
    const reserved = workers[first].records.find((r) => r.job === job.id)!.version;
    workers[first].child.kill('SIGKILL');
    expect(await workers[first].exited).toBeNull();
    const done = await waitFor(async () => finished(await api.deps.repo.job(job.id)), 90_000);
    expect(done.status).toBe('succeeded');
    const other = workers[1 - first];
    expect(
      other.records.some((r) => r.job === job.id && r.status === 'running' && r.version === reserved),
    ).toBe(true);
    expect(other.records.some((r) => r.message?.toString().includes('lock') && r.job === job.id)).toBe(true);
    const versions = (await api.deps.repo.versions('svd')).filter((v) => v.jobId === job.id);
    expect(versions.map((v) => v.version)).toEqual([reserved]);
    expect(done.result?.version).toBe(reserved);
    // A replacement worker for the killed one, for the next test.
    workers[first] = startWorker(dir, redis.url, ['--lock-ms', String(LOCK_MS)]);
    await workers[first].ready;
  }, 120_000);

  it('a worker stopped gracefully (SIGTERM) hands its job back; another finishes it; exit 0', async () => {
    const job = await submit({ model: 'svd', params: { epochs: 4_000, factors: 8 } });
    await waitFor(
      async () => (await api.deps.repo.job(job.id))?.progress?.epoch !== undefined || undefined,
      30_000,
    );
    const first = takenBy(job.id);
    workers[first].child.kill('SIGTERM');
    expect(await workers[first].exited).toBe(0);
    expect(workers[first].stderr()).toMatch(
      /SIGTERM: a job in progress goes back to the queue[\s\S]*stopped/,
    );
    expect(workers[first].records.some((r) => r.job === job.id && r.status === 'queued')).toBe(true);
    const done = await waitFor(async () => finished(await api.deps.repo.job(job.id)), 90_000);
    expect(done.status).toBe('succeeded');
    // The worker writes the row, then its line: wait for the line.
    await workers[1 - first].next((r) => r.job === job.id && r.status === 'succeeded');
    expect((await api.deps.repo.versions('svd')).filter((v) => v.jobId === job.id)).toHaveLength(1);
  }, 120_000);
});
