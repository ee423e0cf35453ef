import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { PART_NAMES, parquetFiles } from './parquet.ts';
import { type PreparedDataset, prepareDataset } from './prepare.ts';
import { nnz } from './sparse.ts';
import { SPLIT_LABEL } from './splits.ts';
import { syntheticDataset } from './synthetic.ts';

type Row = Record<string, unknown>;

/** Every file of the export, read back with hyparquet (an independent reader). */
async function readBack(prepared: PreparedDataset, rowsPerFile?: number) {
  const files = [...parquetFiles(prepared, { rowsPerFile })];
  const read = (bytes: Uint8Array) =>
    parquetReadObjects({ file: bytes.slice().buffer as ArrayBuffer }) as Promise<Row[]>;
  const parts = files.filter((f) => f.name.startsWith('interactions/'));
  const interactions: Row[] = [];
  for (const f of parts) {
    const rows = await read(f.bytes);
    expect(rows).toHaveLength(f.rows);
    interactions.push(...rows);
  }
  return {
    files,
    parts,
    interactions,
    users: await read(files.find((f) => f.name === 'users.parquet')!.bytes),
    songs: await read(files.find((f) => f.name === 'songs.parquet')!.bytes),
  };
}

describe('parquetFiles', () => {
  const dataset = syntheticDataset('tiny');

  it('round-trips every interaction with its ids, count, transformed rating and part', async () => {
    const prepared = prepareDataset(dataset, {
      split: { method: 'random', test: 0.2, validation: 0.1 },
      seed: 3,
    });
    const { parts, interactions, users, songs } = await readBack(prepared, 1000);
    const n = nnz(prepared.dataset.counts);
    expect(parts.map((f) => f.name)).toEqual(
      Array.from(
        { length: Math.ceil(n / 1000) },
        (_, i) => `interactions/part-${String(i).padStart(5, '0')}.parquet`,
      ),
    );
    expect(interactions).toHaveLength(n);
    const { counts } = prepared.dataset;
    const byPart = new Map<string, number>();
    // The rating of (u, i) in each part's matrix, to check every row against.
    const ratingOf = new Map<string, number>();
    const partMatrices = {
      train: prepared.ratings.train,
      validation: prepared.ratings.validation,
      test: prepared.ratings.test,
    };
    for (const [name, m] of Object.entries(partMatrices))
      for (let u = 0; u < m!.rows; u++)
        for (let q = m!.indptr[u]; q < m!.indptr[u + 1]; q++)
          ratingOf.set(`${name} ${u} ${m!.indices[q]}`, m!.values[q]);
    let p = 0;
    for (let u = 0; u < counts.rows; u++)
      for (let q = counts.indptr[u]; q < counts.indptr[u + 1]; q++, p++) {
        const row = interactions[p];
        const i = counts.indices[q];
        expect(row.user_index).toBe(u);
        expect(row.song_index).toBe(i);
        expect(row.user).toBe(prepared.dataset.users.external(u));
        expect(row.song).toBe(prepared.dataset.items.external(i));
        expect(row.count).toBe(counts.values[q]);
        expect(row.part).toBe(PART_NAMES[prepared.split.labels[q]]);
        expect(row.rating).toBe(ratingOf.get(`${row.part} ${u} ${i}`));
        byPart.set(row.part as string, (byPart.get(row.part as string) ?? 0) + 1);
      }
    expect(Object.fromEntries(byPart)).toEqual({
      train: nnz(prepared.ratings.train),
      validation: nnz(prepared.ratings.validation!),
      test: nnz(prepared.ratings.test),
    });
    expect(users.map((r) => r.user)).toEqual(
      Array.from({ length: counts.rows }, (_, u) => prepared.dataset.users.external(u)),
    );
    expect(users.map((r) => r.user_index)).toEqual(Array.from({ length: counts.rows }, (_, u) => u));
    expect(songs).toHaveLength(counts.cols);
    expect(songs[5]).toMatchObject({
      song_index: 5,
      song: prepared.dataset.items.external(5),
      artist: prepared.dataset.itemInfo?.[5]?.artist ?? null,
      title: prepared.dataset.itemInfo?.[5]?.title ?? null,
    });
  });

  it('labels the fold-in plays of held-out users and carries the split in the metadata', async () => {
    const prepared = prepareDataset(dataset, {
      split: { method: 'held-out-users', testUsers: 20, validationUsers: 10 },
      seed: 5,
    });
    const { files, interactions } = await readBack(prepared);
    const parts = new Set(interactions.map((r) => r.part));
    expect(parts).toEqual(new Set(['train', 'test', 'test-fold-in', 'validation', 'validation-fold-in']));
    // Fold-in plays keep their transformed rating from the fold-in matrix.
    const foldIn = prepared.ratings.foldIn!;
    const first = interactions.find((r) => r.part === 'test-fold-in')!;
    const u = first.user_index as number;
    const q =
      foldIn.indptr[u] +
      Array.from(foldIn.indices.subarray(foldIn.indptr[u], foldIn.indptr[u + 1])).indexOf(
        first.song_index as number,
      );
    expect(first.rating).toBe(foldIn.values[q]);
    expect(prepared.split.labels.filter((l) => l === SPLIT_LABEL.validationFoldIn).length).toBe(
      interactions.filter((r) => r.part === 'validation-fold-in').length,
    );
    for (const f of files) {
      const kv = Object.fromEntries(
        (parquetMetadata(f.bytes.slice().buffer as ArrayBuffer).key_value_metadata ?? []).map((e) => [
          e.key,
          e.value,
        ]),
      );
      expect(kv['autorec.split']).toMatch(/held-out users/);
      expect(kv['autorec.seed']).toBe('5');
      expect(JSON.parse(kv['autorec.transform']!)).toEqual(JSON.parse(JSON.stringify(prepared.transform)));
    }
  });

  it('refuses a row count per file that is not a whole number ≥ 1', () => {
    const prepared = prepareDataset(dataset, { split: { method: 'random', test: 0.2 }, seed: 1 });
    expect(() => [...parquetFiles(prepared, { rowsPerFile: 0 })]).toThrow(/rowsPerFile/);
    expect(() => [...parquetFiles(prepared, { rowsPerFile: 1.5 })]).toThrow(/rowsPerFile/);
  });
});
