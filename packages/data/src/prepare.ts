import { fnv1a } from './binary.ts';
import type { Dataset, FormatName, TrainSet, TransformName, TransformSpec } from './dataset.ts';
import { InsufficientDataError } from './errors.ts';
import { type FilterOptions, type FilterSummary, filterDataset } from './filters.ts';
import { type CsrMatrix, nnz } from './sparse.ts';
import {
  givenSplit,
  LABEL_PART,
  SPLIT_LABEL,
  type Split,
  type SplitOptions,
  splitInteractions,
} from './splits.ts';
import { applyTransform, fitTransform, type TransformOptions, transformPlays } from './transforms.ts';

/**
 * The default play count → rating transform for each input format, and why:
 *
 * - `movielens` → `none`: the values already are explicit 1–5 star ratings.
 * - `taste-profile` (and `msd-tracks`, song metadata listed for completeness) → `log-bins`:
 *   song-level counts whose median is 1, so global quantile cuts collapse. Measured on the
 *   synthetic `default` preset (56% ones; the real Taste Profile median is 1 too): the cuts on log count are
 *   [0, 0, ln 2, ln 5], so rating 2 never occurs and ratings jump from 1 to 3; the fixed bins
 *   1 | 2–3 | 4–7 | 8–15 | 16+ use the whole scale (56% / 19% / 15% / 8% / 3%).
 * - `lastfm-hetrec`, `lastfm-360k`, `lastfm-1k`, `csv` → `global-quantiles`: artist-level or
 *   unknown scales (Last.fm 2K has a median of ~260 plays per user-artist pair, so log-bins
 *   would rate almost everything 5). Measured on Last.fm 2K: `global-quantiles` lets SVD reach
 *   RMSE 0.851 against 1.408 for the global mean, while `user-quantiles` erases the signal
 *   (every model ≈ the global mean, RMSE ≈ 1.41). The seed paper does not say which it used.
 */
export const DEFAULT_TRANSFORMS: Readonly<Record<FormatName, TransformName>> = Object.freeze({
  'taste-profile': 'log-bins',
  'msd-tracks': 'log-bins',
  'lastfm-hetrec': 'global-quantiles',
  'lastfm-1k': 'global-quantiles',
  'lastfm-360k': 'global-quantiles',
  movielens: 'none',
  csv: 'global-quantiles',
});

/**
 * The default transform for a dataset (`none` whenever the values are explicit ratings).
 *
 * @example
 * defaultTransform('taste-profile'); // 'log-bins'
 */
export function defaultTransform(format: FormatName, explicit = false): TransformName {
  return explicit ? 'none' : (DEFAULT_TRANSFORMS[format] ?? 'global-quantiles');
}

export interface PrepareOptions {
  /** Users/songs to drop before splitting (default: keep all). */
  filter?: FilterOptions;
  /** Default: `defaultTransform(dataset.format, dataset.explicit)`. */
  transform?: TransformName;
  transformOptions?: TransformOptions;
  split: SplitOptions;
  /** Seed of the split (the only random step). */
  seed: number;
  /**
   * With `split: { method: 'given' }`: 1 for each test interaction of `dataset.counts` (storage
   * order), as `joinTrainTest` gives; no filter then (it would renumber the interactions).
   */
  testMask?: Uint8Array;
  /** Checksum of the source file when the caller has one; default: `datasetChecksum(dataset)`. */
  sourceChecksum?: string;
}

/** Everything that determines a PreparedDataset besides the source data. */
export interface PreparedParams {
  filter?: Required<FilterOptions>;
  transform: TransformName;
  transformOptions?: TransformOptions;
  /** With defaults filled in. */
  split: SplitOptions;
  seed: number;
}

/** The split matrices with transformed values; each shares `indptr`/`indices` with its count matrix in `split`. */
export interface PreparedRatings {
  train: CsrMatrix;
  validation?: CsrMatrix;
  test: CsrMatrix;
  foldIn?: CsrMatrix;
}

