import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelName } from '@autorec/core';
import { createApp } from './app.ts';
import { type ApiKey, adminKeyFile, KeyRing, readKeysFile, type Scope } from './auth.ts';
import type { ApiApp, AppDeps, AppOptions } from './context.ts';
import { ApiMetrics } from './metrics.ts';
import { Replica, type ReplicaTiming } from './replica.ts';
import { ModelServer, VersionUnusableError } from './serving.ts';
import { modelFilesFromConfig } from './storage/model-files.ts';
import { type DatabaseLocation, databaseLocation, openRepository } from './storage/open.ts';
import type { ModelVersion, Repository } from './storage/repository.ts';
import { JobRunner } from './training/jobs.ts';
import { LocalBatchJobs } from './training/local-jobs.ts';
import { JobQueue, redactRedisUrl } from './training/queue.ts';
import {
  type BatchRetention,
  type BatchSweeper,
  DAY_MS,
  DEFAULT_KEEP_DAYS,
  startBatchSweeps,
} from './training/retention.ts';
import { removeStaleTemporaries } from './training/scoring.ts';
import { describeImport, type ImportSource, importDataset, readSource } from './training/sources.ts';

export interface ServiceConfig extends AppOptions {
  /** Folder of the models (and of the SQLite database when there is no `databaseUrl`). */
  dataDir: string;
  /** A `postgres://` URL: the data lives in PostgreSQL instead of `dataDir/autorec.db`. */
  databaseUrl?: string;
  /** A `redis://` URL: training jobs go to its queue for `autorec worker`s instead of running here. */
  redisUrl?: string;
  /** `s3://bucket/prefix` of the model versions (see `storage/model-files.ts`); absent: `dataDir/models`. */
  modelsUrl?: string;
  /** Plays imported on first start. */
  source: ImportSource;
  /** Model trained on first start. */
  model: ModelName;
  modelParams?: Record<string, unknown>;
  /** Admin token from the environment (AUTOREC_API_KEY). */
  adminKey?: string;
  keysFile?: string;
  /** Prometheus default process metrics (off in tests that build several services). */
  processMetrics?: boolean;
  log?: (record: Record<string, unknown>) => void;
  /** Human start-up lines. */
  say?: (line: string) => void;
  /** Label polling and job leases of replicas on PostgreSQL (defaults: 5 s, 30 s). */
  replica?: ReplicaTiming;
  /**
   * How long finished batch jobs' files and statuses are kept, and how often they are swept
   * (default: 7 days, hourly; `keepMs` 0 keeps them for ever). training/retention.ts.
   */
  batchRetention?: BatchRetention;
}

export interface Service {
  app: ApiApp;
  deps: AppDeps;
  /** Resolves when the first model serves (at once on a later start). */
  ready: Promise<void>;
  /** Path of the admin key file when the key came from it. */
  adminKeyPath?: string;
  database: DatabaseLocation;
  /** This replica's id, which its jobs carry (their lease). */
  replicaId: string;
  /** The retention sweeps of finished batch jobs (`sweep()` runs one now). */
  sweeper: BatchSweeper;
  close(): Promise<void>;
}

/**
 * Opens the data folder and builds the service: database (migrated), keys, the served model
 * (`production`), the training runner and the app. On an empty folder it imports the source,
 * trains `model` in the background and promotes it to `production`; `ready` resolves when it
 * serves. A `production` version that cannot be loaded is marked unusable and the newest
 * usable version serves instead.
 *
 * @example
 * const service = await openService({ dataDir: 'data', source: { kind: 'preset', preset: 'default' }, model: 'ials', … });
 * await service.ready;
 */
