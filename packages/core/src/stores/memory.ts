import { ModelFormatError } from '../errors.ts';
import type { ModelStore } from '../types.ts';
import { decodeStoreText } from './text.ts';

/**
 * A `ModelStore` in memory, for the browser (before IndexedDB or a download) and for tests.
 * Writes are staged; `commit()` publishes exactly the files written since the last commit,
 * replacing the previous set — as the atomic directory store in Node does — so a reader never
 * sees half a model or stale files of an earlier one. Reads copy, so callers may keep or
 * modify what they read.
 *
 * @example
 * const store = memoryStore();
 * await model.save(store);            // save() commits
 * const again = await loadModel(store);
 * store.files();                      // ['manifest.json', 'ids.json', 'ratings.bin', 'svd.bin']
 */
export interface MemoryStore extends ModelStore {
  commit(): Promise<void>;
  /** Names of the committed files. */
  files(): string[];
  /** Committed bytes of `name` (undefined when absent), without copying. */
  peek(name: string): Uint8Array | undefined;
}

/** A memory store, optionally pre-filled with committed files (e.g. ones a user uploaded). */
export function memoryStore(initial: Record<string, Uint8Array | string> = {}): MemoryStore {
  const committed = new Map<string, Uint8Array>();
  const staged = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(initial)) committed.set(name, toBytes(data));
  const get = (name: string): Uint8Array => {
    const bytes = committed.get(name);
    if (!bytes) {
      const hint = staged.has(name) ? ' (it was written but not committed)' : '';
      throw new ModelFormatError(`model store: file '${name}' not found${hint}`, { file: name });
    }
    return bytes;
  };
  return {
    async write(name, data) {
      staged.set(name, toBytes(data));
    },
    async read(name) {
      return get(name).slice();
    },
    async readText(name) {
      return decodeStoreText(get(name), name, 'model store');
    },
    async commit() {
      committed.clear();
      for (const [name, bytes] of staged) committed.set(name, bytes);
      staged.clear();
    },
    files: () => [...committed.keys()],
    peek: (name) => committed.get(name),
  };
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data.slice();
}