/**
 * What every front end trains and evaluates on. All matrices are users × items of the
 * filtered dataset, user-major.
 *
 * Memory, per interaction n of the filtered dataset: `dataset.counts` 8 B (4 B index + 4 B
 * count), `split.labels` 1 B, the split count matrices 8 B together (each interaction is in
 * exactly one), the rating matrices 4 B (values only; they share the split's indices):
 * 21 B per interaction, plus 4 B per user per matrix for row offsets and the id strings
 * (measured 21.4 B per interaction on the synthetic `msd` preset: ~0.7 GB for 33.2M plays).
 *
 * Typed arrays may be views sharing one ArrayBuffer (the split's parts share one; a loaded
 * cache is a single buffer): copy them (`slice()`) before transferring them to a worker.
 */
export interface PreparedDataset {
  /** The filtered dataset: all its interactions as raw counts, its id maps and item info. */
  dataset: Dataset;
  params: PreparedParams;
  /** Identifies the source data (before filtering), e.g. for cache keys. */
  sourceChecksum: string;
  filterSummary?: FilterSummary;
  /** Fitted on the training part only (see `prepareDataset`). */
  transform: TransformSpec;
  /** The split of the raw counts. */
  split: Split;
  ratings: PreparedRatings;
  /** The training ratings with id maps, scale and transform, ready for `model.fit`. */
  trainSet: TrainSet;
}

/**
 * The preparation pipeline every front end uses: filter → split (seeded) → fit the transform
 * on the training part → apply it to every part.
 *
 * The transform is fitted on the training part only, so nothing about validation or test
 * counts (e.g. `global-quantiles` cut points, the value range) leaks into what the model
 * sees. Model inputs (training and fold-in plays) are transformed from those plays alone.
 * `user-quantiles` ranks a play among the same user's plays: for inputs among the user's
 * input plays, for targets (validation/test) among all of that user's plays, since a target
 * rating is a property of the user's whole history and is never shown to the model.
 *
 * @example
 * const prepared = prepareDataset(dataset, {
 *   filter: MULT_VAE_FILTER,
 *   split: { method: 'held-out-users', testUsers: 50_000, validationUsers: 50_000 },
 *   seed: 98765,
 * });
 * await model.fit(prepared.trainSet, { validation: prepared.ratings.validation });
 */
export function prepareDataset(dataset: Dataset, options: PrepareOptions): PreparedDataset {
  const sourceChecksum = options.sourceChecksum ?? datasetChecksum(dataset);
  const filtered = options.filter ? filterDataset(dataset, options.filter) : undefined;
  const data = filtered?.dataset ?? dataset;
  if (filtered && nnz(data.counts) === 0)
    throw new InsufficientDataError(
      `the filter leaves no interactions (of ${nnz(dataset.counts).toLocaleString('en')} among ` +
        `${dataset.counts.rows.toLocaleString('en')} users): lower its minimums`,
      { file: dataset.name },
    );
  const transformName = options.transform ?? defaultTransform(dataset.format, dataset.explicit);
  let split: Split;
  if (options.split.method === 'given') {
    if (!options.testMask) throw new RangeError("prepareDataset: a 'given' split needs testMask");
    if (filtered)
      throw new RangeError(
        "prepareDataset: a 'given' split cannot be filtered (the test mask would no longer line up)",
      );
    split = givenSplit(data.counts, options.testMask, options.split, options.seed);
  } else split = splitInteractions(data.counts, options.split, options.seed);
  checkSplitParts(split, data.counts, dataset.name);
  const transform = fitTransform(transformName, split.train, options.transformOptions);
  const ratingParts = cutValues(split.labels, rateInteractions(data.counts, split.labels, transform));
  const params: PreparedParams = { transform: transformName, split: split.options, seed: options.seed };
  if (filtered) params.filter = filtered.summary.options;
  if (options.transformOptions) params.transformOptions = { ...options.transformOptions };
  return assemblePrepared({
    dataset: data,
    params,
    sourceChecksum,
    filterSummary: filtered?.summary,
    transform,
    split,
    ratingParts,
  });
}

