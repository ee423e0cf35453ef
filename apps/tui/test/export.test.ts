import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runJson, tempDir } from './cli-helpers.ts';

let folder: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  folder = await tempDir('export');
});
afterAll(async () => {
  await folder?.remove();
});

const read = async (file: string) =>
  (await parquetReadObjects({ file: (await readFile(file)).buffer as ArrayBuffer })) as Record<
    string,
    unknown
  >[];

describe('autorec prepare --export parquet', () => {
  it('writes the prepared interactions, users and songs as Parquet beside the cache, which train still reads', async () => {
    const out = join(folder.dir, 'prep');
    const { run, json } = await runJson([
      'prepare',
      '--synthetic',
      'tiny',
      '--split',
      'holdout:0.2',
      '--out',
      out,
      '--export',
      'parquet',
    ]);
    expect(run.code).toBe(0);
    const files = (json.export as { files: { file: string; rows: number }[] }).files;
    expect(files.map((f) => f.file).sort()).toEqual([
      'parquet/interactions/part-00000.parquet',
      'parquet/songs.parquet',
      'parquet/users.parquet',
    ]);
    const interactions = await read(join(out, 'parquet/interactions/part-00000.parquet'));
    expect(interactions).toHaveLength(json.interactions as number);
    const split = (json.split as { interactions: Record<string, number> }).interactions;
    const parts: Record<string, number> = {};
    for (const r of interactions) parts[r.part as string] = (parts[r.part as string] ?? 0) + 1;
    expect(parts).toEqual({ train: split.train, validation: split.validation, test: split.test });
    expect((await read(join(out, 'parquet/users.parquet'))).length).toBe(json.users);
    expect((await read(join(out, 'parquet/songs.parquet'))).length).toBe(json.items);
    // The folder's index lists the Parquet files, so the folder is replaced or checked as one.
    const index = JSON.parse(await readFile(join(out, 'files.json'), 'utf8'));
    expect(Object.keys(index.files)).toContain('parquet/interactions/part-00000.parquet');
    const train = await runCli([
      'train',
      '--data',
      out,
      '--model',
      'popularity',
      '--out',
      join(folder.dir, 'model'),
    ]);
    expect(train.code).toBe(0);
  }, 60_000);

  it('refuses an export format it does not write', async () => {
    const run = await runCli([
      'prepare',
      '--synthetic',
      'tiny',
      '--out',
      join(folder.dir, 'x'),
      '--export',
      'csv',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--export.*csv.*parquet/s);
  });
});
