/**
 * Batch scoring benchmark (issue 12): an all-users top-10 of the served ials version on the `msd`
 * preset's shape (41,140 songs; 60,000 listeners, as the other API benchmarks), as a scoring job
 * on the Redis queue, split into user ranges scored by 1 or 2 `autorec worker` processes.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/batch-scoring.ts [--users N] [--parts P]
 *     [--order 1x1,1xP,2xP,2xP,1xP,1x1]
 *
 * A Redis and an API on SQLite in a temporary folder; the API's first start imports the preset
 * and its first worker trains ials. Then, for each `WxP` in order, W workers score the job cut
 * into P ranges (1 = the whole user list as one job, the no-split baseline). Wall time is from
 * the POST to the gather step's end; worker CPU (user + system of every worker process, from
 * /proc) is the load-independent cost, so `1xP` against `1x1` is the split's overhead (one model
 * load per worker, not per range, part files, the gather's copy) and `2xP` against `1xP` the
 * speed-up two workers give — on this 2-core machine, shared with the API, Redis and whatever
 * else runs, not the 2× of two machines. One JSON line per run on stdout.
 *
 * `--store s3` keeps the versions and the scoring files in an S3 bucket — s3rver, the tests'
 * emulator, in this process on loopback (`--models s3://bench/autorec`) — instead of the data
 * folder: each part is uploaded, the gather reads and checks every part and writes a manifest,
 * and the download streams the parts from the bucket. Against `--store folder` (the default) on
 * the same scenario, the S3 path's cost. After every run the file is downloaded
 * (`GET /v1/scoring-jobs/{id}/file`, timed); this process's CPU (s3rver's, with `--store s3`) is
 * reported beside the workers'.
 *
 * `0xP` in `--order` is the same job without Redis: the API (restarted on the same folder and
 * store without --redis) scores the P ranges itself in a background thread
 * (training/local-jobs.ts); the CPU column is then the API process's (its status answers
 * included), e.g. `--order 1xP,0xP,0xP,1xP` against the queue with one worker. `--probe` sends
 * recommend requests to the API one at a time, for 5 s before each job and then while it runs:
 * the latency a client sees while the machine scores (the in-process thread runs at nice +10;
 * a worker process at its `--nice`, 10 by default; `WxP@N` in `--order` starts the run's workers
 * at nice N instead, e.g. `--order 1xP@0,1xP,1xP@0,1xP --probe` for what the default buys).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { findRedisServer, startRedis } from '../../apps/api/test/redis-server.ts';
import { startWorker, type WorkerProcess } from '../../apps/api/test/worker-process.ts';
import { api, benchHeaders, startServer, stopServer } from './api-harness.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '60000' },
    parts: { type: 'string', default: '8' },
    order: { type: 'string', default: '1x1,1xP,2xP,2xP,1xP,1x1' },
    store: { type: 'string', default: 'folder' },
    probe: { type: 'boolean', default: false },
  },
});
if (values.store !== 'folder' && values.store !== 's3')
  throw new Error(`--store takes folder or s3, got '${values.store}'`);
const parts = Number(values.parts);
/** What `autorec worker` runs at without --nice. */
const DEFAULT_WORKER_NICE = 10;
const runs = values.order.split(',').map((r) => {
  const match = /^(\d+)x(P|\d+)(?:@(\d+))?$/.exec(r);
  if (!match) throw new Error(`--order takes WxP or WxP@NICE runs, got '${r}'`);
  const [, w, p, nice] = match;
  return {
    workers: Number(w),
    parts: p === 'P' ? parts : Number(p),
    nice: nice === undefined ? DEFAULT_WORKER_NICE : Number(nice),
  };
});
/** A worker at nice `nice` (from the environment, so `storeArgs` stay its only flags). */
const worker = (nice: number) =>
  startWorker(dir, redis.url, storeArgs, { ...process.env, AUTOREC_WORKER_NICE: String(nice) });

const redisBin = findRedisServer();
if (!redisBin)
  throw new Error('the batch scoring benchmark needs redis-server (apt-get install redis-server)');

/**
 * Recommend requests for known listeners, one at a time, until `until` settles: their latency
 * (ms: p50, p99, max) and how many were answered.
 */
