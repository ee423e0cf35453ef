import 'fake-indexeddb/auto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, MODEL_NAMES } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { prepareDataset, syntheticDataset } from '@autorec/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/worker/session.ts';

/**
 * The worker's session in Node (IndexedDB from fake-indexeddb): the same calls the page makes
 * through Comlink, without a browser. The browser itself is covered by e2e/app.e2e.test.ts.
 */
describe('the worker session', () => {
  const session = new Session({});
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autorec-web-session-'));
    await session.backend('cpu');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every registered model with its hyper-parameters and descriptions', () => {
    const models = session.models();
    expect(models.map((m) => m.name)).toEqual([...MODEL_NAMES]);
    const svd = models.find((m) => m.name === 'svd')!;
    expect(svd.params.find((p) => p.name === 'epochs')?.description).toBeTruthy();
  });

  it('describes the default data with a long-tail curve', () => {
    const view = session.loadPreset('tiny');
    expect(view.users).toBeGreaterThan(0);
    expect(view.tail.x[0]).toBe(0);
    expect(view.tail.y.at(-1)).toBeCloseTo(1);
    expect(view.noun).toBe('songs');
  });

  it('reports a bad line with file and line, as the CLI does', async () => {
    const file = new File(['u1\tS1\t3\nu1\tS2\tmany\n'], 'plays.txt');
    await expect(session.loadFile({ file, format: 'taste-profile', lenient: false })).rejects.toThrow(
      /^plays\.txt, line 2, field 'play_count': not a number/,
    );
    const lenient = await session.loadFile({ file, format: 'taste-profile', lenient: true });
    expect(lenient.report?.skipped).toBe(1);
  });

  it('trains, saves, recommends unplayed songs, and round-trips a model through export and import', async () => {
    session.loadPreset('tiny');
    const events: string[] = [];
    const result = await session.train(
      {
        models: [{ name: 'svd', params: { epochs: 3, factors: 4 } }],
        split: { method: 'random', test: 0.1, validation: 0.1 },
        seed: 1,
        k: 5,
      },
      (e) => events.push(e.stage),
    );
    expect(events).toContain('fit');
    expect(result.models.map((m) => m.label)).toEqual(['svd']);
    const [id] = result.saved;
    expect((await session.savedModels()).map((s) => s.id)).toContain(id);
    const { users } = await session.users(id, '', 5);
    const listener = await session.listener(id, users[0], 5);
    expect(listener.recommended).toHaveLength(5);
    const played = new Set(listener.played.map((s) => s.id));
    expect(listener.recommended.some((r) => played.has(r.id))).toBe(false);
    const file = await session.exportModel(id);
    await session.deleteModel(id);
    expect((await session.savedModels()).map((s) => s.id)).not.toContain(id);
    const again = await session.importArchive(file.name, file.bytes);
    expect((await session.listener(again.id, users[0], 5)).recommended).toEqual(listener.recommended);
  });

  it("imports a CLI model folder and gives the model's own top-10", async () => {
    const prepared = prepareDataset(syntheticDataset('tiny'), {
      split: { method: 'random', test: 0.1 },
      seed: 3,
    });
    const model = createModel('svd', { epochs: 3, factors: 4, seed: 3 });
    await model.fit(prepared.trainSet);
    const folder = join(dir, 'svd-model');
    await model.save(directoryStore(folder), { dataset: 'cli-data' });
    const files = await Promise.all(
      (await readdir(folder)).map(async (name) => ({
        path: `svd-model/${name}`,
        bytes: new Uint8Array(await readFile(join(folder, name))),
      })),
    );
    const info = await session.importFolder('svd-model', files);
    const user = model.users.external(0);
    const cli = model.recommend(user, 10).map((r) => r.item);
    expect((await session.listener(info.id, user, 10)).recommended.map((r) => r.id)).toEqual(cli);
    await expect(
      session.importFolder('empty', [{ path: 'empty/notes.txt', bytes: new Uint8Array(1) }]),
    ).rejects.toThrow(/no manifest\.json/);
  });

  it('finds catalogue songs and folds a new listener in', async () => {
    const [info] = await session.savedModels();
    const { users } = await session.users(info.id, '', 1);
    const played = (await session.listener(info.id, users[0], 3)).played.slice(0, 3);
    const query = played[0].label.slice(0, 4);
    const hits = await session.search(info.id, query, 5);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.label.toLowerCase().includes(query.toLowerCase()))).toBe(true);
    const recs = await session.recommendForPlays(
      info.id,
      played.map((p) => ({ item: p.id, count: 5 })),
      5,
    );
    expect(recs).toHaveLength(5);
    expect(recs.some((r) => played.some((p) => p.id === r.id))).toBe(false);
  });
});
