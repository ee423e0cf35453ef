// Model versions on S3 (`--models s3://bucket/prefix`): an s3rver emulator on loopback (it
// speaks the S3 REST API and checks the access key) stands in for MinIO or AWS.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '@autorec/core';
import { prepareDataset, syntheticDataset } from '@autorec/data';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig, readWorkerConfig } from '../src/config.ts';
import { modelFilesFromConfig, versionFileReader, versionStore } from '../src/storage/model-files.ts';
import { startTestService } from './helpers.ts';

const S3_ENV = {
  AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
  AUTOREC_S3_ENDPOINT: '',
};

describe('model versions on S3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-api-s3-'));
  const saved = { ...process.env };
  let server: S3Emulator;

  beforeAll(async () => {
    server = await startS3Emulator(dir, ['models']);
    // The training thread reads the credentials from the environment it inherits.
    Object.assign(process.env, S3_ENV, { AUTOREC_S3_ENDPOINT: server.endpoint });
  });

  afterAll(async () => {
    for (const key of Object.keys(S3_ENV)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves the first version to the bucket, serves it, and a restart loads it from there', async () => {
    const folder = join(dir, 'data');
    const objects = join(server.directory, 'models');
    const first = await startTestService({ modelsUrl: 's3://models/prod' }, folder);
    try {
      expect(first.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
      expect(readdirSync(join(folder, 'models'))).toEqual([]); // nothing in the folder
      // s3rver keeps each object as <key>._S3rver_object on its disk
      expect(readdirSync(join(objects, 'prod', 'ials', 'v1'))).toContain('files.json._S3rver_object');
      const index = await (await first.call('GET', '/v1/models/ials/versions/1/artifact')).json();
      expect(index.format).toBe('autorec-model');
      expect(Object.keys(index.files)).toContain('manifest.json');
      const manifest = await first.call('GET', '/v1/models/ials/versions/1/artifact/manifest.json');
      expect(manifest.status).toBe(200);
      const users = first.deps.server.current!.model.users.toArray();
      expect((await first.call('GET', `/v1/users/${users[0]}/recommendations?k=5`)).status).toBe(200);
    } finally {
      await first.close();
    }
    const again = await startTestService({ modelsUrl: 's3://models/prod' }, folder);
    try {
      expect(again.deps.server.current?.version).toMatchObject({ model: 'ials', version: 1 });
      expect(await again.deps.repo.jobs(10)).toHaveLength(1); // loaded, not trained again
    } finally {
      await again.dispose();
    }
  });

  it('refuses a bad --models URL, and S3 without credentials, naming what is missing', () => {
    expect(() => readConfig(['--models', 'https://bucket/x'], {})).toThrow(ConfigError);
    expect(() => readConfig(['--models', 'https://bucket/x'], {})).toThrow(
      /--models takes an s3:\/\/bucket\/prefix/,
    );
    expect(readWorkerConfig(['--redis', 'redis://h:1', '--models', 's3://m/p'], {}).modelsUrl).toBe(
      's3://m/p',
    );
    // A worker's niceness: 10 by default, from the flag or the environment, 0–19.
    expect(readWorkerConfig(['--redis', 'redis://h:1'], {}).nice).toBe(10);
    expect(readWorkerConfig(['--redis', 'redis://h:1', '--nice', '0'], {}).nice).toBe(0);
    expect(readWorkerConfig(['--redis', 'redis://h:1'], { AUTOREC_WORKER_NICE: '5' }).nice).toBe(5);
    expect(() => readWorkerConfig(['--redis', 'redis://h:1', '--nice', '20'], {})).toThrow(/--nice/);
    expect(() => modelFilesFromConfig('s3://models/x', dir, {})).toThrow(
      /need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(() => modelFilesFromConfig('s3://Bad_Bucket/x', dir, S3_ENV)).toThrow(
      /not an s3:\/\/bucket\/prefix URL/,
    );
    expect(() =>
      modelFilesFromConfig('s3://models/x', dir, { ...S3_ENV, AUTOREC_S3_ENDPOINT: 'minio:9000' }),
    ).toThrow(/AUTOREC_S3_ENDPOINT must be an http\(s\):\/\/host\[:port\] URL/);
    expect(modelFilesFromConfig(undefined, dir, {})).toEqual({ kind: 'folder', dataDir: dir });
  });

  it("the artifact reader keeps a committed version's index (bounded), so files.json is not fetched for every file", async () => {
    const files = modelFilesFromConfig('s3://models/cache', dir, {
      ...S3_ENV,
      AUTOREC_S3_ENDPOINT: server.endpoint,
    });
    const prepared = prepareDataset(syntheticDataset('tiny'), {
      split: { method: 'per-user', test: 0.1, validation: 0.05 },
      seed: 1,
    });
    const model = createModel('svd', { epochs: 1, factors: 4 });
    const fit = await model.fit(prepared.trainSet);
    for (const v of ['v1', 'v2']) await model.save(versionStore(files, `models/svd/${v}`), {}, fit);
    model.dispose();
    const hideIndex = async (path: string) => {
      // A save's first write removes the prefix's files.json; discarding it leaves no index.
      const store = versionStore(files, path);
      await store.write('scratch.json', '{}');
      await store.discard();
    };

    const reader = versionFileReader(files, 1);
    const index = await reader.read('models/svd/v1', 'files.json', true);
    expect(JSON.parse(new TextDecoder().decode(index)).format).toBe('autorec-model');
    const manifest = await reader.read('models/svd/v1', 'manifest.json', true);
    await hideIndex('models/svd/v1');
    // Kept: the index as first read, and the files checked against it.
    expect(await reader.read('models/svd/v1', 'files.json', true)).toEqual(index);
    expect(await reader.read('models/svd/v1', 'manifest.json', true)).toEqual(manifest);
    // A version not yet committed is read afresh every time.
    await expect(reader.read('models/svd/v1', 'manifest.json', false)).rejects.toThrow(/no files\.json/);
    // One version kept: reading v2 drops v1, which is then read afresh (and its index is gone).
    expect((await reader.read('models/svd/v2', 'manifest.json', true)).length).toBeGreaterThan(0);
    await expect(reader.read('models/svd/v1', 'manifest.json', true)).rejects.toThrow(/no files\.json/);
    // A failed read is not kept: a save that commits the version again is seen at once.
    await expect(reader.read('models/svd/v1', 'files.json', true)).rejects.toThrow(/HTTP 404/);
    const again = createModel('svd', { epochs: 1, factors: 4 });
    await again.save(versionStore(files, 'models/svd/v1'), {}, await again.fit(prepared.trainSet));
    again.dispose();
    expect((await reader.read('models/svd/v1', 'manifest.json', true)).length).toBeGreaterThan(0);
  });
});
