import { ModelFormatError } from '../errors.ts';
import type { ModelStore } from '../types.ts';
import { decodeStoreText } from './text.ts';

/** What `fetchStore` needs of `fetch` (the global one by default; injectable for tests and proxies). */
export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface FetchStoreOptions {
  fetch?: FetchLike;
  /** Aborts every read in flight (e.g. when a page navigates away). */
  signal?: AbortSignal;
}

/**
 * A read-only `ModelStore` over HTTP: loads a saved model directory (manifest.json, model.json,
 * weights.bin, …) that a web server, a CDN or the API serves under `baseUrl` — how a browser
 * or a Web Worker loads a model trained in Node. Each file is fetched once, when the loader
 * asks for it; a missing file or an HTTP error is a `ModelFormatError` naming the file and URL.
 *
 * @example
 * const model = await loadModel(fetchStore('https://example.org/models/i-autorec/'));
 * model.recommend('user-1', 10);
 */
export function fetchStore(baseUrl: string, options: FetchStoreOptions = {}): ModelStore {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const read = async (name: string): Promise<Uint8Array> => {
    const url = base + name.split('/').map(encodeURIComponent).join('/');
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await doFetch(url, { signal: options.signal });
    } catch (error) {
      throw new ModelFormatError(
        `model store: could not fetch '${name}' from ${url}: ${(error as Error).message}`,
        { file: name, cause: error },
      );
    }
    if (!response.ok) {
      const what =
        response.status === 404 ? 'not found' : `HTTP ${response.status} ${response.statusText}`.trim();
      throw new ModelFormatError(`model store: file '${name}' ${what} at ${url}`, { file: name });
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  return {
    read,
    async readText(name) {
      return decodeStoreText(await read(name), name, 'model store');
    },
    async write(name) {
      throw new ModelFormatError(
        `model store: ${base} is read-only (fetchStore); save to memoryStore() or directoryStore() instead of writing '${name}'`,
        { file: name },
      );
    },
  };
}
