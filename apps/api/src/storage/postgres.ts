import pg from 'pg';
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
 * Schema migrations, applied in order at start, all pending ones in one transaction under an
 * advisory lock (replicas starting together wait for each other instead of racing); the table
 * `autorec_migrations` records which ran. Append only: never edit a migration that has shipped.
 * Key columns use the "C" collation so ids sort and compare byte-wise, as in SQLite (cursor
 * pagination gives the same pages on both engines).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE events (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     event_id TEXT COLLATE "C" UNIQUE,
     user_id TEXT COLLATE "C" NOT NULL,
     song_id TEXT COLLATE "C" NOT NULL,
     count INTEGER NOT NULL CHECK (count > 0),
     ts BIGINT NOT NULL
   );
   CREATE INDEX events_user ON events (user_id, seq);
   CREATE TABLE songs (song_id TEXT COLLATE "C" PRIMARY KEY, artist TEXT, title TEXT);
   CREATE TABLE model_versions (
     model TEXT COLLATE "C" NOT NULL,
     version INTEGER NOT NULL,
     path TEXT NOT NULL,
     status TEXT NOT NULL,
     reason TEXT,
     hyper_parameters JSONB NOT NULL,
     data JSONB NOT NULL,
     metrics JSONB NOT NULL,
     created_at TEXT NOT NULL,
     event_watermark BIGINT NOT NULL,
     job_id TEXT,
     PRIMARY KEY (model, version)
   );
   CREATE TABLE labels (label TEXT PRIMARY KEY, model TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     model TEXT NOT NULL,
     params JSONB NOT NULL,
     data TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     progress JSONB,
     result JSONB,
     error TEXT,
     promote_to TEXT
   );
   CREATE INDEX jobs_created ON jobs (created_at);`,
  // Replicas: version numbers reserved from a counter, jobs owned by a replica with a lease.
  `CREATE TABLE version_numbers (model TEXT COLLATE "C" PRIMARY KEY, last INTEGER NOT NULL);
   ALTER TABLE jobs ADD COLUMN owner TEXT, ADD COLUMN lease_renewed_at BIGINT;`,
];

/** Leases are timed by the database's clock, so replicas on machines with skewed clocks agree. */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
/** The channel `setLabel` notifies on (payload: the label). */
const LABELS_CHANNEL = 'autorec_labels';
/** Milliseconds between attempts to re-open a broken LISTEN connection. */
const LISTEN_RETRY_MS = 5_000;

/** Advisory lock keys (any two constants this app owns). */
const MIGRATION_LOCK = 0x6175_7401;
const EVENTS_LOCK = 0x6175_7402;
/** Rows per chunk when scanning events for training. */
const SCAN_CHUNK = 65_536;

/** COUNT/SUM/BIGINT columns as numbers: every value here stays far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  /** Open without migrating, every transaction read-only (the training thread). */
  readonly?: boolean;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

/**
 * The repository on PostgreSQL (`pg`, a pool of connections), for several API replicas sharing
 * one database. Same semantics as the SQLite one: events are idempotent on `eventId` and
 * `addEvents` resolves only after the commit; pages use the same cursors. Event batches take a
 * transaction-scoped advisory lock, so sequence numbers become visible in commit order across
 * replicas: a training job's watermark (the highest `seq` it saw) then never skips an event
 * that commits later with a lower number.
 *
 * @example
 * const repo = await openPostgresRepository('postgres://autorec@127.0.0.1:5432/autorec');
 * await repo.addEvents([{ user: 'u1', song: 's1', count: 3, timestamp: Date.now() }]);
 */
export async function openPostgresRepository(
  url: string,
  options: PostgresOptions = {},
): Promise<Repository> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    types,
    options: options.readonly ? '-c default_transaction_read_only=on' : undefined,
    application_name: 'autorec-api',
  });
  // An idle connection that breaks (server restart) must not crash the process: the next
  // query gets a fresh connection or a clear error.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    if (!options.readonly) await migrate(pool);
  } catch (error) {
    await pool.end();
    throw new Error(`PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return new PostgresRepository(pool, url);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given URL';
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS autorec_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ done: number }>(
      'SELECT COALESCE(MAX(version), 0) AS done FROM autorec_migrations',
    );
    for (let i = rows[0].done; i < MIGRATIONS.length; i++) {
      await client.query(MIGRATIONS[i]);
      await client.query('INSERT INTO autorec_migrations (version) VALUES ($1)', [i + 1]);
    }
  });
}

async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

interface VersionRow {
  model: string;
  version: number;
  path: string;
  status: string;
  reason: string | null;
  hyper_parameters: Record<string, unknown>;
  data: Record<string, unknown>;
  metrics: Record<string, number>;
  created_at: string;
  event_watermark: number;
  job_id: string | null;
}

