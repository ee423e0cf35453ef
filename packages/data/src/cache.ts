import { decodeBundle, encodeBundle, type StoredArray } from './binary.ts';
import type { Dataset, FormatName, ItemInfo, ParseReport, TransformSpec } from './dataset.ts';
import { DataError } from './errors.ts';
import type { FilterSummary } from './filters.ts';
import { IdIndex } from './ids.ts';
import { assemblePrepared, type PreparedDataset, type PreparedParams } from './prepare.ts';
import { type CsrMatrix, nnz } from './sparse.ts';
import { type ColdReport, LABEL_PART, mergeParts, type Split } from './splits.ts';

/** Bundle kind of a prepared-dataset cache. */
export const PREPARED_DATASET_KIND = 'prepared-dataset';
/** Version of the cache layout; a cache of another version is refused (rebuild it). */
export const PREPARED_DATASET_VERSION = 1;

/** The split parts in `LABEL_PART` order, as named in the cache. */
const PARTS = ['train', 'validation', 'test', 'foldIn'] as const;
type PartName = (typeof PARTS)[number];

interface CacheMeta {
  name: string;
  format: FormatName;
  explicit: boolean;
  report?: ParseReport;
  params: PreparedParams;
  sourceChecksum: string;
  filterSummary?: FilterSummary;
  transform: TransformSpec;
  rows: number;
  cols: number;
  /** Parts present (train and test always). */
  parts: PartName[];
  coldInteractions: { test: number; validation?: number };
}

/**
 * Serialises a PreparedDataset into a versioned binary bundle (magic, version, checksum; see
 * `encodeBundle`). It stores what loading must return, ready to use, so a load does no
 * per-interaction work besides the checksum and a bounds check: each split part as CSR with
 * its counts and ratings, the split labels, ids, item info, cold reports and held-out users.
 * The full count matrix (`dataset.counts`) is not stored: on load it is rebuilt from the parts
 * and labels on first access (one pass, ~0.3 s for 33M plays).
 *
 * Size: 13 B per interaction (4 B song index, 4 B count, 4 B rating, 1 B label) + 16 B per
 * user (row offsets of four parts) + the ids' UTF-8 bytes and 4 B per id. Ids are stored as one
 * concatenated string with end offsets: one TextDecoder call and slices on load, measured
 * 1.6× faster than JSON.parse of an array (571K ids: 50 ms against 80 ms).
 *
 * @example
 * const bytes = encodePreparedDataset(prepared);
 * const again = decodePreparedDataset(bytes, 'cache.bin');
 */
export function encodePreparedDataset(prepared: PreparedDataset): Uint8Array {
  const { dataset, split, ratings } = prepared;
  const users = encodeIds(dataset.users.toArray());
  const items = encodeIds(dataset.items.toArray());
  const arrays: Record<string, StoredArray> = {
    labels: split.labels,
    userIdChars: users.chars,
    userIdEnds: users.ends,
    itemIdChars: items.chars,
    itemIdEnds: items.ends,
    itemInfo: new TextEncoder().encode(
      dataset.itemInfo
        ? JSON.stringify(dataset.itemInfo.map((i) => (i ? [i.artist ?? null, i.title ?? null] : 0)))
        : '',
    ),
    coldTestUsers: split.cold.test.users,
    coldTestItems: split.cold.test.items,
  };
  const parts: PartName[] = [];
  for (const name of PARTS) {
    const counts = split[name];
    const rated = ratings[name];
    if (!counts || !rated) continue;
    parts.push(name);
    arrays[`${name}.indptr`] = counts.indptr;
    arrays[`${name}.indices`] = counts.indices.subarray(0, nnz(counts));
    arrays[`${name}.counts`] = counts.values.subarray(0, nnz(counts));
    arrays[`${name}.ratings`] = rated.values.subarray(0, nnz(counts));
  }
  if (split.cold.validation) {
    arrays.coldValidationUsers = split.cold.validation.users;
    arrays.coldValidationItems = split.cold.validation.items;
  }
  if (split.testUsers) arrays.testUsers = split.testUsers;
  if (split.validationUsers) arrays.validationUsers = split.validationUsers;
  const meta: CacheMeta = {
    name: dataset.name,
    format: dataset.format,
    explicit: dataset.explicit,
    params: prepared.params,
    sourceChecksum: prepared.sourceChecksum,
    transform: prepared.transform,
    rows: split.train.rows,
    cols: split.train.cols,
    parts,
    coldInteractions: { test: split.cold.test.interactions },
  };
  if (split.cold.validation) meta.coldInteractions.validation = split.cold.validation.interactions;
  if (dataset.report) meta.report = dataset.report;
  if (prepared.filterSummary) meta.filterSummary = prepared.filterSummary;
  return encodeBundle(PREPARED_DATASET_KIND, PREPARED_DATASET_VERSION, arrays, meta);
}

