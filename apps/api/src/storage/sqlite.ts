import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import type {
  EventInput,
  JobStatus,
  ModelVersion,
  Page,
  Repository,
  SongInfo,
  SongPlays,
  TrainingJob,
  UserSummary,
} from './repository.ts';

/**
 * Schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records how many ran. Append only: never edit a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT UNIQUE,
     user_id TEXT NOT NULL,
     song_id TEXT NOT NULL,
     count INTEGER NOT NULL CHECK (count > 0),
     ts INTEGER NOT NULL
   );
   CREATE INDEX events_user ON events (user_id, seq);
   CREATE TABLE songs (song_id TEXT PRIMARY KEY, artist TEXT, title TEXT);
   CREATE TABLE model_versions (
     model TEXT NOT NULL,
     version INTEGER NOT NULL,
     path TEXT NOT NULL,
     status TEXT NOT NULL,
     reason TEXT,
     hyper_parameters TEXT NOT NULL,
     data TEXT NOT NULL,
     metrics TEXT NOT NULL,
     created_at TEXT NOT NULL,
     event_watermark INTEGER NOT NULL,
     job_id TEXT,
     PRIMARY KEY (model, version)
   );
   CREATE TABLE labels (label TEXT PRIMARY KEY, model TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     model TEXT NOT NULL,
     params TEXT NOT NULL,
     data TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     progress TEXT,
     result TEXT,
     error TEXT,
     promote_to TEXT
   );`,
  // Same shape as PostgreSQL's second migration: reserved version numbers, job leases.
  `CREATE TABLE version_numbers (model TEXT PRIMARY KEY, last INTEGER NOT NULL);
   ALTER TABLE jobs ADD COLUMN owner TEXT;
   ALTER TABLE jobs ADD COLUMN lease_renewed_at INTEGER;`,
];

interface VersionRow {
  model: string;
  version: number;
  path: string;
  status: string;
  reason: string | null;
  hyper_parameters: string;
  data: string;
  metrics: string;
  created_at: string;
  event_watermark: number;
  job_id: string | null;
}

interface JobRow {
  id: string;
  model: string;
  params: string;
  data: string;
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  promote_to: string | null;
}

/** Rows per chunk when scanning events for training. */
const SCAN_CHUNK = 65_536;

/**
 * The repository on one SQLite file (better-sqlite3, WAL journal). With WAL and
 * `synchronous = NORMAL` a committed transaction survives a crash of the process (SIGKILL);
 * only a power loss can undo the last commits. Every statement is prepared once.
 *
 * @example
 * const repo = openSqliteRepository('data/autorec.db');
 * await repo.addEvents([{ user: 'u1', song: 's1', count: 3, timestamp: Date.now() }]);
 */
export function openSqliteRepository(path: string, options: { readonly?: boolean } = {}): Repository {
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  if (!options.readonly) {
    if (path !== ':memory:') chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  }
  db.pragma('busy_timeout = 5000');
  return new SqliteRepository(db);
}

