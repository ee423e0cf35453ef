import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { contractTrainSet } from '@autorec/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { IAutoRecModel } from '../models/autorec.ts';
import { loadModel } from '../models/registry.ts';
import { SvdModel } from '../models/svd.ts';
import { fetchStore } from '../stores/fetch.ts';
import { directoryStore } from './store.ts';

/**
 * A model saved by Node to a directory and served as static files loads through `fetchStore`
 * (what a browser does) with identical predictions.
 */
describe('fetchStore: a model directory served over HTTP', () => {
  let root: string;
  let server: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'autorec-fetch-'));
    server = createServer(async (req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push(path);
      if (path === '/broken/manifest.json') {
        res.writeHead(500, 'Internal Server Error').end();
        return;
      }
      const file = normalize(join(root, path));
      const found = file.startsWith(root) && (await stat(file).catch(() => undefined))?.isFile();
      if (!found) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  const data = contractTrainSet();
  const users = Int32Array.from({ length: 40 }, (_, k) => k % data.ratings.rows);
  const items = Int32Array.from({ length: 40 }, (_, k) => (k * 7) % data.ratings.cols);

  for (const make of [
    () => new IAutoRecModel({ hiddenUnits: 8, epochs: 3, batchSize: 8, seed: 1 }),
    () => new SvdModel({ factors: 6, epochs: 5, seed: 1 }),
  ]) {
    it(`loads a saved ${make().name} with identical predictions and recommendations`, async () => {
      const model = make();
      await model.fit(data);
      await model.save(directoryStore(join(root, model.name)));
      const loaded = await loadModel(fetchStore(`${base}/${model.name}`));
      expect(loaded.name).toBe(model.name);
      expect(Array.from(loaded.predictIndices(users, items))).toEqual(
        Array.from(model.predictIndices(users, items)),
      );
      const user = data.users.external(0);
      expect(loaded.recommend(user, 5)).toEqual(model.recommend(user, 5));
      expect(requests.some((r) => r.startsWith(`/${model.name}/manifest.json`))).toBe(true);
      model.dispose();
      loaded.dispose();
    });
  }

  it('names the missing file and its URL', async () => {
    const error = await loadModel(fetchStore(`${base}/nothing-here/`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).file).toBe('manifest.json');
    expect((error as Error).message).toContain(
      `file 'manifest.json' not found at ${base}/nothing-here/manifest.json`,
    );
  });

  it('reports HTTP errors and unreachable servers as ModelFormatError', async () => {
    await expect(fetchStore(`${base}/broken`).readText('manifest.json')).rejects.toThrow(
      /manifest.json' HTTP 500 Internal Server Error at http/,
    );
    await expect(fetchStore('http://127.0.0.1:1/m').read('manifest.json')).rejects.toThrow(
      /could not fetch 'manifest.json' from http:\/\/127.0.0.1:1\/m\/manifest.json/,
    );
  });

  it('is read-only', async () => {
    await expect(fetchStore(base).write('manifest.json', '{}')).rejects.toThrow(/read-only/);
  });
});