export async function openService(config: ServiceConfig): Promise<Service> {
  const dataDir = resolve(config.dataDir);
  const database = databaseLocation(config.databaseUrl, dataDir);
  checkDataDir(dataDir, database);
  // The folder first (with its parents): SQLite's file goes in it.
  mkdirSync(join(dataDir, 'models'), { recursive: true, mode: 0o700 });
  const repo = await openRepository(database);
  const log = config.log ?? ((record) => process.stdout.write(`${JSON.stringify(record)}\n`));
  const say = config.say ?? (() => {});
  const metrics = new ApiMetrics(config.processMetrics ?? true);
  const models = modelFilesFromConfig(config.modelsUrl, dataDir, process.env);
  const server = new ModelServer(repo, models);

  const keyList: { name: string; key: string; scopes: Scope[] }[] = [];
  let adminKeyPath: string | undefined;
  if (config.adminKey) keyList.push({ name: 'admin', key: config.adminKey, scopes: ['admin'] });
  if (config.keysFile) keyList.push(...readKeysFile(config.keysFile));
  if (keyList.length === 0) {
    adminKeyPath = join(dataDir, 'admin.key');
    const { token, created } = adminKeyFile(adminKeyPath);
    keyList.push({ name: 'admin', key: token, scopes: ['admin'] });
    say(`${created ? 'created an admin API key in' : 'admin API key in'} ${adminKeyPath} (mode 0600)`);
  }
  const keys = new KeyRing(keyList);

  const serve = async (version: ModelVersion) => {
    await server.activate(version);
    metrics.setServed(version.model, version.version);
    say(`serving ${version.model} v${version.version}`);
  };
  // Replicas share PostgreSQL: each has an id for its jobs' leases and follows `production`.
  // The embedded SQLite file belongs to one process, which needs neither.
  const replicaId = randomUUID();
  // With a queue, workers (other processes) train and promote: the served model follows the
  // label as on PostgreSQL, also on SQLite; the queue's locks, not leases, track the jobs.
  const queued = config.redisUrl !== undefined;
  const replica = new Replica({
    repo,
    id: replicaId,
    serve,
    served: () => server.current?.version,
    log,
    leases: !queued,
    ...config.replica,
  });
  const shared = database.engine === 'postgres' || queued;
  const retention: Required<Pick<BatchRetention, 'keepMs' | 'now'>> & BatchRetention = {
    keepMs: DEFAULT_KEEP_DAYS * DAY_MS,
    now: Date.now,
    ...config.batchRetention,
  };
  if (!queued) {
    const interrupted = await repo.interruptUnfinishedJobs(
      database.engine === 'postgres' ? replica.leaseMs : undefined,
    );
    if (interrupted.length > 0) say(`marked ${interrupted.length} job(s) of a stopped run interrupted`);
  }
  let queue: JobQueue | undefined;
  if (config.redisUrl !== undefined) {
    try {
      queue = await JobQueue.open(
        config.redisUrl,
        {
          onProgress: (id, progress) => jobs.onQueueProgress(id, progress),
          onEnded: (id, failedReason) =>
            void jobs
              .onQueueEnded(id, failedReason)
              .catch((error: Error) => log({ level: 'error', job: id, message: error.message })),
        },
        undefined,
        retention.keepMs,
      );
    } catch (error) {
      await repo.close();
      throw error;
    }
    say(`training jobs go to the queue at ${redactRedisUrl(config.redisUrl)} (run \`autorec worker\`)`);
  }

  const promote = (model: string, version: number, label: string) =>
    replica.exclusive(async () => {
      const v = await repo.version(model, version);
      if (!v) throw new Error(`no version ${model}/${version}`);
      if (label === 'production') await serve(v); // load first: a version that cannot load is never labelled
      await repo.setLabel(label, model, version);
    });
  const jobs = new JobRunner({
    repo,
    models,
    database,
    owner: replicaId,
    queue,
    log: (line) => log({ level: 'error', message: line }),
    onVersion: async (version, promoteTo) => {
      say(
        `job ${version.jobId}: registered ${version.model} v${version.version} ${JSON.stringify(pick(version.metrics))}`,
      );
      if (promoteTo) await promote(version.model, version.version, promoteTo);
    },
    onFinished: (job, seconds) => {
      metrics.jobs.observe({ model: job.model, status: job.status }, seconds);
      log({
        job: job.id,
        model: job.model,
        status: job.status,
        seconds: Math.round(seconds * 10) / 10,
        error: job.error,
      });
    },
  });

  // Without a queue, batch scoring and searches run here too, in threads, beside the training
  // jobs (training/local-jobs.ts); their status is kept in the database.
  const local = queue
    ? undefined
    : new LocalBatchJobs({
        repo,
        dataDir,
        models,
        database,
        owner: replicaId,
        leaseMs: database.engine === 'postgres' ? replica.leaseMs : 0,
        log,
      });
  // What a batch thread of a killed API on this host left in the data folder (its pid is gone).
  if (local)
    for (const path of await removeStaleTemporaries(dataDir))
      log({ removed: path, message: 'a temporary file of a stopped process' });
  const deps: AppDeps = {
    repo,
    server,
    jobs,
    batch: queue ?? local!,
    keys,
    metrics,
    promote,
    options: config,
    dataDir,
    models,
    log,
    retention: { keepMs: retention.keepMs, now: retention.now },
  };
  const app = createApp(deps);
  // Finished batch jobs' files and statuses go after the retention period: now, then hourly.
  const sweeper = startBatchSweeps({ repo, batch: deps.batch, dataDir, models, log }, retention);

  let closed = false;
  try {
    if (shared) await replica.start();
  } catch (error) {
    await repo.close();
    throw error;
  }
  // One replica decides what a first start on an empty database does; the others wait for it
  // (and then find the events imported and a training job running, or a model to serve).
  // (Wrapped in an object: a returned promise would be awaited, holding the lock while training.)
  const { ready } = await repo
    .withLock('first-start', async (): Promise<{ ready: Promise<void> }> => {
      const production = (await repo.labels()).get('production');
      if (production || (await repo.versions()).some((v) => v.status === 'ready'))
        return { ready: replica.exclusive(() => serveBest(repo, serve, say, production)) };
      const active = (await repo.jobs(100)).find(
        (j) => j.promoteTo === 'production' && (j.status === 'queued' || j.status === 'running'),
      );
      if (active) {
        say(`another replica trains the first model (job ${active.id}); serving when it is promoted`);
        return { ready: servedOnceTrained(active.id) };
      }
      const { events } = await repo.eventStats();
      if (events === 0) {
        say(`first start: importing ${describeImport(config.source)}`);
        const imported = await importDataset(repo, await readSource(config.source));
        say(`imported ${imported.toLocaleString('en')} plays as events`);
      }
      const job = await jobs.submit({
        model: config.model,
        params: config.modelParams ?? {},
        data: 'events',
        promoteTo: 'production',
      });
      say(
        `training ${config.model} on the events (job ${job.id}${queue ? ', on a worker' : ''}); recommendations answer 503 until it serves`,
      );
      // A worker's version reaches this replica through the label (notification or poll).
      if (queue) return { ready: servedOnceTrained(job.id) };
      const trained = new Promise<void>((done, fail) => {
        const unsubscribe = jobs.subscribe(job.id, (event) => {
          if (event.type !== 'end') return;
          unsubscribe();
          if (event.job.status === 'succeeded') done();
          else fail(new Error(`the first training job ${event.job.status}: ${event.job.error ?? ''}`));
        });
      });
      return { ready: trained };
    })
    .catch(async (error: unknown) => {
      // A failed first start (e.g. an unreadable source) leaves no listener or timer behind.
      await sweeper.close();
      await replica.close();
      await jobs.close();
      await local?.close();
      await queue?.close();
      await repo.close();
      throw error;
    });

  /** Resolves when this replica serves a model (the label reaches it by notification or poll). */
  async function servedOnceTrained(jobId: string): Promise<void> {
    for (;;) {
      if (server.current) return;
      if (closed) throw new Error('the service stopped');
      const job = await repo.job(jobId);
      if (job && job.status !== 'queued' && job.status !== 'running' && job.status !== 'succeeded')
        throw new Error(`the first training job (on another replica) ${job.status}: ${job.error ?? ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  ready.catch(() => {});

  return {
    app,
    deps,
    ready,
    adminKeyPath,
    database,
    replicaId,
    sweeper,
    async close() {
      closed = true;
      await sweeper.close();
      await replica.close();
      await jobs.close();
      await local?.close();
      await queue?.close();
      server.close();
      await repo.close();
    },
  };
}

/** Serves `production`, or — when it cannot load — the newest usable version (and labels it). */
async function serveBest(
  repo: Repository,
  serve: (v: ModelVersion) => Promise<void>,
  say: (line: string) => void,
  production: { model: string; version: number } | undefined,
): Promise<void> {
  const all = await repo.versions();
  const candidates = all
    .filter((v) => v.status === 'ready')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version - a.version);
  const first =
    production && all.find((v) => v.model === production.model && v.version === production.version);
  const order = first ? [first, ...candidates.filter((v) => v !== first)] : candidates;
  for (const v of order) {
    if (v.status !== 'ready') continue;
    try {
      await serve(v);
      if (v !== first) {
        await repo.setLabel('production', v.model, v.version);
        say(`production now ${v.model} v${v.version}`);
      }
      return;
    } catch (error) {
      if (!(error instanceof VersionUnusableError)) throw error;
      say(`${v.model} v${v.version} is unusable: ${error.reason}`);
    }
  }
  throw new Error('no model version can be loaded; start a training job');
}

/**
 * The data folder is new, empty, or one the API made (it holds autorec.db, or with PostgreSQL
 * the models/ folder). Anything else — e.g. the shared real-data folder of the tests
 * (AUTOREC_REAL_DATA) — is refused rather than written into.
 */
function checkDataDir(dir: string, database: DatabaseLocation): void {
  if (!existsSync(dir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new Error(`the data folder ${dir} is not a readable folder`);
  }
  const mark = database.engine === 'sqlite' ? 'autorec.db' : 'models';
  if (entries.length > 0 && !entries.includes(mark))
    throw new Error(
      `refusing to use ${dir} as the data folder: it holds other files and no ${mark === 'models' ? 'models/ folder' : mark}; choose a new or empty folder (--data-dir or AUTOREC_DATA_DIR)`,
    );
}

function pick(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['ndcg@10', 'recall@10', 'rmse'])
    if (metrics[key] !== undefined) out[key] = Math.round(metrics[key] * 10000) / 10000;
  return out;
}

export type { ApiKey };
