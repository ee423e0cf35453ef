import { spawnSync } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractTrainSet } from '@autorec/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { createModel, loadModel } from '../models/registry.ts';
import { cleanStaleOutputs, OutputPathError } from './output-folder.ts';
import { directoryStore } from './store.ts';

/** A committed store of two files at `dir`. */
async function saveTiny(dir: string): Promise<void> {
  const store = directoryStore(dir);
  await store.write('manifest.json', '{}');
  await store.write('w.bin', Uint8Array.of(1, 2));
  await store.commit();
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  return pid!;
}

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

  it('refuses to replace a directory that is not a saved model, at the first write', async () => {
    const dir = join(root, 'precious');
    await mkdir(dir);
    await writeFile(join(dir, 'thesis.tex'), 'do not delete');
    const store = directoryStore(dir);
    await expect(store.write('manifest.json', '{}')).rejects.toThrow(/refusing to replace .*no files\.json/);
    expect(await readFile(join(dir, 'thesis.tex'), 'utf8')).toBe('do not delete');
    await store.discard();
    expect((await readdir(root)).sort()).toEqual(['precious']);
    await writeFile(join(root, 'a-file'), 'x');
    const onFile = directoryStore(join(root, 'a-file'));
    await expect(onFile.write('manifest.json', '{}')).rejects.toThrow(/it is a file/);
    await onFile.discard();
  });

  it('refuses a saved model with a file it did not write, and one without files.json', async () => {
    const dir = join(root, 'm');
    await saveTiny(dir);
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'main.c'), 'int main;');
    const again = directoryStore(dir);
    await expect(again.write('manifest.json', '{}')).rejects.toThrow(
      /refusing to replace '.*m': 'src\/' in it was not written by autorec/,
    );
    await again.discard();
    expect(await readFile(join(dir, 'src', 'main.c'), 'utf8')).toBe('int main;');
    // A folder holding only manifest.json (what used to pass) is not enough.
    const bare = join(root, 'bare');
    await mkdir(bare);
    await writeFile(join(bare, 'manifest.json'), '{}');
    await writeFile(join(bare, 'notes.txt'), 'mine');
    await expect(directoryStore(bare).write('manifest.json', '{}')).rejects.toThrow(OutputPathError);
    expect(await readFile(join(bare, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('replaces an older model folder whose files.json lists exactly its files', async () => {
    const dir = join(root, 'old');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), '{}');
    await writeFile(join(dir, 'files.json'), JSON.stringify({ files: { 'manifest.json': 2 } }));
    const store = directoryStore(dir);
    await store.write('manifest.json', '{"v":2}');
    await store.commit();
    expect(await store.readText('manifest.json')).toBe('{"v":2}');
  });

  it('does not follow a symbolic link to a folder', async () => {
    const real = join(root, 'real');
    await saveTiny(real);
    await symlink(real, join(root, 'link'));
    const store = directoryStore(join(root, 'link'));
    await expect(store.write('manifest.json', '{}')).rejects.toThrow(/symbolic link/);
    await store.discard();
    expect((await readdir(real)).sort()).toEqual(['files.json', 'manifest.json', 'w.bin']);
  });

  it('serialises saves through separate stores and refuses a second save on one store, clearly', async () => {
    const dir = join(root, 'm');
    const model = createModel('popularity');
    await model.fit(contractTrainSet());
    // Eight saves through eight stores: every one commits whole, the last wins, nothing left over.
    await Promise.all(Array.from({ length: 8 }, () => model.save(directoryStore(dir))));
    expect((await loadModel(directoryStore(dir))).name).toBe('popularity');
    // Eight saves through one store: the first one completes, the others fail with a message.
    const one = directoryStore(dir);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => model.save(one)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/already being written by another save/);
    expect((await loadModel(directoryStore(dir))).name).toBe('popularity');
    expect(await readdir(root)).toEqual(['m']);
  });

  it('removes what dead processes left next to the folder and puts back a folder moved aside', async () => {
    const dir = join(root, 'm');
    await saveTiny(dir);
    const dead = await deadPid();
    for (const name of [`.m.partial-${dead}-00ff`, `.m.tmp-${dead}-abcd`, `m.${dead}-1234.tmp`])
      await mkdir(join(root, name));
    await mkdir(join(root, `.m.partial-${process.pid}-beef`)); // ours, alive: kept
    await saveTiny(dir);
    expect((await readdir(root)).sort()).toEqual([`.m.partial-${process.pid}-beef`, 'm']);
    // Killed between the two renames: the old folder is aside, the new one not in place.
    await rename(dir, join(root, `.m.old-${dead}-0a0b`));
    expect(await cleanStaleOutputs(dir)).toEqual([`.m.old-${dead}-0a0b`]);
    expect((await readdir(dir)).sort()).toEqual(['files.json', 'manifest.json', 'w.bin']);
  });

  it('names a file whose content changed at the same size (headers too)', async () => {
    const dir = join(root, 'm');
    const model = createModel('popularity');
    await model.fit(contractTrainSet());
    await model.save(directoryStore(dir));
    const path = join(dir, 'ratings.bin');
    const bytes = await readFile(path);
    bytes[20] ^= 1; // inside the bundle's JSON header, which its own checksum does not cover
    await writeFile(path, bytes);
    const error = await loadModel(directoryStore(dir)).catch((e: unknown) => e);
    expect(error).toMatchObject({ constructor: ModelFormatError, file: 'ratings.bin' });
    expect((error as Error).message).toMatch(/file 'ratings\.bin' is corrupt: its SHA-256 differs/);
  });

  it('rejects path-like file names and an empty commit', async () => {
    const store = directoryStore(join(root, 'm'));
    await expect(store.write('../escape', '')).rejects.toThrow(/invalid file name/);
    await expect(store.write('files.json', '')).rejects.toThrow(/reserved/);
    await expect(store.commit()).rejects.toThrow(/nothing was written/);
  });
});
