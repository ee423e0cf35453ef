// Batch jobs clean up after themselves (issue 12 follow-up): finished scoring jobs' files and
// batch jobs' statuses go after the retention period (a clock the tests move, never a sleep),
// in the data folder and on S3, without touching anything else there; temporary part files of
// dead processes go when a worker or the API's runner starts; cancel requests go once their job
// has ended, on the queue too.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3Objects } from '@autorec/core/s3';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import type { Repository } from '../src/storage/repository.ts';
import { cancelRequested } from '../src/training/cancel.ts';
import type { BatchJobs, JobQueue, ScoringStatus } from '../src/training/queue.ts';
import { DAY_MS, type SweepContext, sweepBatchResults } from '../src/training/retention.ts';
import { removeStaleTemporaries, temporaryName } from '../src/training/scoring.ts';
import { startTestService, type TestService, untilEnded, WRITER, waitFor } from './helpers.ts';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from './redis-server.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';
/** The pid of a process that has exited (a pid is not reused within the test's few seconds). */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const put = (path: string, text = 'x') => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};
/** Sets a file's times `days` back. */
const age = (path: string, days: number) => {
  const when = new Date(Date.now() - days * DAY_MS);
  utimesSync(path, when, when);
};
/** A moving clock for a service: `clock.days` is added to the real time. */
const movableClock = () => {
  const clock = { days: 0, now: () => Date.now() + clock.days * DAY_MS };
  return clock;
};

describe('--keep-batch-results', () => {
  const base = ['--data-dir', 'x'];
  it('takes whole days (default 7; 0 keeps for ever), from the flag or AUTOREC_KEEP_BATCH_RESULTS', () => {
    expect(readConfig(base, {}).batchRetention).toEqual({ keepMs: 7 * DAY_MS });
    expect(readConfig([...base, '--keep-batch-results', '30'], {}).batchRetention).toEqual({
      keepMs: 30 * DAY_MS,
    });
    expect(readConfig(base, { AUTOREC_KEEP_BATCH_RESULTS: '0' }).batchRetention).toEqual({ keepMs: 0 });
    expect(() => readConfig([...base, '--keep-batch-results', '1.5'], {})).toThrow(
      /--keep-batch-results must be an integer from 0 to 36500, got '1.5'/,
    );
    expect(() => readConfig(base, { AUTOREC_KEEP_BATCH_RESULTS: '-1' })).toThrow(/--keep-batch-results/);
  });
});

