import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelFormatError } from '../errors.ts';
import { decodeStoreText } from '../stores/text.ts';
import type { ModelStore } from '../types.ts';
import { type AtomicFolder, FOLDER_INDEX, openAtomicFolder, sha256 } from './output-folder.ts';

export interface DirectoryStore extends ModelStore {
  /** The model directory (absolute). */
  readonly dir: string;
  commit(): Promise<void>;
  /** Removes the temporary directory of an unfinished save (after an error). Safe to call twice. */
  discard(): Promise<void>;
}

/**
 * A `ModelStore` on a directory, written through `openAtomicFolder`: writes go to a temporary
 * sibling directory; `commit()` (which `Recommender.save` calls) writes `files.json` — every
 * file's size and SHA-256 — and swaps the directory into place by rename, so a crash mid-save
 * leaves the previous model intact and a reader never sees a half-written one. An existing
 * directory is replaced only when it is empty or a model saved before, holding nothing else.
 *
 * Reads come from the committed directory. A missing file, or one whose size or SHA-256 differs
 * from `files.json`, raises a `ModelFormatError` naming the directory and the file. One save at a
 * time per store: a second `save` while one is writing fails with a clear message (saves through
 * separate stores to one directory are serialised at commit; the last one wins).
 *
 * @example
 * import { directoryStore } from '@autorec/core/node';
 * await model.save(directoryStore('models/svd-lastfm'));
 * const again = await loadModel(directoryStore('models/svd-lastfm'));
 */
export function directoryStore(directory: string): DirectoryStore {
  const dir = resolve(directory);
  let folder: Promise<AtomicFolder> | undefined;
  const written = new Set<string>();
  let committing = false;

  const checkName = (name: string): void => {
    if (!name || name !== basename(name) || name === '.' || name === '..' || name === FOLDER_INDEX)
      throw new Error(
        `model store: invalid file name '${name}' (plain file names only; '${FOLDER_INDEX}' is reserved)`,
      );
  };

  const busy = (name: string) =>
    new Error(
      `model store '${dir}': '${name}' is already being written by another save to this store; ` +
        'await the first save (or give each save its own directoryStore)',
    );

  const read = async (name: string): Promise<Uint8Array> => {
    checkName(name);
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new ModelFormatError(
          `model directory '${dir}': file '${name}' is missing` +
            ((await exists(dir)) ? '' : ' (the directory does not exist)'),
          { file: name },
        );
      throw new ModelFormatError(`model directory '${dir}': cannot read '${name}': ${(e as Error).message}`, {
        file: name,
        cause: e,
      });
    }
    const index = await readIndex(dir);
    if (index === undefined) return bytes; // a hand-assembled directory without an index is read as is
    const expected = index[name];
    const damaged = (what: string) =>
      new ModelFormatError(
        `model directory '${dir}': file '${name}' ${what}; the model is damaged, save it again`,
        { file: name },
      );
    if (expected === undefined)
      throw damaged(`is not listed in ${FOLDER_INDEX} (it was not written by the save)`);
    const size = typeof expected === 'number' ? expected : expected?.bytes;
    if (size !== bytes.length)
      throw damaged(
        `is truncated or altered: ${bytes.length} bytes, expected ${size} (from ${FOLDER_INDEX})`,
      );
    if (typeof expected === 'object' && expected.sha256 !== sha256(bytes))
      throw damaged(`is corrupt: its SHA-256 differs from the one in ${FOLDER_INDEX}`);
    return bytes;
  };

  return {
    dir,
    async write(name, data) {
      checkName(name);
      if (committing || written.has(name)) throw busy(name);
      written.add(name);
      folder ??= openAtomicFolder(dir, 'autorec-model');
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      await (await folder).write(name, bytes);
    },
    read,
    async readText(name) {
      return decodeStoreText(await read(name), name, `model directory '${dir}'`);
    },
    async commit() {
      if (!folder) throw new Error(`model store '${dir}': nothing was written, nothing to commit`);
      if (committing) throw busy(FOLDER_INDEX);
      committing = true;
      try {
        await (await folder).commit();
      } finally {
        folder = undefined;
        written.clear();
        committing = false;
      }
    },
    async discard() {
      const pending = folder;
      folder = undefined;
      written.clear();
      if (pending) await (await pending.catch(() => undefined))?.discard();
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

type IndexEntry = number | { bytes: number; sha256: string };

async function readIndex(dir: string): Promise<Record<string, IndexEntry> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, FOLDER_INDEX), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { files?: Record<string, IndexEntry> };
    if (typeof parsed?.files !== 'object' || parsed.files === null) throw new Error('no files');
    return parsed.files;
  } catch {
    throw new ModelFormatError(
      `model directory '${dir}': ${FOLDER_INDEX} is not a valid file index; save the model again`,
      { file: FOLDER_INDEX },
    );
  }
}