/**
 * Reads a cache written by `encodePreparedDataset`. A corrupt, truncated, foreign or
 * wrong-version cache throws a DataError naming `source` and the problem. The arrays are
 * views into `bytes` (no copy) when it is 8-byte aligned.
 *
 * @example
 * const prepared = decodePreparedDataset(new Uint8Array(await file.arrayBuffer()), file.name);
 */
export function decodePreparedDataset(bytes: Uint8Array, source = '<bytes>'): PreparedDataset {
  const fail = (reason: string): never => {
    throw new DataError(`corrupt ${PREPARED_DATASET_KIND} cache: ${reason}`, { file: source });
  };
  const bundle = decodeBundle(bytes, PREPARED_DATASET_KIND, PREPARED_DATASET_VERSION, source);
  const meta = bundle.meta as CacheMeta;
  const a = bundle.arrays;
  const need = <T>(name: string, ctor: abstract new (...args: never[]) => T): T => {
    const arr = a[name];
    if (!(arr instanceof ctor)) return fail(`array '${name}' is missing or has the wrong type`);
    return arr;
  };
  if (
    typeof meta !== 'object' ||
    meta === null ||
    !Number.isInteger(meta.rows) ||
    !Number.isInteger(meta.cols) ||
    !Array.isArray(meta.parts) ||
    !meta.parts.includes('train') ||
    !meta.parts.includes('test')
  )
    fail('header has no matrix shape or parts');
  const { rows, cols } = meta;

  const counts: Partial<Record<PartName, CsrMatrix>> = {};
  const ratingParts: Float32Array[] = [];
  let total = 0;
  for (const name of meta.parts) {
    const g = PARTS.indexOf(name);
    if (g < 0) fail(`unknown part '${name}'`);
    const indptr = need(`${name}.indptr`, Uint32Array);
    const indices = need(`${name}.indices`, Uint32Array);
    const values = need(`${name}.counts`, Float32Array);
    const rated = need(`${name}.ratings`, Float32Array);
    checkCsr(name, rows, cols, indptr, indices, fail);
    if (values.length !== indices.length || rated.length !== indices.length)
      fail(`${name}: ${indices.length} song indices but ${values.length} counts and ${rated.length} ratings`);
    counts[name] = { rows, cols, indptr, indices, values };
    ratingParts[g] = rated;
    total += indices.length;
  }
  const labels = need('labels', Uint8Array);
  if (labels.length !== total) fail(`${labels.length} split labels for ${total} interactions`);
  const histogram = new Float64Array(256);
  for (let p = 0; p < labels.length; p++) histogram[labels[p]]++;
  const perPart = new Float64Array(4);
  for (let l = 0; l < 256; l++) {
    if (histogram[l] === 0) continue;
    if (l >= LABEL_PART.length) fail(`label ${l} at interaction ${labels.indexOf(l)} is not a split label`);
    perPart[LABEL_PART[l]] += histogram[l];
  }
  PARTS.forEach((name, g) => {
    if (perPart[g] !== (counts[name] ? nnz(counts[name]) : 0))
      fail(`the labels put ${perPart[g]} interactions in '${name}', the matrix has another number`);
  });

  const userIds = decodeIds(need('userIdChars', Uint8Array), need('userIdEnds', Uint32Array), fail);
  const itemIds = decodeIds(need('itemIdChars', Uint8Array), need('itemIdEnds', Uint32Array), fail);
  if (userIds.length !== rows || itemIds.length !== cols)
    fail(`${userIds.length} user ids and ${itemIds.length} item ids for a ${rows} × ${cols} matrix`);
  const users = new IdIndex(userIds);
  const items = new IdIndex(itemIds);
  if (users.size !== rows || items.size !== cols) fail('duplicate ids');

  const train = counts.train as CsrMatrix;
  const test = counts.test as CsrMatrix;
  const cold = (which: 'Test' | 'Validation', interactions: number | undefined): ColdReport => ({
    users: need(`cold${which}Users`, Uint32Array),
    items: need(`cold${which}Items`, Uint32Array),
    interactions: interactions ?? fail(`no cold ${which.toLowerCase()} count`),
  });
  const split: Split = {
    options: meta.params.split,
    seed: meta.params.seed,
    labels,
    train,
    test,
    cold: { test: cold('Test', meta.coldInteractions?.test) },
  };
  if (counts.validation) {
    split.validation = counts.validation;
    split.cold.validation = cold('Validation', meta.coldInteractions?.validation);
  }
  if (counts.foldIn) split.foldIn = counts.foldIn;
  if (a.testUsers) split.testUsers = need('testUsers', Uint32Array);
  if (a.validationUsers) split.validationUsers = need('validationUsers', Uint32Array);

  const partList = PARTS.map((name) => counts[name]);
  const dataset = withLazyCounts(
    {
      name: meta.name,
      format: meta.format,
      users,
      items,
      explicit: meta.explicit,
    },
    () => mergeParts(partList, labels),
  );
  const info = decodeItemInfo(need('itemInfo', Uint8Array), cols, fail);
  if (info) dataset.itemInfo = info;
  if (meta.report) dataset.report = meta.report;
  const empty = new Float32Array(0);
  return assemblePrepared({
    dataset,
    params: meta.params,
    sourceChecksum: meta.sourceChecksum,
    filterSummary: meta.filterSummary,
    transform: meta.transform,
    split,
    ratingParts: PARTS.map((_, g) => ratingParts[g] ?? empty),
  });
}