describe('temporary files of dead processes', () => {
  it('removes only our names, written on this host by a pid that is gone, under scores/<uuid>/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-stale-'));
    try {
      const job = join(dir, 'scores', randomUUID());
      const dead = deadPid();
      const stale = [
        join(job, 'parts', `part-00003.tsv.${HOST}.${dead}.tmp`),
        join(job, `top-10.tsv.${HOST}.${dead}.tmp`),
      ];
      const kept = [
        temporaryName(join(job, 'parts', 'part-00004.tsv')), // this process: alive
        join(job, 'parts', `part-00005.tsv.other-host.${dead}.tmp`), // another machine's
        join(job, 'parts', `part-00006.tsv.${dead}.tmp`), // no host: from before, whose host is unknown
        join(job, 'parts', `notes.${HOST}.${dead}.tmp`), // not our name
        join(job, 'parts', 'part-00000.tsv'), // a part
        join(dir, 'scores', 'not-a-job', `part-00000.tsv.${HOST}.${dead}.tmp`), // not a job folder
        join(dir, `top-10.tsv.${HOST}.${dead}.tmp`), // not under scores/
      ];
      for (const path of [...stale, ...kept]) put(path);
      expect((await removeStaleTemporaries(dir)).sort()).toEqual([...stale].sort());
      for (const path of stale) expect(existsSync(path)).toBe(false);
      for (const path of kept) expect(existsSync(path), path).toBe(true);
      expect(await removeStaleTemporaries(join(dir, 'nothing-here'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the API’s batch runner removes them when it starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-stale-api-'));
    let api = await startTestService({}, dir);
    try {
      await api.close();
      const stale = join(dir, 'scores', randomUUID(), 'parts', `part-00000.tsv.${HOST}.${deadPid()}.tmp`);
      const live = temporaryName(join(dir, 'scores', randomUUID(), 'parts', 'part-00000.tsv'));
      put(stale);
      put(live);
      api = await startTestService({}, dir);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      await api.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a sweep, called directly', () => {
  const id = randomUUID();
  const repo = {
    settingsWithPrefix: async () => [],
    deleteSetting: async () => {},
    job: async () => undefined,
  } as unknown as Repository;
  const batch = (status: Partial<ScoringStatus> | undefined) =>
    ({
      scoringStatus: async () => status,
      searchStatus: async () => undefined,
    }) as unknown as BatchJobs;
  const context = (dir: string, status: Partial<ScoringStatus> | undefined): SweepContext => ({
    repo,
    batch: batch(status),
    dataDir: dir,
    models: { kind: 'folder', dataDir: dir },
    keepMs: DAY_MS,
    now: Date.now(),
    log: () => {},
  });

  it('never removes a running job’s files, however old; removes a finished one’s once it is due', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-sweep-'));
    try {
      const part = join(dir, 'scores', id, 'parts', 'part-00000.tsv');
      put(part);
      age(part, 30);
      expect((await sweepBatchResults(context(dir, { status: 'running' }))).results).toEqual([]);
      expect(existsSync(part)).toBe(true);
      const finished = (daysAgo: number) => ({
        status: 'failed' as const,
        finishedAt: new Date(Date.now() - daysAgo * DAY_MS).toISOString(),
      });
      // Finished recently: kept, however old its files are.
      expect((await sweepBatchResults(context(dir, finished(0.5)))).results).toEqual([]);
      expect(existsSync(part)).toBe(true);
      expect((await sweepBatchResults(context(dir, finished(2)))).results).toEqual([id]);
      expect(existsSync(join(dir, 'scores', id))).toBe(false);
      // Twice (another replica): nothing left to do, no error.
      expect((await sweepBatchResults(context(dir, finished(2)))).results).toEqual([]);
      // Retention 0 keeps everything.
      put(part);
      age(part, 30);
      expect((await sweepBatchResults({ ...context(dir, undefined), keepMs: 0 })).results).toEqual([]);
      expect(existsSync(part)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retention of batch jobs run in the API process (data folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-retention-'));
  const clock = movableClock();
  let api: TestService;
  const start = (sweepEveryMs?: number) =>
    startTestService({ batchRetention: { keepMs: 7 * DAY_MS, sweepEveryMs, now: clock.now } }, dir);

  beforeAll(async () => {
    api = await start(200);
  }, 120_000);
  afterAll(async () => {
    await api?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes a finished job’s file and status after 7 days, and nothing else; GET then answers 404', async () => {
    const scoring = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 2 }, WRITER)
    ).json();
    expect((await untilEnded(api, `/v1/scoring-jobs/${scoring.id}`)).status).toBe('succeeded');
    const search = await (
      await api.call(
        'POST',
        '/v1/search-jobs',
        { model: 'svd', params: { epochs: 3 }, grid: { factors: [2, 4] }, folds: 2, data: 'tiny' },
        WRITER,
      )
    ).json();
    expect((await untilEnded(api, `/v1/search-jobs/${search.id}`, 120_000)).status).toBe('succeeded');
    const file = join(dir, 'scores', scoring.id, 'top-3.tsv');
    expect(existsSync(file)).toBe(true);

    // Files the jobs did not write, and a folder of ours holding one of them.
    const unrelated = [
      join(dir, 'notes.txt'),
      join(dir, 'scores', 'readme.txt'),
      join(dir, 'scores', 'not-a-job', 'top-3.tsv'),
      join(dir, 'scores', scoring.id, 'mine.txt'),
    ];
    for (const path of unrelated) put(path);
    // A result whose status is gone: removed once its newest file is older than 7 days.
    const orphanOld = join(dir, 'scores', randomUUID(), 'top-5.tsv');
    const orphanNew = join(dir, 'scores', randomUUID(), 'top-5.tsv');
    put(orphanOld);
    age(orphanOld, 8);
    put(orphanNew);
    // A cancel request of a job nobody knows (its job long gone): forgotten by the sweep.
    const strayFlag = `cancel-requested:${randomUUID()}`;
    await api.deps.repo.setSetting(strayFlag, new Date().toISOString());
    await waitFor(() => !existsSync(orphanOld) || undefined);
    await waitFor(async () => (await api.deps.repo.getSetting(strayFlag)) === undefined || undefined);
    expect(existsSync(orphanNew)).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect((await api.call('GET', `/v1/scoring-jobs/${scoring.id}`)).status).toBe(200);

    clock.days = 7.01;
    // Past its retention a job is gone at once, for every route, whether swept yet or not.
    for (const path of [
      `/v1/scoring-jobs/${scoring.id}`,
      `/v1/scoring-jobs/${scoring.id}/file`,
      `/v1/scoring-jobs/${scoring.id}/events`,
      `/v1/search-jobs/${search.id}`,
    ]) {
      const res = await api.call('GET', path);
      expect(res.status, path).toBe(404);
      expect((await res.json()).detail).toMatch(
        /finished batch jobs are kept 7 days \(--keep-batch-results\)/,
      );
    }
    expect((await api.call('DELETE', `/v1/search-jobs/${search.id}`, undefined, WRITER)).status).toBe(404);
    await waitFor(() => !existsSync(file) || undefined);
    await waitFor(async () =>
      (await api.deps.repo.settingsWithPrefix('search-job:')).length === 0 &&
      (await api.deps.repo.settingsWithPrefix('scoring-job:')).length === 0
        ? true
        : undefined,
    );
    await waitFor(() => !existsSync(orphanNew) || undefined);
    // Forgotten entirely: a plain unknown job now.
    expect((await (await api.call('GET', `/v1/scoring-jobs/${scoring.id}`)).json()).detail).toBe(
      `unknown scoring job '${scoring.id}'`,
    );
    for (const path of unrelated) expect(existsSync(path), path).toBe(true);
    expect(readdirSync(join(dir, 'scores', scoring.id))).toEqual(['mine.txt']);
    expect(existsSync(join(dir, 'models', 'ials', 'v1'))).toBe(true);
    expect((await api.call('GET', '/healthz')).status).toBe(200);
    clock.days = 0;
  }, 240_000);

  it('sweeps when it starts', async () => {
    await api.close();
    const old = join(dir, 'scores', randomUUID(), 'parts', 'part-00000.tsv');
    put(old);
    age(old, 9);
    api = await start(); // hourly: only the sweep at start can remove it within the test
    await waitFor(() => !existsSync(old) || undefined);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  }, 120_000);
});

describe('retention of scoring results beside the versions on S3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-retention-s3-'));
  const env = {
    AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
  };
  const saved = { ...process.env };
  const clock = movableClock();
  let server: S3Emulator;

  beforeAll(async () => {
    server = await startS3Emulator(dir, ['models']);
    Object.assign(process.env, env, { AUTOREC_S3_ENDPOINT: server.endpoint });
  });
  afterAll(async () => {
    for (const key of [...Object.keys(env), 'AUTOREC_S3_ENDPOINT']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes the manifest and parts of a job past its retention, no other object', async () => {
    const records: Record<string, unknown>[] = [];
    const api = await startTestService(
      {
        modelsUrl: 's3://models/prod',
        batchRetention: { keepMs: 2 * DAY_MS, sweepEveryMs: 200, now: clock.now },
        log: (r) => records.push(r),
      },
      join(dir, 'data'),
    );
    try {
      const { id } = await (
        await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 2 }, WRITER)
      ).json();
      expect((await untilEnded(api, `/v1/scoring-jobs/${id}`)).status).toBe('succeeded');
      const bucket = s3Objects({
        url: 's3://models',
        endpoint: server.endpoint,
        credentials: S3_EMULATOR_CREDENTIALS,
      });
      const unrelated = [
        'prod/notes.txt',
        'prod/scores/notes.txt',
        `prod/scores/${id}/mine.txt`,
        'prod/scores/not-a-job/part-00000.tsv',
        'other/scores/00000000-0000-4000-8000-000000000000/manifest.json',
      ];
      for (const name of unrelated) await bucket.put(name, new TextEncoder().encode('x'));
      const names = async () => (await bucket.list()).objects.map((o) => o.name);
      expect(await names()).toEqual(
        expect.arrayContaining([
          `prod/scores/${id}/manifest.json`,
          `prod/scores/${id}/part-00000.tsv`,
          `prod/scores/${id}/part-00001.tsv`,
        ]),
      );
      clock.days = 2.01;
      expect((await api.call('GET', `/v1/scoring-jobs/${id}/file`)).status).toBe(404);
      await waitFor(
        async () =>
          !(await names()).some((n) => n.startsWith(`prod/scores/${id}/`) && !n.endsWith('/mine.txt')) ||
          undefined,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(records.filter((r) => r.sweep))}`);
      });
      const left = await names();
      for (const name of unrelated) expect(left).toContain(name);
      expect(left).toContain('prod/ials/v1/files.json');
    } finally {
      await api.dispose();
    }
  }, 120_000);
});

const skip = redisSkip();

describe.skipIf(skip)(`batch jobs on the Redis queue clean up${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-retention-queue-'));
  const clock = movableClock();
  let redis: RedisServer;
  let api: TestService;
  const workers: WorkerProcess[] = [];
  let stale: string;
  let live: string;

  beforeAll(async () => {
    redis = await startRedis(findRedisServer()!);
    const starting = startTestService(
      {
        redisUrl: redis.url,
        replica: { pollMs: 200 },
        batchRetention: { keepMs: 3 * DAY_MS, sweepEveryMs: 3_600_000, now: clock.now },
      },
      dir,
    );
    await waitFor(() => existsSync(join(dir, 'autorec.db')) || undefined, 30_000);
    // What a worker killed mid-range left: removed by the next worker to start on this host.
    stale = join(dir, 'scores', randomUUID(), 'parts', `part-00002.tsv.${HOST}.${deadPid()}.tmp`);
    live = temporaryName(join(dir, 'scores', randomUUID(), 'parts', 'part-00002.tsv'));
    put(stale);
    put(live);
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

  it('a worker starting removes the temporary files of dead processes on its host', () => {
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(workers.some((w) => w.records.some((r) => r.removed === stale))).toBe(true);
  });

  it('a cancelled search’s cancel request is deleted once it reads cancelled', async () => {
    const search = await (
      await api.call(
        'POST',
        '/v1/search-jobs',
        {
          model: 'svd',
          params: { epochs: 40 },
          grid: { factors: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
          folds: 4,
        },
        WRITER,
      )
    ).json();
    expect((await api.call('DELETE', `/v1/search-jobs/${search.id}`, undefined, WRITER)).status).toBe(202);
    expect((await untilEnded(api, `/v1/search-jobs/${search.id}`, 120_000)).status).toBe('cancelled');
    await waitFor(async () => !(await cancelRequested(api.deps.repo, search.id)) || undefined);
    // The tasks left in the queue are dropped (their search has ended), not run.
    await waitFor(
      async () =>
        (await (api.deps.batch as JobQueue).queue.getJobCounts('waiting')).waiting === 0 || undefined,
      120_000,
    );
    expect(await cancelRequested(api.deps.repo, search.id)).toBe(false);
  }, 240_000);

  it('a scoring job cancelled whatever its state: the request is gone once it has ended', async () => {
    const scoring = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 12 }, WRITER)
    ).json();
    const res = await api.call('DELETE', `/v1/scoring-jobs/${scoring.id}`, undefined, WRITER);
    // 202 (cancelling), or 409 when the workers were quicker than the request.
    expect([202, 409]).toContain(res.status);
    const ended = await untilEnded(api, `/v1/scoring-jobs/${scoring.id}`, 120_000);
    expect(['cancelled', 'succeeded']).toContain(ended.status);
    await waitFor(async () => !(await cancelRequested(api.deps.repo, scoring.id)) || undefined);
  }, 240_000);

  it('a scoring job past its retention reads 404 and its file goes; nothing else does', async () => {
    const { id } = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 3 }, WRITER)
    ).json();
    expect((await untilEnded(api, `/v1/scoring-jobs/${id}`, 120_000)).status).toBe('succeeded');
    const file = join(dir, 'scores', id, 'top-3.tsv');
    expect(existsSync(file)).toBe(true);
    const unrelated = join(dir, 'scores', 'readme.txt');
    put(unrelated);
    clock.days = 3.01;
    expect((await api.call('GET', `/v1/scoring-jobs/${id}`)).status).toBe(404);
    // (Sweeps are hourly here, so the cancel requests above were forgotten by the workers, not by a sweep.)
    expect((await api.sweeper.sweep()).results).toContain(id);
    expect(existsSync(join(dir, 'scores', id))).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
    clock.days = 0;
  }, 240_000);
});
