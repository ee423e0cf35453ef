import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { IdIndex } from './ids.ts';
import { addDisjoint, type CsrMatrix, csrFromTriplets, nnz } from './sparse.ts';

/** A training file and a test file read as one dataset, with which interactions are tests. */
export interface TrainTestDataset {
  /** Users and items of both files (training ones first), all interactions. */
  dataset: Dataset;
  /** One byte per interaction of `dataset.counts` (storage order): 1 for a test interaction. */
  testMask: Uint8Array;
}

/**
 * Joins a train file and a test file (read separately, each with its own ids) into one
 * dataset of the union of users and items, marking the test interactions — so a split made by
 * another tool (implicit's `train_test_split`, RecBole, Surprise) is evaluated on identical
 * data. A (user, item) pair in both files is an error naming it. `name`, `format`, `explicit`
 * and item info come from the training file (item info of test-only items from the test file).
 *
 * @example
 * const { dataset, testMask } = joinTrainTest(await read('train.tsv'), await read('test.tsv'));
 * prepareDataset(dataset, { split: { method: 'given', validation: 0.1 }, testMask, seed: 42 });
 */
export function joinTrainTest(train: Dataset, test: Dataset): TrainTestDataset {
  if (train.format !== test.format)
    throw new DataError(`the train file is ${train.format} but the test file is ${test.format}`);
  const users = new IdIndex(train.users.toArray());
  const items = new IdIndex(train.items.toArray());
  for (const u of test.users.toArray()) users.intern(u);
  for (const i of test.items.toArray()) items.intern(i);
  const remap = (d: Dataset): CsrMatrix => {
    const m = d.counts;
    const n = nnz(m);
    const rows = new Uint32Array(n);
    const cols = new Uint32Array(n);
    for (let r = 0; r < m.rows; r++) {
      const u = users.indexOf(d.users.external(r));
      for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
        rows[p] = u;
        cols[p] = items.indexOf(d.items.external(m.indices[p]));
      }
    }
    const { duplicates: _, ...out } = csrFromTriplets(
      users.size,
      items.size,
      rows,
      cols,
      m.values.subarray(0, n),
    );
    return out;
  };
  const a = remap(train);
  const b = remap(test);
  let counts: CsrMatrix;
  try {
    counts = addDisjoint(a, b);
  } catch (e) {
    const m = /entry \((\d+), (\d+)\)/.exec((e as Error).message);
    if (!m) throw e;
    throw new DataError(
      `user '${users.external(Number(m[1]))}' and item '${items.external(Number(m[2]))}' are in both the train and the test file; a given split must keep them apart`,
    );
  }
  const testMask = new Uint8Array(nnz(counts));
  for (let r = 0; r < counts.rows; r++) {
    let q = b.indptr[r];
    for (let p = counts.indptr[r]; p < counts.indptr[r + 1] && q < b.indptr[r + 1]; p++)
      if (counts.indices[p] === b.indices[q]) {
        testMask[p] = 1;
        q++;
      }
  }
  const itemInfo =
    train.itemInfo || test.itemInfo
      ? items.toArray().map((id) => {
          const i = train.items.indexOf(id);
          if (i >= 0 && train.itemInfo?.[i]) return train.itemInfo[i];
          const j = test.items.indexOf(id);
          return j >= 0 ? test.itemInfo?.[j] : undefined;
        })
      : undefined;
  const dataset: Dataset = {
    name: train.name,
    format: train.format,
    users,
    items,
    counts,
    explicit: train.explicit,
  };
  if (itemInfo) dataset.itemInfo = itemInfo;
  return { dataset, testMask };
}
