// The API as a cluster on loopback (issue 12): PostgreSQL, Redis, three API replicas behind
// HAProxy and two `autorec worker` processes, every one a real process. Under a bounded load —
// recommendations, event batches, a training job and an all-users scoring job — one replica and
// the worker that runs the training job are SIGKILLed midway. Afterwards: every event that got a
// 202 is in PostgreSQL exactly once; the training job finished (retried by the other worker,
// its version number kept) and its version is served by both surviving replicas; the scoring
// file has every listener exactly once; and the clients saw no 5xx beyond the requests in flight
// when the replica died (counted). Everything the test started is stopped by its process id.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineMissing, postgresServer } from './engines.ts';
import { findHaproxy, type Haproxy, startHaproxy } from './haproxy.ts';
import { waitFor } from './helpers.ts';
import { type JsonProcess, killProcess, startJsonProcess, stopProcess } from './json-process.ts';
import { createDatabase } from './postgres-server.ts';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from './redis-server.ts';

const KEY = 'cluster-test-admin-key-0123456789ab';
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL('../src/worker-main.ts', import.meta.url));
/** A killed worker's lock lapses after this; another worker then takes its job. */
const LOCK_MS = 1_500;

function haproxySkip(): string | undefined {
  if (findHaproxy()) return undefined;
  const reason = 'haproxy is not installed (apt-get install haproxy)';
  if (process.env.AUTOREC_REQUIRE_HAPROXY === '1') throw new Error(`AUTOREC_REQUIRE_HAPROXY=1 but ${reason}`);
  process.stderr.write(`skipping the cluster test: ${reason}\n`);
  return reason;
}
const skip = engineMissing('postgres') ? 'no PostgreSQL' : (redisSkip() ?? haproxySkip());

type Proc = JsonProcess;
const start = (name: string, script: string, args: string[]): Proc =>
  startJsonProcess(name, script, args, { env: { ...process.env, AUTOREC_API_KEY: KEY } });

