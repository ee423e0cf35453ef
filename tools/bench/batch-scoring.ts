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
  },
});
if (values.store !== 'folder' && values.store !== 's3')
  throw new Error(`--store takes folder or s3, got '${values.store}'`);
const parts = Number(values.parts);
const runs = values.order.split(',').map((r) => {
  const [w, p] = r.split('x');
  return { workers: Number(w), parts: p === 'P' ? parts : Number(p) };
});

const redisBin = findRedisServer();
if (!redisBin)
  throw new Error('the batch scoring benchmark needs redis-server (apt-get install redis-server)');

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
  const starting = startServer([
    '--data-dir',
    dir,
    '--redis',
    redis.url,
    '--preset',
    'msd',
    '--preset-users',
    values.users,
    ...storeArgs,
  ]);
  // The first training goes to the queue: a worker takes it once the API has made its folder.
  while (!existsSync(join(dir, 'autorec.db'))) await new Promise((r) => setTimeout(r, 100));
  workers.push(startWorker(dir, redis.url, storeArgs));
  await workers[0].ready;
  server = await starting;
  const base = `http://127.0.0.1:${server.port}`;
  console.error(
    `API ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (import + first training on a worker)`,
  );
  const version = (await api(base, '/v1/models/ials/versions/1')) as { data: { users: number } };

  for (const r of runs) {
    while (workers.length < r.workers) {
      const w = startWorker(dir, redis.url, storeArgs);
      await w.ready;
      workers.push(w);
    }
    while (workers.length > r.workers) {
      const w = workers.pop()!;
      w.child.kill('SIGTERM');
      await w.exited;
    }
    const load = loadavg()[0];
    const cpuBefore = workers.map((w) => cpuSeconds(w.child.pid!));
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const res = await fetch(`${base}/v1/scoring-jobs`, {
      method: 'POST',
      headers: benchHeaders,
      body: JSON.stringify({ model: 'ials', version: 1, k: 10, parts: r.parts }),
    });
    if (res.status !== 202) throw new Error(`POST /v1/scoring-jobs: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    let job: { status: string; result?: { users: number; lines: number; bytes: number }; error?: string };
    for (;;) {
      job = await api(base, `/v1/scoring-jobs/${id}`);
      if (job.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - started) / 1000;
    if (job.status !== 'succeeded') throw new Error(`scoring job ${id} ${job.status}: ${job.error}`);
    const cpu = workers.reduce((sum, w, i) => sum + cpuSeconds(w.child.pid!) - cpuBefore[i], 0);
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
      workers: r.workers,
      workersThatScored: scorers,
      parts: r.parts,
      store: values.store,
      wallSeconds: Math.round(wall * 100) / 100,
      workerCpuSeconds: Math.round(cpu * 100) / 100,
      benchProcessCpuSeconds: Math.round((own.user + own.system) / 1e4) / 100,
      downloadSeconds: Math.round(downloadSeconds * 100) / 100,
      users: job.result!.users,
      lines: job.result!.lines,
      bytes: job.result!.bytes,
      loadAverageAtStart: load,
    };
    console.log(JSON.stringify(out));
    console.error(
      `${r.workers} worker(s), ${r.parts} part(s), ${values.store}: ${out.wallSeconds} s wall, ${out.workerCpuSeconds} s worker CPU, ${out.benchProcessCpuSeconds} s this process's, download ${out.downloadSeconds} s, ${out.users} users (load ${load.toFixed(1)})`,
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
