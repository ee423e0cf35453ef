import { AwsClient } from 'aws4fetch';
import { ModelFormatError } from '../errors.ts';
import type { FolderIndex } from '../node/output-folder.ts';
import type { ModelStore } from '../types.ts';
import { decodeStoreText } from './text.ts';

/** The index a committed model carries, as in a model folder (`directoryStore`). */
const INDEX = 'files.json';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3StoreOptions {
  /** `s3://bucket/prefix`: the model's files are stored as `prefix/<file name>`. */
  url: string;
  /**
   * An S3-compatible service (MinIO, Ceph, Garage, R2…) at `http(s)://host:port`, addressed
   * path-style (`endpoint/bucket/key`). Without it: AWS S3 in `region`, virtual-hosted style.
   */
  endpoint?: string;
  /** Signing region (default `us-east-1`, which MinIO and most S3-compatible services accept). */
  region?: string;
  credentials: S3Credentials;
  /** `fetch` to use (the global one by default). */
  fetch?: typeof globalThis.fetch;
}

export interface S3Store extends ModelStore {
  /** The model's `s3://bucket/prefix`. */
  readonly url: string;
  /** Writes the index (`files.json`) that makes the saved model visible to readers. */
  commit(): Promise<void>;
  /** Removes the files of an unfinished save (after an error). Safe to call twice. */
  discard(): Promise<void>;
}

/**
 * A `ModelStore` on S3 or any S3-compatible object store, so API replicas and workers on
 * different machines share models without a shared folder. Signed with `aws4fetch` (AWS
 * Signature V4 over the platform's `fetch` and WebCrypto: no SDK, works in Node, a worker and
 * a browser).
 *
 * The layout is a model folder's: one object per file and a `files.json` index with every
 * file's size and SHA-256 (the same index `directoryStore` writes, so `aws s3 sync` of a prefix
 * gives a folder `directoryStore` reads). Object stores have no rename, so atomicity comes from
 * the index: a save first removes any earlier `files.json` under the prefix, uploads each file
 * as it is written, and uploads `files.json` last, in `commit()`. A reader goes through the
 * index: a prefix without one (an unfinished save) is refused, and a file whose size or SHA-256
 * differs from it is a `ModelFormatError` naming the object (`read('files.json')` returns the
 * index as stored). One save at a time per prefix.
 *
 * @example
 * import { s3Store } from '@autorec/core/s3';
 * const store = s3Store({
 *   url: 's3://models/ials/v7',
 *   endpoint: 'http://127.0.0.1:9000', // MinIO; omit for AWS
 *   credentials: { accessKeyId: 'minio', secretAccessKey: 'minio-secret' },
 * });
 * await model.save(store);
 * const again = await loadModel(s3Store({ url: 's3://models/ials/v7', credentials }));
 */
