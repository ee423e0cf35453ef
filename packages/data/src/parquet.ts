import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import type { PreparedDataset } from './prepare.ts';
import { nnz } from './sparse.ts';
import { describeSplitOptions, SPLIT_LABEL } from './splits.ts';

/**
 * A prepared dataset as Apache Parquet, for engines bigger than this one (Spark, DuckDB, Polars,
 * pandas): the same interactions, ids, ratings and split the CLI trains on, so a model trained
 * elsewhere — e.g. Spark MLlib's implicit ALS — is compared on identical data.
 *
 * Files (`name` is a path relative to the export folder):
 * - `interactions/part-NNNNN.parquet` — one row per (user, song) pair of the filtered dataset,
 *   at most {@link PARQUET_ROWS_PER_FILE} rows per file (Spark, DuckDB and Polars read the folder
 *   as one table): `user` and `song` (the ids as read), `user_index` and `song_index` (the dense
 *   indices of the model files, 0-based), `count` (the value as read: a play count, or the stars
 *   of a MovieLens rating), `rating` (after the transform fitted on the training part — what the
 *   models see) and `part` (`train`, `validation`, `test`, `test-fold-in`, `validation-fold-in`).
 * - `users.parquet` — `user_index`, `user`; `songs.parquet` — `song_index`, `song`, `artist`,
 *   `title` (null without metadata).
 * Every file carries the split, seed and transform as key-value metadata (`autorec.*`).
 *
 * The files are made one at a time, so a 48M-row Taste Profile never holds more than one part's
 * columns as JS values. hyparquet-writer (pure JavaScript, Snappy, no native code) writes them:
 * the export runs wherever the data package runs, a browser included.
 *
 * @example
 * for (const file of parquetFiles(prepared)) await writeFile(join(dir, file.name), file.bytes);
 * // duckdb: SELECT part, count(*) FROM 'dir/interactions/*.parquet' GROUP BY part;
 */
export function* parquetFiles(
  prepared: PreparedDataset,
  options: { rowsPerFile?: number } = {},
): Generator<{ name: string; bytes: Uint8Array; rows: number }> {
  const rowsPerFile = options.rowsPerFile ?? PARQUET_ROWS_PER_FILE;
  if (!(Number.isInteger(rowsPerFile) && rowsPerFile >= 1))
    throw new RangeError(`rowsPerFile must be a whole number ≥ 1, got ${rowsPerFile}`);
  const { dataset, split, ratings } = prepared;
  const metadata = [
    { key: 'autorec.dataset', value: dataset.name },
    { key: 'autorec.format', value: dataset.format },
    { key: 'autorec.split', value: describeSplitOptions(split.options) },
    { key: 'autorec.seed', value: String(split.seed) },
    { key: 'autorec.transform', value: JSON.stringify(prepared.transform) },
  ];
  const write = (columnData: ColumnSource[]) =>
    new Uint8Array(parquetWriteBuffer({ columnData, kvMetadata: metadata, createdBy: 'autorec' }));

  const { users, items } = dataset;
  yield {
    name: 'users.parquet',
    rows: users.size,
    bytes: write([
      {
        name: 'user_index',
        type: 'INT32',
        nullable: false,
        data: Int32Array.from({ length: users.size }, (_, u) => u),
      },
      {
        name: 'user',
        type: 'STRING',
        nullable: false,
        data: Array.from({ length: users.size }, (_, u) => users.external(u)),
      },
    ]),
  };
  const info = dataset.itemInfo;
  yield {
    name: 'songs.parquet',
    rows: items.size,
    bytes: write([
      {
        name: 'song_index',
        type: 'INT32',
        nullable: false,
        data: Int32Array.from({ length: items.size }, (_, i) => i),
      },
      {
        name: 'song',
        type: 'STRING',
        nullable: false,
        data: Array.from({ length: items.size }, (_, i) => items.external(i)),
      },
      {
        name: 'artist',
        type: 'STRING',
        data: Array.from({ length: items.size }, (_, i) => info?.[i]?.artist ?? null),
      },
      {
        name: 'title',
        type: 'STRING',
        data: Array.from({ length: items.size }, (_, i) => info?.[i]?.title ?? null),
      },
    ]),
  };

  // Each interaction's rating is in its part's matrix, at the same position among its row's
  // entries of that part: the parts keep the counts' order within a row (`cutByLabels`).
  const { counts } = dataset;
  const n = nnz(counts);
  const parts = [ratings.train, ratings.validation, ratings.test, ratings.foldIn];
  const cursor = new Uint32Array(4);
  let file = 0;
  let row = 0;
  for (let from = 0; from < n || (n === 0 && file === 0); from += rowsPerFile) {
    const size = Math.min(rowsPerFile, n - from);
    const user = new Array<string>(size);
    const song = new Array<string>(size);
    const userIndex = new Int32Array(size);
    const songIndex = new Int32Array(size);
    const count = new Float32Array(size);
    const rating = new Float32Array(size);
    const part = new Array<string>(size);
    for (let j = 0; j < size; j++) {
      const p = from + j;
      while (counts.indptr[row + 1] <= p) {
        row++;
        for (let g = 0; g < 4; g++) cursor[g] = parts[g]?.indptr[row] ?? 0;
      }
      const label = split.labels[p];
      const g = label === SPLIT_LABEL.validationFoldIn ? 3 : label;
      const matrix = parts[g];
      if (!matrix)
        throw new RangeError(`interaction ${p} is labelled ${PART_NAMES[label]} but that part is missing`);
      const q = cursor[g]++;
      if (matrix.indices[q] !== counts.indices[p])
        throw new RangeError(
          `interaction ${p}: the ${PART_NAMES[label]} part is out of step with the counts`,
        );
      user[j] = users.external(row);
      song[j] = items.external(counts.indices[p]);
      userIndex[j] = row;
      songIndex[j] = counts.indices[p];
      count[j] = counts.values[p];
      rating[j] = matrix.values[q];
      part[j] = PART_NAMES[label];
    }
    yield {
      name: `interactions/part-${String(file).padStart(5, '0')}.parquet`,
      rows: size,
      bytes: write([
        { name: 'user', type: 'STRING', nullable: false, data: user },
        { name: 'song', type: 'STRING', nullable: false, data: song },
        { name: 'user_index', type: 'INT32', nullable: false, data: userIndex },
        { name: 'song_index', type: 'INT32', nullable: false, data: songIndex },
        { name: 'count', type: 'FLOAT', nullable: false, data: count },
        { name: 'rating', type: 'FLOAT', nullable: false, data: rating },
        { name: 'part', type: 'STRING', nullable: false, data: part },
      ]),
    };
    file++;
    if (n === 0) break;
  }
}

/** Interactions per `interactions/part-NNNNN.parquet` file: ≈ 0.3 GB of JS values while one is made. */
export const PARQUET_ROWS_PER_FILE = 2_000_000;

/** The `part` column's values, by `SPLIT_LABEL` code. */
export const PART_NAMES: readonly string[] = [
  'train',
  'validation',
  'test',
  'test-fold-in',
  'validation-fold-in',
];