function migrate(db: Database.Database): void {
  const done = db.pragma('user_version', { simple: true }) as number;
  for (let i = done; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
const parsed = <T>(text: string | null): T | undefined =>
  text === null ? undefined : (JSON.parse(text) as T);
const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

class SqliteRepository implements Repository {
  private readonly insertEvent;
  private readonly insertEvents;
  private readonly selectUserPlays;
  private readonly selectUserSummary;
  private readonly selectUserEvents;
  private readonly upsertSong;
  private readonly selectSong;
  private readonly updateJobStmt = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.insertEvent = db.prepare(
      'INSERT INTO events (event_id, user_id, song_id, count, ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING',
    );
    this.insertEvents = db.transaction((events: readonly EventInput[]) => {
      let accepted = 0;
      for (const e of events)
        accepted += this.insertEvent.run(e.eventId ?? null, e.user, e.song, e.count, e.timestamp).changes;
      return accepted;
    });
    this.selectUserPlays = db.prepare(
      'SELECT song_id AS song, SUM(count) AS count, MAX(seq) AS lastSeq FROM events WHERE user_id = ? GROUP BY song_id',
    );
    this.selectUserSummary = db.prepare(
      `SELECT COUNT(*) AS events, COUNT(DISTINCT song_id) AS songs, COALESCE(SUM(count), 0) AS plays,
              MIN(ts) AS firstTimestamp, MAX(ts) AS lastTimestamp FROM events WHERE user_id = ?`,
    );
    this.selectUserEvents = db.prepare(
      'SELECT seq, event_id AS eventId, song_id AS song, count, ts AS timestamp FROM events WHERE user_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.upsertSong = db.prepare(
      `INSERT INTO songs (song_id, artist, title) VALUES (?, ?, ?)
       ON CONFLICT (song_id) DO UPDATE SET artist = COALESCE(excluded.artist, artist), title = COALESCE(excluded.title, title)`,
    );
    this.selectSong = db.prepare('SELECT song_id AS song, artist, title FROM songs WHERE song_id = ?');
  }

  async addEvents(events: readonly EventInput[]) {
    const accepted = this.insertEvents(events);
    return { accepted, duplicates: events.length - accepted };
  }

  async eventStats() {
    const row = this.db
      .prepare('SELECT COUNT(*) AS events, COALESCE(MAX(seq), 0) AS lastSeq FROM events')
      .get() as {
      events: number;
      lastSeq: number;
    };
    return row;
  }

  async userPlays(user: string): Promise<SongPlays[]> {
    return this.selectUserPlays.all(user) as SongPlays[];
  }

  async userSummary(user: string): Promise<UserSummary | undefined> {
    const row = this.selectUserSummary.get(user) as Omit<UserSummary, 'user'>;
    return row.events === 0 ? undefined : { user, ...row };
  }

  async userEvents(user: string, cursor: string | undefined, limit: number) {
    const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
    const rows = this.selectUserEvents.all(user, before, limit + 1) as {
      seq: number;
      eventId: string | null;
      song: string;
      count: number;
      timestamp: number;
    }[];
    const items = rows.slice(0, limit).map((r) => ({ ...r, eventId: orUndefined(r.eventId) }));
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1].seq) : undefined };
  }

  async deleteUser(user: string): Promise<number> {
    return this.db.prepare('DELETE FROM events WHERE user_id = ?').run(user).changes;
  }

  async scanEvents(maxSeq: number, onChunk: (users: string[], songs: string[], counts: number[]) => void) {
    const stmt = this.db.prepare('SELECT user_id, song_id, count FROM events WHERE seq <= ?').raw(true);
    let users: string[] = [];
    let songs: string[] = [];
    let counts: number[] = [];
    for (const row of stmt.iterate(maxSeq) as IterableIterator<[string, string, number]>) {
      users.push(row[0]);
      songs.push(row[1]);
      counts.push(row[2]);
      if (users.length === SCAN_CHUNK) {
        onChunk(users, songs, counts);
        users = [];
        songs = [];
        counts = [];
      }
    }
    if (users.length > 0) onChunk(users, songs, counts);
  }

  async upsertSongs(songs: readonly SongInfo[]): Promise<number> {
    this.db.transaction(() => {
      for (const s of songs) this.upsertSong.run(s.song, s.artist ?? null, s.title ?? null);
    })();
    return songs.length;
  }

  async song(song: string): Promise<SongInfo | undefined> {
    const row = this.selectSong.get(song) as
      | { song: string; artist: string | null; title: string | null }
      | undefined;
    return row && songInfo(row);
  }

  async songsInfo(songs: readonly string[]): Promise<Map<string, SongInfo>> {
    const out = new Map<string, SongInfo>();
    for (const id of songs) {
      const row = this.selectSong.get(id) as
        | { song: string; artist: string | null; title: string | null }
        | undefined;
      if (row) out.set(id, songInfo(row));
    }
    return out;
  }

  async allSongInfo(): Promise<Map<string, SongInfo>> {
    const rows = this.db.prepare('SELECT song_id AS song, artist, title FROM songs').all() as {
      song: string;
      artist: string | null;
      title: string | null;
    }[];
    return new Map(rows.map((r) => [r.song, songInfo(r)]));
  }

  async listSongs(
    query: string | undefined,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<SongInfo>> {
    // The catalogue is every song with metadata or events.
    const like = query === undefined ? null : `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.db
      .prepare(
        `SELECT c.song_id AS song, s.artist, s.title FROM (
           SELECT song_id FROM songs UNION SELECT DISTINCT song_id FROM events
         ) c LEFT JOIN songs s ON s.song_id = c.song_id
         WHERE c.song_id > ?
           AND (? IS NULL OR c.song_id LIKE ? ESCAPE '\\' OR s.artist LIKE ? ESCAPE '\\' OR s.title LIKE ? ESCAPE '\\')
         ORDER BY c.song_id LIMIT ?`,
      )
      .all(cursor ?? '', like, like, like, like, limit + 1) as {
      song: string;
      artist: string | null;
      title: string | null;
    }[];
    const items = rows.slice(0, limit).map(songInfo);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].song : undefined };
  }

  async reserveVersion(model: string): Promise<number> {
    const row = this.db
      .prepare(
        `INSERT INTO version_numbers (model, last)
         VALUES (@model, (SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model = @model))
         ON CONFLICT (model) DO UPDATE SET last = MAX(
           version_numbers.last,
           (SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE model = @model)
         ) + 1
         RETURNING last`,
      )
      .get({ model }) as { last: number };
    return row.last;
  }

  async addVersion(v: ModelVersion): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO model_versions (model, version, path, status, reason, hyper_parameters, data, metrics, created_at, event_watermark, job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        v.model,
        v.version,
        v.path,
        v.status,
        v.reason ?? null,
        json(v.hyperParameters),
        json(v.data),
        json(v.metrics),
        v.createdAt,
        v.eventWatermark,
        v.jobId ?? null,
      );
  }

  async version(model: string, version: number): Promise<ModelVersion | undefined> {
    const row = this.db
      .prepare('SELECT * FROM model_versions WHERE model = ? AND version = ?')
      .get(model, version) as VersionRow | undefined;
    return row && versionOf(row);
  }

  async versions(model?: string): Promise<ModelVersion[]> {
    const rows = (
      model === undefined
        ? this.db.prepare('SELECT * FROM model_versions ORDER BY model, version').all()
        : this.db.prepare('SELECT * FROM model_versions WHERE model = ? ORDER BY version').all(model)
    ) as VersionRow[];
    return rows.map(versionOf);
  }

  async markUnusable(model: string, version: number, reason: string): Promise<void> {
    this.db
      .prepare("UPDATE model_versions SET status = 'unusable', reason = ? WHERE model = ? AND version = ?")
      .run(reason, model, version);
  }

  async labels() {
    const rows = this.db.prepare('SELECT label, model, version FROM labels').all() as {
      label: string;
      model: string;
      version: number;
    }[];
    return new Map(rows.map((r) => [r.label, { model: r.model, version: r.version }]));
  }

  async setLabel(label: string, model: string, version: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO labels (label, model, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (label) DO UPDATE SET model = excluded.model, version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(label, model, version, new Date().toISOString());
  }

  async addJob(job: TrainingJob, owner?: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO jobs (id, model, params, data, status, created_at, started_at, finished_at, progress, result, error, promote_to, owner, lease_renewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.id,
        job.model,
        json(job.params),
        job.data,
        job.status,
        job.createdAt,
        job.startedAt ?? null,
        job.finishedAt ?? null,
        job.progress === undefined ? null : json(job.progress),
        job.result === undefined ? null : json(job.result),
        job.error ?? null,
        job.promoteTo ?? null,
        owner ?? null,
        owner === undefined ? null : Date.now(),
      );
  }

  async updateJob(id: string, patch: Partial<TrainingJob>): Promise<void> {
    const columns: Record<string, (v: unknown) => unknown> = {
      status: (v) => v,
      startedAt: (v) => v,
      finishedAt: (v) => v,
      progress: json,
      result: json,
      error: (v) => v,
    };
    const keys = Object.keys(patch).filter((k) => k in columns);
    if (keys.length === 0) return;
    const sqlName = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const signature = keys.join(',');
    let stmt = this.updateJobStmt.get(signature);
    if (!stmt) {
      stmt = this.db.prepare(
        `UPDATE jobs SET ${keys.map((k) => `${sqlName(k)} = ?`).join(', ')} WHERE id = ?`,
      );
      this.updateJobStmt.set(signature, stmt);
    }
    stmt.run(...keys.map((k) => columns[k]((patch as Record<string, unknown>)[k] ?? null)), id);
  }

  async job(id: string): Promise<TrainingJob | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && jobOf(row);
  }

  async jobs(limit: number): Promise<TrainingJob[]> {
    const rows = this.db
      .prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?')
      .all(limit) as JobRow[];
    return rows.map(jobOf);
  }

  async renewJobLeases(owner: string): Promise<void> {
    this.db
      .prepare("UPDATE jobs SET lease_renewed_at = ? WHERE owner = ? AND status IN ('queued', 'running')")
      .run(Date.now(), owner);
  }

  async interruptUnfinishedJobs(leaseMs?: number): Promise<string[]> {
    const stale = `status IN ('queued', 'running')
      AND (@lease IS NULL OR lease_renewed_at IS NULL OR lease_renewed_at < @now - @lease)`;
    return this.db.transaction(() => {
      const now = Date.now();
      const rows = this.db
        .prepare(`SELECT id FROM jobs WHERE ${stale}`)
        .all({ lease: leaseMs ?? null, now }) as {
        id: string;
      }[];
      this.db
        .prepare(
          `UPDATE jobs SET status = 'interrupted', finished_at = @finished, error = 'the server stopped before the job finished' WHERE ${stale}`,
        )
        .run({ lease: leaseMs ?? null, now, finished: new Date(now).toISOString() });
      return rows.map((r) => r.id);
    })();
  }

  async withLock<T>(_name: string, work: () => Promise<T>): Promise<T> {
    return work(); // one process owns the file
  }

  async watchLabels(): Promise<() => Promise<void>> {
    return async () => {};
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  async deleteSetting(key: string): Promise<void> {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  async settingsWithPrefix(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.db
      .prepare('SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ? ORDER BY key')
      .all(prefix, prefix) as { key: string; value: string }[];
  }

  async ping(): Promise<boolean> {
    try {
      this.db
        .prepare(
          "INSERT INTO settings (key, value) VALUES ('ping', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .run(new Date().toISOString());
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function songInfo(row: { song: string; artist: string | null; title: string | null }): SongInfo {
  const out: SongInfo = { song: row.song };
  if (row.artist !== null) out.artist = row.artist;
  if (row.title !== null) out.title = row.title;
  return out;
}

function versionOf(r: VersionRow): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    path: r.path,
    status: r.status as ModelVersion['status'],
    reason: orUndefined(r.reason),
    hyperParameters: parsed(r.hyper_parameters) ?? {},
    data: parsed(r.data) ?? {},
    metrics: parsed(r.metrics) ?? {},
    createdAt: r.created_at,
    eventWatermark: r.event_watermark,
    jobId: orUndefined(r.job_id),
  };
}

function jobOf(r: JobRow): TrainingJob {
  return {
    id: r.id,
    model: r.model,
    params: parsed(r.params) ?? {},
    data: r.data,
    status: r.status as JobStatus,
    createdAt: r.created_at,
    startedAt: orUndefined(r.started_at),
    finishedAt: orUndefined(r.finished_at),
    progress: parsed(r.progress),
    result: parsed(r.result),
    error: orUndefined(r.error),
    promoteTo: orUndefined(r.promote_to),
  };
}
