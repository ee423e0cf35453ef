import { parseArgs } from 'node:util';
import { isModelName, MODEL_NAMES, type ModelName } from '@autorec/core';
import { type FormatName, SYNTHETIC_PRESET_NAMES, type SyntheticPreset } from '@autorec/data';
import type { ServiceConfig } from './service.ts';
import { isPostgresUrl } from './storage/open.ts';
import { isRedisUrl } from './training/queue.ts';
import { DAY_MS, DEFAULT_KEEP_DAYS } from './training/retention.ts';
import type { ImportSource } from './training/sources.ts';

export const USAGE = `usage: npm run serve -- [options]   (or: autorec serve [options])

  --port N             port (env AUTOREC_API_PORT; default 8787)
  --host H             address to listen on (env AUTOREC_API_HOST; default 127.0.0.1)
  --data-dir DIR       database and models (env AUTOREC_DATA_DIR; default data)
  --db URL             keep the data in PostgreSQL (postgres://user:password@host:port/database) instead of
                       SQLite in the data folder, e.g. for several replicas (env AUTOREC_DATABASE_URL)
  --models URL         keep model versions under s3://bucket/prefix on S3 or an S3-compatible store instead of
                       DIR/models (env AUTOREC_MODELS; AUTOREC_S3_ENDPOINT=http://host:port for MinIO and the
                       like, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)
  --redis URL          queue training jobs on Redis (redis://host:port) for \`autorec worker\` processes to run,
                       instead of running them in this process (env AUTOREC_REDIS_URL)
  --preset NAME        first start: import a synthetic preset (${SYNTHETIC_PRESET_NAMES.join(', ')}; default default)
  --preset-users N     first start: generate the preset with N listeners (e.g. the msd shape's 41,140 songs, fewer users)
  --input FILE --format F   first start: import a play-count file instead
  --data DIR           first start: import a prepared cache (autorec prepare)
  --model NAME         first start: model to train (${MODEL_NAMES.join(', ')}; default ials)
  --keys-file FILE     API keys: JSON [{ name, key, scopes: [read|write|admin] }] (env AUTOREC_API_KEYS_FILE)
  --anonymous-read     let callers without a key read (env AUTOREC_API_ANONYMOUS_READ=1)
  --cors-origins LIST  comma-separated origins allowed by CORS (env AUTOREC_API_CORS_ORIGINS)
  --rate-limit N       requests per minute per key, 0 = off (env AUTOREC_API_RATE_LIMIT; default 60000)
  --body-limit BYTES   largest request body (default 8388608)
  --keep-batch-results DAYS   keep a finished scoring job's file and a scoring job's or search's status
                       this many days, then remove them (env AUTOREC_KEEP_BATCH_RESULTS; default ${DEFAULT_KEEP_DAYS};
                       0 = keep them for ever)
env AUTOREC_API_KEY sets an admin key; with no key at all the first start writes one to DIR/admin.key.`;

export const WORKER_USAGE = `usage: autorec worker --redis URL [options]

Takes jobs (training, batch scoring) from the Redis queue of \`autorec serve --redis URL\` and runs them; start any
number, on any machine that sees the API's database and model store.
  --redis URL          the queue's Redis (redis://host:port; env AUTOREC_REDIS_URL)
  --db URL             the API's PostgreSQL database (env AUTOREC_DATABASE_URL); without it, the SQLite
                       database in --data-dir (a worker on the API's machine)
  --data-dir DIR       the model store: the API's data folder, or one mounted at the same contents; with
                       --db and --models, any folder (it holds only the batch scoring part being scored)
                       (env AUTOREC_DATA_DIR; default data)
  --models URL         the API's model store when it is on S3 (s3://bucket/prefix; env AUTOREC_MODELS and the
                       S3 variables of \`autorec serve --help\`)
  --lock-ms N          a job's lock without renewal before another worker takes it over (env
                       AUTOREC_WORKER_LOCK_MS; default 30000)
  --nice N             how much nicer than it was started the worker runs, 0-19 (Linux; env
                       AUTOREC_WORKER_NICE; default 10): beside an API replica, its jobs take the idle cores and
                       recommendations keep their latency; alone on a machine it runs as fast
Prints {"worker":ID,"ready":true} when it takes jobs. The first Ctrl-C (or SIGTERM) stops it
gracefully: a job in progress stops at its next batch and goes back to the queue; exit 0.`;

export interface WorkerConfig {
  redisUrl: string;
  databaseUrl?: string;
  dataDir: string;
  /** `s3://bucket/prefix` of the model versions; absent: `dataDir/models`. */
  modelsUrl?: string;
  lockMs: number;
  /** How much the worker lowers its priority at start (Linux: the nice value added; 0 = unchanged). */
  nice: number;
}

/** The flags of \`autorec worker\`, then the environment, then the defaults. */
export function readWorkerConfig(argv: string[], env: NodeJS.ProcessEnv): WorkerConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        redis: { type: 'string' },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        models: { type: 'string' },
        'lock-ms': { type: 'string' },
        nice: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (values.help) throw new ConfigError(WORKER_USAGE);
  const str = (key: string) => values[key] as string | undefined;
  const redisUrl = redisOption(str('redis') ?? (env.AUTOREC_REDIS_URL || undefined));
  if (redisUrl === undefined)
    throw new ConfigError(
      'autorec worker needs --redis URL (or AUTOREC_REDIS_URL): the queue it takes jobs from',
    );
  return {
    redisUrl,
    databaseUrl: databaseOption(str('db') ?? (env.AUTOREC_DATABASE_URL || undefined)),
    dataDir: str('data-dir') ?? env.AUTOREC_DATA_DIR ?? 'data',
    modelsUrl: modelsOption(str('models') ?? (env.AUTOREC_MODELS || undefined)),
    lockMs: int('--lock-ms', str('lock-ms') ?? env.AUTOREC_WORKER_LOCK_MS, 30_000, 1_000, 3_600_000),
    nice: int('--nice', str('nice') ?? env.AUTOREC_WORKER_NICE, 10, 0, 19),
  };
}