const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
async function call(base: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

describe.skipIf(skip)(
  `a cluster: 3 API replicas behind HAProxy, 2 workers, PostgreSQL, Redis${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-cluster-'));
    let database: { url: string; drop(): Promise<void> };
    let redis: RedisServer;
    let lb: Haproxy;
    const replicas: Proc[] = [];
    const workers: Proc[] = [];
    const ports: number[] = [];

    const startReplica = async (i: number) => {
      const p = start(`replica ${i + 1}`, MAIN, [
        '--port',
        '0',
        '--data-dir',
        dir,
        '--db',
        database.url,
        '--redis',
        redis.url,
        '--rate-limit',
        '0',
        '--preset',
        'default',
      ]);
      replicas.push(p);
      ports.push(Number((await p.next((r) => typeof r.listening === 'number')).listening));
      return p;
    };
    const startWorker = (i: number) => {
      const w = start(`worker ${i + 1}`, WORKER_MAIN, [
        '--data-dir',
        dir,
        '--db',
        database.url,
        '--redis',
        redis.url,
        '--lock-ms',
        String(LOCK_MS),
      ]);
      workers.push(w);
      return w.next((r) => r.ready === true);
    };

    beforeAll(async () => {
      database = await createDatabase(postgresServer().url!);
      redis = await startRedis(findRedisServer()!);
      // Replica 1 makes the data folder and queues the first training; the workers run it.
      const first = await startReplica(0);
      await Promise.all([startWorker(0), startWorker(1)]);
      await first.next((r) => r.ready === true);
      for (const i of [1, 2]) await (await startReplica(i)).next((r) => r.ready === true);
      lb = await startHaproxy(findHaproxy()!, ports);
    }, 240_000);

    afterAll(async () => {
      await lb?.stop();
      await Promise.all([...replicas, ...workers].map((p) => stopProcess(p)));
      await redis?.stop();
      await database?.drop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('loses no acknowledged event, finishes both jobs and keeps serving when a replica and a worker die', async () => {
      const base = lb.url;
      const serving = (await call(base, '/v1/models')).serving as { model: string; version: number };
      expect(serving).toMatchObject({ model: 'ials', version: 1 });
      // Listeners and songs of the served version, from its files in the shared folder.
      const ids = JSON.parse(readFileSync(join(dir, 'models', 'ials', 'v1', 'ids.json'), 'utf8')) as {
        users: string[];
        items: string[];
      };
      const userIds = ids.users.slice(0, 200);
      const songs = ids.items;
      expect(songs.length).toBeGreaterThan(10);

      // The load: clients through the balancer until told to stop.
      const statuses = new Map<number, number>();
      let inFlight = 0;
      let stopLoad = false;
      const acknowledged: string[] = [];
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const request = async (path: string, init: RequestInit = {}) => {
        inFlight++;
        try {
          const res = await fetch(`${base}${path}`, { ...init, headers });
          await res.arrayBuffer();
          count(res.status);
          return res.status;
        } catch {
          count(0); // no answer at all (connection reset)
          return 0;
        } finally {
          inFlight--;
        }
      };
      const recommendLoop = async () => {
        for (let n = 0; !stopLoad; n++) {
          await request(`/v1/users/${encodeURIComponent(userIds[n % userIds.length])}/recommendations?k=10`);
        }
      };
      const eventLoop = async () => {
        for (let batch = 0; !stopLoad; batch++) {
          const events = Array.from({ length: 100 }, (_, i) => ({
            eventId: `cluster-${batch}-${i}`,
            user: `cluster-listener-${i % 20}`,
            song: songs[(batch * 7 + i) % songs.length],
          }));
          if ((await request('/v1/events', { method: 'POST', body: JSON.stringify({ events }) })) === 202)
            acknowledged.push(...events.map((e) => e.eventId));
        }
      };
      const load = Promise.all([recommendLoop(), recommendLoop(), recommendLoop(), eventLoop()]);

      // A training job long enough to be killed midway, and an all-users scoring job of version 1.
      const job = await call(base, '/v1/training-jobs', {
        method: 'POST',
        body: JSON.stringify({
          model: 'ials',
          params: { iterations: 40, factors: 32 },
          promote: 'production',
        }),
      });
      const scoring = await call(base, '/v1/scoring-jobs', {
        method: 'POST',
        body: JSON.stringify({ model: 'ials', version: 1, k: 10, parts: 6 }),
      });

      // Midway: the worker running the training job (once it reports progress) and replica 3.
      const running = await Promise.race(
        workers.map((w) => w.next((r) => r.job === job.id && r.status === 'running').then((r) => ({ w, r }))),
      );
      const atKill = await waitFor(async () => {
        const j = await call(base, `/v1/training-jobs/${job.id}`);
        return j.status === 'queued' || (j.status === 'running' && !(j.progress?.epoch >= 2)) ? undefined : j;
      }, 60_000);
      expect(atKill.status, 'the training job must still run when its worker is killed').toBe('running');
      const inFlightAtKill = inFlight;
      await Promise.all([killProcess(running.w), killProcess(replicas[2])]);
      const victimWorker = running.w;
      const survivor = workers.find((w) => w !== victimWorker)!;
      await new Promise((r) => setTimeout(r, 3_000)); // the load goes on against the survivors
      stopLoad = true;
      await load;

      // The training job ends on the surviving worker, with the version number it reserved first.
      const done = await waitFor(async () => {
        const j = await call(base, `/v1/training-jobs/${job.id}`);
        return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(j.status) ? j : undefined;
      }, 180_000).catch(async (error) => {
        const j = await call(base, `/v1/training-jobs/${job.id}`);
        throw new Error(
          `${error.message}: job ${JSON.stringify(j)}\nsurvivor: ${JSON.stringify(survivor.records)}\n${survivor.output()}`,
        );
      });
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      expect(done.result.version).toBe(running.r.version);
      // Its line may arrive after the row it wrote first.
      await survivor.next((r) => r.job === job.id && r.status === 'succeeded');
      expect(readdirSync(join(dir, 'models', 'ials')).sort()).toEqual(
        ['v1', `v${done.result.version}`].sort(),
      );

      // Both surviving replicas serve it (the promotion reaches them by NOTIFY or the 5 s poll).
      for (const port of ports.slice(0, 2))
        await waitFor(async () => {
          const s = (await call(`http://127.0.0.1:${port}`, '/v1/models')).serving;
          return s.version === done.result.version ? s : undefined;
        }, 30_000);

      // Every acknowledged event is stored exactly once.
      const client = new pg.Client(database.url);
      await client.connect();
      try {
        const stored = await client.query(
          'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events WHERE event_id = ANY($1)',
          [acknowledged],
        );
        expect(acknowledged.length).toBeGreaterThan(0);
        expect(stored.rows[0]).toEqual({ n: acknowledged.length, d: acknowledged.length });
      } finally {
        await client.end();
      }

      // The scoring file: every listener of version 1 exactly once, k lines each.
      const scored = await waitFor(async () => {
        const s = await call(base, `/v1/scoring-jobs/${scoring.id}`);
        return s.status === 'running' ? undefined : s;
      }, 120_000);
      expect(scored.status, JSON.stringify(scored)).toBe('succeeded');
      const lines = ((await call(base, `/v1/scoring-jobs/${scoring.id}/file`)) as string)
        .trim()
        .split('\n')
        .slice(1);
      const perUser = new Map<string, number>();
      for (const line of lines) {
        const user = line.split('\t')[0];
        perUser.set(user, (perUser.get(user) ?? 0) + 1);
      }
      expect(perUser.size).toBe(ids.users.length);
      expect(new Set(perUser.values())).toEqual(new Set([10]));

      // The balancer took the dead replica out; what it saw of it (retried requests are not 5xx).
      const dead = await waitFor(async () => {
        const s = (await lb.servers())[2];
        return s.status.startsWith('DOWN') ? s : undefined;
      }, 30_000);
      // No 5xx beyond the requests in flight when the replica died.
      const fiveHundreds = [...statuses].filter(([s]) => s >= 500 || s === 0).reduce((n, [, c]) => n + c, 0);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      process.stderr.write(
        `cluster: ${total} requests (${[...statuses].map(([s, c]) => `${s}: ${c}`).join(', ')}); ` +
          `${inFlightAtKill} in flight at the kill; ${acknowledged.length} events acknowledged; ` +
          `HAProxy on the killed replica: ${dead.connectionErrors} connection errors, ${dead.responseErrors} response errors, ${dead.responses['5xx']} 5xx\n`,
      );
      expect(fiveHundreds).toBeLessThanOrEqual(inFlightAtKill);
      expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    }, 420_000);
  },
);
