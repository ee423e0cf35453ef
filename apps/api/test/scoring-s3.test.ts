// Batch scoring files with versions on S3 (an s3rver emulator on loopback): ranges scored from
// separate data folders — as workers on separate machines — gathered from a third, read back
// from the objects alone; a part retried after its upload is not scored again; a damaged or
// missing part is refused naming its object. Then the whole path: an API on PostgreSQL, Redis
// and S3, and two `autorec worker` processes, each with its own empty data folder.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, loadModel, recommendExcludingKnown } from '@autorec/core';
import { prepareDataset, syntheticDataset, TOP_LISTS_HEADER } from '@autorec/data';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelFiles, modelFilesFromConfig, versionStore } from '../src/storage/model-files.ts';
import {
  gatherParts,
  openScoringFile,
  type PartResult,
  releaseScoringModel,
  type ScoringManifest,
  type ScoringSpec,
  scoreRange,
  userRanges,
} from '../src/training/scoring.ts';
import { engineMissing, engineTitle, postgresServer } from './engines.ts';
import { startTestService, type TestService, untilEnded, WRITER, waitFor } from './helpers.ts';
import { createDatabase } from './postgres-server.ts';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from './redis-server.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

const S3_ENV = {
  AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
};

describe('batch scoring files on S3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-scoring-s3-'));
  // Three machines' data folders: two score, the third gathers; none shares a disk with another.
  const [machineA, machineB, machineC] = ['a', 'b', 'c'].map((m) => join(dir, m));
  const saved = { ...process.env };
  const spec: ScoringSpec = { id: 'job-s3', model: 'svd', version: 1, path: 'models/svd/v1', k: 4 };
  let server: S3Emulator;
  let models: ModelFiles;
  let users: string[];
  let expected: string;
  /** Where s3rver keeps the object `scores/<id>/<name>` of the `prod` prefix on its disk. */
  const objectFile = (id: string, name: string) =>
    join(server.directory, 'models', 'prod', 'scores', id, `${name}._S3rver_object`);
  const text = async (id: string, k = spec.k) => {
    const file = await openScoringFile(machineC, models, { id, k });
    return { bytes: file!.bytes, text: await new Response(file!.body).text() };
  };

  beforeAll(async () => {
    server = await startS3Emulator(dir, ['models']);
    Object.assign(process.env, S3_ENV);
    models = modelFilesFromConfig('s3://models/prod', machineA, {
      ...S3_ENV,
      AUTOREC_S3_ENDPOINT: server.endpoint,
    });
    const prepared = prepareDataset(syntheticDataset('tiny'), {
      split: { method: 'per-user', test: 0.1, validation: 0.05 },
      seed: 1,
    });
    const model = createModel('svd', { epochs: 3, factors: 8 });
    const fit = await model.fit(prepared.trainSet);
    await model.save(versionStore(models, spec.path), {}, fit);
    users = model.users.toArray();
    // What `recommend --all-users` computes, in one piece.
    expected = recommendExcludingKnown(model, users, spec.k, undefined)
      .flatMap((list, u) =>
        list.map((r, rank) => `${users[u]}\t${rank + 1}\t${r.item}\t${r.score.toFixed(4)}\n`),
      )
      .join('');
    model.dispose();
  });
  afterAll(async () => {
    releaseScoringModel();
    for (const key of Object.keys(S3_ENV)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ranges scored on two machines and gathered on a third give the one-piece file, each listener once', async () => {
    const ranges = userRanges(users.length, 3);
    const parts: PartResult[] = [];
    parts.push(await scoreRange(machineA, models, { ...spec, part: 2, ...ranges[2] }));
    parts.push(await scoreRange(machineB, models, { ...spec, part: 0, ...ranges[0] }));
    parts.push(await scoreRange(machineA, models, { ...spec, part: 1, ...ranges[1] }));
    const result = await gatherParts(machineC, spec, parts, models);
    const joined = TOP_LISTS_HEADER + expected;
    expect(result).toEqual({
      file: 's3://models/prod/scores/job-s3/',
      users: users.length,
      lines: users.length * spec.k,
      bytes: Buffer.byteLength(joined),
      parts: 3,
    });
    // Read back from the objects alone, as a replica on a fourth machine would.
    expect(await text(spec.id)).toEqual({ bytes: Buffer.byteLength(joined), text: joined });
    const listed = (await text(spec.id)).text.trimEnd().split('\n').slice(1);
    const perUser = new Map<string, number>();
    for (const line of listed) perUser.set(line.split('\t')[0], (perUser.get(line.split('\t')[0]) ?? 0) + 1);
    expect(perUser.size).toBe(users.length);
    expect([...perUser.values()].every((n) => n === spec.k)).toBe(true);

    // The prefix is a data set by itself: every part has the header; the manifest lists them.
    const folder = join(server.directory, 'models', 'prod', 'scores', spec.id);
    expect(readdirSync(folder).filter((f) => f.endsWith('._S3rver_object'))).toEqual(
      ['manifest.json', 'part-00000.tsv', 'part-00001.tsv', 'part-00002.tsv'].map(
        (f) => `${f}._S3rver_object`,
      ),
    );
    const manifest = JSON.parse(
      readFileSync(objectFile(spec.id, 'manifest.json'), 'utf8'),
    ) as ScoringManifest;
    expect(manifest).toMatchObject({
      format: 'autorec-scores',
      model: 'svd',
      version: 1,
      k: 4,
      users: users.length,
    });
    for (const [i, part] of manifest.parts.entries()) {
      const body = readFileSync(objectFile(spec.id, part.file), 'utf8');
      expect(body.startsWith(TOP_LISTS_HEADER)).toBe(true);
      expect(part).toMatchObject({ users: ranges[i].to - ranges[i].from, bytes: Buffer.byteLength(body) });
    }
    // Nothing is left in the machines' data folders (a part is only there until it is uploaded).
    for (const machine of [machineA, machineB, machineC])
      expect(existsSync(join(machine, 'scores', spec.id))).toBe(false);

    // A range retried after its upload, on another machine, is not scored again; nor is a
    // gather retried after its manifest.
    const part1 = objectFile(spec.id, 'part-00001.tsv');
    const before = [statSync(part1).mtimeMs, statSync(objectFile(spec.id, 'manifest.json')).mtimeMs];
    expect(await scoreRange(machineB, models, { ...spec, part: 1, ...ranges[1] })).toEqual(
      parts.find((p) => p.part === 1),
    );
    expect(await gatherParts(machineB, spec, parts, models)).toEqual(result);
    expect([statSync(part1).mtimeMs, statSync(objectFile(spec.id, 'manifest.json')).mtimeMs]).toEqual(before);
  });

  it('a damaged part is refused naming its object: by the gather, and by a download before its last bytes', async () => {
    const job = { ...spec, id: 'job-damaged' };
    const ranges = userRanges(users.length, 2);
    const parts = [
      await scoreRange(machineA, models, { ...job, part: 0, ...ranges[0] }),
      await scoreRange(machineB, models, { ...job, part: 1, ...ranges[1] }),
    ];
    const file = objectFile(job.id, 'part-00001.tsv');
    const original = readFileSync(file);
    // One byte changed, the size kept: the SHA-256 tells.
    const flipped = Buffer.from(original);
    flipped[flipped.length - 3] ^= 1;
    writeFileSync(file, flipped);
    await expect(gatherParts(machineC, job, parts, models)).rejects.toThrow(
      's3://models/prod/scores/job-damaged/part-00001.tsv is damaged: its SHA-256 differs from the one it was written with',
    );
    // Cut short: the size tells.
    writeFileSync(file, original.subarray(0, original.length - 10));
    await expect(gatherParts(machineC, job, parts, models)).rejects.toThrow(
      `s3://models/prod/scores/job-damaged/part-00001.tsv is damaged: ${original.length - 10} bytes, written with ${original.length}`,
    );
    expect(existsSync(objectFile(job.id, 'manifest.json'))).toBe(false);

    // Gathered whole, then damaged: the download errors before it reaches its Content-Length.
    writeFileSync(file, original);
    const result = await gatherParts(machineC, job, parts, models);
    writeFileSync(file, flipped);
    const download = await openScoringFile(machineC, models, job);
    expect(download!.bytes).toBe(result.bytes);
    const reader = download!.body.getReader();
    let received = 0;
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += value.length;
      }
    })();
    await expect(reading).rejects.toThrow(/part-00001\.tsv is damaged: its SHA-256 differs/);
    expect(received).toBeLessThan(result.bytes);
  });

  it('a missing part stops the gather naming its object; a job with no manifest has no file', async () => {
    const job = { ...spec, id: 'job-missing' };
    const [first, second] = userRanges(users.length, 2);
    const done = await scoreRange(machineA, models, { ...job, part: 0, ...first });
    const claimed = { part: 1, users: second.to - second.from, lines: 0 };
    await expect(gatherParts(machineC, job, [done, claimed], models)).rejects.toThrow(
      'part 1 of 2 (s3://models/prod/scores/job-missing/part-00001.tsv) is missing',
    );
    await expect(gatherParts(machineC, job, [done], models)).resolves.toMatchObject({ parts: 1 });
    expect(await openScoringFile(machineC, models, { id: 'job-none', k: 4 })).toBeUndefined();
    await expect(
      scoreRange(machineA, models, { ...job, id: 'job-beyond', part: 0, from: 0, to: users.length + 5 }),
    ).rejects.toThrow(/beyond the model's/);
    expect(existsSync(join(machineA, 'scores', 'job-beyond'))).toBe(false);
  });
});

