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

  it('reports the run as the CLI does: table cells, verdict and tests from the same numbers, and the three files', async () => {
    session.loadPreset('tiny');
    const run = await session.train({
      models: [
        { name: 'i-autorec', params: { epochs: 3, hiddenUnits: 8 } },
        { name: 'svd', params: { epochs: 3, factors: 4 } },
        { name: 'popularity', params: {} },
      ],
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 2,
      k: 10,
    });
    const { report } = run;
    const rmse = report.columns.findIndex((c) => c.key === 'rmse');
    const ndcg = report.columns.findIndex((c) => c.key === 'ndcg@10');
    expect(report.rows.map((r) => r.model)).toEqual(['i-autorec', 'svd', 'popularity']);
    run.models.forEach((m, i) => {
      expect(report.rows[i].cells[rmse]).toBe(m.rating.rmse.toFixed(4));
    });
    // The bold cell is the lowest RMSE, and the rating verdict names that model and number.
    const lowest = run.models.reduce((a, b) => (b.rating.rmse < a.rating.rmse ? b : a));
    const marked = report.rows.findIndex((r) => r.best[rmse]);
    expect(report.rows[marked].model).toBe(lowest.label);
    expect(report.verdict.rating[0]).toContain(`lowest test RMSE, ${lowest.rating.rmse.toFixed(4)}`);
    expect(report.verdict.rating.join(' ')).toMatch(/I-AutoRec (did not )?beat SVD on test RMSE/);
    expect(report.verdict.ranking[0]).toMatch(/^Ranking: .* has the highest NDCG@10/);
    expect(report.rows[report.rows.findIndex((r) => r.best[ndcg])].cells[ndcg]).toMatch(/^\d\.\d{4}$/);
    // Paired tests: against SVD on per-user MSE, against popularity on per-user NDCG.
    expect(report.reference).toBe('svd');
    expect(report.rankingReference).toBe('popularity');
    expect(report.rows[0].tests.rating?.text).toMatch(/^ΔMSE [+−]\d\.\d{4}, p (= \d\.\d{3}|< 0\.001)$/);
    expect(report.rows[1].tests.rating).toBeUndefined();
    expect(report.rows[0].tests.ranking?.against).toBe('popularity');
    // The files: report.md with the same table row, results.json with the same numbers, the SVG.
    const { markdown, json, svg, names } = report.files;
    expect(names).toEqual({ markdown: 'report.md', json: 'results.json', svg: 'training-curves.svg' });
    expect(markdown).toContain('# AutoRec vs SVD on ');
    expect(markdown).toContain(report.verdict.rating[0]);
    expect(markdown).toContain(
      `| SVD | ${report.rows[1].cells.map((c, j) => (report.rows[1].best[j] ? `**${c}**` : c)).join(' | ')} |`,
    );
    expect(markdown).toContain("synthetic 'tiny' preset (built in the browser)");
    expect(markdown).toContain('random holdout: 10% test, 10% validation');
    const doc = JSON.parse(json) as {
      results: { model: string; rmse: number }[];
      curves: Record<string, unknown[]>;
    };
    expect(doc.results.map((r) => r.rmse)).toEqual(run.models.map((m) => m.rating.rmse));
    expect(doc.curves['i-autorec']).toHaveLength(3);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('data-quantity="validation-rmse"');
    expect(svg).toContain('class="kept"');
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