function modelsOption(url: string | undefined): string | undefined {
  if (url !== undefined && !/^s3:\/\//.test(url))
    throw new ConfigError(
      `--models takes an s3://bucket/prefix URL (without it the models stay in --data-dir), got '${url.slice(0, 40)}'`,
    );
  return url;
}

function redisOption(url: string | undefined): string | undefined {
  if (url !== undefined && !isRedisUrl(url))
    throw new ConfigError(
      `--redis takes a Redis URL such as redis://127.0.0.1:6379, got '${url.slice(0, 40)}'`,
    );
  return url;
}

function databaseOption(url: string | undefined): string | undefined {
  if (url !== undefined && !isPostgresUrl(url))
    throw new ConfigError(
      `--db takes a PostgreSQL URL such as postgres://autorec@127.0.0.1:5432/autorec, got '${url.slice(0, 40)}'; without it the data stays in SQLite in --data-dir`,
    );
  return url;
}

export interface StartConfig extends ServiceConfig {
  port: number;
  host: string;
}

export class ConfigError extends Error {}

/**
 * The config `read` makes of `argv` and `env`, or — for `--help` and bad flags — the exit code
 * after printing the usage (stdout, 0) or the error (stderr, 2). `runServer` and `runWorker` start so.
 */
export function configOrExitCode<T>(
  read: (argv: string[], env: NodeJS.ProcessEnv) => T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): T | number {
  try {
    return read([...argv], env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const help = error.message.startsWith('usage:');
    (help ? process.stdout : process.stderr).write(`${error.message}\n`);
    return help ? 0 : 2;
  }
}

const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
};

/** Options from the command line, then the environment, then the defaults. */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): StartConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        db: { type: 'string' },
        models: { type: 'string' },
        redis: { type: 'string' },
        preset: { type: 'string' },
        'preset-users': { type: 'string' },
        input: { type: 'string' },
        format: { type: 'string' },
        data: { type: 'string' },
        model: { type: 'string' },
        'keys-file': { type: 'string' },
        'anonymous-read': { type: 'boolean' },
        'cors-origins': { type: 'string' },
        'rate-limit': { type: 'string' },
        'body-limit': { type: 'string' },
        'keep-batch-results': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (values.help) throw new ConfigError(USAGE);
  const str = (key: string) => values[key] as string | undefined;
  const given = ['preset', 'input', 'data'].filter((k) => str(k) !== undefined);
  if (given.length > 1) throw new ConfigError(`give only one of ${given.map((k) => `--${k}`).join(', ')}`);
  let source: ImportSource = { kind: 'preset', preset: 'default' };
  if (str('preset-users') !== undefined && str('preset') === undefined)
    throw new ConfigError('--preset-users goes with --preset');
  const preset = str('preset');
  if (preset !== undefined) {
    if (!(SYNTHETIC_PRESET_NAMES as readonly string[]).includes(preset))
      throw new ConfigError(`--preset '${preset}': use ${SYNTHETIC_PRESET_NAMES.join(', ')}`);
    source = { kind: 'preset', preset: preset as SyntheticPreset };
    if (str('preset-users') !== undefined)
      source.users = int('--preset-users', str('preset-users'), 0, 1, 10_000_000);
  } else if (str('input') !== undefined)
    source = { kind: 'file', input: str('input')!, format: (str('format') ?? 'taste-profile') as FormatName };
  else if (str('data') !== undefined) source = { kind: 'cache', path: str('data')! };
  const model = str('model') ?? 'ials';
  if (!isModelName(model)) throw new ConfigError(`--model '${model}': use ${MODEL_NAMES.join(', ')}`);
  const databaseUrl = databaseOption(str('db') ?? (env.AUTOREC_DATABASE_URL || undefined));
  const redisUrl = redisOption(str('redis') ?? (env.AUTOREC_REDIS_URL || undefined));
  const origins = str('cors-origins') ?? env.AUTOREC_API_CORS_ORIGINS ?? '';
  return {
    port: int('--port', str('port') ?? env.AUTOREC_API_PORT, 8787, 0, 65535),
    host: str('host') ?? env.AUTOREC_API_HOST ?? '127.0.0.1',
    dataDir: str('data-dir') ?? env.AUTOREC_DATA_DIR ?? 'data',
    databaseUrl,
    redisUrl,
    modelsUrl: modelsOption(str('models') ?? (env.AUTOREC_MODELS || undefined)),
    source,
    model: model as ModelName,
    adminKey: env.AUTOREC_API_KEY || undefined,
    keysFile: str('keys-file') ?? (env.AUTOREC_API_KEYS_FILE || undefined),
    anonymousRead:
      (values['anonymous-read'] as boolean | undefined) ?? env.AUTOREC_API_ANONYMOUS_READ === '1',
    corsOrigins: origins
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    rateLimit: int('--rate-limit', str('rate-limit') ?? env.AUTOREC_API_RATE_LIMIT, 60_000, 0, 1e9),
    bodyLimit: int('--body-limit', str('body-limit'), 8 * 1024 * 1024, 1024, 1 << 30),
    batchRetention: {
      keepMs:
        int(
          '--keep-batch-results',
          str('keep-batch-results') ?? env.AUTOREC_KEEP_BATCH_RESULTS,
          DEFAULT_KEEP_DAYS,
          0,
          36_500,
        ) * DAY_MS,
    },
  };
}
