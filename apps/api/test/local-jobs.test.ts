// Batch scoring and hyper-parameter searches without Redis: the API runs them itself, in worker
// threads (training/local-jobs.ts), with the queue's request and response contract — the same
// file, the same ranking — and statuses that outlive the process that ran them.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import {
  createModel,
  gatherSearch,
  loadKnownPlays,
  loadModel,
  type ModelParams,
  recommendExcludingKnown,
  runSearchTask,
  type SearchTaskResult,
  searchPlan,
  searchTasks,
} from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { prepareDataset, syntheticDataset } from '@autorec/data';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_SPLIT } from '../src/training/execute.ts';
import { engineMissing, engineTitle, postgresServer } from './engines.ts';
import {
  ADMIN,
  expectProgressStream,
  startTestService,
  type TestService,
  untilEnded,
  WRITER,
  waitFor,
} from './helpers.ts';
import { killProcess, startJsonProcess } from './json-process.ts';
import { createDatabase } from './postgres-server.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const UNKNOWN = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('batch scoring and searches without Redis, in the API process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-local-jobs-'));
  const records: Record<string, unknown>[] = [];
  let api: TestService;
  const start = () => startTestService({ log: (r) => records.push(r) }, dir);

  beforeAll(async () => {
    api = await start();
  }, 120_000);
  afterAll(async () => {
    await api?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** GETs `path` until the job is no longer running. */
  const finished = (path: string, timeoutMs = 60_000) => untilEnded(api, path, timeoutMs);

  it('a scoring job: the ranges scored in a worker thread into one file, each listener once, as recommend lists them', async () => {
    const res = await api.call(
      'POST',
      '/v1/scoring-jobs',
      { model: 'ials', version: 1, k: 5, parts: 3 },
      WRITER,
    );
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/scoring-jobs/${queued.id}`);
    expect(queued).toMatchObject({
      model: 'ials',
      version: 1,
      k: 5,
      status: 'running',
      parts: { total: 3, done: 0 },
    });
    const done = await finished(`/v1/scoring-jobs/${queued.id}`);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'succeeded', parts: { total: 3, done: 3 } });
    expect(done.result).toMatchObject({ file: join('scores', queued.id, 'top-5.tsv'), parts: 3 });

    const file = await (await api.call('GET', `/v1/scoring-jobs/${queued.id}/file`)).text();
    const [header, ...lines] = file.trimEnd().split('\n');
    expect(header).toBe('user\trank\tsong\tscore');
    expect(lines).toHaveLength(done.result.lines);
    expect(Buffer.byteLength(file)).toBe(done.result.bytes);
    const byUser = new Map<string, string[][]>();
    for (const line of lines) {
      const fields = line.split('\t');
      byUser.set(fields[0], [...(byUser.get(fields[0]) ?? []), fields]);
    }
    // Every training listener once, in the model's user order, with the list recommend gives
    // leaving out every play the listener is known for: scores to the file's four decimals
    // (the thread scores on its own backend), the order up to near-ties.
    const store = directoryStore(join(dir, 'models/ials/v1'));
    const model = await loadModel(store);
    try {
      const users = model.users.toArray();
      expect([...byUser.keys()]).toEqual(users);
      expect(done.result.users).toBe(users.length);
      const expected = recommendExcludingKnown(model, users, 5, await loadKnownPlays(store));
      users.forEach((user, u) => {
        const got = byUser.get(user)!;
        const list = expected[u];
        expect(got.map((f) => f[1])).toEqual(list.map((_, rank) => String(rank + 1)));
        expect(got.map((f) => Number(f[3]))).toEqual(list.map((r) => expect.closeTo(r.score, 3)));
        const listed = new Set(list.map((r) => r.item));
        for (const [, , item, score] of got)
          if (!listed.has(item)) expect(Math.abs(Number(score) - list.at(-1)!.score)).toBeLessThan(1e-3);
      });
    } finally {
      model.dispose();
    }
    expect(existsSync(join(dir, 'scores', queued.id, 'parts'))).toBe(false);
    // The ranges were scored off the thread that answers requests (this test's thread).
    const parts = records.filter((r) => r.scoring === queued.id && r.part !== undefined);
    expect(parts.map((r) => r.part)).toEqual([0, 1, 2]);
    for (const r of parts) {
      expect(r.thread).toEqual(expect.any(Number));
      expect(r.thread).not.toBe(threadId);
    }
  }, 90_000);

  it('a search: the same ranking as core’s runSearchTask and gatherSearch on the same data and seeds', async () => {
    const body = {
      model: 'svd',
      params: { epochs: 10 },
      grid: { regularization: [0.02, 50] },
      folds: 3,
      metric: 'rmse',
      seed: 7,
      data: 'tiny',
    };
    const res = await api.call('POST', '/v1/search-jobs', body, WRITER);
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/search-jobs/${queued.id}`);
    expect(queued).toMatchObject({
      status: 'running',
      candidates: 2,
      folds: 3,
      tasks: { total: 6, done: 0 },
    });
    const done = await finished(`/v1/search-jobs/${queued.id}`, 180_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.tasks).toEqual({ total: 6, done: 6 });

    // The same search called directly: the training part of the tiny preset as a training job
    // splits it (seed 1, the runner's), folds from the request's seed.
    const train = prepareDataset(syntheticDataset('tiny'), { split: TRAINING_SPLIT, seed: 1 }).trainSet;
    const plan = searchPlan(body.grid, body.folds, body.seed, 'rmse');
    const results: SearchTaskResult[] = [];
    for (const task of searchTasks(plan))
      results.push(
        await runSearchTask(task, plan, train, (c) =>
          createModel('svd', { ...body.params, ...c } as ModelParams),
        ),
      );
    const direct = gatherSearch(plan, results);
    expect(done.result.candidates.map((c: { index: number }) => c.index)).toEqual(
      direct.candidates.map((c) => c.index),
    );
    expect(done.result.best.params).toEqual({ regularization: 0.02 });
    done.result.candidates.forEach((c: { score: { values: number[]; mean: number } }, i: number) => {
      expect(c.score.values).toEqual(direct.candidates[i].score.values.map((v) => expect.closeTo(v, 6)));
      expect(c.score.mean).toBeCloseTo(direct.candidates[i].score.mean, 6);
    });
    const ran = records.filter((r) => r.search === queued.id && 'fold' in r);
    expect(ran.map((r) => `${r.candidate}/${r.fold}`)).toEqual(['0/0', '0/1', '0/2', '1/0', '1/1', '1/2']);
  }, 240_000);

  it('streams a scoring job’s and a search’s progress as Server-Sent Events until they end', async () => {
    const scoring = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 4 }, WRITER)
    ).json();
    const search = await (
      await api.call(
        'POST',
        '/v1/search-jobs',
        { model: 'svd', params: { epochs: 3 }, grid: { factors: [2, 4] }, folds: 2, data: 'tiny' },
        WRITER,
      )
    ).json();
    const [scored, searched] = await Promise.all(
      [`/v1/scoring-jobs/${scoring.id}/events`, `/v1/search-jobs/${search.id}/events`].map(async (path) => {
        const res = await api.call('GET', path);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        return res.text();
      }),
    );
    // Each stream ends with the status GET gives once the job is over.
    expect(expectProgressStream(scored, 'parts')).toEqual(
      await (await api.call('GET', `/v1/scoring-jobs/${scoring.id}`)).json(),
    );
    expect(expectProgressStream(scored, 'parts')).toMatchObject({
      status: 'succeeded',
      parts: { total: 4, done: 4 },
    });
    expect(expectProgressStream(searched, 'tasks')).toEqual(
      await (await api.call('GET', `/v1/search-jobs/${search.id}`)).json(),
    );
    expect(expectProgressStream(searched, 'tasks')).toMatchObject({
      status: 'succeeded',
      tasks: { total: 4, done: 4 },
    });
    // A job that has ended: just its end.
    expect(await (await api.call('GET', `/v1/scoring-jobs/${scoring.id}/events`)).text()).toMatch(
      /^event: end\ndata: \{.*"status":"succeeded".*\}\nid: 1\n\n$/,
    );
    expect((await api.call('GET', `/v1/scoring-jobs/${UNKNOWN}/events`)).status).toBe(404);
    expect((await api.call('GET', `/v1/search-jobs/${UNKNOWN}/events`)).status).toBe(404);
  }, 240_000);

  it('cancels a search that runs and a scoring job in line behind it', async () => {
    // 40 tasks of a few seconds each: still running when the DELETEs arrive.
    const search = await (
      await api.call(
        'POST',
        '/v1/search-jobs',
        {
          model: 'svd',
          params: { epochs: 40 },
          grid: { factors: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
          folds: 4,
          data: 'tiny',
        },
        WRITER,
      )
    ).json();
    const scoring = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 2 }, WRITER)
    ).json();
    // One batch job at a time: the scoring job waits behind the search and leaves the line at once.
    const dropped = await api.call('DELETE', `/v1/scoring-jobs/${scoring.id}`, undefined, WRITER);
    expect(dropped.status).toBe(202);
    expect(await dropped.json()).toMatchObject({ status: 'cancelled', parts: { total: 2, done: 0 } });
    const stopping = await api.call('DELETE', `/v1/search-jobs/${search.id}`, undefined, WRITER);
    expect(stopping.status).toBe(202);
    const ended = await finished(`/v1/search-jobs/${search.id}`);
    expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'cancelled', tasks: { total: 40 } });
    expect(ended.tasks.done).toBeLessThan(40);
    expect((await api.call('DELETE', `/v1/search-jobs/${search.id}`, undefined, WRITER)).status).toBe(409);
    expect((await api.call('DELETE', `/v1/scoring-jobs/${UNKNOWN}`, undefined, WRITER)).status).toBe(404);
    // The cancel requests are forgotten once the jobs ended, and the line goes on.
    for (const id of [search.id, scoring.id])
      await waitFor(
        async () => (await api.deps.repo.getSetting(`cancel-requested:${id}`)) === undefined || undefined,
      );
    const next = await (
      await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 3, parts: 1 }, WRITER)
    ).json();
    expect(await finished(`/v1/scoring-jobs/${next.id}`)).toMatchObject({ status: 'succeeded' });
  }, 240_000);

  it('refuses what cannot run as before, and answers 404 for a job it does not know', async () => {
    const post = (body: unknown) => api.call('POST', '/v1/search-jobs', body, WRITER);
    const both = await post({ model: 'svd', grid: { factors: [2] }, candidates: [{ factors: 2 }] });
    expect(both.status).toBe(400);
    expect((await both.json()).detail).toMatch(/either body\.grid or body\.candidates/);
    const bad = await post({ model: 'svd', candidates: [{ factors: 2 }, { nope: 1 }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/candidate 1: .*nope/);
    expect((await post({ model: 'nope', grid: { factors: [2] } })).status).toBe(400);
    expect(
      (await api.call('POST', '/v1/search-jobs', { model: 'svd', grid: { factors: [2] } }, null)).status,
    ).toBe(401);
    expect((await api.call('GET', `/v1/search-jobs/${UNKNOWN}`)).status).toBe(404);
    expect((await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 99 }, WRITER)).status).toBe(
      404,
    );
    expect(
      (await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1, k: 0 }, WRITER)).status,
    ).toBe(400);
    expect((await api.call('POST', '/v1/scoring-jobs', { model: 'ials', version: 1 }, null)).status).toBe(
      401,
    );
    expect((await api.call('GET', `/v1/scoring-jobs/${UNKNOWN}`)).status).toBe(404);
  });

  it('a job running when its server stops — killed, or closed — reads failed after a restart, not running', async () => {
    const scoring = { model: 'ials', version: 1, k: 5, parts: 40 };
    await api.close();
    // A crash: an API process on the same folder answers 202 and is SIGKILLed at once (its
    // thread has not even loaded the model yet).
    const child = startJsonProcess('api', MAIN, ['--port', '0', '--data-dir', dir, '--rate-limit', '0'], {
      env: { ...process.env, AUTOREC_API_KEY: ADMIN },
    });
    let killedId: string;
    try {
      const { listening } = await child.next((r) => typeof r.listening === 'number');
      const res = await fetch(`http://127.0.0.1:${listening}/v1/scoring-jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(scoring),
      });
      expect(res.status).toBe(202);
      killedId = (await res.json()).id;
    } finally {
      await killProcess(child);
    }
    api = await start();
    const killed = await (await api.call('GET', `/v1/scoring-jobs/${killedId}`)).json();
    expect(killed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/server stopped while the job ran/),
    });
    expect(killed.finishedAt).toEqual(expect.any(String));

    // A graceful stop: the running job's thread ends and its status says so.
    const res = await api.call('POST', '/v1/scoring-jobs', scoring, WRITER);
    expect(res.status).toBe(202);
    const { id } = await res.json();
    await api.close();
    api = await start();
    expect(await (await api.call('GET', `/v1/scoring-jobs/${id}`)).json()).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/server stopped while the job ran/),
    });
    // A job started afresh on the same version runs to the end.
    const again = await (await api.call('POST', '/v1/scoring-jobs', scoring, WRITER)).json();
    expect((await finished(`/v1/scoring-jobs/${again.id}`)).status).toBe('succeeded');
  }, 180_000);
});

describe('an in-process scoring job with versions on S3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-local-jobs-s3-'));
  const env = {
    AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
    AUTOREC_S3_ENDPOINT: '',
  };
  const saved = { ...process.env };
  let server: S3Emulator;

  beforeAll(async () => {
    server = await startS3Emulator(dir, ['models']);
    // The job threads read the credentials from the environment they inherit.
    Object.assign(process.env, env, { AUTOREC_S3_ENDPOINT: server.endpoint });
  });
  afterAll(async () => {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its parts and file beside the versions in the bucket, as the workers do', async () => {
    const folder = join(dir, 'data');
    const api = await startTestService({ modelsUrl: 's3://models/prod' }, folder);
    try {
      const res = await api.call(
        'POST',
        '/v1/scoring-jobs',
        { model: 'ials', version: 1, k: 3, parts: 2 },
        WRITER,
      );
      expect(res.status).toBe(202);
      const { id } = await res.json();
      const done = await untilEnded(api, `/v1/scoring-jobs/${id}`);
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      const file = await (await api.call('GET', `/v1/scoring-jobs/${id}/file`)).text();
      const users = api.deps.server.current!.model.users.toArray();
      const lines = file.trimEnd().split('\n').slice(1);
      expect(lines).toHaveLength(users.length * 3);
      expect([...new Set(lines.map((l) => l.split('\t')[0]))]).toEqual(users);
      expect(existsSync(join(folder, 'scores', id))).toBe(false); // nothing of it in the folder
      expect(readdirSync(join(server.directory, 'models', 'prod', 'scores', id))).toContain(
        'manifest.json._S3rver_object',
      );
    } finally {
      await api.dispose();
    }
  }, 120_000);
});

describe.skipIf(engineMissing('postgres'))(
  `an in-process search on one of two replicas ${engineTitle('postgres')}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-local-jobs-pg-'));
    let database: { url: string; drop(): Promise<void> };
    const replicas: TestService[] = [];

    beforeAll(async () => {
      database = await createDatabase(postgresServer().url!);
      const start = () =>
        startTestService(
          { databaseUrl: database.url, replica: { pollMs: 60_000, leaseMs: 4_000 } },
          dir,
          'postgres',
        );
      replicas.push(await start());
      replicas.push(await start());
    }, 120_000);
    afterAll(async () => {
      for (const r of replicas) await r.dispose();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the other replica reads it running (its runner renews it), then its ranking', async () => {
      const [a, b] = replicas;
      const res = await a.call(
        'POST',
        '/v1/search-jobs',
        {
          model: 'svd',
          params: { epochs: 20 },
          grid: { factors: [4, 8] },
          folds: 2,
          metric: 'rmse',
          data: 'tiny',
        },
        WRITER,
      );
      expect(res.status).toBe(202);
      const { id } = await res.json();
      // Asked at once (its first task's thread is still starting): running on a live replica, not
      // a stopped run's job.
      expect(await (await b.call('GET', `/v1/search-jobs/${id}`)).json()).toMatchObject({
        status: 'running',
      });
      const done = await untilEnded(b, `/v1/search-jobs/${id}`, 120_000);
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      expect(done).toEqual(await (await a.call('GET', `/v1/search-jobs/${id}`)).json());
      expect(done.tasks).toEqual({ total: 4, done: 4 });
    }, 150_000);
  },
);
