/**
 * Replica benchmark (issue 12): recommend throughput through HAProxy with 1, 2 and 3 API replicas
 * sharing one durable PostgreSQL and one model folder, on loopback.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/replicas.ts [--data lastfm|msd]
 *     [--seconds S] [--connections C] [--order 1,2,3,3,2,1]
 *
 * Replica 1 imports the data and trains the first model (ials); replicas 2 and 3 start on the same
 * database and folder and serve that version. After a warm-up, for N = 1, 2, 3, 3, 2, 1 a fresh HAProxy (round robin,
 * `/readyz` health checks) fronts the first N replicas and autocannon asks for known users'
 * top-10 and posts events in batches of 1,000. One direct run against replica 1 (no balancer)
 * gives the balancer's own cost. On a 2-core machine the replicas, HAProxy, PostgreSQL and
 * autocannon share the same two cores, so more replicas cannot be faster here: the figures show
 * the per-replica overhead (CPU per request summed over replicas, resident memory per replica),
 * which is what a deployment on separate machines pays. One JSON line per run on stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findHaproxy, startHaproxy } from '../../apps/api/test/haproxy.ts';
import { createDatabase, findPostgresBin, startPostgres } from '../../apps/api/test/postgres-server.ts';
import { api, run, type Scenario, sourceArgs, startServer, stopServer } from './api-harness.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'lastfm' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    /** Replica counts in run order: up and down again, so drift (load, JIT) shows as a gap between the two runs of one count. */
    order: { type: 'string', default: '1,2,3,3,2,1' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const haproxyBin = findHaproxy();
const pgBin = findPostgresBin();
if (!haproxyBin || !pgBin)
  throw new Error('the replica benchmark needs haproxy and postgresql (apt-get install haproxy postgresql)');

/** Resident memory of a process in MB (Linux /proc). */
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

const dir = mkdtempSync(join(tmpdir(), 'autorec-replicas-bench-'));
const postgres = await startPostgres(pgBin, { durable: true });
const database = await createDatabase(postgres.url);
const replicas: { child: ChildProcess; port: number }[] = [];
console.error(`${cpus().length} cores; PostgreSQL (loopback, durable); data ${values.data}`);
try {
  const common = ['--data-dir', dir, '--db', database.url];
  const t0 = performance.now();
  replicas.push(await startServer([...common, ...sourceArgs(values.data)]));
  console.error(
    `replica 1 ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (import + first training)`,
  );
  for (let i = 1; i < 3; i++) {
    const t = performance.now();
    replicas.push(await startServer(common));
    console.error(
      `replica ${i + 1} ready in ${((performance.now() - t) / 1000).toFixed(1)} s (loads the served version)`,
    );
  }
  const bases = replicas.map((r) => `http://127.0.0.1:${r.port}`);
  const { model, version } = (await api(bases[0], '/v1/models')).serving;
  for (const b of bases.slice(1)) {
    const s = (await api(b, '/v1/models')).serving;
    if (s.model !== model || s.version !== version)
      throw new Error(`${b} serves ${s.model} v${s.version}, not ${model} v${version}`);
  }
  const ids = JSON.parse(readFileSync(join(dir, 'models', model, `v${version}`, 'ids.json'), 'utf8')) as {
    users: string[];
    items: string[];
  };
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
  const recommend: Scenario = {
    name: 'recommend (known user, k=10)',
    next: () => ({ path: `/v1/users/${encodeURIComponent(pick(ids.users))}/recommendations?k=10` }),
  };
  let batchNo = 0;
  const events: Scenario = {
    name: 'events (batches of 1,000)',
    method: 'POST',
    items: 1000,
    next: () => {
      const b = batchNo++;
      return {
        path: '/v1/events',
        body: {
          events: Array.from({ length: 1000 }, (_, i) => ({
            eventId: `replicas-bench-${b}-${i}`,
            user: `bench-listener-${i % 50}`,
            song: ids.items[(b * 7 + i) % ids.items.length],
          })),
        },
      };
    },
  };
  const memory = () => replicas.map((r) => Math.round(rssMb(r.child.pid!)));
  console.log(JSON.stringify({ scenario: 'replica resident memory (MB), idle', rssMb: memory() }));

  // Warm every replica up (JIT, caches) directly, unmeasured, so the first counts are not penalised.
  for (const b of bases)
    await run(
      b,
      { ...recommend, name: 'warm-up (not a figure)' },
      { connections, seconds: 3, tags: { warmUp: true } },
    );
  await run(bases[0], recommend, {
    connections,
    seconds,
    tags: { data: values.data, replicas: 1, balancer: 'none' },
  });
  for (const n of values.order.split(',').map(Number)) {
    if (!(n >= 1 && n <= 3)) throw new Error(`--order: replica counts are 1, 2 or 3, not ${n}`);
    const lb = await startHaproxy(
      haproxyBin,
      replicas.slice(0, n).map((r) => r.port),
    );
    try {
      const o = {
        connections,
        seconds,
        servers: bases.slice(0, n),
        tags: { data: values.data, replicas: n, balancer: 'haproxy' },
      };
      await run(lb.url, recommend, o);
      await run(lb.url, events, o);
      const spread = (await lb.servers()).map((s) => s.responses['2xx']);
      console.log(JSON.stringify({ scenario: 'responses per replica (2xx)', replicas: n, spread }));
    } finally {
      await lb.stop();
    }
  }
  console.log(JSON.stringify({ scenario: 'replica resident memory (MB), after the runs', rssMb: memory() }));
} finally {
  for (const r of replicas) await stopServer(r.child);
  await database.drop().catch(() => undefined);
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
