// s3Store against s3rver (an S3 emulator from npm that checks Signature V4) on loopback: the
// same requests a MinIO or AWS bucket answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractTrainSet } from '@autorec/test-utils';
import { S3_EMULATOR_CREDENTIALS, type S3Emulator, startS3Emulator } from '@autorec/test-utils/s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { loadModel } from '../models/registry.ts';
import { SvdModel } from '../models/svd.ts';
import { directoryStore } from '../node/store.ts';
import { parseS3Url, s3Objects, s3Store } from './s3.ts';

const credentials = S3_EMULATOR_CREDENTIALS;
const dir = mkdtempSync(join(tmpdir(), 'autorec-s3-'));
let server: S3Emulator;
let endpoint: string;
const raw = new AwsClient({ ...credentials, service: 's3', region: 'us-east-1' });
const object = (key: string, init?: RequestInit) => raw.fetch(`${endpoint}/models/${key}`, init);
const store = (prefix: string, extra: Partial<Parameters<typeof s3Store>[0]> = {}) =>
  s3Store({ url: `s3://models/${prefix}`, endpoint, credentials, ...extra });

async function trained(seed: number) {
  const data = contractTrainSet();
  const model = new SvdModel({ factors: 4, epochs: 3, seed });
  await model.fit(data);
  return { model, user: data.users.external(0) };
}

