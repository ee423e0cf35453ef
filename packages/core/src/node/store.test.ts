import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { directoryStore } from './store.ts';

describe('directoryStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'autorec-store-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes into a temporary directory and renames it into place on commit', async () => {
    const dir = join(root, 'models', 'svd');
    const store = directoryStore(dir);
    await store.write('manifest.json', '{"a":1}');
    await store.write('w.bin', Uint8Array.of(1, 2, 3, 4));
    // Nothing visible before commit.
    await expect(store.read('w.bin')).rejects.toThrow(
      /file 'w.bin' is missing \(the directory does not exist\)/,
    );
    await store.commit();
    expect(await store.readText('manifest.json')).toBe('{"a":1}');
    expect(Array.from(await store.read('w.bin'))).toEqual([1, 2, 3, 4]);
    expect((await readdir(dir)).sort()).toEqual(['files.json', 'manifest.json', 'w.bin']);
    expect((await readdir(join(root, 'models'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('replaces a previous model completely and leaves no temporary directories', async () => {
    const dir = join(root, 'm');
    const first = directoryStore(dir);
    await first.write('manifest.json', '{}');
    await first.write('old.bin', Uint8Array.of(1));
    await first.commit();
    const second = directoryStore(dir);
    await second.write('manifest.json', '{"v":2}');
    await second.commit();
    expect((await readdir(dir)).sort()).toEqual(['files.json', 'manifest.json']);
    expect(await readdir(root)).toEqual(['m']);
  });

  it('names the file when it is missing or truncated', async () => {
    const dir = join(root, 'm');
    const store = directoryStore(dir);
    await store.write('manifest.json', '{}');
    await store.write('weights.bin', new Uint8Array(100));
    await store.commit();
    await truncate(join(dir, 'weights.bin'), 40);
    await expect(store.read('weights.bin')).rejects.toThrow(
      /file 'weights.bin' is truncated or altered: 40 bytes, expected 100/,
    );
    await expect(store.read('ids.json')).rejects.toThrow(/'.*m': file 'ids.json' is missing$/);
    for (const name of ['weights.bin', 'ids.json']) {
      const error = await store.read(name).catch((e: unknown) => e);
      expect(error).toMatchObject({ constructor: ModelFormatError, file: name });
    }
    await writeFile(join(dir, 'files.json'), '{oops');
    await expect(store.read('manifest.json')).rejects.toThrow(ModelFormatError);
    await writeFile(join(dir, 'files.json'), '{"files":{}}');
    await writeFile(join(dir, 'manifest.json'), Uint8Array.of(0xff, 0xfe));
    await expect(store.readText('manifest.json')).rejects.toThrow(ModelFormatError);
  });

  it('refuses to replace a directory that is not a saved model', async () => {
    const dir = join(root, 'precious');
    await mkdir(dir);
    await writeFile(join(dir, 'thesis.tex'), 'do not delete');
    const store = directoryStore(dir);
    await store.write('manifest.json', '{}');
    await expect(store.commit()).rejects.toThrow(/refusing to replace/);
    expect(await readFile(join(dir, 'thesis.tex'), 'utf8')).toBe('do not delete');
    await store.discard();
    expect((await readdir(root)).sort()).toEqual(['precious']);
    await writeFile(join(root, 'a-file'), 'x');
    const onFile = directoryStore(join(root, 'a-file'));
    await onFile.write('manifest.json', '{}');
    await expect(onFile.commit()).rejects.toThrow(/it is a file/);
    await onFile.discard();
  });

  it('rejects path-like file names and an empty commit', async () => {
    const store = directoryStore(join(root, 'm'));
    await expect(store.write('../escape', '')).rejects.toThrow(/invalid file name/);
    await expect(store.write('files.json', '')).rejects.toThrow(/reserved/);
    await expect(store.commit()).rejects.toThrow(/nothing was written/);
  });
});
