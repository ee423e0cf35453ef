import { decodeBundle, encodeBundle } from '@autorec/data';
import { ModelFormatError } from '../errors.ts';
import { type MemoryStore, memoryStore } from './memory.ts';

const KIND = 'model-archive';
const VERSION = 1;

/**
 * A saved model as one file: every file of a committed `MemoryStore` (manifest.json, ids.json,
 * ratings.bin, the weights) packed in the data package's checksummed bundle format. How the
 * browser app exports a model for download and keeps it in IndexedDB; `modelArchiveStore`
 * reads it back.
 *
 * @example
 * const store = memoryStore();
 * await model.save(store);
 * const bytes = encodeModelArchive(store);          // e.g. download as svd.autorec
 * const again = await loadModel(modelArchiveStore(bytes, 'svd.autorec'));
 */
export function encodeModelArchive(store: MemoryStore): Uint8Array {
  const names = store.files();
  if (!names.includes('manifest.json'))
    throw new ModelFormatError('model archive: the store holds no saved model (no manifest.json)', {
      file: 'manifest.json',
    });
  const files: Record<string, Uint8Array> = {};
  for (const name of names) files[name] = store.peek(name)!;
  return encodeBundle(KIND, VERSION, files, { files: names });
}

/**
 * The files of a model archive as a committed memory store, for `loadModel`. A file that is
 * not an archive, or a damaged one, raises `ModelFormatError` naming `source`.
 */
export function modelArchiveStore(bytes: Uint8Array, source = 'model archive'): MemoryStore {
  let arrays: Record<string, unknown>;
  try {
    arrays = decodeBundle(bytes, KIND, VERSION, source).arrays;
  } catch (error) {
    throw new ModelFormatError(`${(error as Error).message} (expected a model exported by autorec)`, {
      file: source,
      cause: error,
    });
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(arrays)) {
    if (!(data instanceof Uint8Array))
      throw new ModelFormatError(`${source}: entry '${name}' is not a file`, { file: source });
    files[name] = data;
  }
  if (!files['manifest.json'])
    throw new ModelFormatError(`${source}: no manifest.json in the archive`, { file: source });
  return memoryStore(files);
}