const noCluster = redisSkip() ?? (engineMissing('postgres') ? engineTitle('postgres') : undefined);

describe.skipIf(noCluster)(
  `a scoring job on two workers that share only PostgreSQL, Redis and S3${noCluster ? ` (skipped: ${noCluster})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-scoring-cluster-'));
    const saved = { ...process.env };
    let server: S3Emulator;
    let redis: RedisServer;
    let database: { url: string; drop(): Promise<void> };
    let api: TestService;
    const workers: WorkerProcess[] = [];
    const sayings: string[] = [];
    const workerDirs = [join(dir, 'worker-a'), join(dir, 'worker-b')];

    beforeAll(async () => {
      server = await startS3Emulator(dir, ['models']);
      // The API here, and the workers it spawns, read the credentials from the environment.
      Object.assign(process.env, S3_ENV, { AUTOREC_S3_ENDPOINT: server.endpoint });
      redis = await startRedis(findRedisServer()!);
      database = await createDatabase(postgresServer().url!);
      const shared = { databaseUrl: database.url, redisUrl: redis.url, modelsUrl: 's3://models/prod' };
      // The API's first start queues the first training, which a worker runs.
      const starting = startTestService(
        { ...shared, say: (line) => sayings.push(line), replica: { pollMs: 200 } },
        join(dir, 'api'),
        'postgres',
      );
      await waitFor(
        () => sayings.some((l) => l.startsWith('training jobs go to the queue')) || undefined,
        30_000,
      );
      for (const folder of workerDirs)
        workers.push(
          startWorker(folder, redis.url, [
            '--db',
            database.url,
            '--models',
            shared.modelsUrl,
            '--lock-ms',
            '1500',
          ]),
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
      await database?.drop();
      await server?.close();
      for (const key of [...Object.keys(S3_ENV), 'AUTOREC_S3_ENDPOINT']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('the file downloads through the API from the objects, each listener once; no disk holds it', async () => {
      const res = await api.call(
        'POST',
        '/v1/scoring-jobs',
        { model: 'ials', version: 1, k: 5, parts: 4 },
        WRITER,
      );
      expect(res.status).toBe(202);
      const { id } = await res.json();
      const done = await untilEnded(api, `/v1/scoring-jobs/${id}`, 60_000);
      expect(done).toMatchObject({
        status: 'succeeded',
        parts: { total: 4, done: 4 },
        result: { file: `s3://models/prod/scores/${id}/`, parts: 4 },
      });
      const download = await api.call('GET', `/v1/scoring-jobs/${id}/file`);
      expect(download.status).toBe(200);
      const file = await download.text();
      expect(Number(download.headers.get('content-length'))).toBe(Buffer.byteLength(file));
      expect(Buffer.byteLength(file)).toBe(done.result.bytes);
      const [header, ...lines] = file.trimEnd().split('\n');
      expect(`${header}\n`).toBe(TOP_LISTS_HEADER);
      expect(lines).toHaveLength(done.result.lines);
      // Each listener of the version (read from S3) once, in the model's order, five lines each.
      const model = await loadModel(versionStore(api.deps.models, 'models/ials/v1'));
      const users = model.users.toArray();
      model.dispose();
      const order: string[] = [];
      const count = new Map<string, number>();
      for (const line of lines) {
        const user = line.split('\t')[0];
        if (!count.has(user)) order.push(user);
        count.set(user, (count.get(user) ?? 0) + 1);
      }
      expect(order).toEqual(users);
      expect([...count.values()].every((n) => n === 5)).toBe(true);
      // The ranges were scored by the workers, and neither the API's folder nor theirs keeps a
      // part or the file: they are only in the bucket.
      const scored = workers.flatMap((w) =>
        w.records.filter((r) => r.scoring === id && r.part !== undefined),
      );
      expect(scored.map((r) => r.part).sort()).toEqual([0, 1, 2, 3]);
      for (const folder of [...workerDirs, join(dir, 'api')])
        expect(existsSync(join(folder, 'scores', id))).toBe(false);
      expect(
        readdirSync(join(server.directory, 'models', 'prod', 'scores', id)).filter((f) =>
          f.endsWith('_object'),
        ),
      ).toHaveLength(5);
    }, 90_000);
  },
);
