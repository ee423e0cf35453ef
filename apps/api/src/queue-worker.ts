import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setupCompute } from '@autorec/core';
import { configOrExitCode, readWorkerConfig } from './config.ts';
import { lowerThreadPriority } from './priority.ts';
import { describeModelFiles, type ModelFiles, modelFilesFromConfig } from './storage/model-files.ts';
import { databaseLocation, describeDatabase, openRepository } from './storage/open.ts';
import type { Repository } from './storage/repository.ts';
import { startQueueWorker } from './training/processors.ts';
import { redactRedisUrl } from './training/queue.ts';

const say = (line: string) => process.stderr.write(`autorec-worker: ${line}\n`);
/** How long the queue's Redis may take to answer at start before the worker gives up (exit 1). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `autorec worker`: takes jobs from the API's Redis queue until `stop` aborts (or, without one,
 * SIGTERM/SIGINT arrive), then stops gracefully — a job in progress stops at its next batch and
 * goes back to the queue for another worker. Resolves with the exit code: 0 after a graceful stop
 * or `--help`, 2 for a bad flag, 1 when it cannot start (Redis or the database does not answer,
 * a data folder that is not the API's). Prints `{"worker":ID,"ready":true}` on stdout once it
 * takes jobs, and a JSON line per job event.
 *
 * @example
 * const stop = new AbortController();
 * const exited = runWorker(['--redis', 'redis://127.0.0.1:6379', '--data-dir', 'data'], process.env, { stop: stop.signal });
 * stop.abort(); // later: a graceful stop
 * process.exitCode = await exited;
 */
export async function runWorker(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { stop?: AbortSignal } = {},
): Promise<number> {
  const config = configOrExitCode(readWorkerConfig, argv, env);
  if (typeof config === 'number') return config;
  const dataDir = resolve(config.dataDir);
  const database = databaseLocation(config.databaseUrl, dataDir);
  const log = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
  let repo: Repository | undefined;
  let worker: Awaited<ReturnType<typeof startQueueWorker>>;
  let backend: Awaited<ReturnType<typeof setupCompute>>['backend'];
  let models: ModelFiles;
  // Before any thread starts, so that they all inherit it: batch scoring runs on this thread, and
  // training and search threads lower theirs by 10 more.
  const nice = config.nice > 0 ? lowerThreadPriority(config.nice) : undefined;
  try {
    models = modelFilesFromConfig(config.modelsUrl, dataDir, env);
    // The compute context of this thread, where batch scoring runs (training threads set up their own).
    ({ backend } = await setupCompute());
    // The API made the folder (and, on SQLite, the database in it): a worker never starts an empty
    // one. With PostgreSQL and versions on S3 nothing shared is in it (a worker on another
    // machine keeps only batch scoring's temporary files there), so any folder will do.
    const mark =
      database.engine === 'sqlite'
        ? database.path
        : models.kind === 'folder'
          ? join(dataDir, 'models')
          : undefined;
    if (mark !== undefined && !existsSync(mark))
      throw new Error(
        `${dataDir} is not an API data folder (no ${database.engine === 'sqlite' ? 'autorec.db' : 'models/'}): give the folder of \`autorec serve\` with --data-dir${database.engine === 'sqlite' ? ', or its PostgreSQL database with --db' : ''}`,
      );
    mkdirSync(models.kind === 'folder' ? join(dataDir, 'models') : dataDir, { recursive: true, mode: 0o700 });
    repo = await openRepository(database);
    worker = await startQueueWorker({
      redisUrl: config.redisUrl,
      repo,
      dataDir,
      models,
      database,
      lockMs: config.lockMs,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      log,
    });
  } catch (error) {
    say(`cannot start: ${(error as Error).message}`);
    await repo?.close().catch(() => {});
    return 1;
  }
  say(
    `worker ${worker.id}: jobs from ${redactRedisUrl(config.redisUrl)}; database ${describeDatabase(database)}; models in ${describeModelFiles(models)}; compute backend ${backend.name}${nice === undefined ? '' : `; at nice ${nice}`}`,
  );
  const stopped = new Promise<number>((finished) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      say(`${reason}: a job in progress goes back to the queue, then stopping`);
      void worker
        .close()
        .then(() => repo!.close())
        .then(
          () => {
            say('stopped');
            finished(0);
          },
          (error: Error) => {
            say(`stopping: ${error.message}`);
            finished(1);
          },
        );
    };
    if (options.stop) {
      if (options.stop.aborted) stop('asked to stop');
      else options.stop.addEventListener('abort', () => stop('asked to stop'), { once: true });
    } else {
      const onSignal = (signal: NodeJS.Signals) => stop(signal);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
  });
  // Only now: whoever reads this line may signal at once, and a signal that came before the
  // handlers above would have killed the process (seen: a SIGTERM right after it, exit by signal).
  process.stdout.write(`${JSON.stringify({ worker: worker.id, ready: true })}\n`);
  return stopped;
}
