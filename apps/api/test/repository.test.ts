// One suite for the Repository interface, run against both engines: SQLite on a temporary file
// and PostgreSQL on a fresh database of the run's test server (global-postgres.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseLocation, openRepository } from '../src/storage/open.ts';
import type { ModelVersion, Repository, TrainingJob } from '../src/storage/repository.ts';
import { ENGINES, type Engine, engineMissing, engineTitle, postgresServer } from './engines.ts';
import { createDatabase } from './postgres-server.ts';

function version(model: string, v: number, extra: Partial<ModelVersion> = {}): ModelVersion {
  return {
    model,
    version: v,
    path: `models/${model}/v${v}`,
    status: 'ready',
    hyperParameters: { factors: 8, nested: { a: [1, 2] } },
    data: { users: 3, split: 'holdout' },
    metrics: { 'ndcg@10': 0.25 },
    createdAt: new Date(Date.UTC(2026, 0, v)).toISOString(),
    eventWatermark: 10 * v,
    ...extra,
  };
}

function job(id: string, createdAt: string, extra: Partial<TrainingJob> = {}): TrainingJob {
  return { id, model: 'ials', params: { factors: 4 }, data: 'events', status: 'queued', createdAt, ...extra };
}

for (const engine of ENGINES) {
  describe.skipIf(engineMissing(engine))(`the repository ${engineTitle(engine)}`, () => {
    let location: DatabaseLocation;
    let cleanup: () => Promise<void>;
    let repo: Repository;
    const opened: Repository[] = [];
    /** Another connection to the same store (another replica, or a restart). */
    const reopen = async (options: { readonly?: boolean } = {}) => {
      const r = await openRepository(location, options);
      opened.push(r);
      return r;
    };

    beforeEach(async () => {
      ({ location, cleanup } = await freshStore(engine));
      repo = await reopen();
    });
    afterEach(async () => {
      for (const r of opened.splice(0)) await r.close();
      await cleanup();
    });

    it('stores events once per eventId, within a batch and across batches, and sums plays', async () => {
      const t = 1_700_000_000_000;
      expect(await repo.eventStats()).toEqual({ events: 0, lastSeq: 0 });
      expect(await repo.addEvents([])).toEqual({ accepted: 0, duplicates: 0 });
      const first = await repo.addEvents([
        { eventId: 'e1', user: 'u1', song: 's1', count: 2, timestamp: t },
        { eventId: 'e2', user: 'u1', song: 's2', count: 1, timestamp: t + 1 },
        { eventId: 'e1', user: 'u1', song: 's9', count: 7, timestamp: t + 2 }, // repeated in the batch
        { user: 'u1', song: 's1', count: 3, timestamp: t + 3 }, // no id: never a duplicate
        { user: 'u2', song: 's1', count: 1, timestamp: t + 4 },
      ]);
      expect(first).toEqual({ accepted: 4, duplicates: 1 });
      const again = await repo.addEvents([
        { eventId: 'e2', user: 'u1', song: 's2', count: 1, timestamp: t + 1 },
        { eventId: 'e3', user: 'u2', song: 's3', count: 5, timestamp: t + 5 },
      ]);
      expect(again).toEqual({ accepted: 1, duplicates: 1 });
      const stats = await repo.eventStats();
      expect(stats.events).toBe(5);
      expect(stats.lastSeq).toBeGreaterThanOrEqual(5);
      const plays = (await repo.userPlays('u1')).sort((a, b) => a.song.localeCompare(b.song));
      expect(plays.map(({ song, count }) => ({ song, count }))).toEqual([
        { song: 's1', count: 5 },
        { song: 's2', count: 1 },
      ]);
      expect(typeof plays[0].lastSeq).toBe('number');
      expect(plays[0].lastSeq).toBeGreaterThan(plays[1].lastSeq); // s1's last event came after s2's
      expect(await repo.userPlays('nobody')).toEqual([]);
      expect(await repo.userSummary('u1')).toEqual({
        user: 'u1',
        events: 3,
        songs: 2,
        plays: 6,
        firstTimestamp: t,
        lastTimestamp: t + 3,
      });
      expect(await repo.userSummary('nobody')).toBeUndefined();
    });

    it('concurrent batches from two connections store each eventId exactly once', async () => {
      const other = await reopen();
      const batch = (from: number) =>
        Array.from({ length: 500 }, (_, i) => ({
          eventId: `c-${from + i}`,
          user: `u${(from + i) % 7}`,
          song: `s${i % 13}`,
          count: 1,
          timestamp: 1,
        }));
      // Overlapping halves sent at once on both connections.
      const results = await Promise.all([
        repo.addEvents(batch(0)),
        other.addEvents(batch(250)),
        repo.addEvents(batch(500)),
        other.addEvents(batch(0)),
      ]);
      const accepted = results.reduce((sum, r) => sum + r.accepted, 0);
      expect(accepted).toBe(1000);
      expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(1000);
      expect((await other.eventStats()).events).toBe(1000);
    });

    it('pages a listener’s events newest first with a cursor, and erases a listener', async () => {
      await repo.addEvents(
        Array.from({ length: 7 }, (_, i) => ({
          eventId: `p${i}`,
          user: 'pager',
          song: `s${i}`,
          count: 1,
          timestamp: i,
        })),
      );
      await repo.addEvents([{ user: 'other', song: 's1', count: 1, timestamp: 0 }]);
      const songs: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.userEvents('pager', cursor, 3);
        expect(page.items.length).toBeLessThanOrEqual(3);
        songs.push(...page.items.map((e) => e.song));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(songs).toEqual(['s6', 's5', 's4', 's3', 's2', 's1', 's0']);
      const [newest] = (await repo.userEvents('pager', undefined, 1)).items;
      expect(newest).toMatchObject({ eventId: 'p6', song: 's6', count: 1, timestamp: 6 });
      const anonymous = (await repo.userEvents('other', undefined, 5)).items[0];
      expect(anonymous.eventId).toBeUndefined();
      expect(await repo.deleteUser('pager')).toBe(7);
      expect(await repo.deleteUser('pager')).toBe(0);
      expect(await repo.userSummary('pager')).toBeUndefined();
      expect((await repo.eventStats()).events).toBe(1);
    });

    it('scans events up to a sequence number for training', async () => {
      await repo.addEvents(
        Array.from({ length: 30 }, (_, i) => ({
          user: `u${i % 3}`,
          song: `s${i}`,
          count: i + 1,
          timestamp: 0,
        })),
      );
      const { lastSeq } = await repo.eventStats();
      await repo.addEvents([{ user: 'late', song: 'late', count: 1, timestamp: 0 }]);
      const seen: [string, string, number][] = [];
      await repo.scanEvents(lastSeq, (users, songs, counts) => {
        expect(users).toHaveLength(songs.length);
        expect(counts).toHaveLength(songs.length);
        for (let i = 0; i < users.length; i++) seen.push([users[i], songs[i], counts[i]]);
      });
      expect(seen).toHaveLength(30);
      expect(seen.some(([u]) => u === 'late')).toBe(false);
      expect(seen.reduce((sum, [, , c]) => sum + c, 0)).toBe((30 * 31) / 2);
      let chunks = 0;
      await repo.scanEvents(0, () => chunks++);
      expect(chunks).toBe(0);
    });

    it('merges song metadata, finds songs by id, artist or title, and pages the catalogue', async () => {
      expect(
        await repo.upsertSongs([
          { song: 'S1', artist: 'Björk', title: 'Hyperballad' },
          { song: 'S2', artist: 'Boards of Canada' },
          { song: 'S2', title: 'Roygbiv' }, // same song twice in one batch: both fields kept
          { song: 'a_1', artist: '100% Pure' },
        ]),
      ).toBe(4);
      await repo.upsertSongs([{ song: 'S1', title: 'Hyperballad (live)' }]); // artist kept
      await repo.addEvents([{ user: 'u', song: 'b-events-only', count: 1, timestamp: 0 }]);
      expect(await repo.song('S1')).toEqual({ song: 'S1', artist: 'Björk', title: 'Hyperballad (live)' });
      expect(await repo.song('S2')).toEqual({ song: 'S2', artist: 'Boards of Canada', title: 'Roygbiv' });
      expect(await repo.song('missing')).toBeUndefined();
      const info = await repo.songsInfo(['S2', 'missing', 'S1']);
      expect([...info.keys()].sort()).toEqual(['S1', 'S2']);
      expect((await repo.allSongInfo()).size).toBe(3);
      // Byte order (upper case before lower case), the same on both engines.
      const all = await repo.listSongs(undefined, undefined, 10);
      expect(all.items.map((s) => s.song)).toEqual(['S1', 'S2', 'a_1', 'b-events-only']);
      expect(all.nextCursor).toBeUndefined();
      const first = await repo.listSongs(undefined, undefined, 2);
      expect(first.items.map((s) => s.song)).toEqual(['S1', 'S2']);
      const second = await repo.listSongs(undefined, first.nextCursor, 2);
      expect(second.items.map((s) => s.song)).toEqual(['a_1', 'b-events-only']);
      expect(second.nextCursor).toBeUndefined();
      const ids = async (query: string) =>
        (await repo.listSongs(query, undefined, 10)).items.map((s) => s.song);
      expect(await ids('boards')).toEqual(['S2']); // artist, case-insensitive
      expect(await ids('ROYG')).toEqual(['S2']); // title
      expect(await ids('events')).toEqual(['b-events-only']); // id of a song with events only
      expect(await ids('%')).toEqual(['a_1']); // % and _ match themselves
      expect(await ids('_')).toEqual(['a_1']);
    });

    it('versions: numbers, JSON fields, unusable, labels moved by setLabel, a duplicate refused', async () => {
      expect(await repo.reserveVersion('ials')).toBe(1);
      await repo.addVersion(version('ials', 1, { jobId: 'j1' }));
      await repo.addVersion(version('ials', 2));
      await repo.addVersion(version('ease', 1));
      expect(await repo.reserveVersion('ials')).toBe(3); // above every registered one
      expect(await repo.reserveVersion('ials')).toBe(4); // reserved, not yet registered
      expect(await repo.reserveVersion('ease')).toBe(2);
      await expect(repo.addVersion(version('ials', 2))).rejects.toThrow();
      expect(await repo.version('ials', 1)).toEqual({
        ...version('ials', 1, { jobId: 'j1' }),
        reason: undefined,
      });
      expect(await repo.version('ials', 9)).toBeUndefined();
      expect((await repo.versions()).map((v) => `${v.model}/${v.version}`)).toEqual([
        'ease/1',
        'ials/1',
        'ials/2',
      ]);
      expect((await repo.versions('ials')).map((v) => v.version)).toEqual([1, 2]);
      await repo.markUnusable('ials', 2, 'manifest.json is not JSON');
      expect(await repo.version('ials', 2)).toMatchObject({
        status: 'unusable',
        reason: 'manifest.json is not JSON',
      });
      expect((await repo.labels()).size).toBe(0);
      await repo.setLabel('production', 'ials', 1);
      await repo.setLabel('canary', 'ease', 1);
      await repo.setLabel('production', 'ease', 1); // replaces
      expect(Object.fromEntries(await repo.labels())).toEqual({
        production: { model: 'ease', version: 1 },
        canary: { model: 'ease', version: 1 },
      });
    });

    it('jobs: patches, newest first, unfinished ones interrupted on start', async () => {
      await repo.addJob(job('a', '2026-01-01T00:00:00.000Z'));
      await repo.addJob(job('b', '2026-01-02T00:00:00.000Z', { promoteTo: 'production' }));
      await repo.addJob(job('c', '2026-01-03T00:00:00.000Z', { status: 'succeeded' }));
      await repo.updateJob('a', { status: 'running', startedAt: '2026-01-01T00:00:01.000Z' });
      await repo.updateJob('a', { progress: { epoch: 3, loss: 0.5 } });
      await repo.updateJob('c', { result: { model: 'ials', version: 4, metrics: { 'ndcg@10': 0.3 } } });
      await repo.updateJob('c', { id: 'ignored' } as Partial<TrainingJob>); // not a column: no-op
      expect(await repo.job('a')).toMatchObject({
        status: 'running',
        startedAt: '2026-01-01T00:00:01.000Z',
        progress: { epoch: 3, loss: 0.5 },
        params: { factors: 4 },
      });
      expect((await repo.job('b'))?.promoteTo).toBe('production');
      expect((await repo.job('c'))?.result).toEqual({
        model: 'ials',
        version: 4,
        metrics: { 'ndcg@10': 0.3 },
      });
      expect(await repo.job('zzz')).toBeUndefined();
      expect((await repo.jobs(2)).map((j) => j.id)).toEqual(['c', 'b']);
      expect((await repo.interruptUnfinishedJobs()).sort()).toEqual(['a', 'b']);
      expect(await repo.job('a')).toMatchObject({
        status: 'interrupted',
        error: expect.stringContaining('stopped'),
      });
      expect((await repo.job('c'))?.status).toBe('succeeded');
      expect(await repo.interruptUnfinishedJobs()).toEqual([]);
    });

    it('version numbers reserved by two replicas at once are all different', async () => {
      const other = await reopen();
      const numbers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? repo : other).reserveVersion('ials')),
      );
      expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("job leases: a live replica's jobs are left running, a lapsed lease is interrupted", async () => {
      await repo.addJob(job('live', '2026-01-01T00:00:00.000Z', { status: 'running' }), 'replica-a');
      await repo.addJob(job('dead', '2026-01-02T00:00:00.000Z', { status: 'running' }), 'replica-b');
      await repo.addJob(job('ownerless', '2026-01-03T00:00:00.000Z'));
      const other = await reopen(); // a replica starting beside them
      expect(await other.interruptUnfinishedJobs(60_000)).toEqual(['ownerless']);
      await new Promise((r) => setTimeout(r, 60));
      await repo.renewJobLeases('replica-a');
      expect(await other.interruptUnfinishedJobs(40)).toEqual(['dead']);
      expect((await repo.job('live'))?.status).toBe('running');
      expect(await repo.job('dead')).toMatchObject({
        status: 'interrupted',
        error: expect.stringContaining('stopped'),
      });
    });

    // SQLite's file belongs to one process: its withLock only runs the work.
    it.skipIf(engine === 'sqlite')('withLock runs one holder at a time across connections', async () => {
      const other = await reopen();
      const order: string[] = [];
      const hold = (r: Repository, name: string) =>
        r.withLock('first-start', async () => {
          order.push(`${name} in`);
          await new Promise((done) => setTimeout(done, 50));
          order.push(`${name} out`);
        });
      await Promise.all([hold(repo, 'a'), hold(other, 'b')]);
      expect(order.map((step) => step.slice(2))).toEqual(['in', 'out', 'in', 'out']);
    });

    it('settings (set, replace, delete) and ping; a read-only connection cannot write', async () => {
      expect(await repo.getSetting('format')).toBeUndefined();
      await repo.setSetting('format', 'lastfm-hetrec');
      await repo.setSetting('format', 'movielens');
      expect(await repo.getSetting('format')).toBe('movielens');
      await repo.setSetting('cancel-requested:j1', 'now');
      await repo.deleteSetting('cancel-requested:j1');
      expect(await repo.getSetting('cancel-requested:j1')).toBeUndefined();
      await repo.deleteSetting('no-such-setting');
      // Listed by prefix, exactly (a '%' or '_' in it is no wildcard), in key order.
      await repo.setSetting('scoring-job:b', '2');
      await repo.setSetting('scoring-job:a', '1');
      await repo.setSetting('scoring-jobs', 'x');
      await repo.setSetting('search-job:a', '3');
      await repo.setSetting('a%b', 'p');
      await repo.setSetting('aXb', 'q');
      expect(await repo.settingsWithPrefix('scoring-job:')).toEqual([
        { key: 'scoring-job:a', value: '1' },
        { key: 'scoring-job:b', value: '2' },
      ]);
      expect(await repo.settingsWithPrefix('a%')).toEqual([{ key: 'a%b', value: 'p' }]);
      expect(await repo.settingsWithPrefix('nothing:')).toEqual([]);
      expect(await repo.ping()).toBe(true);
      const reader = await reopen({ readonly: true });
      expect(await reader.getSetting('format')).toBe('movielens');
      expect(await reader.ping()).toBe(false);
    });

    it('migrations are idempotent: reopening (several at once) keeps the data', async () => {
      await repo.addEvents([{ eventId: 'keep', user: 'u', song: 's', count: 1, timestamp: 0 }]);
      await repo.close();
      const again = await Promise.all([reopen(), reopen(), reopen()]);
      for (const r of again) expect((await r.eventStats()).events).toBe(1);
      repo = again[0];
      expect(
        await repo.addEvents([{ eventId: 'keep', user: 'u', song: 's', count: 1, timestamp: 0 }]),
      ).toEqual({
        accepted: 0,
        duplicates: 1,
      });
    });
  });
}

async function freshStore(
  engine: Engine,
): Promise<{ location: DatabaseLocation; cleanup: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'autorec-repo-'));
    return {
      location: { engine, path: join(dir, 'autorec.db') },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await createDatabase(postgresServer().url!);
  return { location: { engine, url: db.url }, cleanup: db.drop };
}