interface JobRow {
  id: string;
  model: string;
  params: Record<string, unknown>;
  data: string;
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: Record<string, unknown> | null;
  result: TrainingJob['result'] | null;
  error: string | null;
  promote_to: string | null;
}

type SongRow = { song: string; artist: string | null; title: string | null };

const json = (value: unknown): string => JSON.stringify(value ?? null);
const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
/** A cursor is a sequence number (the route refuses other text); one beyond any `seq` starts at the newest. */
const seqCursor = (cursor: string | undefined): number =>
  cursor !== undefined && /^\d{1,15}$/.test(cursor) ? Number(cursor) : Number.MAX_SAFE_INTEGER;

class PostgresRepository implements Repository {
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  private async rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(text, values)).rows;
  }

  async addEvents(events: readonly EventInput[]) {
    if (events.length === 0) return { accepted: 0, duplicates: 0 };
    const accepted = await transaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [EVENTS_LOCK]);
      // One statement for the batch; ORDER BY the position keeps the batch's order in `seq`,
      // and a repeated eventId within the batch keeps its first row, as in SQLite.
      const result = await client.query(
        `INSERT INTO events (event_id, user_id, song_id, count, ts)
         SELECT event_id, user_id, song_id, count, ts
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[])
              WITH ORDINALITY AS e(event_id, user_id, song_id, count, ts, position)
         ORDER BY position
         ON CONFLICT (event_id) DO NOTHING`,
        [
          events.map((e) => e.eventId ?? null),
          events.map((e) => e.user),
          events.map((e) => e.song),
          events.map((e) => e.count),
          events.map((e) => e.timestamp),
        ],
      );
      return result.rowCount ?? 0;
    });
    return { accepted, duplicates: events.length - accepted };
  }

  async eventStats() {
    const [row] = await this.rows<{ events: number; lastSeq: number }>(
      'SELECT COUNT(*) AS events, COALESCE(MAX(seq), 0) AS "lastSeq" FROM events',
    );
    return row;
  }

  async userPlays(user: string): Promise<SongPlays[]> {
    return this.rows<SongPlays>(
      'SELECT song_id AS song, SUM(count) AS count, MAX(seq) AS "lastSeq" FROM events WHERE user_id = $1 GROUP BY song_id',
      [user],
    );
  }

  async userSummary(user: string): Promise<UserSummary | undefined> {
    const [row] = await this.rows<Omit<UserSummary, 'user'>>(
      `SELECT COUNT(*) AS events, COUNT(DISTINCT song_id) AS songs, COALESCE(SUM(count), 0) AS plays,
              MIN(ts) AS "firstTimestamp", MAX(ts) AS "lastTimestamp" FROM events WHERE user_id = $1`,
      [user],
    );
    return row.events === 0 ? undefined : { user, ...row };
  }

  async userEvents(user: string, cursor: string | undefined, limit: number) {
    const rows = await this.rows<{
      seq: number;
      eventId: string | null;
      song: string;
      count: number;
      timestamp: number;
    }>(
      `SELECT seq, event_id AS "eventId", song_id AS song, count, ts AS timestamp
       FROM events WHERE user_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [user, seqCursor(cursor), limit + 1],
    );
    const items = rows.slice(0, limit).map((r) => ({ ...r, eventId: orUndefined(r.eventId) }));
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1].seq) : undefined };
  }

  async deleteUser(user: string): Promise<number> {
    return (await this.pool.query('DELETE FROM events WHERE user_id = $1', [user])).rowCount ?? 0;
  }

  async scanEvents(maxSeq: number, onChunk: (users: string[], songs: string[], counts: number[]) => void) {
    // Keyset pages of one snapshot: a delete between pages cannot make a chunk skip or repeat rows.
    await transaction(
      this.pool,
      async (client) => {
        for (let after = 0; ; ) {
          const { rows } = await client.query<[number, string, string, number]>({
            text: 'SELECT seq, user_id, song_id, count FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3',
            values: [after, maxSeq, SCAN_CHUNK],
            rowMode: 'array',
          });
          if (rows.length === 0) return;
          onChunk(
            rows.map((r) => r[1]),
            rows.map((r) => r[2]),
            rows.map((r) => r[3]),
          );
          if (rows.length < SCAN_CHUNK) return;
          after = rows[rows.length - 1][0];
        }
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  async upsertSongs(songs: readonly SongInfo[]): Promise<number> {
    // One row per song, later fields over earlier ones (a batch may name a song twice; SQLite
    // applies them in order, and one INSERT … ON CONFLICT may touch a row only once).
    const merged = new Map<string, { artist: string | null; title: string | null }>();
    for (const s of songs) {
      const before = merged.get(s.song);
      merged.set(s.song, {
        artist: s.artist ?? before?.artist ?? null,
        title: s.title ?? before?.title ?? null,
      });
    }
    if (merged.size === 0) return songs.length;
    await this.pool.query(
      `INSERT INTO songs (song_id, artist, title)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (song_id) DO UPDATE SET artist = COALESCE(excluded.artist, songs.artist),
                                           title = COALESCE(excluded.title, songs.title)`,
      [
        [...merged.keys()],
        [...merged.values()].map((v) => v.artist),
        [...merged.values()].map((v) => v.title),
      ],
    );
    return songs.length;
  }

  async song(song: string): Promise<SongInfo | undefined> {
    const [row] = await this.rows<SongRow>(
      'SELECT song_id AS song, artist, title FROM songs WHERE song_id = $1',
      [song],
    );
    return row && songInfo(row);
  }

  async songsInfo(songs: readonly string[]): Promise<Map<string, SongInfo>> {
    if (songs.length === 0) return new Map();
    const rows = await this.rows<SongRow>(
      'SELECT song_id AS song, artist, title FROM songs WHERE song_id = ANY($1::text[])',
      [songs],
    );
    return new Map(rows.map((r) => [r.song, songInfo(r)]));
  }

  async allSongInfo(): Promise<Map<string, SongInfo>> {
    const rows = await this.rows<SongRow>('SELECT song_id AS song, artist, title FROM songs');
    return new Map(rows.map((r) => [r.song, songInfo(r)]));
  }

  async listSongs(
    query: string | undefined,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<SongInfo>> {
    // The catalogue is every song with metadata or events.
    const like = query === undefined ? null : `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.rows<SongRow>(
      `SELECT c.song_id AS song, s.artist, s.title FROM (
         SELECT song_id FROM songs UNION SELECT song_id FROM events
       ) c LEFT JOIN songs s ON s.song_id = c.song_id
       WHERE c.song_id > $1
         AND ($2::text IS NULL OR c.song_id ILIKE $2 ESCAPE '\\' OR s.artist ILIKE $2 ESCAPE '\\' OR s.title ILIKE $2 ESCAPE '\\')
       ORDER BY c.song_id LIMIT $3`,
      [cursor ?? '', like, limit + 1],
    );
    const items = rows.slice(0, limit).map(songInfo);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].song : undefined };
  }

  async reserveVersion(model: string): Promise<number> {
    // One statement: a concurrent reservation waits on the counter row's lock and then sees
    // the incremented value. GREATEST keeps numbers above versions registered without it.
    const [row] = await this.rows<{ last: number }>(
      `INSERT INTO version_numbers (model, last)
       VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model = $1))
       ON CONFLICT (model) DO UPDATE SET last = GREATEST(
         version_numbers.last,
         (SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE model = $1)
       ) + 1
       RETURNING last`,
      [model],
    );
    return row.last;
  }

  async addVersion(v: ModelVersion): Promise<void> {
    await this.pool.query(
      `INSERT INTO model_versions (model, version, path, status, reason, hyper_parameters, data, metrics, created_at, event_watermark, job_id)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11)`,
      [
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
      ],
    );
  }

  async version(model: string, version: number): Promise<ModelVersion | undefined> {
    const [row] = await this.rows<VersionRow>(
      'SELECT * FROM model_versions WHERE model = $1 AND version = $2',
      [model, version],
    );
    return row && versionOf(row);
  }

  async versions(model?: string): Promise<ModelVersion[]> {
    const rows =
      model === undefined
        ? await this.rows<VersionRow>('SELECT * FROM model_versions ORDER BY model, version')
        : await this.rows<VersionRow>('SELECT * FROM model_versions WHERE model = $1 ORDER BY version', [
            model,
          ]);
    return rows.map(versionOf);
  }

  async markUnusable(model: string, version: number, reason: string): Promise<void> {
    await this.pool.query(
      "UPDATE model_versions SET status = 'unusable', reason = $1 WHERE model = $2 AND version = $3",
      [reason, model, version],
    );
  }

  async labels() {
    const rows = await this.rows<{ label: string; model: string; version: number }>(
      'SELECT label, model, version FROM labels',
    );
    return new Map(rows.map((r) => [r.label, { model: r.model, version: r.version }]));
  }

  async setLabel(label: string, model: string, version: number): Promise<void> {
    // The notification goes out when the statement's transaction commits: a replica that
    // hears it reads the new label.
    await this.pool.query(
      `WITH moved AS (
         INSERT INTO labels (label, model, version, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (label) DO UPDATE SET model = excluded.model, version = excluded.version, updated_at = excluded.updated_at
         RETURNING label
       ) SELECT pg_notify('${LABELS_CHANNEL}', label) FROM moved`,
      [label, model, version, new Date().toISOString()],
    );
  }

  async addJob(job: TrainingJob, owner?: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO jobs (id, model, params, data, status, created_at, started_at, finished_at, progress, result, error, promote_to, owner, lease_renewed_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, CASE WHEN $14 THEN ${DB_NOW_MS} END)`,
      [
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
        owner !== undefined,
      ],
    );
  }

  async updateJob(id: string, patch: Partial<TrainingJob>): Promise<void> {
    const columns: Record<string, { sql: string; value: (v: unknown) => unknown }> = {
      status: { sql: 'status', value: (v) => v },
      startedAt: { sql: 'started_at', value: (v) => v },
      finishedAt: { sql: 'finished_at', value: (v) => v },
      progress: { sql: 'progress', value: json },
      result: { sql: 'result', value: json },
      error: { sql: 'error', value: (v) => v },
    };
    const keys = Object.keys(patch).filter((k) => k in columns);
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => {
      const cast = k === 'progress' || k === 'result' ? '::jsonb' : '';
      return `${columns[k].sql} = $${i + 1}${cast}`;
    });
    await this.pool.query(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $${keys.length + 1}`, [
      ...keys.map((k) => columns[k].value((patch as Record<string, unknown>)[k] ?? null)),
      id,
    ]);
  }

  async job(id: string): Promise<TrainingJob | undefined> {
    const [row] = await this.rows<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
    return row && jobOf(row);
  }

  async jobs(limit: number): Promise<TrainingJob[]> {
    const rows = await this.rows<JobRow>('SELECT * FROM jobs ORDER BY created_at DESC LIMIT $1', [limit]);
    return rows.map(jobOf);
  }

  async renewJobLeases(owner: string): Promise<void> {
    await this.pool.query(
      `UPDATE jobs SET lease_renewed_at = ${DB_NOW_MS} WHERE owner = $1 AND status IN ('queued', 'running')`,
      [owner],
    );
  }

  async interruptUnfinishedJobs(leaseMs?: number): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE jobs SET status = 'interrupted', finished_at = $1, error = 'the server stopped before the job finished'
       WHERE status IN ('queued', 'running')
         AND ($2::bigint IS NULL OR lease_renewed_at IS NULL OR lease_renewed_at < ${DB_NOW_MS} - $2)
       RETURNING id`,
      [new Date().toISOString(), leaseMs ?? null],
    );
    return rows.map((r) => r.id);
  }

  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    // A session lock on a connection held for the whole of `work` (which uses other ones);
    // if this process dies the server ends the session and the lock goes with it.
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('autorec:' || $1))", [name]);
      return await work();
    } finally {
      // A connection whose unlock failed is discarded rather than returned holding the lock.
      await client.query("SELECT pg_advisory_unlock(hashtext('autorec:' || $1))", [name]).then(
        () => client.release(),
        () => client.release(true),
      );
    }
  }

  async watchLabels(onChange: (label: string) => void): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.url, application_name: 'autorec-api-listen' });
      // A broken connection (server restart) is re-made; polling covers the gap.
      next.on('error', () => {
        if (client === next) client = undefined;
        void next.end().catch(() => {});
        schedule();
      });
      next.on('notification', (message) => onChange(message.payload ?? ''));
      await next.connect();
      await next.query(`LISTEN ${LABELS_CHANNEL}`);
      if (stopped) await next.end();
      else client = next;
    };
    const schedule = () => {
      if (stopped || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch(schedule);
      }, LISTEN_RETRY_MS);
      retry.unref();
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
      client = undefined;
    };
  }

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.rows<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async deleteSetting(key: string): Promise<void> {
    await this.pool.query('DELETE FROM settings WHERE key = $1', [key]);
  }

  async settingsWithPrefix(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.rows<{ key: string; value: string }>(
      'SELECT key, value FROM settings WHERE left(key, char_length($1)) = $1 ORDER BY key COLLATE "C"',
      [prefix],
    );
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query(
        "INSERT INTO settings (key, value) VALUES ('ping', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [new Date().toISOString()],
      );
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function songInfo(row: SongRow): SongInfo {
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
    hyperParameters: r.hyper_parameters ?? {},
    data: r.data ?? {},
    metrics: r.metrics ?? {},
    createdAt: r.created_at,
    eventWatermark: r.event_watermark,
    jobId: orUndefined(r.job_id),
  };
}

function jobOf(r: JobRow): TrainingJob {
  return {
    id: r.id,
    model: r.model,
    params: r.params ?? {},
    data: r.data,
    status: r.status as JobStatus,
    createdAt: r.created_at,
    startedAt: orUndefined(r.started_at),
    finishedAt: orUndefined(r.finished_at),
    progress: orUndefined(r.progress),
    result: orUndefined(r.result),
    error: orUndefined(r.error),
    promoteTo: orUndefined(r.promote_to),
  };
}
