// Hyper-parameter searches on the Redis queue: one task per (candidate, fold) taken by
// `autorec worker` processes (real ones, on a real redis-server), gathered into a ranking.
// (Without Redis the API runs them itself: test/local-jobs.test.ts.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue } from '../src/training/queue.ts';
import { startTestService, type TestService, untilEnded, WRITER, waitFor } from './helpers.ts';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from './redis-server.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

const skip = redisSkip();

describe.skipIf(skip)(`hyper-parameter searches on the queue${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-search-'));
  let redis: RedisServer;
  let api: TestService;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis(findRedisServer()!);
    const starting = startTestService({ redisUrl: redis.url, replica: { pollMs: 200 } }, dir);
    await waitFor(() => existsSync(join(dir, 'autorec.db')) || undefined, 30_000);
    workers.push(startWorker(dir, redis.url), startWorker(dir, redis.url));
    await Promise.all(workers.map((w) => w.ready));
    api = await starting;
  }, 120_000);

  afterAll(async () => {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await api?.dispose();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) => api.call('POST', '/v1/search-jobs', body, WRITER);

  it('runs every (candidate, fold) on the workers and ranks the candidates by their mean over the folds', async () => {
    const res = await post({
      model: 'svd',
      params: { epochs: 10 },
      grid: { regularization: [0.02, 50] },
      folds: 3,
      metric: 'rmse',
    });
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/search-jobs/${queued.id}`);
    expect(queued).toMatchObject({
      status: 'running',
      candidates: 2,
      folds: 3,
      tasks: { total: 6, done: 0 },
    });
    const done = await untilEnded(api, `/v1/search-jobs/${queued.id}`, 180_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.tasks).toEqual({ total: 6, done: 6 });
    const { candidates, best } = done.result;
    expect(best.params).toEqual({ regularization: 0.02 }); // λ = 50 flattens every prediction
    expect(candidates.map((c: { index: number }) => c.index)).toEqual([0, 1]);
    for (const c of candidates) {
      expect(c.score.values).toHaveLength(3);
      expect(c.score.mean).toBeCloseTo(c.score.values.reduce((a: number, b: number) => a + b, 0) / 3, 10);
    }
    expect(candidates[0].score.mean).toBeLessThan(candidates[1].score.mean);
    // Each task ran once, on some worker; the workers' logs name every (candidate, fold).
    const ran = workers.flatMap((w) => w.records.filter((r) => r.search === queued.id && 'fold' in r));
    expect(ran.map((r) => `${r.candidate}/${r.fold}`).sort()).toEqual([
      '0/0',
      '0/1',
      '0/2',
      '1/0',
      '1/1',
      '1/2',
    ]);
  }, 240_000);

  it('cancels a search the workers run: the task in progress stops, none other starts, it reads cancelled', async () => {
    // 40 tasks of a few seconds each: still running when the DELETE arrives.
    const res = await post({
      model: 'svd',
      params: { epochs: 40 },
      grid: { factors: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
      folds: 4,
    });
    const queued = await res.json();
    const stopping = await api.call('DELETE', `/v1/search-jobs/${queued.id}`, undefined, WRITER);
    expect(stopping.status).toBe(202);
    const ended = await untilEnded(api, `/v1/search-jobs/${queued.id}`, 120_000);
    expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'cancelled', tasks: { total: 40 } });
    expect(ended.tasks.done).toBeLessThan(40);
    expect(ended.error).toBeUndefined();
    const again = await api.call('DELETE', `/v1/search-jobs/${queued.id}`, undefined, WRITER);
    expect(again.status).toBe(409);
    expect((await again.json()).detail).toMatch(/already ended \(cancelled\)/);
    // The workers take the tasks left in the queue and drop each at once: nothing waits for long.
    await waitFor(
      async () =>
        (await (api.deps.batch as JobQueue).queue.getJobCounts('waiting')).waiting === 0 || undefined,
      120_000,
    );
  }, 240_000);

  it('refuses what cannot run, naming the field', async () => {
    const both = await post({ model: 'svd', grid: { factors: [2] }, candidates: [{ factors: 2 }] });
    expect(both.status).toBe(400);
    expect((await both.json()).detail).toMatch(/either body\.grid or body\.candidates/);
    const bad = await post({ model: 'svd', candidates: [{ factors: 2 }, { nope: 1 }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/candidate 1: .*nope/);
    const many = await post({
      model: 'svd',
      grid: { factors: Array.from({ length: 101 }, (_, i) => i + 1), epochs: [1, 2, 3, 4] },
      folds: 3,
    });
    expect(many.status).toBe(400);
    expect((await many.json()).detail).toMatch(/1212 tasks .* more than 1000/);
    expect((await post({ model: 'nope', grid: { factors: [2] } })).status).toBe(400);
    expect((await api.call('GET', '/v1/search-jobs/0f8fad5b-d9cb-469f-a165-70867728950e')).status).toBe(404);
  });
});