/**
 * Every fold of a k-fold cross-validation, prepared one at a time (lazily: a consumer that lets
 * go of a fold keeps one in memory). Each fold's transform is fitted on its own training part;
 * with `validation`, that share of the fold's training part is carved out for early stopping.
 *
 * @example
 * for (const fold of preparedFolds(dataset, { folds: 5, validation: 0.1, seed: 42 }))
 *   await model.fit(fold.trainSet, { validation: fold.ratings.validation });
 */
export function* preparedFolds(
  dataset: Dataset,
  options: Omit<PrepareOptions, 'split'> & { folds: number; validation?: number },
): Generator<PreparedDataset> {
  const { folds, validation, ...rest } = options;
  for (let fold = 0; fold < folds; fold++)
    yield prepareDataset(dataset, { ...rest, split: { method: 'k-fold', folds, fold, validation } });
}

/**
 * Refuses a split with nothing to train on, or nothing to test although a test part was asked
 * for: every model and metric after it would be meaningless. Says how much data the split needs.
 */
function checkSplitParts(split: Split, counts: CsrMatrix, name: string): void {
  const n = nnz(counts);
  const o = split.options;
  const of = `${n.toLocaleString('en')} interaction${n === 1 ? '' : 's'} of ${counts.rows.toLocaleString('en')} user${counts.rows === 1 ? '' : 's'}`;
  if (nnz(split.train) === 0) {
    const need =
      o.method === 'held-out-users'
        ? `: it holds out ${o.testUsers + (o.validationUsers ?? 0)} users; keep some to train on`
        : '; hold out less';
    throw new InsufficientDataError(`too little data: the split leaves no training ratings of ${of}${need}`, {
      file: name,
    });
  }
  const wantsTest =
    (o.method === 'random' && (o.test ?? 0.1) > 0) ||
    (o.method === 'per-user' && ((o.testCount ?? 0) > 0 || (o.test ?? 0.2) > 0)) ||
    o.method === 'k-fold' ||
    o.method === 'given' ||
    (o.method === 'held-out-users' && o.testUsers > 0);
  if (!wantsTest || nnz(split.test) > 0) return;
  let need = '';
  if (o.method === 'random')
    need = `; a test share of ${o.test ?? 0.1} needs at least ${Math.ceil(0.5 / (o.test ?? 0.1))}`;
  else if (o.method === 'per-user')
    need =
      `; a per-user holdout needs users with more than ${o.minTrain ?? 1} play${(o.minTrain ?? 1) === 1 ? '' : 's'}` +
      (o.testCount ? '' : ` and enough of them that a share of ${o.test ?? 0.2} rounds to one`);
  else if (o.method === 'k-fold') need = `; ${o.folds} folds need at least ${o.folds}`;
  else if (o.method === 'held-out-users')
    need = `; the held-out users need plays beyond their fold-in (at least ${o.minPlaysToSplit ?? 5} each)`;
  throw new InsufficientDataError(`too little data: the split leaves no test ratings of ${of}${need}`, {
    file: name,
  });
}

/**
 * Builds a PreparedDataset from its parts: the split (already cut) and the rating values of
 * each part (indexed by `LABEL_PART`: train, validation, test, fold-in), in the order of the
 * split's matrices. Used by `prepareDataset` and the cache loader.
 *
 * @example
 * const p = assemblePrepared({ dataset, params, sourceChecksum, transform, split, ratingParts: [train, val, test, foldIn] });
 */