/**
 * `dataset` with a `counts` property computed by `build` on first read, then stored as a
 * plain data property (assignable, enumerable, so spreads and clones see a normal object).
 */
function withLazyCounts(dataset: Omit<Dataset, 'counts'>, build: () => CsrMatrix): Dataset {
  const settle = (value: CsrMatrix) => {
    Object.defineProperty(dataset, 'counts', { value, writable: true, enumerable: true, configurable: true });
    return value;
  };
  Object.defineProperty(dataset, 'counts', {
    get: () => settle(build()),
    set: settle,
    enumerable: true,
    configurable: true,
  });
  return dataset as Dataset;
}

/** Row offsets span the entries, never decrease; indices are in range and ascending per row. */
function checkCsr(
  name: string,
  rows: number,
  cols: number,
  indptr: Uint32Array,
  indices: Uint32Array,
  fail: (reason: string) => never,
): void {
  if (indptr.length !== rows + 1) fail(`${name}: ${indptr.length} row offsets for ${rows} users`);
  if (indptr[0] !== 0 || indptr[rows] !== indices.length)
    fail(`${name}: row offsets do not span the entries`);
  for (let r = 0; r < rows; r++)
    if (indptr[r + 1] < indptr[r]) fail(`${name}: row offsets decrease at user ${r}`);
  for (let r = 0; r < rows; r++) {
    const start = indptr[r];
    const end = indptr[r + 1];
    let prev = -1;
    let ok = true;
    for (let p = start; p < end; p++) {
      const c = indices[p];
      ok = ok && c > prev && c < cols;
      prev = c;
    }
    if (!ok) fail(`${name}: user ${r}'s song indices are out of range or not ascending`);
  }
}

/** Ids joined into one string (UTF-8) plus the UTF-16 end offset of each id. */
function encodeIds(ids: string[]): { chars: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(ids.length);
  let end = 0;
  for (let k = 0; k < ids.length; k++) ends[k] = end += ids[k].length;
  return { chars: new TextEncoder().encode(ids.join('')), ends };
}

function decodeIds(chars: Uint8Array, ends: Uint32Array, fail: (reason: string) => never): string[] {
  let joined = '';
  try {
    joined = new TextDecoder('utf-8', { fatal: true }).decode(chars);
  } catch {
    fail('ids are not valid UTF-8');
  }
  if ((ends.length > 0 ? ends[ends.length - 1] : 0) !== joined.length)
    fail('id offsets do not match the id text');
  const out: string[] = new Array(ends.length);
  let start = 0;
  for (let k = 0; k < ends.length; k++) {
    const end = ends[k];
    if (end < start) fail('id offsets decrease');
    out[k] = joined.slice(start, end);
    start = end;
  }
  return out;
}

function decodeItemInfo(
  bytes: Uint8Array,
  cols: number,
  fail: (reason: string) => never,
): (ItemInfo | undefined)[] | undefined {
  if (bytes.length === 0) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail('item info is not JSON');
  }
  if (!Array.isArray(raw) || raw.length !== cols) return fail('item info does not match the items');
  return raw.map((e: unknown) => {
    if (!Array.isArray(e)) return undefined;
    const info: ItemInfo = {};
    if (typeof e[0] === 'string') info.artist = e[0];
    if (typeof e[1] === 'string') info.title = e[1];
    return info;
  });
}
