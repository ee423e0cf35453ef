// API replicas sharing one PostgreSQL database and one model folder, in one process: first
// starts, promotions reaching every replica, version numbers, job leases. The label poll is set
// to a minute so that a swap within seconds shows the notification did it; the poll itself is
// tested on its own below.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Replica } from '../src/replica.ts';
import type { ModelVersion } from '../src/storage/repository.ts';
import { openSqliteRepository } from '../src/storage/sqlite.ts';
import { cancelRequested } from '../src/training/cancel.ts';
import { engineMissing, engineTitle, postgresServer } from './engines.ts';
import { startTestService, type TestService, WRITER, waitFor } from './helpers.ts';
import { createDatabase } from './postgres-server.ts';

const LEASE_MS = 4_000;

describe.skipIf(engineMissing('postgres'))(`two API replicas ${engineTitle('postgres')}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-replicas-'));
  let database: { url: string; drop(): Promise<void> };
  const replicas: TestService[] = [];
  const lines: string[][] = [[], [], []];
  const start = (i: number) =>
    startTestService(
      {
        databaseUrl: database.url,
        say: (line) => lines[i].push(line),
        replica: { pollMs: 60_000, leaseMs: LEASE_MS },
      },
      dir,
      'postgres',
    );
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    database = await createDatabase(postgresServer().url!);
    // Both start at once on the empty database.
    [a, b] = await Promise.all([start(0), start(1)]);
    replicas.push(a, b);
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) await r.dispose();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two first starts on an empty database import and train once, and both serve that version', async () => {
    const all = lines.flat();
    expect(all.filter((l) => l.startsWith('first start: importing'))).toHaveLength(1);
    expect(all.filter((l) => l.startsWith('training ials on the events'))).toHaveLength(1);
    expect(all.filter((l) => l.startsWith('another replica trains the first model'))).toHaveLength(1);
    const imported = Number(/imported ([\d,]+) plays/.exec(all.join('\n'))![1].replaceAll(',', ''));
    expect((await a.deps.repo.eventStats()).events).toBe(imported);
    const jobs = await a.deps.repo.jobs(10);
    expect(jobs.map((j) => [j.model, j.status])).toEqual([['ials', 'succeeded']]);
    expect(a.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
    expect(b.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
  });

  it('trainings on both replicas at once take different versions; a promotion reaches the other replica', async () => {
    const submit = async (s: TestService, body: Record<string, unknown>) => {
      const res = await s.call('POST', '/v1/training-jobs', body, WRITER);
      expect(res.status).toBe(202);
      return (await res.json()).id as string;
    };
    const params = { epochs: 3, factors: 8 };
    const ids = await Promise.all([
      submit(a, { model: 'svd', params, promote: 'production' }),
      submit(b, { model: 'svd', params }),
    ]);
    // b streams the progress of a's job (read from its row), then its end.
    const stream = b.call('GET', `/v1/training-jobs/${ids[0]}/events`).then((res) => res.text());
    const finished = await Promise.all(
      ids.map((id) =>
        waitFor(async () => {
          const j = await a.deps.repo.job(id);
          return j && !['queued', 'running'].includes(j.status) ? j : undefined;
        }),
      ),
    );
    expect(finished.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    const versions = finished.map((j) => j.result!.version).sort();
    expect(versions).toEqual([1, 2]);
    for (const v of versions)
      expect(existsSync(join(dir, 'models', 'svd', `v${v}`, 'manifest.json'))).toBe(true);
    const promoted = finished[0].result!.version;
    const sse = await stream;
    expect(sse).toContain('event: progress');
    expect(sse).toMatch(/event: end\ndata: .*"status":"succeeded"/);

    // a promoted its version when its job finished; b hears of it by notification.
    await waitFor(() => b.deps.server.current?.version.model === 'svd' || undefined);
    expect(b.deps.server.current?.version.version).toBe(promoted);
    const listed = await (await b.call('GET', '/readyz')).json();
    expect(listed.model).toEqual({ model: 'svd', version: promoted });

    // A promotion on b (through the API) reaches a: a rollback to ials v1.
    expect((await b.call('POST', '/v1/models/ials/versions/1:promote', { label: 'production' })).status).toBe(
      200,
    );
    expect(b.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
    await waitFor(() => a.deps.server.current?.version.model === 'ials' || undefined);
    expect(a.deps.server.current?.version.version).toBe(1);
  }, 180_000);

  it("a starting replica leaves a live replica's running job alone; a lapsed lease is interrupted", async () => {
    const job = (id: string): Parameters<typeof a.deps.repo.addJob>[0] => ({
      id,
      model: 'ials',
      params: {},
      data: 'events',
      status: 'running',
      createdAt: new Date().toISOString(),
    });
    const live = randomUUID(); // a job id as the API makes them (the DELETE route checks the form)
    // A job of a's, as if it were training now (its lease renewed by a), and one of a replica
    // that died a moment ago (nobody renews it).
    await a.deps.repo.addJob(job(live), a.replicaId);
    await a.deps.repo.addJob(job('of-a-dead-replica'), 'a-replica-that-died');
    const c = await start(2);
    replicas.push(c);
    expect(lines[2].some((l) => l.includes('interrupted'))).toBe(false);
    expect((await c.deps.repo.job(live))?.status).toBe('running');
    expect((await c.deps.repo.job('of-a-dead-replica'))?.status).toBe('running');
    // c serves what production points at, without training.
    expect(c.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });

    const dead = await waitFor(async () => {
      const j = await a.deps.repo.job('of-a-dead-replica');
      return j?.status === 'interrupted' ? j : undefined;
    }, 5 * LEASE_MS);
    expect(dead.error).toContain('stopped');
    expect((await a.deps.repo.job(live))?.status).toBe('running');
    await a.deps.repo.updateJob(live, { status: 'cancelled' });
  });

  it('a DELETE on one replica cancels the job another replica runs (a flag its runner reads)', async () => {
    const res = await a.call(
      'POST',
      '/v1/training-jobs',
      { model: 'svd', params: { epochs: 1_000_000, factors: 8 } },
      WRITER,
    );
    const id = (await res.json()).id as string;
    await waitFor(async () => (await a.deps.repo.job(id))?.progress !== undefined || undefined);
    const cancel = await b.call('DELETE', `/v1/training-jobs/${id}`);
    expect(cancel.status).toBe(202);
    const done = await waitFor(async () => {
      const j = await b.deps.repo.job(id);
      return j && j.status !== 'running' ? j : undefined;
    });
    expect(done.status).toBe('cancelled');
    expect(done.error).toMatch(/cancelled/);
    // The runner forgets the cancel request once the job has ended (no flags left behind).
    await waitFor(async () => !(await cancelRequested(b.deps.repo, id)) || undefined);
    // A finished job is a conflict, on either replica.
    expect((await b.call('DELETE', `/v1/training-jobs/${id}`)).status).toBe(409);
  }, 180_000);
});

describe('a replica without notifications (the poll)', () => {
  it('swaps to the version production points at within a poll, and once only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-poll-'));
    const repo = openSqliteRepository(join(dir, 'autorec.db')); // SQLite never notifies
    const swaps: ModelVersion[] = [];
    const replica = new Replica({
      repo,
      id: 'r1',
      serve: async (v) => {
        swaps.push(v);
      },
      served: () => swaps.at(-1),
      log: () => {},
      pollMs: 50,
    });
    try {
      await replica.start();
      const version: ModelVersion = {
        model: 'ials',
        version: 1,
        path: 'models/ials/v1',
        status: 'ready',
        hyperParameters: {},
        data: {},
        metrics: {},
        createdAt: new Date().toISOString(),
        eventWatermark: 0,
      };
      await repo.addVersion(version);
      await repo.setLabel('production', 'ials', 1);
      await waitFor(() => swaps.length > 0 || undefined);
      await replica.sync();
      await replica.sync();
      expect(swaps.map((v) => `${v.model}/${v.version}`)).toEqual(['ials/1']);
    } finally {
      await replica.close();
      await repo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