export function s3Store(options: S3StoreOptions): S3Store {
  const where = `model store '${options.url}'`;
  const { request: send, failure } = s3Requests(
    options,
    (message, name, cause) => new ModelFormatError(message, { file: name, cause }),
  );
  const request = (method: 'GET' | 'PUT' | 'DELETE', name: string, body?: Uint8Array) =>
    send(method, name, { body });

  let index: Promise<FolderIndex['files']> | undefined;
  const readIndex = async (): Promise<FolderIndex['files']> => {
    const response = await request('GET', INDEX);
    if (response.status === 404)
      throw new ModelFormatError(
        `${where}: no ${INDEX} under the prefix — no model was saved there, or its save did not finish`,
        { file: INDEX },
      );
    if (!response.ok) throw await failure(response, 'GET', INDEX);
    try {
      const parsed = JSON.parse(await response.text()) as Partial<FolderIndex>;
      if (typeof parsed?.files !== 'object' || parsed.files === null) throw new Error('no files');
      return parsed.files;
    } catch {
      throw new ModelFormatError(`${where}: ${INDEX} is not a valid file index; save the model again`, {
        file: INDEX,
      });
    }
  };

  const read = async (name: string): Promise<Uint8Array> => {
    checkName(name, where);
    if (name === INDEX) {
      // The index itself, as stored (e.g. for an HTTP API that lists a version's files).
      const response = await request('GET', INDEX);
      if (!response.ok) throw await failure(response, 'GET', INDEX);
      return new Uint8Array(await response.arrayBuffer());
    }
    index ??= readIndex();
    const files = await index.catch((error) => {
      index = undefined; // a later read may find a save that has finished since
      throw error;
    });
    const expected = files[name];
    if (!expected)
      throw new ModelFormatError(
        `${where}: file '${name}' is not part of the saved model (not in ${INDEX})`,
        {
          file: name,
        },
      );
    const response = await request('GET', name);
    if (!response.ok) throw await failure(response, 'GET', name);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const damaged = (what: string) =>
      new ModelFormatError(`${where}: object '${name}' ${what}; the model is damaged, save it again`, {
        file: name,
      });
    if (bytes.length !== expected.bytes)
      throw damaged(`is truncated or altered: ${bytes.length} bytes, expected ${expected.bytes}`);
    if ((await sha256Hex(bytes)) !== expected.sha256)
      throw damaged(`is corrupt: its SHA-256 differs from the one in ${INDEX}`);
    return bytes;
  };

  const written = new Map<string, { bytes: number; sha256: string }>();
  let started: Promise<void> | undefined;
  let committing = false;
  const put = async (name: string, bytes: Uint8Array) => {
    const response = await request('PUT', name, bytes);
    if (!response.ok) throw await failure(response, 'PUT', name);
  };
  const remove = async (name: string) => {
    const response = await request('DELETE', name);
    if (!response.ok && response.status !== 404) throw await failure(response, 'DELETE', name);
  };

  return {
    url: options.url,
    read,
    async readText(name) {
      return decodeStoreText(await read(name), name, where);
    },
    async write(name, data) {
      checkName(name, where);
      if (name === INDEX) throw new Error(`${where}: '${INDEX}' is reserved for the index`);
      if (committing || written.has(name))
        throw new Error(`${where}: '${name}' is already being written by this save; await the first save`);
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      written.set(name, { bytes: bytes.length, sha256: await sha256Hex(bytes) });
      // A model saved here before stops being readable before any of its files is replaced.
      started ??= remove(INDEX);
      await started;
      await put(name, bytes);
    },
    async commit() {
      if (written.size === 0) throw new Error(`${where}: nothing was written, nothing to commit`);
      committing = true;
      try {
        const body: FolderIndex = {
          format: 'autorec-model',
          formatVersion: 1,
          files: Object.fromEntries(written),
        };
        await put(INDEX, new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`));
        index = undefined;
      } finally {
        written.clear();
        started = undefined;
        committing = false;
      }
    },
    async discard() {
      const names = [...written.keys()];
      written.clear();
      started = undefined;
      await Promise.all(names.map((n) => remove(n).catch(() => undefined)));
    },
  };
}

/** Signed requests to the objects under an `s3://bucket/prefix`, with errors that name the object. */
function s3Requests(
  options: S3StoreOptions,
  error: (message: string, name: string, cause?: unknown) => Error,
  what = 'model store',
) {
  const { bucket, prefix } = parseS3Url(options.url);
  const region = options.region ?? 'us-east-1';
  const aws = new AwsClient({ ...options.credentials, service: 's3', region });
  const base = options.endpoint
    ? `${options.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(bucket)}`
    : `https://${bucket}.s3.${region}.amazonaws.com`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const where = `${what} '${options.url}'`;
  const keyOf = (name: string) => (prefix ? `${prefix}/${name}` : name);
  const urlOf = (name: string) => `${base}/${keyOf(name).split('/').map(encodeURIComponent).join('/')}`;

  const request = async (
    method: 'GET' | 'HEAD' | 'PUT' | 'DELETE',
    name: string,
    init: { body?: Uint8Array | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
  ) => {
    try {
      if (init.body instanceof ReadableStream) {
        // Signed without the body (its SHA-256 is in the headers), then sent as a stream.
        const signed = await aws.sign(urlOf(name), { method, headers: init.headers });
        return await doFetch(signed.url, {
          method,
          headers: signed.headers,
          body: init.body,
          duplex: 'half',
        } as RequestInit);
      }
      const signed = await aws.sign(urlOf(name), {
        method,
        headers: init.headers,
        body: init.body as Uint8Array<ArrayBuffer> | undefined,
      });
      return await doFetch(signed);
    } catch (cause) {
      throw error(
        `${where}: ${method} of '${name}' failed: ${(cause as Error).message}` +
          ` (${(cause as { cause?: Error }).cause?.message ?? 'is the endpoint reachable?'})`,
        name,
        cause,
      );
    }
  };
  const failure = async (response: Response, method: string, name: string) => {
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    return error(
      `${where}: ${method} of '${name}' answered HTTP ${response.status}` +
        (code ? ` ${code}${message ? `: ${message}` : ''}` : ''),
      name,
    );
  };
  /** One page of ListObjectsV2 under `keyOf(under)` (the bucket's URL with a query, signed as any request). */
  const listPage = async (under: string, delimiter: boolean, token: string | undefined) => {
    const query = new URLSearchParams({ 'list-type': '2', prefix: keyOf(under) });
    if (delimiter) query.set('delimiter', '/');
    if (token) query.set('continuation-token', token);
    const url = `${base}/?${query.toString().replace(/\+/g, '%20')}`;
    try {
      return await doFetch(await aws.sign(url, { method: 'GET' }));
    } catch (cause) {
      throw error(`${where}: listing '${under}' failed: ${(cause as Error).message}`, under, cause);
    }
  };
  return {
    request,
    failure,
    where,
    listPage,
    keyOf,
    objectUrl: (name: string) => `s3://${bucket}/${keyOf(name)}`,
  };
}

/** The five entities of XML text, decoded (object keys in a listing are escaped). */
const xmlText = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');

/** An object's size and its user metadata (`x-amz-meta-*`, without the prefix). */
export interface S3ObjectInfo {
  bytes: number;
  metadata: Record<string, string>;
}

/** A body too large to hold in memory: its bytes come from `body`, its size and SHA-256 known. */
export interface S3StreamUpload {
  body: ReadableStream<Uint8Array>;
  bytes: number;
  /**
   * Hex SHA-256 of the body, sent and signed as `x-amz-content-sha256`: AWS S3 refuses an upload
   * whose bytes differ from it (XAmzContentSHA256Mismatch). s3rver, the tests' emulator, does
   * not check it, so that refusal is not tested here.
   */
  sha256: string;
}

export interface S3Objects {
  /** `s3://bucket/prefix` */
  readonly url: string;
  /** `s3://bucket/prefix/<name>`, for messages and for people who fetch it with other tools. */
  urlOf(name: string): string;
  /** Size and metadata, or undefined when there is no such object. */
  head(name: string): Promise<S3ObjectInfo | undefined>;
  /** The object's bytes as a stream, with its size and metadata; throws naming a missing one. */
  get(name: string): Promise<S3ObjectInfo & { body: ReadableStream<Uint8Array> }>;
  /** One PUT: the object appears whole, with its metadata, or not at all. */
  put(name: string, body: Uint8Array | S3StreamUpload, metadata?: Record<string, string>): Promise<void>;
  /** Removes an object; no error if there is none. */
  remove(name: string): Promise<void>;
  /**
   * The objects whose names start with `under` (names relative to this prefix, e.g. `scores/`),
   * every page of the listing. With `folders`, names are cut at the next `/` after `under`:
   * `objects` holds the ones directly under it, `folders` the sub-prefixes (`scores/<id>/`).
   */
  list(under?: string, options?: { folders?: boolean }): Promise<S3Listing>;
}

/** What `S3Objects.list` found: names relative to the `S3Objects` prefix. */
export interface S3Listing {
  objects: { name: string; bytes: number; lastModified: Date }[];
  folders: string[];
}

/**
 * Plain objects under an `s3://bucket/prefix` (names may have `/`), for files that are not a
 * model — e.g. the parts and manifest of a batch scoring job — with the same signing,
 * endpoints and error messages as `s3Store`. A stream upload needs its size and SHA-256 up
 * front (S3 takes no chunked body without them), so large files are written locally first.
 *
 * @example
 * const out = s3Objects({ url: 's3://models/prod/scores/job-1', endpoint, credentials });
 * await out.put('manifest.json', new TextEncoder().encode('{}'), { parts: '3' });
 * const { body, bytes } = await out.get('part-00000.tsv');
 */
export function s3Objects(options: S3StoreOptions): S3Objects {
  const { request, failure, objectUrl, listPage, keyOf } = s3Requests(
    options,
    (message) => new Error(message),
    'object store',
  );
  const where = `object store '${options.url}'`;
  const check = (name: string) => {
    if (!name || name.split('/').some((s) => !s || s === '.' || s === '..'))
      throw new Error(`${where}: invalid object name '${name}'`);
  };
  const info = (response: Response): S3ObjectInfo => {
    const metadata: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      if (key.startsWith('x-amz-meta-')) metadata[key.slice('x-amz-meta-'.length)] = value;
    });
    return { bytes: Number(response.headers.get('content-length') ?? Number.NaN), metadata };
  };
  return {
    url: options.url,
    urlOf: (name) => objectUrl(name),
    async head(name) {
      check(name);
      const response = await request('HEAD', name);
      if (response.status === 404) return undefined;
      if (!response.ok) throw await failure(response, 'HEAD', name);
      return info(response);
    },
    async get(name) {
      check(name);
      const response = await request('GET', name);
      if (!response.ok || !response.body) throw await failure(response, 'GET', name);
      return { ...info(response), body: response.body };
    },
    async put(name, body, metadata = {}) {
      check(name);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(metadata)) {
        if (!/^[a-z0-9-]+$/.test(key)) throw new Error(`${where}: invalid metadata key '${key}'`);
        headers[`x-amz-meta-${key}`] = value;
      }
      const upload =
        body instanceof Uint8Array ? { body, bytes: body.length, sha256: await sha256Hex(body) } : body;
      headers['content-length'] = String(upload.bytes);
      headers['x-amz-content-sha256'] = upload.sha256;
      const response = await request('PUT', name, { body: upload.body, headers });
      if (!response.ok) throw await failure(response, 'PUT', name);
    },
    async remove(name) {
      check(name);
      const response = await request('DELETE', name);
      if (!response.ok && response.status !== 404) throw await failure(response, 'DELETE', name);
    },
    async list(under = '', { folders = false } = {}) {
      // keyOf('') ends with '/', so the listing never reaches a sibling prefix (`prod2/` for `prod`).
      const root = keyOf('');
      const relative = (key: string) => key.slice(root.length);
      const listing: S3Listing = { objects: [], folders: [] };
      let token: string | undefined;
      do {
        const response = await listPage(under, folders, token);
        if (!response.ok) throw await failure(response, 'LIST', under);
        const xml = await response.text();
        for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const field = (tag: string) =>
            xmlText(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(entry)?.[1] ?? '');
          listing.objects.push({
            name: relative(field('Key')),
            bytes: Number(field('Size')),
            lastModified: new Date(field('LastModified')),
          });
        }
        for (const [, prefix] of xml.matchAll(/<CommonPrefixes>\s*<Prefix>([^<]*)<\/Prefix>/g))
          listing.folders.push(relative(xmlText(prefix)));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined;
      } while (token);
      return listing;
    },
  };
}

/** `s3://bucket/some/prefix` → bucket and prefix (no leading or trailing slash). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(match[1]))
    throw new Error(
      `model store: '${url}' is not an s3://bucket/prefix URL (bucket names are 3–63 lowercase letters, digits, dots and dashes)`,
    );
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

function checkName(name: string, where: string): void {
  if (!name || name.includes('/') || name === '.' || name === '..')
    throw new Error(`${where}: invalid file name '${name}' (plain file names only)`);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