async function probe(base: string, users: readonly string[], until: Promise<unknown>) {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const ms: number[] = [];
  for (let i = 0; !done; i++) {
    const user = users[(i * 7919) % users.length];
    const t = performance.now();
    const res = await fetch(`${base}/v1/users/${encodeURIComponent(user)}/recommendations?k=10`, {
      headers: benchHeaders,
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`recommend ${user}: ${res.status}`);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] * 10) / 10;
  return { requests: ms.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

const dir = mkdtempSync(join(tmpdir(), 'autorec-scoring-bench-'));
let s3: S3Emulator | undefined;
const s3Dir = mkdtempSync(join(tmpdir(), 'autorec-scoring-bench-s3-')); // the data folder must start empty
/** `--models` for the API and the workers (they read the credentials from the environment). */
const storeArgs: string[] = [];
if (values.store === 's3') {
  s3 = await startS3Emulator(s3Dir, ['bench']);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
    AUTOREC_S3_ENDPOINT: s3.endpoint,
  });
  storeArgs.push('--models', 's3://bench/autorec');
}
const redis = await startRedis(redisBin);
const workers: WorkerProcess[] = [];
let server: Awaited<ReturnType<typeof startServer>> | undefined;
console.error(
  `${cpus().length} cores; Redis and SQLite on loopback; msd shape, ${values.users} listeners; store ${values.store}`,
);
try {
  const t0 = performance.now();
  const serverArgs = ['--data-dir', dir, '--preset', 'msd', '--preset-users', values.users, ...storeArgs];
  const starting = startServer([...serverArgs, '--redis', redis.url]);
  // The first training goes to the queue: a worker takes it once the API has made its folder.
  while (!existsSync(join(dir, 'autorec.db'))) await new Promise((r) => setTimeout(r, 100));
  let workersNice = DEFAULT_WORKER_NICE;
  workers.push(worker(workersNice));
  await workers[0].ready;
  server = await starting;
  let queued = true;
  let base = `http://127.0.0.1:${server.port}`;
  console.error(
    `API ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (import + first training on a worker)`,
  );
  const version = (await api(base, '/v1/models/ials/versions/1')) as { data: { users: number } };

  for (const r of runs) {
    if (queued !== r.workers > 0) {
      // The API restarted on the same folder (its model served), with or without the queue.
      await stopServer(server.child);
      queued = r.workers > 0;
      server = await startServer(queued ? [...serverArgs, '--redis', redis.url] : serverArgs);
      base = `http://127.0.0.1:${server.port}`;
    }
    const stopWorker = async () => {
      const w = workers.pop()!;
      w.child.kill('SIGTERM');
      await w.exited;
    };
    if (r.workers > 0 && r.nice !== workersNice) {
      while (workers.length > 0) await stopWorker();
      workersNice = r.nice;
    }
    while (workers.length < r.workers) {
      const w = worker(workersNice);
      await w.ready;
      workers.push(w);
    }
    while (workers.length > r.workers) await stopWorker();
    const users = values.probe
      ? ((await api(base, '/v1/models/ials/versions/1/artifact/ids.json')) as { users: string[] }).users
      : [];
    const idle = values.probe
      ? await probe(base, users, new Promise((r) => setTimeout(r, 5_000)))
      : undefined;
    const load = loadavg()[0];
    // Who scores: the workers, or (without the queue) the API process's background thread.
    const scorerPids = queued ? workers.map((w) => w.child.pid!) : [server.child.pid!];
    const cpuBefore = scorerPids.map(cpuSeconds);
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const res = await fetch(`${base}/v1/scoring-jobs`, {
      method: 'POST',
      headers: benchHeaders,
      body: JSON.stringify({ model: 'ials', version: 1, k: 10, parts: r.parts }),
    });
    if (res.status !== 202) throw new Error(`POST /v1/scoring-jobs: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    type Job = { status: string; result?: { users: number; lines: number; bytes: number }; error?: string };
    const ended = (async () => {
      for (;;) {
        const job = (await api(base, `/v1/scoring-jobs/${id}`)) as Job;
        if (job.status !== 'running') return job;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const during = values.probe ? await probe(base, users, ended) : undefined;
    const job = await ended;
    const wall = (performance.now() - started) / 1000;
    if (job.status !== 'succeeded') throw new Error(`scoring job ${id} ${job.status}: ${job.error}`);
    const cpu = scorerPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpuBefore[i], 0);
    const own = process.cpuUsage(ownBefore);
    // The file, as a client downloads it: from the data folder, or streamed from the bucket.
    const downloadStarted = performance.now();
    const download = await fetch(`${base}/v1/scoring-jobs/${id}/file`, { headers: benchHeaders });
    let downloaded = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>)
      downloaded += chunk.length;
    const downloadSeconds = (performance.now() - downloadStarted) / 1000;
    if (download.status !== 200 || downloaded !== job.result!.bytes)
      throw new Error(`GET …/file: ${download.status}, ${downloaded} bytes of ${job.result!.bytes}`);
    const scorers = new Set(
      workers
        .filter((w) => w.records.some((rec) => rec.scoring === id && rec.part !== undefined))
        .map((w) => w.child.pid),
    ).size;
    const out = {
      scenario: 'all-users top-10',
      data: `msd shape, ${version.data.users} listeners × 41,140 songs`,
      where: queued ? 'queue' : 'in-process',
      workers: r.workers,
      ...(queued ? { workerNice: workersNice } : {}),
      workersThatScored: scorers,
      parts: r.parts,
      store: values.store,
      wallSeconds: Math.round(wall * 100) / 100,
      /** The workers' CPU, or the API process's when it scored in-process. */
      scorerCpuSeconds: Math.round(cpu * 100) / 100,
      benchProcessCpuSeconds: Math.round((own.user + own.system) / 1e4) / 100,
      downloadSeconds: Math.round(downloadSeconds * 100) / 100,
      users: job.result!.users,
      lines: job.result!.lines,
      bytes: job.result!.bytes,
      loadAverageAtStart: load,
      ...(idle && during ? { recommendMs: { idle, whileScoring: during } } : {}),
    };
    console.log(JSON.stringify(out));
    console.error(
      `${queued ? `${r.workers} worker(s) at nice ${workersNice}` : 'in-process'}, ${r.parts} part(s), ${values.store}: ${out.wallSeconds} s wall, ${out.scorerCpuSeconds} s ${queued ? 'worker' : 'API'} CPU, ${out.benchProcessCpuSeconds} s this process's, download ${out.downloadSeconds} s, ${out.users} users (load ${load.toFixed(1)})`,
    );
    if (idle && during)
      console.error(
        `  recommend one at a time: idle p50 ${idle.p50} / p99 ${idle.p99} ms; while scoring p50 ${during.p50} / p99 ${during.p99} / max ${during.max} ms (${during.requests} requests)`,
      );
    rmSync(join(dir, 'scores', id), { recursive: true, force: true });
  }
} finally {
  for (const w of workers) {
    w.child.kill('SIGTERM');
    await w.exited;
  }
  await stopServer(server?.child);
  await redis.stop();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
}
