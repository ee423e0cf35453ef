/**
 * API benchmark: autocannon against a real `npm run serve` process on loopback, each run
 * bounded in time (--seconds, default 10).
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/api.ts [--data lastfm|msd] [--seconds S]
 *     [--db sqlite|postgres|postgres://…]
 *
 * `lastfm`: Last.fm 2K (`user_artists.dat`, artists as songs) from the shared data folder;
 * `msd`: the synthetic msd shape's 41,140 songs with 60,000 listeners (the full 571K-listener
 * preset is 33.6M events: the scoring cost per request depends on the songs, not the
 * listeners). The server imports the data, trains its first model (ials), then each scenario
 * runs: recommend for a known user, fold-in of a 10-song `plays` list, similar songs, a batch of
 * 20 users, event ingestion in batches of 1,000 (every acknowledged event counted in the
 * database afterwards), and recommend while a training job runs, against the idle p99 of the
 * same run. The server and autocannon share the machine's cores. `--db postgres` runs the same
 * on a throw-away durable PostgreSQL started on loopback (issue 12's ingestion comparison). One
 * JSON line per scenario on stdout; progress on stderr.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, findPostgresBin, startPostgres } from '../../apps/api/test/postgres-server.ts';
import {
  api,
  run as runScenario,
  type Scenario,
  sourceArgs,
  startServer,
  stopServer,
} from './api-harness.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'lastfm' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    /** sqlite (the data folder's file), postgres (a throw-away durable loopback server) or a postgres:// URL. */
    db: { type: 'string', default: 'sqlite' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
/**
 * The `--db` flag for the server: none for SQLite; for `postgres`, a throw-away server on loopback
 * started here with fsync and synchronous commit on (durable, as a production database runs — the
 * tests' servers turn them off), stopped at the end.
 */
async function database(): Promise<{ args: string[]; label: string; stop(): Promise<void> }> {
  if (values.db === 'sqlite')
    return { args: [], label: 'SQLite (WAL, synchronous NORMAL)', stop: async () => {} };
  if (values.db.startsWith('postgres://'))
    return { args: ['--db', values.db], label: 'PostgreSQL (given URL)', stop: async () => {} };
  if (values.db !== 'postgres')
    throw new Error(`--db ${values.db}: use sqlite, postgres or a postgres:// URL`);
  const bin = findPostgresBin();
  if (!bin)
    throw new Error(
      '--db postgres: no PostgreSQL binaries (apt-get install postgresql, or AUTOREC_POSTGRES_BIN)',
    );
  const server = await startPostgres(bin, { durable: true });
  const db = await createDatabase(server.url);
  return {
    args: ['--db', db.url],
    label: `PostgreSQL ${bin.match(/postgresql\/(\d+)/)?.[1] ?? ''} (loopback, fsync on, synchronous_commit on)`,
    stop: async () => {
      await db.drop().catch(() => undefined);
      await server.stop();
    },
  };
}

const run = (base: string, s: Scenario) =>
  runScenario(base, s, {
    connections,
    seconds,
    tags: { data: values.data, db: values.db === 'sqlite' ? 'sqlite' : 'postgres' },
  });

const dir = mkdtempSync(join(tmpdir(), 'autorec-api-bench-'));
let server: ChildProcess | undefined;
const db = await database();
console.error(`database: ${db.label}`);
try {
  const started = performance.now();
  const started2 = await startServer(['--data-dir', dir, ...db.args, ...sourceArgs(values.data)]);
  server = started2.child;
  const base = `http://127.0.0.1:${started2.port}`;
  console.error(
    `server ready in ${((performance.now() - started) / 1000).toFixed(1)} s (import + first training)`,
  );
  // Listeners and songs of the served model, from its artifact (ids.json).
  const models = await api(base, '/v1/models');
  const { model, version } = models.serving;
  const ids = JSON.parse(readFileSync(join(dir, 'models', model, `v${version}`, 'ids.json'), 'utf8')) as {
    users: string[];
    items: string[];
  };
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
  let batchNo = 0;
  let eventsSent = 0;
  const recommend: Scenario = {
    name: 'recommend (known user, k=10)',
    next: () => ({ path: `/v1/users/${encodeURIComponent(pick(ids.users))}/recommendations?k=10` }),
  };
  const idle = await run(base, recommend);
  await run(base, {
    name: 'recommend for plays (fold-in of 10 songs, k=10)',
    method: 'POST',
    next: () => ({
      path: '/v1/recommendations',
      body: {
        plays: Array.from({ length: 10 }, () => ({
          song: pick(ids.items),
          count: 1 + Math.floor(Math.random() * 20),
        })),
        k: 10,
      },
    }),
  });
  await run(base, {
    name: 'similar songs (k=10)',
    next: () => ({ path: `/v1/songs/${encodeURIComponent(pick(ids.items))}/similar?k=10` }),
  });
  await run(base, {
    name: 'batch of 20 known users (k=10)',
    method: 'POST',
    items: 20,
    next: () => ({
      path: '/v1/recommendations:batch',
      body: { requests: Array.from({ length: 20 }, () => ({ user: pick(ids.users), k: 10 })) },
    }),
  });
  const before = (await api(base, '/v1/users/bench-listener-0')
    .then((u) => u.events as number)
    .catch(() => 0)) as number;
  const ingest = await run(base, {
    name: 'events (batches of 1,000)',
    method: 'POST',
    items: 1000,
    next: () => {
      const b = batchNo++;
      eventsSent += 1000;
      return {
        path: '/v1/events',
        body: {
          events: Array.from({ length: 1000 }, (_, i) => ({
            eventId: `bench-${b}-${i}`,
            user: `bench-listener-${i % 50}`,
            song: ids.items[(b * 7 + i) % ids.items.length],
          })),
        },
      };
    },
  });
  // Every acknowledged event must be stored: count the bench listeners' events.
  let stored = 0;
  for (let u = 0; u < 50; u++) stored += (await api(base, `/v1/users/bench-listener-${u}`)).events;
  const acknowledged = (ingest.requests - ingest.non2xx - ingest.errors) * 1000;
  console.log(
    JSON.stringify({
      scenario: 'events stored',
      acknowledged,
      stored: stored - before,
      sentIncludingUnfinished: eventsSent,
    }),
  );
  console.error(`events: ${acknowledged} acknowledged, ${stored - before} stored`);

  const job = await api(base, '/v1/training-jobs', {
    method: 'POST',
    body: JSON.stringify({ model: 'ials', params: { iterations: 200 } }),
  });
  await new Promise((r) => setTimeout(r, 2000)); // let the worker load the events and start fitting
  const during = await run(base, { ...recommend, name: 'recommend while a training job runs' });
  const status = (await api(base, `/v1/training-jobs/${job.id}`)).status;
  await api(base, `/v1/training-jobs/${job.id}`, { method: 'DELETE' }).catch(() => undefined);
  console.log(
    JSON.stringify({
      scenario: 'p99 while training ÷ idle p99',
      ratio: during.latencyMs.p99 / idle.latencyMs.p99,
      jobStatusDuringRun: status,
    }),
  );
  console.error(
    `p99 during training ÷ idle: ${(during.latencyMs.p99 / idle.latencyMs.p99).toFixed(2)} (job ${status})`,
  );
} finally {
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
  await db.stop();
}
