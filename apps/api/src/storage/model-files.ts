import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelStore } from '@autorec/core';
import { directoryStore, FOLDER_INDEX } from '@autorec/core/node';
import { parseS3Url, type S3Objects, s3Objects, s3Store } from '@autorec/core/s3';

/**
 * Where model versions are kept: `models/<model>/v<N>` under the data folder (a shared file
 * system when replicas run on several machines), or under an `s3://bucket/prefix` on S3 or an
 * S3-compatible store (MinIO, Ceph, R2…). Serialisable, so the training thread and queue workers
 * open the same place; S3 credentials are read from the environment when a store is opened.
 */
export type ModelFiles =
  | { kind: 'folder'; dataDir: string }
  | { kind: 's3'; url: string; endpoint?: string; region?: string };

/** A version's files: written by a job (commit makes them visible), read by the serving side. */
export type VersionStore = ModelStore & { commit(): Promise<void>; discard(): Promise<void> };

/**
 * `--models` / `AUTOREC_MODELS` (`s3://bucket/prefix`; absent: the data folder's `models/`), with
 * `AUTOREC_S3_ENDPOINT` for an S3-compatible service and `AWS_REGION`. Checks that the
 * credentials are there, so a replica without them fails at start rather than at its first save.
 *
 * @example
 * modelFilesFromConfig('s3://models/prod', 'data', { AUTOREC_S3_ENDPOINT: 'http://minio:9000', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
 * // { kind: 's3', url: 's3://models/prod', endpoint: 'http://minio:9000', region: undefined }
 */
export function modelFilesFromConfig(
  url: string | undefined,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): ModelFiles {
  if (url === undefined) return { kind: 'folder', dataDir };
  parseS3Url(url); // throws naming the URL
  credentials(env);
  const endpoint = env.AUTOREC_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new Error(`AUTOREC_S3_ENDPOINT must be an http(s)://host[:port] URL, got '${endpoint}'`);
  return { kind: 's3', url: url.replace(/\/+$/, ''), endpoint, region: env.AWS_REGION || undefined };
}

/**
 * The store of one version (`path` is the repository's `models/<model>/v<N>`): the folder
 * `<dataDir>/models/<model>/v<N>`, or the objects under `<prefix>/<model>/v<N>/`.
 *
 * @example
 * await model.save(versionStore(files, 'models/ials/v3'));
 * const served = await loadModel(versionStore(files, 'models/ials/v3'));
 */
export function versionStore(
  files: ModelFiles,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): VersionStore {
  if (files.kind === 'folder') return directoryStore(join(files.dataDir, path));
  return s3Store({
    url: `${files.url}/${path.replace(/^models\//, '')}`,
    endpoint: files.endpoint,
    region: files.region,
    credentials: credentials(env),
  });
}

/**
 * Plain objects beside the versions on S3, under `<url>/<prefix>/` (a batch scoring job's files
 * under `scores/<id>`: model names are never `scores`, so the two cannot meet).
 *
 * @example
 * const out = storeObjects(files, 'scores/0f8f…'); // s3://bucket/prod/scores/0f8f…/
 */
export function storeObjects(
  files: Extract<ModelFiles, { kind: 's3' }>,
  prefix: string,
  env: NodeJS.ProcessEnv = process.env,
): S3Objects {
  return s3Objects({
    url: `${files.url}/${prefix}`,
    endpoint: files.endpoint,
    region: files.region,
    credentials: credentials(env),
  });
}

/** Versions whose stores (and index) the artifact endpoint keeps, per replica. */
const ARTIFACT_VERSIONS = 64;

export interface VersionFileReader {
  /**
   * A version file as stored, `files.json` included (the artifact endpoint lists and serves
   * them); read through the version's store, so a damaged file is refused, except the folder's
   * index. `committed`: the version is registered ready, so its files no longer change.
   */
  read(path: string, file: string, committed: boolean): Promise<Uint8Array>;
}

/**
 * Reads version files for the artifact endpoint. On S3 every read through a fresh store would
 * first fetch `files.json` (the index it checks sizes and SHA-256 against), so a client loading
 * a model file by file costs two round trips a file; a committed version never changes (its
 * number is never reused, a retried job re-saves only before it registers), so the replica
 * keeps the store, and the index as stored, of the last `capacity` versions read — least
 * recently used first out. A read that fails drops the version, so a later read starts afresh.
 * A folder needs no cache: the index is a local file.
 *
 * @example
 * const files = versionFileReader(models);
 * const index = await files.read('models/ials/v3', 'files.json', true);
 */
export function versionFileReader(files: ModelFiles, capacity = ARTIFACT_VERSIONS): VersionFileReader {
  if (files.kind === 'folder')
    return {
      async read(path, file) {
        if (file === FOLDER_INDEX) return new Uint8Array(await readFile(join(files.dataDir, path, file)));
        return versionStore(files, path).read(file);
      },
    };
  const kept = new Map<string, { store: VersionStore; index?: Promise<Uint8Array> }>();
  return {
    async read(path, file, committed) {
      if (!committed) return versionStore(files, path).read(file);
      let entry = kept.get(path);
      if (entry) kept.delete(path); // re-inserted below: the most recently used is last
      entry ??= { store: versionStore(files, path) };
      kept.set(path, entry);
      while (kept.size > capacity) kept.delete(kept.keys().next().value as string);
      try {
        if (file !== FOLDER_INDEX) return await entry.store.read(file);
        entry.index ??= entry.store.read(file);
        return await entry.index;
      } catch (error) {
        if (kept.get(path) === entry) kept.delete(path);
        throw error;
      }
    },
  };
}

/** Says where the versions are, for start-up lines. */
export function describeModelFiles(files: ModelFiles): string {
  return files.kind === 'folder'
    ? `${join(files.dataDir, 'models')}/`
    : `${files.url}/ (${files.endpoint ?? `AWS S3${files.region ? ` ${files.region}` : ''}`})`;
}

function credentials(env: NodeJS.ProcessEnv) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error('models on S3 need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}