beforeAll(async () => {
  server = await startS3Emulator(dir, ['models']);
  endpoint = server.endpoint;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('s3Store', () => {
  it('saves a model and loads it back: the copy recommends exactly as the original', async () => {
    const { model, user } = await trained(1);
    await model.save(store('svd/v1'), { dataset: 'contract' });
    const again = await loadModel(store('svd/v1'));
    expect(again.recommend(user, 5)).toEqual(model.recommend(user, 5));
    model.dispose();
    again.dispose();
  });

  it('writes the folder layout: the objects copied to a folder load with directoryStore', async () => {
    const { model, user } = await trained(2);
    await model.save(store('svd/v2'));
    const index = JSON.parse(await (await object('svd/v2/files.json')).text());
    expect(index.format).toBe('autorec-model');
    expect(JSON.parse(await store('svd/v2').readText('files.json'))).toEqual(index);
    const folder = join(dir, 'copy');
    await mkdir(folder);
    for (const name of [...Object.keys(index.files), 'files.json'])
      await writeFile(
        join(folder, name),
        new Uint8Array(await (await object(`svd/v2/${name}`)).arrayBuffer()),
      );
    const again = await loadModel(directoryStore(folder));
    expect(again.recommend(user, 5)).toEqual(model.recommend(user, 5));
    model.dispose();
    again.dispose();
  });

  it('refuses a prefix whose save did not finish, and a prefix with nothing', async () => {
    const unfinished = store('svd/unfinished');
    await unfinished.write('manifest.json', '{}');
    await expect(loadModel(store('svd/unfinished'))).rejects.toThrow(
      /s3:\/\/models\/svd\/unfinished.*no files\.json.*did not finish/,
    );
    await expect(loadModel(store('nothing/here'))).rejects.toThrow(ModelFormatError);
    await unfinished.discard();
    expect((await object('svd/unfinished/manifest.json')).status).toBe(404);
  });

  it('names an object that was altered after the save', async () => {
    const { model } = await trained(3);
    await model.save(store('svd/v3'));
    const index = JSON.parse(await (await object('svd/v3/files.json')).text());
    const name = Object.keys(index.files).find((n) => n.endsWith('.bin'))!;
    const bytes = new Uint8Array(await (await object(`svd/v3/${name}`)).arrayBuffer());
    bytes[0] ^= 0xff;
    await object(`svd/v3/${name}`, { method: 'PUT', body: bytes });
    await expect(loadModel(store('svd/v3'))).rejects.toThrow(
      new RegExp(`object '${name.replace('.', '\\.')}' is corrupt: its SHA-256 differs`),
    );
    await object(`svd/v3/${name}`, { method: 'PUT', body: bytes.subarray(1) });
    await expect(loadModel(store('svd/v3'))).rejects.toThrow(/is truncated or altered/);
    model.dispose();
  });

  it('a save over an earlier model hides the old one until the new one is committed', async () => {
    const first = await trained(4);
    const second = await trained(5);
    await first.model.save(store('svd/v4'));
    const resave = store('svd/v4');
    await resave.write('manifest.json', '{"partial":true}');
    await expect(loadModel(store('svd/v4'))).rejects.toThrow(/no files\.json/);
    await resave.discard();
    await second.model.save(store('svd/v4'));
    const again = await loadModel(store('svd/v4'));
    expect(again.recommend(second.user, 5)).toEqual(second.model.recommend(second.user, 5));
    for (const m of [first.model, second.model, again]) m.dispose();
  });

  it('says what the service answered to bad credentials or an unreachable endpoint', async () => {
    // s3rver knows one key id (S3RVER); AWS and MinIO answer an unknown one the same way.
    const wrong = store('svd/v1', { credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } });
    await expect(wrong.read('manifest.json')).rejects.toThrow(
      /GET of 'files\.json' answered HTTP 403 InvalidAccessKeyId: /,
    );
    const down = store('svd/v1', { endpoint: 'http://127.0.0.1:9' });
    await expect(down.read('manifest.json')).rejects.toThrow(/GET of 'files\.json' failed/);
  });

  it('parses s3:// URLs and names a bad one', async () => {
    expect(parseS3Url('s3://models/ials/v7/')).toEqual({ bucket: 'models', prefix: 'ials/v7' });
    expect(parseS3Url('s3://models')).toEqual({ bucket: 'models', prefix: '' });
    expect(() => parseS3Url('https://models/ials')).toThrow(
      /'https:\/\/models\/ials' is not an s3:\/\/bucket/,
    );
    expect(() => parseS3Url('s3://Models/x')).toThrow(/not an s3:\/\/bucket/);
    await expect(store('x').write('../escape', '1')).rejects.toThrow(/invalid file name/);
  });
});

describe('s3Objects', () => {
  const objects = () => s3Objects({ url: 's3://models/plain/job-1', endpoint, credentials });

  it('puts bytes and streams with metadata; head and get answer size, metadata and the bytes', async () => {
    const out = objects();
    expect(await out.head('parts/part-00000.tsv')).toBeUndefined();
    const text = new TextEncoder().encode('a\t1\n'.repeat(50_000));
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= text.length) return controller.close();
        controller.enqueue(text.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', text));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    await out.put('parts/part-00000.tsv', { body, bytes: text.length, sha256 }, { lines: '50000', sha256 });
    await out.put('manifest.json', new TextEncoder().encode('{}'));
    expect(await out.head('parts/part-00000.tsv')).toEqual({
      bytes: text.length,
      metadata: { lines: '50000', sha256 },
    });
    const got = await out.get('parts/part-00000.tsv');
    expect(got.bytes).toBe(text.length);
    expect(new Uint8Array(await new Response(got.body).arrayBuffer())).toEqual(text);
    // The objects sit under the prefix, as `aws s3 cp --recursive` would list them.
    expect((await object('plain/job-1/parts/part-00000.tsv')).status).toBe(200);
    expect(out.urlOf('manifest.json')).toBe('s3://models/plain/job-1/manifest.json');
    await out.remove('manifest.json');
    await out.remove('manifest.json'); // twice: no error
    await expect(out.get('manifest.json')).rejects.toThrow(
      /object store 's3:\/\/models\/plain\/job-1': GET of 'manifest\.json' answered HTTP 404 NoSuchKey/,
    );
  });

  it('lists the objects under a name prefix, or its sub-prefixes, never a sibling prefix', async () => {
    const put = (url: string, name: string) =>
      s3Objects({ url, endpoint, credentials }).put(name, new TextEncoder().encode(name));
    await put('s3://models/listed', 'scores/a/part-00000.tsv');
    await put('s3://models/listed', 'scores/a/manifest.json');
    await put('s3://models/listed', 'scores/b & c/part-00000.tsv');
    await put('s3://models/listed', 'scores/notes.txt');
    await put('s3://models/listed', 'ials/v1/files.json');
    await put('s3://models/listed2', 'scores/z/manifest.json');
    const listed = s3Objects({ url: 's3://models/listed', endpoint, credentials });
    const top = await listed.list('scores/', { folders: true });
    expect(top.folders).toEqual(['scores/a/', 'scores/b & c/']);
    expect(top.objects.map((o) => o.name)).toEqual(['scores/notes.txt']);
    const all = await listed.list('scores/a/');
    expect(all.folders).toEqual([]);
    expect(all.objects.map((o) => [o.name, o.bytes])).toEqual([
      ['scores/a/manifest.json', 'scores/a/manifest.json'.length],
      ['scores/a/part-00000.tsv', 'scores/a/part-00000.tsv'.length],
    ]);
    for (const o of all.objects)
      expect(Math.abs(o.lastModified.getTime() - Date.now())).toBeLessThan(3_600_000);
    expect((await listed.list()).objects).toHaveLength(5);
    expect(await listed.list('nothing/')).toEqual({ objects: [], folders: [] });
  });

  it('refuses names that leave the prefix and metadata keys S3 would mangle', async () => {
    await expect(objects().head('../x')).rejects.toThrow(/invalid object name '\.\.\/x'/);
    await expect(objects().head('a//b')).rejects.toThrow(/invalid object name/);
    await expect(objects().put('x', new Uint8Array(1), { Lines: '1' })).rejects.toThrow(
      /invalid metadata key 'Lines'/,
    );
  });
});