export function assemblePrepared(parts: {
  dataset: Dataset;
  params: PreparedParams;
  sourceChecksum: string;
  filterSummary?: FilterSummary;
  transform: TransformSpec;
  split: Split;
  ratingParts: readonly Float32Array[];
}): PreparedDataset {
  const { dataset, split, transform, ratingParts } = parts;
  const rated = (m: CsrMatrix, part: number): CsrMatrix => {
    const values = ratingParts[part];
    if (values.length !== nnz(m)) throw new RangeError(`${values.length} ratings for ${nnz(m)} interactions`);
    return { ...m, values };
  };
  const ratings: PreparedRatings = { train: rated(split.train, 0), test: rated(split.test, 2) };
  if (split.validation) ratings.validation = rated(split.validation, 1);
  if (split.foldIn) ratings.foldIn = rated(split.foldIn, 3);
  const trainSet: TrainSet = {
    ratings: ratings.train,
    users: dataset.users,
    items: dataset.items,
    scale: transform.scale,
    transform,
  };
  if (dataset.itemInfo) trainSet.itemInfo = dataset.itemInfo;
  const prepared: PreparedDataset = {
    dataset,
    params: parts.params,
    sourceChecksum: parts.sourceChecksum,
    transform,
    split,
    ratings,
    trainSet,
  };
  if (parts.filterSummary) prepared.filterSummary = parts.filterSummary;
  return prepared;
}

/**
 * A checksum of a dataset's content: FNV-1a of its count matrix (offsets, indices, values)
 * and of its user and item ids, as 32 hex digits prefixed `counts-fnv1a:`.
 *
 * @example
 * datasetChecksum(dataset); // 'counts-fnv1a:3f0c…'
 */
export function datasetChecksum(dataset: Dataset): string {
  const m = dataset.counts;
  const bytes = (a: Uint32Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ids = new TextEncoder().encode(
    `${m.rows}x${m.cols}\n${dataset.users.toArray().join('\n')}\n\n${dataset.items.toArray().join('\n')}`,
  );
  const parts = [
    fnv1a(bytes(m.indptr)),
    fnv1a(bytes(m.indices.subarray(0, nnz(m)))),
    fnv1a(bytes(m.values.subarray(0, nnz(m)))),
    fnv1a(ids),
  ];
  return `counts-fnv1a:${parts.map((h) => h.toString(16).padStart(8, '0')).join('')}`;
}

/** Ratings for every interaction: inputs from their own part, targets as documented above. */
function rateInteractions(counts: CsrMatrix, labels: Uint8Array, spec: TransformSpec): Float32Array {
  if (spec.name !== 'user-quantiles') return applyTransform(spec, counts).values;
  const out = new Float32Array(nnz(counts));
  const whole = applyTransform(spec, counts).values;
  const positions: number[] = [];
  const plays: number[] = [];
  for (let u = 0; u < counts.rows; u++) {
    positions.length = 0;
    plays.length = 0;
    for (let p = counts.indptr[u]; p < counts.indptr[u + 1]; p++) {
      const l = labels[p];
      if (l === SPLIT_LABEL.validation || l === SPLIT_LABEL.test) out[p] = whole[p];
      else {
        positions.push(p);
        plays.push(counts.values[p]);
      }
    }
    const rated = transformPlays(spec, plays);
    for (let k = 0; k < positions.length; k++) out[positions[k]] = rated[k];
  }
  return out;
}

/** `values` (parallel to the labels) cut into the parts of `LABEL_PART`, in one pass. */
function cutValues(labels: Uint8Array, values: Float32Array): Float32Array[] {
  const sizes = [0, 0, 0, 0];
  for (let p = 0; p < labels.length; p++) sizes[LABEL_PART[labels[p]]]++;
  const out = sizes.map((k) => new Float32Array(k));
  const w = [0, 0, 0, 0];
  for (let p = 0; p < labels.length; p++) {
    const g = LABEL_PART[labels[p]];
    out[g][w[g]++] = values[p];
  }
  return out;
}
