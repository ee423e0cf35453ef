import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelFormatError } from '../errors.ts';
import { decodeStoreText } from '../stores/text.ts';
import type { ModelStore } from '../types.ts';

/** Lists each committed file's size, so a truncated copy is caught with a clear message. */
const INDEX_FILE = 'files.json';

export interface DirectoryStore extends ModelStore {
  /** The model directory (absolute). */
  readonly dir: string;
  commit(): Promise<void>;
  /** Removes the temporary directory of an unfinished save (after an error). Safe to call twice. */
  discard(): Promise<void>;
}

/**
 * A `ModelStore` on a directory. Writes go to a temporary sibling directory; `commit()` (which
 * `Recommender.save` calls) writes `files.json` with every file's size and swaps the temporary
 * directory into place by rename, so a crash mid-save leaves the previous model intact and a
 * reader never sees a half-written one. An existing directory is replaced only when it is
 * empty or holds a saved model (`manifest.json` or `files.json`), never some other folder.
 *
 * Reads come from the committed directory. A missing file, or one whose size differs from
 * `files.json`, raises an error naming the directory and the file.
 *
 * @example
 * import { directoryStore } from '@autorec/core/node';
 * await model.save(directoryStore('models/svd-lastfm'));
 * const again = await loadModel(directoryStore('models/svd-lastfm'));
 */
export function directoryStore(directory: string): DirectoryStore {
  const dir = resolve(directory);
  let temp: string | undefined;
  const sizes = new Map<string, number>();

  const checkName = (name: string): void => {
    if (!name || name !== basename(name) || name === '.' || name === '..' || name === INDEX_FILE)
      throw new Error(
        `model store: invalid file name '${name}' (plain file names only; '${INDEX_FILE}' is reserved)`,
      );
  };

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
    const expected = (await readIndex(dir))?.[name];
    if (expected !== undefined && expected !== bytes.length)
      throw new ModelFormatError(
        `model directory '${dir}': file '${name}' is truncated or altered: ${bytes.length} bytes, ` +
          `expected ${expected} (from ${INDEX_FILE}); save the model again`,
        { file: name },
      );
    return bytes;
  };

  return {
    dir,
    async write(name, data) {
      checkName(name);
      if (!temp) {
        temp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
        await mkdir(temp, { recursive: true });
      }
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      await writeFile(join(temp, name), bytes);
      sizes.set(name, bytes.byteLength);
    },
    read,
    async readText(name) {
      return decodeStoreText(await read(name), name, `model directory '${dir}'`);
    },
    async commit() {
      if (!temp) throw new Error(`model store '${dir}': nothing was written, nothing to commit`);
      await writeFile(join(temp, INDEX_FILE), JSON.stringify({ files: Object.fromEntries(sizes) }, null, 2));
      await mkdir(dirname(dir), { recursive: true });
      let old: string | undefined;
      if (await exists(dir)) {
        if (!(await stat(dir)).isDirectory())
          throw new Error(`refusing to replace '${dir}': it is a file, not a model directory`);
        const entries = await readdir(dir);
        if (entries.length > 0 && !entries.includes('manifest.json') && !entries.includes(INDEX_FILE))
          throw new Error(
            `refusing to replace '${dir}': it exists and does not look like a saved model ` +
              `(no manifest.json); choose an empty or new directory`,
          );
        old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
        await rename(dir, old);
      }
      await rename(temp, dir);
      temp = undefined;
      sizes.clear();
      if (old) await rm(old, { recursive: true, force: true });
    },
    async discard() {
      if (temp) await rm(temp, { recursive: true, force: true });
      temp = undefined;
      sizes.clear();
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

async function readIndex(dir: string): Promise<Record<string, number> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, INDEX_FILE), 'utf8');
  } catch {
    return undefined; // a hand-assembled directory without an index is read as is
  }
  try {
    const parsed = JSON.parse(text) as { files?: Record<string, number> };
    return parsed.files;
  } catch {
    throw new ModelFormatError(
      `model directory '${dir}': ${INDEX_FILE} is not valid JSON; save the model again`,
      {
        file: INDEX_FILE,
      },
    );
  }
}
