import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.ts';
import { prepareDataset } from '../prepare.ts';
import { syntheticDataset } from '../synthetic.ts';
import { loadPreparedDataset, savePreparedDataset } from './cache-file.ts';

describe('prepared-dataset cache files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autorec-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const prepared = prepareDataset(syntheticDataset('tiny'), {
    split: { method: 'held-out-users', testUsers: 20 },
    seed: 7,
  });

  it('saves atomically (no temporary file left) and loads the same data', async () => {
    const path = join(dir, 'tiny.prepared');
    const size = await savePreparedDataset(path, prepared);
    expect(size).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual(['tiny.prepared']);
    const back = await loadPreparedDataset(path);
    expect(back.dataset.users.toArray()).toEqual(prepared.dataset.users.toArray());
    expect(back.split.labels).toEqual(prepared.split.labels);
    expect(back.ratings.foldIn).toEqual(prepared.ratings.foldIn);
    expect(back.trainSet.ratings).toEqual(prepared.trainSet.ratings);
    // Overwriting an existing cache replaces it whole.
    const other = prepareDataset(syntheticDataset('tiny', { seed: 3 }), {
      split: { method: 'random' },
      seed: 1,
    });
    await savePreparedDataset(path, other);
    expect((await loadPreparedDataset(path)).sourceChecksum).toBe(other.sourceChecksum);
    expect(await readdir(dir)).toEqual(['tiny.prepared']);
  });

  it('names the path for a missing, unwritable or corrupt cache', async () => {
    const missing = join(dir, 'nope.prepared');
    await expect(loadPreparedDataset(missing)).rejects.toThrow(DataError);
    await expect(loadPreparedDataset(missing)).rejects.toThrow(`${missing}: cache file not found`);
    const unwritable = join(dir, 'no-such-dir', 'x.prepared');
    await expect(savePreparedDataset(unwritable, prepared)).rejects.toThrow(
      /x\.prepared: cannot write the cache \(ENOENT\)/,
    );
    const junk = join(dir, 'junk.prepared');
    await writeFile(junk, 'not a cache at all');
    await expect(loadPreparedDataset(junk)).rejects.toThrow(/junk\.prepared: not a prepared-dataset file/);
  });

  it('replaces only a regular file: a link, a folder or a pipe at the path is refused and left as it was', async () => {
    const target = join(dir, 'mine.txt');
    await writeFile(target, 'mine');
    const link = join(dir, 'link.prepared');
    await symlink(target, link);
    await expect(savePreparedDataset(link, prepared)).rejects.toThrow(
      `${link}: refusing to replace a symbolic link with the cache; give a new or regular file`,
    );
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('mine');
    const folder = join(dir, 'folder.prepared');
    await mkdir(folder);
    await expect(savePreparedDataset(folder, prepared)).rejects.toThrow('refusing to replace a folder');
    const fifo = join(dir, 'pipe.prepared');
    execFileSync('mkfifo', [fifo]);
    await expect(savePreparedDataset(fifo, prepared)).rejects.toThrow('refusing to replace a pipe');
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    // Nothing half-written is left beside them.
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
