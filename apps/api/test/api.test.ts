import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type Engine, engineMissing, engineTitle } from './engines.ts';
import { ADMIN, READER, startTestService, type TestService, WRITER, waitFor } from './helpers.ts';

// Every route on both storage engines: SQLite (the default) and PostgreSQL.
for (const engine of ENGINES)
  describe.skipIf(engineMissing(engine))(`the API ${engineTitle(engine)}`, () => suite(engine));

function suite(engine: Engine): void {
  let s: TestService;
  let user: string; // a training user
  let song: string; // a song the model knows
  let played: Set<string>;

  beforeAll(async () => {
    s = await startTestService({}, undefined, engine);
    const model = s.deps.server.require().model;
    user = model.users.external(0);
    song = model.items.external(0);
    played = new Set((await s.deps.repo.userPlays(user)).map((p) => p.song));
  }, 120_000);
  afterAll(() => s?.dispose());

  async function problem(res: Response, status: number) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as {
      status: number;
      detail: string;
      errors?: { field: string; rule: string }[];
    };
    expect(body.status).toBe(status);
    expect(body.detail).not.toMatch(/\/work\/|\bat .*\.ts:\d+/); // no paths or stack frames
    return body;
  }

  describe('first start', () => {
    it('imported the preset, trained ials and serves it as production', async () => {
      const res = await s.call('GET', '/v1/models');
      const body = await res.json();
      expect(body.serving).toEqual({ model: 'ials', version: 1 });
      expect(body.labels.production).toEqual({ model: 'ials', version: 1 });
      const ials = body.models.find((m: { name: string }) => m.name === 'ials');
      expect(ials.versions[0].metrics['ndcg@10']).toBeGreaterThan(0);
      expect(ials.versions[0].labels).toEqual(['production']);
      expect(body.models.map((m: { name: string }) => m.name)).toContain('svd');
    });

    it('a later start on the same folder reuses the database and the model', async () => {
      const before = await s.deps.repo.eventStats();
      const again = await startTestService({}, s.dir, engine);
      try {
        expect((await again.deps.repo.eventStats()).events).toBe(before.events);
        expect(again.deps.server.require().version.version).toBe(1);
      } finally {
        await again.close();
      }
    });
  });

  describe('the data folder', () => {
    it('refuses a folder that holds other files and no database', async () => {
      const { mkdtempSync, writeFileSync, readdirSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const dir = mkdtempSync(join(tmpdir(), 'autorec-foreign-'));
      writeFileSync(join(dir, 'user_artists.dat'), 'userID\tartistID\tweight\n');
      try {
        await expect(startTestService({}, dir, engine)).rejects.toThrow(
          /refusing to use .* no (autorec\.db|models\/ folder)/,
        );
        expect(readdirSync(dir)).toEqual(['user_artists.dat']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}.keys.json`, { force: true });
      }
    });
  });

  describe('recommend', () => {
    it('a training user: from the model, k items, ranked, none already played', async () => {
      const res = await s.call('GET', `/v1/users/${user}/recommendations?k=7`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ source: 'model', model: 'ials', version: 1 });
      expect(body.items).toHaveLength(7);
      expect(body.items.map((i: { rank: number }) => i.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      for (const item of body.items) expect(played.has(item.song)).toBe(false);
      expect(body.items[0].artist).toBeTypeOf('string');
      const scores = body.items.map((i: { score: number }) => i.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });

    it('exclude and candidates are applied; excludeSeen=false can return played songs', async () => {
      const first = (await (await s.call('GET', `/v1/users/${user}/recommendations?k=3`)).json()).items;
      const without = (
        await (
          await s.call(
            'GET',
            `/v1/users/${user}/recommendations?k=3&exclude=${first[0].song},${first[1].song}`,
          )
        ).json()
      ).items;
      expect(without.map((i: { song: string }) => i.song)).not.toContain(first[0].song);
      expect(without.map((i: { song: string }) => i.song)).not.toContain(first[1].song);
      const candidates = [first[2].song, ...played].slice(0, 4);
      const only = (
        await (
          await s.call('POST', '/v1/recommendations', { user, k: 10, candidates, excludeSeen: false })
        ).json()
      ).items;
      expect(only.length).toBeGreaterThan(1);
      for (const item of only) expect(candidates).toContain(item.song);
      expect(only.some((i: { song: string }) => played.has(i.song))).toBe(true);
    });

    it('anonymous plays are folded in; an empty list gives popular; unknown songs only give 422', async () => {
      const fold = await (
        await s.call('POST', '/v1/recommendations', { plays: [{ song, count: 5 }], k: 5 })
      ).json();
      expect(fold.source).toBe('fold-in');
      expect(fold.items.map((i: { song: string }) => i.song)).not.toContain(song);
      const popular = await (await s.call('POST', '/v1/recommendations', { plays: [], k: 5 })).json();
      expect(popular.source).toBe('popular');
      expect(popular.items).toHaveLength(5);
      const body = await problem(
        await s.call('POST', '/v1/recommendations', { plays: [{ song: 'no-such-song', count: 1 }] }),
        422,
      );
      expect(body.detail).toContain('none of the 1 songs');
    });

    it('a listener known only from events is folded in at once, and their songs are left out', async () => {
      const res = await s.call('POST', '/v1/events', { events: [{ user: 'newcomer', song, count: 4 }] });
      expect(res.status).toBe(202);
      const body = await (await s.call('GET', '/v1/users/newcomer/recommendations?k=5')).json();
      expect(body.source).toBe('fold-in');
      expect(body.items.map((i: { song: string }) => i.song)).not.toContain(song);
    });

    it("a training user's new events are left out of their list before retraining", async () => {
      const top = (await (await s.call('GET', `/v1/users/${user}/recommendations?k=1`)).json()).items[0].song;
      await s.call('POST', '/v1/events', { events: [{ user, song: top, count: 1 }] });
      const after = (await (await s.call('GET', `/v1/users/${user}/recommendations?k=10`)).json()).items;
      expect(after.map((i: { song: string }) => i.song)).not.toContain(top);
    });

    it('unknown user 404, bad k 400 naming the field, model mismatch 404', async () => {
      const unknown = await problem(await s.call('GET', '/v1/users/nobody-at-all/recommendations'), 404);
      expect(unknown.detail).toContain("unknown user 'nobody-at-all'");
      const bad = await problem(await s.call('GET', `/v1/users/${user}/recommendations?k=1001`), 400);
      expect(bad.errors?.[0]).toMatchObject({ field: 'query.k', rule: 'too_big' });
      await problem(await s.call('GET', `/v1/users/${user}/recommendations?model=svd`), 404);
      const body = await problem(await s.call('POST', '/v1/recommendations', { user, plays: [] }), 400);
      expect(body.errors?.length).toBeGreaterThan(0);
      await problem(
        await s.call('POST', '/v1/recommendations', undefined, ADMIN, { 'content-type': 'application/json' }),
        400,
      );
    });

    it('batch answers each entry with its own status', async () => {
      const res = await s.call('POST', '/v1/recommendations:batch', {
        requests: [{ user, k: 2 }, { user: 'nobody-at-all' }, { plays: [{ song, count: 1 }], k: 3 }],
      });
      expect(res.status).toBe(200);
      const { results } = await res.json();
      expect(results.map((r: { status: number }) => r.status)).toEqual([200, 404, 200]);
      expect(results[0].body.items).toHaveLength(2);
      expect(results[1].body.detail).toContain('nobody-at-all');
      await problem(await s.call('POST', '/v1/recommendations:batch', { requests: [] }), 400);
    });

    it('rank orders every known candidate and lists the unknown ones', async () => {
      const model = s.deps.server.require().model;
      const candidates = [
        model.items.external(1),
        model.items.external(2),
        model.items.external(3),
        'no-such-song',
      ];
      const body = await (await s.call('POST', '/v1/rank', { user, candidates })).json();
      expect(body.items.map((i: { song: string }) => i.song).sort()).toEqual(candidates.slice(0, 3).sort());
      expect(body.unknown).toEqual(['no-such-song']);
    });
  });

  describe('songs and listeners', () => {
    it('similar, popular, catalogue pages, one song, metadata update', async () => {
      const similar = await (await s.call('GET', `/v1/songs/${song}/similar?k=4`)).json();
      expect(similar.items).toHaveLength(4);
      expect(similar.items.map((i: { song: string }) => i.song)).not.toContain(song);
      await problem(await s.call('GET', '/v1/songs/no-such-song/similar'), 404);
      const popular = await (await s.call('GET', '/v1/songs/popular?k=3')).json();
      expect(popular.items).toHaveLength(3);
      expect(popular.items[0].score).toBeGreaterThanOrEqual(popular.items[1].score);

      const page1 = await (await s.call('GET', '/v1/songs?limit=5')).json();
      expect(page1.items).toHaveLength(5);
      const page2 = await (await s.call('GET', `/v1/songs?limit=5&cursor=${page1.nextCursor}`)).json();
      expect(page2.items[0].song > page1.items[4].song).toBe(true);

      const put = await s.call('PUT', '/v1/songs', {
        songs: [{ song, artist: 'Test Artist', title: 'Test Title' }],
      });
      expect(put.status).toBe(200);
      const one = await (await s.call('GET', `/v1/songs/${song}`)).json();
      expect(one).toMatchObject({ song, artist: 'Test Artist', title: 'Test Title', inModel: true });
      const found = await (await s.call('GET', '/v1/songs?query=test%20artist')).json();
      expect(found.items.map((i: { song: string }) => i.song)).toEqual([song]);
      await problem(await s.call('GET', '/v1/songs/no-such-song'), 404);
    });

    it('summary, plays pages and erasure of a listener', async () => {
      await s.call('POST', '/v1/events', {
        events: [
          { user: 'eraseme', song, count: 2, timestamp: '2026-01-01T00:00:00Z' },
          { user: 'eraseme', song: 'brand-new-song', count: 1, timestamp: 1_767_225_600_000 },
        ],
      });
      const summary = await (await s.call('GET', '/v1/users/eraseme')).json();
      expect(summary).toMatchObject({ user: 'eraseme', inModel: false, events: 2, songs: 2, plays: 3 });
      const page = await (await s.call('GET', '/v1/users/eraseme/plays?limit=1')).json();
      expect(page.items).toHaveLength(1);
      const next = await (
        await s.call('GET', `/v1/users/eraseme/plays?limit=1&cursor=${page.nextCursor}`)
      ).json();
      expect(next.items[0].song).not.toBe(page.items[0].song);
      expect((await (await s.call('DELETE', '/v1/users/eraseme', undefined, WRITER)).json()).deleted).toBe(2);
      await problem(await s.call('GET', '/v1/users/eraseme'), 404);
      await problem(await s.call('DELETE', '/v1/users/eraseme'), 404);
    });
  });

  describe('events', () => {
    it('are idempotent on eventId and answer after commit', async () => {
      const events = [
        { eventId: 'ev-1', user: 'idem', song, count: 1 },
        { eventId: 'ev-2', user: 'idem', song, count: 1 },
        { eventId: 'ev-1', user: 'idem', song, count: 1 },
      ];
      const first = await s.call('POST', '/v1/events', { events }, WRITER);
      expect(first.status).toBe(202);
      expect(await first.json()).toEqual({ accepted: 2, duplicates: 1 });
      expect(await (await s.call('POST', '/v1/events', { events }, WRITER)).json()).toEqual({
        accepted: 0,
        duplicates: 3,
      });
      expect((await s.deps.repo.userSummary('idem'))?.events).toBe(2);
    });

    it('reject bad events naming the field, and more than 10,000', async () => {
      const body = await problem(
        await s.call('POST', '/v1/events', { events: [{ user: 'u', song: 's', count: 0 }] }),
        400,
      );
      expect(body.errors?.[0].field).toBe('body.events.0.count');
      const many = Array.from({ length: 10_001 }, () => ({ user: 'u', song: 's' }));
      await problem(await s.call('POST', '/v1/events', { events: many }), 400);
    });
  });

  describe('security', () => {
    it('needs a key; scopes decide; bad keys 401; reads never anonymous unless opened', async () => {
      await problem(await s.call('GET', '/v1/songs/popular', undefined, null), 401);
      await problem(await s.call('GET', '/v1/songs/popular', undefined, 'wrong-key-wrong-key'), 401);
      await problem(
        await s.call('GET', '/v1/songs/popular', undefined, null, { authorization: 'Basic abc' }),
        401,
      );
      expect((await s.call('GET', '/v1/songs/popular', undefined, READER)).status).toBe(200);
      const forbidden = await problem(
        await s.call('POST', '/v1/events', { events: [{ user: 'u', song }] }, READER),
        403,
      );
      expect(forbidden.detail).toContain("'write'");
      await problem(await s.call('POST', '/v1/training-jobs', { model: 'svd' }, READER), 403);
      await problem(
        await s.call('POST', '/v1/models/ials/versions/1:promote', { label: 'staging' }, WRITER),
        403,
      );
      await problem(await s.call('GET', '/v1/models/ials/versions/1/artifact', undefined, WRITER), 403);
    });

    it('anonymous reads when opened, but never writes', async () => {
      const open = await startTestService({ anonymousRead: true }, undefined, engine);
      try {
        expect((await open.call('GET', '/v1/songs/popular', undefined, null)).status).toBe(200);
        await problem(await open.call('POST', '/v1/events', { events: [{ user: 'u', song }] }, null), 401);
      } finally {
        await open.dispose();
      }
    }, 120_000);

    it('body limit 413, rate limit 429 with RateLimit headers', async () => {
      const big = { events: [{ user: 'u', song: 'x'.repeat(200), count: 1 }], pad: 'x'.repeat(2 << 20) };
      await problem(await s.call('POST', '/v1/events', big), 413);
      const limited = await startTestService({ rateLimit: 3 }, undefined, engine);
      try {
        const statuses = [];
        let last: Response | undefined;
        for (let i = 0; i < 4; i++) {
          last = await limited.call('GET', '/v1/songs/popular');
          statuses.push(last.status);
        }
        expect(statuses).toEqual([200, 200, 200, 429]);
        expect(last!.headers.get('ratelimit-limit')).toBe('3');
        expect(last!.headers.get('ratelimit-remaining')).toBe('0');
        expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        await limited.dispose();
      }
    }, 120_000);

    it('secure headers, request id, CORS only for configured origins', async () => {
      const res = await s.call('GET', '/v1/songs/popular', undefined, ADMIN, {
        origin: 'https://app.example',
      });
      expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await s.call('GET', '/v1/songs/popular', undefined, ADMIN, {
        origin: 'https://evil.example',
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('unknown routes are problem+json 404', async () => {
      await problem(await s.call('GET', '/v1/nothing-here'), 404);
    });
  });

  describe('training jobs and versions', () => {
    it('a job trains in the background, registers a version; promote swaps; rollback; conflicts', async () => {
      const res = await s.call(
        'POST',
        '/v1/training-jobs',
        { model: 'svd', params: { epochs: 3, factors: 8 } },
        WRITER,
      );
      expect(res.status).toBe(202);
      const job = await res.json();
      expect(res.headers.get('location')).toBe(`/v1/training-jobs/${job.id}`);
      const done = await waitFor(async () => {
        const j = await (await s.call('GET', `/v1/training-jobs/${job.id}`)).json();
        return ['succeeded', 'failed'].includes(j.status) ? j : undefined;
      });
      expect(done.status).toBe('succeeded');
      expect(done.result).toMatchObject({ model: 'svd', version: 1 });
      expect(done.result.metrics.rmse).toBeGreaterThan(0);
      const version = await (await s.call('GET', '/v1/models/svd/versions/1')).json();
      expect(version).toMatchObject({ model: 'svd', version: 1, status: 'ready', labels: [] });
      expect(version.hyperParameters.factors).toBe(8);
      expect(version.data.users).toBeGreaterThan(0);

      const promoted = await s.call('POST', '/v1/models/svd/versions/1:promote', { label: 'production' });
      expect(promoted.status).toBe(200);
      expect((await (await s.call('GET', `/v1/users/${user}/recommendations`)).json()).model).toBe('svd');
      await problem(await s.call('POST', '/v1/models/svd/versions/1:promote', { label: 'production' }), 409);
      await problem(await s.call('POST', '/v1/models/svd/versions/9:promote', {}), 404);
      await problem(await s.call('POST', '/v1/models/svd/versions/1:promote', { label: 'Bad Label' }), 400);
      // Rollback: promote the older one again.
      expect(
        (await s.call('POST', '/v1/models/ials/versions/1:promote', { label: 'production' })).status,
      ).toBe(200);
      expect((await (await s.call('GET', `/v1/users/${user}/recommendations`)).json()).model).toBe('ials');

      const artifact = await (await s.call('GET', '/v1/models/svd/versions/1/artifact')).json();
      expect(Object.keys(artifact.files)).toContain('manifest.json');
      const manifest = await (await s.call('GET', '/v1/models/svd/versions/1/artifact/manifest.json')).json();
      expect(manifest.model).toBe('svd');
      await problem(await s.call('GET', '/v1/models/svd/versions/1/artifact/..%2Fkeys.json'), 404);
      await problem(await s.call('DELETE', `/v1/training-jobs/${job.id}`), 409);
    });

    it('rejects unknown models, data and params; unknown jobs and versions are 404', async () => {
      const m = await problem(await s.call('POST', '/v1/training-jobs', { model: 'nope' }), 400);
      expect(m.errors?.[0].field).toBe('body.model');
      await problem(await s.call('POST', '/v1/training-jobs', { model: 'svd', data: 'elsewhere' }), 400);
      const p = await problem(
        await s.call('POST', '/v1/training-jobs', { model: 'svd', params: { nonsense: 1 } }),
        400,
      );
      expect(p.detail).toContain('nonsense');
      await problem(await s.call('GET', '/v1/training-jobs/0f8fad5b-d9cb-469f-a165-70867728950e'), 404);
      await problem(await s.call('GET', '/v1/training-jobs/not-a-uuid'), 400);
      await problem(await s.call('GET', '/v1/models/ials/versions/77'), 404);
    });

    it('a version whose folder is corrupt is marked unusable and the served one stays', async () => {
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      writeFileSync(join(s.dir, 'models/svd/v1/manifest.json'), '{ not json');
      const res = await s.call('POST', '/v1/models/svd/versions/1:promote', { label: 'production' });
      expect(res.status).toBe(409);
      const version = await (await s.call('GET', '/v1/models/svd/versions/1')).json();
      expect(version.status).toBe('unusable');
      expect(version.reason).toContain('manifest.json');
      expect((await (await s.call('GET', `/v1/users/${user}/recommendations`)).json()).model).toBe('ials');
    });
  });

  describe('before the first model serves', () => {
    it('model routes answer 503 with Retry-After, readyz 503, the rest works', async () => {
      const { ModelServer } = await import('../src/serving.ts');
      const real = s.deps.server;
      s.deps.server = new ModelServer(s.deps.repo, { kind: 'folder', dataDir: s.dir });
      try {
        const body = await problem(await s.call('GET', `/v1/users/${user}/recommendations`), 503);
        expect(body.detail).toContain('training');
        expect((await s.call('GET', '/v1/songs/popular')).headers.get('retry-after')).toBe('5');
        expect((await s.call('GET', '/readyz', undefined, null)).status).toBe(503);
        expect((await s.call('GET', '/v1/songs?limit=1')).status).toBe(200);
      } finally {
        s.deps.server = real;
      }
    });
  });

  describe('ops', () => {
    it('healthz, readyz, metrics, openapi, docs', async () => {
      expect(await (await s.call('GET', '/healthz', undefined, null)).json()).toEqual({ status: 'ok' });
      const ready = await (await s.call('GET', '/readyz', undefined, null)).json();
      expect(ready).toMatchObject({ ready: true, database: 'writable', model: { model: 'ials' } });
      const metrics = await (await s.call('GET', '/metrics', undefined, null)).text();
      expect(metrics).toMatch(
        /autorec_http_requests_total\{method="GET",route="\/v1\/users\/:user\/recommendations",status="200"\} \d+/,
      );
      expect(metrics).toContain('autorec_http_request_duration_seconds_bucket');
      expect(metrics).toMatch(/autorec_model_served\{model="ials",version="1"\} 1/);
      expect(metrics).toMatch(/autorec_events_ingested_total \d+/);
      expect(metrics).toMatch(
        /autorec_training_job_duration_seconds_count\{model="svd",status="succeeded"\} 1/,
      );
      const doc = await (await s.call('GET', '/openapi.json', undefined, null)).json();
      expect(doc.openapi).toBe('3.1.0');
      for (const path of [
        '/v1/users/{user}/recommendations',
        '/v1/recommendations',
        '/v1/recommendations:batch',
        '/v1/rank',
        '/v1/songs/{song}/similar',
        '/v1/songs/popular',
        '/v1/songs',
        '/v1/songs/{song}',
        '/v1/users/{user}',
        '/v1/users/{user}/plays',
        '/v1/events',
        '/v1/training-jobs',
        '/v1/training-jobs/{id}',
        '/v1/training-jobs/{id}/events',
        '/v1/scoring-jobs/{id}/events',
        '/v1/search-jobs/{id}/events',
        '/v1/models',
        '/v1/models/{name}/versions/{version}',
        '/v1/models/{name}/versions/{version}:promote',
        '/v1/models/{name}/versions/{version}/artifact',
      ])
        expect(Object.keys(doc.paths)).toContain(path);
    });

    it('serves the API reference at /docs from its own files, nothing from another host', async () => {
      const docs = await s.call('GET', '/docs', undefined, null);
      expect(docs.status).toBe(200);
      const page = await docs.text();
      expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
      const refs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(refs).toEqual(
        expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/init.js']),
      );
      for (const ref of refs) {
        const asset = await s.call('GET', ref, undefined, null);
        expect(asset.status, ref).toBe(200);
        expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
      }
      const init = await (await s.call('GET', '/docs/assets/init.js', undefined, null)).text();
      expect(init).toContain("url: '/openapi.json'");
      const bundle = await s.call('GET', '/docs/assets/swagger-ui-bundle.js', undefined, null);
      expect(bundle.headers.get('content-type')).toContain('javascript');
      expect((await bundle.text()).length).toBeGreaterThan(100_000);
      // Only the listed files: no path into the package folder or beyond.
      for (const bad of [
        '/docs/assets/package.json',
        '/docs/assets/..%2Fpackage.json',
        '/docs/assets/index.html',
      ])
        expect((await s.call('GET', bad, undefined, null)).status, bad).toBe(404);
    });
  });
}
