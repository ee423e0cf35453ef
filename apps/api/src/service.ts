import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelName } from '@autorec/core';
import { createApp } from './app.ts';
import { type ApiKey, adminKeyFile, KeyRing, readKeysFile, type Scope } from './auth.ts';
import type { ApiApp, AppDeps, AppOptions } from './context.ts';
import { ApiMetrics } from './metrics.ts';
import { ModelServer, VersionUnusableError } from './serving.ts';
import { type DatabaseLocation, databaseLocation, openRepository } from './storage/open.ts';
import type { ModelVersion, Repository } from './storage/repository.ts';
import { JobRunner } from './training/jobs.ts';
import { describeImport, type ImportSource, importDataset, readSource } from './training/sources.ts';

export interface ServiceConfig extends AppOptions {
  /** Folder of the models (and of the SQLite database when there is no `databaseUrl`). */
  dataDir: string;
  /** A `postgres://` URL: the data lives in PostgreSQL instead of `dataDir/autorec.db`. */
  databaseUrl?: string;
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
}

export interface Service {
  app: ApiApp;
  deps: AppDeps;
  /** Resolves when the first model serves (at once on a later start). */
  ready: Promise<void>;
  /** Path of the admin key file when the key came from it. */
  adminKeyPath?: string;
  database: DatabaseLocation;
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
  const repo = await openRepository(database);
  mkdirSync(join(dataDir, 'models'), { recursive: true, mode: 0o700 });
  const log = config.log ?? ((record) => process.stdout.write(`${JSON.stringify(record)}\n`));
  const say = config.say ?? (() => {});
  const metrics = new ApiMetrics(config.processMetrics ?? true);
  const server = new ModelServer(repo, dataDir);

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

  const interrupted = await repo.interruptUnfinishedJobs();
  if (interrupted.length > 0) say(`marked ${interrupted.length} job(s) of the previous run interrupted`);

  const serve = async (version: ModelVersion) => {
    await server.activate(version);
    metrics.setServed(version.model, version.version);
    say(`serving ${version.model} v${version.version}`);
  };
  const promote = async (model: string, version: number, label: string) => {
    const v = await repo.version(model, version);
    if (!v) throw new Error(`no version ${model}/${version}`);
    if (label === 'production') await serve(v); // load first: a version that cannot load is never labelled
    await repo.setLabel(label, model, version);
  };
  const jobs = new JobRunner({
    repo,
    dataDir,
    database,
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

  const deps: AppDeps = { repo, server, jobs, keys, metrics, promote, options: config, dataDir, log };
  const app = createApp(deps);

  let ready: Promise<void>;
  const production = (await repo.labels()).get('production');
  const { events } = await repo.eventStats();
  if (production || (await repo.versions()).some((v) => v.status === 'ready'))
    ready = serveBest(repo, serve, say, production);
  else {
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
    say(`training ${config.model} on the events (job ${job.id}); recommendations answer 503 until it serves`);
    ready = new Promise((done, fail) => {
      const unsubscribe = jobs.subscribe(job.id, (event) => {
        if (event.type !== 'end') return;
        unsubscribe();
        if (event.job.status === 'succeeded') done();
        else fail(new Error(`the first training job ${event.job.status}: ${event.job.error ?? ''}`));
      });
    });
  }
  ready.catch(() => {});

  return {
    app,
    deps,
    ready,
    adminKeyPath,
    database,
    async close() {
      await jobs.close();
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
