import { Rng } from './random.ts';
import { type CsrMatrix, nnz } from './sparse.ts';

/**
 * Seeded train/validation/test splits of a users × items matrix. Every split returns matrices
 * of the input's shape (user-major CSR, same user and item indices), so models, fold-in and
 * metrics line up without id juggling. Randomness comes only from `Rng(seed)` (32-bit integer
 * arithmetic), so the same seed gives the same split in Node and in every browser.
 *
 * Each split is decided as one label per input interaction (`Split.labels`, parallel to
 * `input.indices`), from which the matrices are cut (`cutByLabels`) and with which the input
 * can be put back together from them (`mergeParts`).
 */

/** Label codes in `Split.labels`. */
export const SPLIT_LABEL = Object.freeze({
  train: 0,
  validation: 1,
  test: 2,
  /** held-out-users: plays of a test user that the model is given (fold-in input). */
  testFoldIn: 3,
  /** held-out-users: plays of a validation user that the model is given. */
  validationFoldIn: 4,
});
const LABEL_COUNT = 5;

export type SplitMethod = 'random' | 'per-user' | 'k-fold' | 'held-out-users' | 'given';

/** Random holdout of interactions: exactly round(test × n) go to test, round(validation × n) to validation. */
export interface RandomSplitOptions {
  method: 'random';
  /** Share of all interactions held out for testing (default 0.1). */
  test?: number;
  /** Share of all interactions carved out of the training part for validation (default 0). */
  validation?: number;
}

/** Per-user holdout: a share or a fixed number of each user's plays. */
export interface PerUserSplitOptions {
  method: 'per-user';
  /** Share of each user's plays held out for testing, rounded (default 0.2 unless `testCount` is set). */
  test?: number;
  /** Number of each user's plays held out for testing (overrides `test`). */
  testCount?: number;
  /** Share of each user's plays for validation (default 0). */
  validation?: number;
  /** Number of each user's plays for validation (overrides `validation`). */
  validationCount?: number;
  /** Plays each user always keeps in training (default 1); users with fewer hold nothing out. */
  minTrain?: number;
}

/** One fold of k-fold cross-validation over interactions (use `kFoldSplits` for all of them). */
export interface KFoldSplitOptions {
  method: 'k-fold';
  /** Number of folds k ≥ 2. */
  folds: number;
  /** The fold used as test set, 0..k-1. */
  fold: number;
  /**
   * Share of the fold's training part carved out for validation (default 0), so models that
   * early-stop can do so inside each fold without ever seeing its test part.
   */
  validation?: number;
}

/**
 * Held-out users (the Mult-VAE protocol, Liang et al. 2018): `testUsers` (and
 * `validationUsers`) users are removed from training; each one's plays are split into a
 * fold-in part given to the model and a target part to predict.
 */
export interface HeldOutUsersSplitOptions {
  method: 'held-out-users';
  testUsers: number;
  /** Default 0. */
  validationUsers?: number;
  /** Share of a held-out user's plays to predict (default 0.2, i.e. 80/20 fold-in/target). */
  targetFraction?: number;
  /** Held-out users with fewer plays put all of them in fold-in (default 5, as Liang et al.). */
  minPlaysToSplit?: number;
}

/**
 * A split given from outside (a train file and a test file, `joinTrainTest`): the test
 * interactions are named by a mask, validation is carved from the training part.
 */
export interface GivenSplitOptions {
  method: 'given';
  /** Share of the training part carved out for validation (default 0). */
  validation?: number;
}

export type SplitOptions =
  | RandomSplitOptions
  | PerUserSplitOptions
  | KFoldSplitOptions
  | HeldOutUsersSplitOptions
  | GivenSplitOptions;

/**
 * Users and items of a target part (test or validation) the model cannot know: a cold user
 * has no training and no fold-in plays; a cold item has no training plays (fold-in plays do
 * not train item parameters). Reported, not removed: metrics decide what to do with them.
 */
export interface ColdReport {
  users: Uint32Array;
  items: Uint32Array;
  /** Target interactions whose user or item is cold. */
  interactions: number;
}

export interface Split {
  /** The options with defaults filled in. */
  options: SplitOptions;
  seed: number;
  /** One `SPLIT_LABEL` code per input interaction, parallel to the input's `indices`. */
  labels: Uint8Array;
  train: CsrMatrix;
  validation?: CsrMatrix;
  test: CsrMatrix;
  /** held-out-users: the fold-in plays of test and validation users (their rows only). */
  foldIn?: CsrMatrix;
  /** held-out-users: the held-out users, ascending. */
  testUsers?: Uint32Array;
  validationUsers?: Uint32Array;
  cold: { test: ColdReport; validation?: ColdReport };
}

/**
 * Splits by any method; `options.method` picks it. For k-fold this gives one fold.
 *
 * @example
 * const s = splitInteractions(dataset.counts, { method: 'random', test: 0.1, validation: 0.1 }, 42);
 * s.train.rows === dataset.counts.rows; // true: same shape everywhere
 * s.cold.test.items.length;             // test songs never seen in training
 */
export function splitInteractions(m: CsrMatrix, options: SplitOptions, seed: number): Split {
  checkSeed(seed);
  switch (options.method) {
    case 'random':
      return randomSplit(m, options, seed);
    case 'per-user':
      return perUserSplit(m, options, seed);
    case 'k-fold': {
      const opts = checkKFold(options);
      const folds = foldAssignment(m, opts.folds, seed);
      return splitFromLabels(m, foldLabels(folds, opts, seed), opts, seed);
    }
    case 'held-out-users':
      return heldOutUsersSplit(m, options, seed);
    case 'given':
      throw new RangeError(
        "split: a 'given' split needs its test interactions: use givenSplit(m, testMask, …) or prepareDataset's testMask",
      );
    default:
      throw new RangeError(`unknown split method '${(options as { method: string }).method}'`);
  }
}

/**
 * Random holdout of interactions with exact sizes (sequential selection sampling: every
 * subset of the requested size is equally likely; one random number per interaction).
 *
 * @example
 * const { train, validation, test } = randomSplit(counts, { method: 'random', test: 0.1, validation: 0.1 }, 7);
 */
export function randomSplit(m: CsrMatrix, options: Omit<RandomSplitOptions, 'method'>, seed: number): Split {
  const test = options.test ?? 0.1;
  const validation = options.validation ?? 0;
  checkFraction('test', test);
  checkFraction('validation', validation);
  if (test + validation >= 1)
    throw new RangeError(`split: test + validation must be < 1, got ${test + validation}`);
  checkSeed(seed);
  const n = nnz(m);
  const labels = new Uint8Array(n);
  selectSequential(
    new Rng(seed),
    labels,
    0,
    n,
    Math.round(test * n),
    Math.round(validation * n),
    SPLIT_LABEL.test,
    SPLIT_LABEL.validation,
  );
  return splitFromLabels(m, labels, { method: 'random', test, validation }, seed);
}

/**
 * Holds out a share or a count of every user's plays, keeping at least `minTrain` of each
 * user's plays in training. Test is served first, then validation from what is left.
 *
 * @example
 * const s = perUserSplit(counts, { method: 'per-user', testCount: 1 }, 3); // leave-one-out
 */
export function perUserSplit(
  m: CsrMatrix,
  options: Omit<PerUserSplitOptions, 'method'>,
  seed: number,
): Split {
  const opts: PerUserSplitOptions = {
    method: 'per-user',
    minTrain: options.minTrain ?? 1,
    validation: options.validation ?? 0,
  };
  if (options.testCount !== undefined) {
    checkCount('testCount', options.testCount);
    opts.testCount = options.testCount;
  } else {
    opts.test = options.test ?? 0.2;
    checkFraction('test', opts.test);
  }
  if (options.validationCount !== undefined) {
    checkCount('validationCount', options.validationCount);
    opts.validationCount = options.validationCount;
    delete opts.validation;
  } else checkFraction('validation', opts.validation ?? 0);
  checkCount('minTrain', opts.minTrain ?? 1);
  if ((opts.test ?? 0) + (opts.validation ?? 0) >= 1)
    throw new RangeError('split: test + validation shares must be < 1');
  checkSeed(seed);

  const rng = new Rng(seed);
  const labels = new Uint8Array(nnz(m));
  const minTrain = opts.minTrain ?? 1;
  for (let u = 0; u < m.rows; u++) {
    const start = m.indptr[u];
    const d = m.indptr[u + 1] - start;
    const room = Math.max(0, d - minTrain);
    if (room === 0) continue;
    const wantTest = opts.testCount ?? Math.round((opts.test ?? 0) * d);
    const wantVal = opts.validationCount ?? Math.round((opts.validation ?? 0) * d);
    const kTest = Math.min(wantTest, room);
    const kVal = Math.min(wantVal, room - kTest);
    selectSequential(rng, labels, start, d, kTest, kVal, SPLIT_LABEL.test, SPLIT_LABEL.validation);
  }
  return splitFromLabels(m, labels, opts, seed);
}

/**
 * k-fold cross-validation over interactions: each interaction is in exactly one fold's test
 * set; fold sizes differ by at most one. Yields fold 0..k-1 lazily (one fold's matrices in
 * memory at a time if the caller lets go of the previous one).
 *
 * @example
 * for (const fold of kFoldSplits(counts, 5, 42)) evaluate(fold.train, fold.test);
 */
export function* kFoldSplits(m: CsrMatrix, folds: number, seed: number, validation = 0): Generator<Split> {
  checkKFold({ method: 'k-fold', folds, fold: 0, validation });
  checkSeed(seed);
  const assignment = foldAssignment(m, folds, seed);
  for (let f = 0; f < folds; f++) {
    const opts = checkKFold({ method: 'k-fold', folds, fold: f, validation });
    yield splitFromLabels(m, foldLabels(assignment, opts, seed), opts, seed);
  }
}

/**
 * The Mult-VAE protocol: picks `testUsers` (+ `validationUsers`) random users with plays; the
 * rest train. Each held-out user's plays are split at random: `n - ⌊(1 - f)·n⌋` of their n
 * plays (as in Liang et al.'s code) become the target, the rest fold-in.
 *
 * @example
 * const s = heldOutUsersSplit(counts, { method: 'held-out-users', testUsers: 50_000, validationUsers: 50_000 }, 98765);
 * // model.fit(s.train); score s.foldIn rows of s.testUsers; compare with s.test
 */
export function heldOutUsersSplit(
  m: CsrMatrix,
  options: Omit<HeldOutUsersSplitOptions, 'method'>,
  seed: number,
): Split {
  const opts: HeldOutUsersSplitOptions = {
    method: 'held-out-users',
    testUsers: options.testUsers,
    validationUsers: options.validationUsers ?? 0,
    targetFraction: options.targetFraction ?? 0.2,
    minPlaysToSplit: options.minPlaysToSplit ?? 5,
  };
  checkCount('testUsers', opts.testUsers);
  checkCount('validationUsers', opts.validationUsers ?? 0);
  checkCount('minPlaysToSplit', opts.minPlaysToSplit ?? 5);
  const f = opts.targetFraction ?? 0.2;
  if (!(f > 0 && f < 1)) throw new RangeError(`split: targetFraction must be in (0, 1), got ${f}`);
  checkSeed(seed);

  const active: number[] = [];
  for (let u = 0; u < m.rows; u++) if (m.indptr[u + 1] > m.indptr[u]) active.push(u);
  const nHeld = opts.testUsers + (opts.validationUsers ?? 0);
  if (nHeld > active.length)
    throw new RangeError(
      `split: ${nHeld} held-out users requested but only ${active.length} users have plays`,
    );
  const rng = new Rng(seed);
  const order = rng.permutation(active.length);
  const role = new Uint8Array(m.rows); // 0 train, 1 test user, 2 validation user
  for (let k = 0; k < nHeld; k++) role[active[order[k]]] = k < opts.testUsers ? 1 : 2;

  const labels = new Uint8Array(nnz(m));
  const minSplit = opts.minPlaysToSplit ?? 5;
  for (let u = 0; u < m.rows; u++) {
    if (role[u] === 0) continue;
    const start = m.indptr[u];
    const d = m.indptr[u + 1] - start;
    const isTest = role[u] === 1;
    const target = isTest ? SPLIT_LABEL.test : SPLIT_LABEL.validation;
    const foldIn = isTest ? SPLIT_LABEL.testFoldIn : SPLIT_LABEL.validationFoldIn;
    labels.fill(foldIn, start, start + d);
    if (d < minSplit) continue;
    const k = d - Math.floor((1 - f) * d);
    selectSequential(rng, labels, start, d, k, 0, target, target);
  }
  return splitFromLabels(m, labels, opts, seed);
}

/**
 * The split another tool made: interactions where `testMask` is 1 are the test part, the
 * rest train, and `validation` of the training part is carved out at random (seeded).
 *
 * @example
 * const { dataset, testMask } = joinTrainTest(train, test);
 * const s = givenSplit(dataset.counts, testMask, { method: 'given', validation: 0.1 }, 42);
 */
export function givenSplit(
  m: CsrMatrix,
  testMask: Uint8Array,
  options: GivenSplitOptions,
  seed: number,
): Split {
  if (testMask.length !== nnz(m))
    throw new RangeError(`split: the test mask has ${testMask.length} entries for ${nnz(m)} interactions`);
  checkSeed(seed);
  const opts: GivenSplitOptions = { method: 'given' };
  const labels = new Uint8Array(testMask.length);
  let train = 0;
  for (let p = 0; p < labels.length; p++)
    if (testMask[p]) labels[p] = SPLIT_LABEL.test;
    else train++;
  if ((options.validation ?? 0) > 0) {
    checkFraction('validation', options.validation!);
    opts.validation = options.validation;
    carveValidation(labels, Math.round(options.validation! * train), train, new Rng(seed));
  }
  return splitFromLabels(m, labels, opts, seed);
}

/**
 * Builds a Split from per-interaction labels: cuts the matrices in one pass and computes the
 * cold reports.
 *
 * @example
 * const again = splitFromLabels(counts, split.labels, split.options, split.seed); // same split
 */
export function splitFromLabels(
  m: CsrMatrix,
  labels: Uint8Array,
  options: SplitOptions,
  seed: number,
): Split {
  const cut = cutByLabels(m, labels);
  const heldOut = options.method === 'held-out-users';
  const hasValidation =
    cut.labelCounts[SPLIT_LABEL.validation] > 0 ||
    cut.labelCounts[SPLIT_LABEL.validationFoldIn] > 0 ||
    ((options.method === 'random' || options.method === 'k-fold' || options.method === 'given') &&
      (options.validation ?? 0) > 0) ||
    (options.method === 'per-user' &&
      ((options.validation ?? 0) > 0 || (options.validationCount ?? 0) > 0)) ||
    (heldOut && (options.validationUsers ?? 0) > 0);
  const [train, validation, test, foldIn] = cut.parts;
  // Known: users with training or fold-in plays, items with training plays.
  const inputBits =
    (1 << SPLIT_LABEL.train) | (1 << SPLIT_LABEL.testFoldIn) | (1 << SPLIT_LABEL.validationFoldIn);
  const knownItems = new Uint8Array(m.cols);
  for (let p = 0; p < train.indices.length; p++) knownItems[train.indices[p]] = 1;
  const split: Split = {
    options,
    seed,
    labels,
    train,
    test,
    cold: { test: coldReport(test, cut.rowLabels, inputBits, knownItems) },
  };
  if (hasValidation) split.validation = validation;
  if (heldOut) {
    split.foldIn = foldIn;
    split.testUsers = usersWithLabel(cut.rowLabels, SPLIT_LABEL.test, SPLIT_LABEL.testFoldIn);
    split.validationUsers = usersWithLabel(
      cut.rowLabels,
      SPLIT_LABEL.validation,
      SPLIT_LABEL.validationFoldIn,
    );
  }
  if (hasValidation) split.cold.validation = coldReport(validation, cut.rowLabels, inputBits, knownItems);
  return split;
}

/** `cutByLabels`' result. Parts are indexed by `LABEL_PART`: train, validation, test, fold-in. */
export interface LabelCut {
  parts: [CsrMatrix, CsrMatrix, CsrMatrix, CsrMatrix];
  /** Interactions per SPLIT_LABEL code. */
  labelCounts: Float64Array;
  /** Per user: bit l is set when the user has an interaction labelled l. */
  rowLabels: Uint8Array;
}

/** Part of each SPLIT_LABEL code: fold-in of test and validation users share one matrix. */
export const LABEL_PART: readonly number[] = Object.freeze([0, 1, 2, 3, 3]);

/**
 * Cuts `m` into train, validation, test and fold-in matrices of its shape in one pass.
 * Throws a RangeError for a label that is not a SPLIT_LABEL code.
 *
 * @example
 * const [train, validation, test, foldIn] = cutByLabels(counts, split.labels).parts;
 */
export function cutByLabels(m: CsrMatrix, labels: Uint8Array): LabelCut {
  const n = nnz(m);
  if (labels.length !== n) throw new RangeError(`split: ${labels.length} labels for ${n} interactions`);
  const labelCounts = new Float64Array(LABEL_COUNT);
  for (let p = 0; p < n; p++) {
    const l = labels[p];
    if (l >= LABEL_COUNT)
      throw new RangeError(`split: label ${l} at interaction ${p} is not a SPLIT_LABEL code`);
    labelCounts[l]++;
  }
  // All parts live in one buffer per array (part g from start[g]), so the hot loop writes
  // through one typed array instead of picking one of four.
  const start = new Float64Array(5);
  for (let l = 0; l < LABEL_COUNT; l++) start[LABEL_PART[l] + 1] += labelCounts[l];
  for (let g = 0; g < 4; g++) start[g + 1] += start[g];
  const allIndices = new Uint32Array(n);
  const allValues = new Float32Array(n);
  const ptr = [0, 1, 2, 3].map(() => new Uint32Array(m.rows + 1));
  const [ptr0, ptr1, ptr2, ptr3] = ptr;
  // Write positions per part; fold-in labels 3 and 4 share part 3 (`l === 4 ? 3 : l`).
  const w = new Int32Array(4);
  for (let g = 0; g < 4; g++) w[g] = start[g];
  const rowLabels = new Uint8Array(m.rows);
  const { indptr, indices, values } = m;
  for (let r = 0; r < m.rows; r++) {
    let bits = 0;
    const end = indptr[r + 1];
    for (let p = indptr[r]; p < end; p++) {
      const l = labels[p];
      bits |= 1 << l;
      const g = l === 4 ? 3 : l;
      const q = w[g];
      w[g] = q + 1;
      allIndices[q] = indices[p];
      allValues[q] = values[p];
    }
    rowLabels[r] = bits;
    ptr0[r + 1] = w[0] - start[0];
    ptr1[r + 1] = w[1] - start[1];
    ptr2[r + 1] = w[2] - start[2];
    ptr3[r + 1] = w[3] - start[3];
  }
  const part = (g: number): CsrMatrix => ({
    rows: m.rows,
    cols: m.cols,
    indptr: ptr[g],
    indices: allIndices.subarray(start[g], start[g + 1]),
    values: allValues.subarray(start[g], start[g + 1]),
  });
  return { parts: [part(0), part(1), part(2), part(3)], labelCounts, rowLabels };
}

/**
 * The inverse of `cutByLabels`: the whole matrix back from its parts (indexed by
 * `LABEL_PART`; absent parts may be undefined) and the labels of its interactions.
 *
 * @example
 * const whole = mergeParts(cutByLabels(m, split.labels).parts, split.labels); // equals m
 */
export function mergeParts(parts: readonly (CsrMatrix | undefined)[], labels: Uint8Array): CsrMatrix {
  const first = parts[0];
  if (!first) throw new RangeError('split: the training part is required');
  const { rows, cols } = first;
  const indptr = new Uint32Array(rows + 1);
  for (const part of parts) {
    if (!part) continue;
    if (part.rows !== rows || part.cols !== cols) throw new RangeError('split: parts differ in shape');
    for (let r = 1; r <= rows; r++) indptr[r] += part.indptr[r];
  }
  const n = labels.length;
  if (indptr[rows] !== n) throw new RangeError(`split: ${n} labels for ${indptr[rows]} interactions`);
  const indices = new Uint32Array(n);
  const values = new Float32Array(n);
  const cursor = new Int32Array(4);
  const empty = new Uint32Array(0);
  const src = parts.map((part) => part?.indices ?? empty);
  const vals = parts.map((part) => part?.values ?? new Float32Array(0));
  for (let p = 0; p < n; p++) {
    const l = labels[p];
    const g = l === 4 ? 3 : l;
    const q = cursor[g]++;
    if (q >= src[g].length)
      throw new RangeError(`split: label ${l} at interaction ${p} has no matching entry`);
    indices[p] = src[g][q];
    values[p] = vals[g][q];
  }
  return { rows, cols, indptr, indices, values };
}

/**
 * Labels `kA` of the `n` positions from `start` with `labelA` and `kB` others with `labelB`,
 * uniformly at random (Knuth's selection sampling generalised to two classes).
 */
function selectSequential(
  rng: Rng,
  labels: Uint8Array,
  start: number,
  n: number,
  kA: number,
  kB: number,
  labelA: number,
  labelB: number,
): void {
  let needA = kA;
  let needB = kB;
  for (let i = 0; i < n && needA + needB > 0; i++) {
    const r = rng.next() * (n - i);
    if (r < needA) {
      labels[start + i] = labelA;
      needA--;
    } else if (r < needA + needB) {
      labels[start + i] = labelB;
      needB--;
    }
  }
}

/** Fold of each interaction: sizes ⌈n/k⌉ for the first n mod k folds, ⌊n/k⌋ after. */
function foldAssignment(m: CsrMatrix, folds: number, seed: number): Uint8Array {
  const n = nnz(m);
  const need = new Float64Array(folds);
  for (let f = 0; f < folds; f++) need[f] = Math.floor(n / folds) + (f < n % folds ? 1 : 0);
  const rng = new Rng(seed);
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    let r = rng.next() * (n - p);
    let f = 0;
    while (f < folds - 1 && r >= need[f]) r -= need[f++];
    // Rounding can land r on an exhausted last fold; step back to one with room.
    while (need[f] === 0) f--;
    need[f]--;
    out[p] = f;
  }
  return out;
}

/**
 * Test labels for the fold's interactions; then, with a validation share, round(share × n_train)
 * of the others chosen uniformly (selection sampling, its own seeded stream per fold).
 */
function foldLabels(assignment: Uint8Array, o: KFoldSplitOptions, seed: number): Uint8Array {
  const labels = new Uint8Array(assignment.length);
  let train = 0;
  for (let p = 0; p < assignment.length; p++)
    if (assignment[p] === o.fold) labels[p] = SPLIT_LABEL.test;
    else train++;
  const need = Math.round((o.validation ?? 0) * train);
  if (need > 0) carveValidation(labels, need, train, new Rng((seed + 0x9e3779b9 * (o.fold + 1)) | 0));
  return labels;
}

/** Relabels `need` of the `train` training positions as validation, uniformly (selection sampling). */
function carveValidation(labels: Uint8Array, need: number, train: number, rng: Rng): void {
  for (let p = 0, left = train; p < labels.length && need > 0; p++) {
    if (labels[p] !== SPLIT_LABEL.train) continue;
    if (rng.next() * left < need) {
      labels[p] = SPLIT_LABEL.validation;
      need--;
    }
    left--;
  }
}

function usersWithLabel(rowLabels: Uint8Array, a: number, b: number): Uint32Array {
  const mask = (1 << a) | (1 << b);
  let n = 0;
  for (let u = 0; u < rowLabels.length; u++) if (rowLabels[u] & mask) n++;
  const out = new Uint32Array(n);
  let w = 0;
  for (let u = 0; u < rowLabels.length; u++) if (rowLabels[u] & mask) out[w++] = u;
  return out;
}

function coldReport(
  target: CsrMatrix,
  rowLabels: Uint8Array,
  inputBits: number,
  knownItems: Uint8Array,
): ColdReport {
  const coldUsers: number[] = [];
  const coldItemMask = new Uint8Array(target.cols);
  let interactions = 0;
  for (let u = 0; u < target.rows; u++) {
    const start = target.indptr[u];
    const end = target.indptr[u + 1];
    if (start === end) continue;
    const userCold = (rowLabels[u] & inputBits) === 0;
    if (userCold) {
      coldUsers.push(u);
      interactions += end - start;
    }
    for (let p = start; p < end; p++) {
      const i = target.indices[p];
      if (knownItems[i] === 0) {
        coldItemMask[i] = 1;
        if (!userCold) interactions++;
      }
    }
  }
  const items: number[] = [];
  for (let i = 0; i < target.cols; i++) if (coldItemMask[i]) items.push(i);
  return { users: Uint32Array.from(coldUsers), items: Uint32Array.from(items), interactions };
}

function checkFraction(name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`split: ${name} must be a share in [0, 1), got ${v}`);
}

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`split: ${name} must be an integer ≥ 0, got ${v}`);
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new RangeError(`split: seed must be an integer, got ${seed}`);
}

function checkKFold(o: KFoldSplitOptions): KFoldSplitOptions {
  if (!Number.isInteger(o.folds) || o.folds < 2 || o.folds > 255)
    throw new RangeError(`split: folds must be an integer in 2..255, got ${o.folds}`);
  if (!Number.isInteger(o.fold) || o.fold < 0 || o.fold >= o.folds)
    throw new RangeError(`split: fold must be in 0..${o.folds - 1}, got ${o.fold}`);
  const out: KFoldSplitOptions = { method: 'k-fold', folds: o.folds, fold: o.fold };
  if ((o.validation ?? 0) > 0) {
    checkFraction('validation', o.validation!);
    out.validation = o.validation;
  }
  return out;
}

/**
 * A split in words, for reports: what is held out, and how much.
 *
 * @example
 * describeSplitOptions({ method: 'random', test: 0.1, validation: 0.1 }); // 'random holdout: 10% test, 10% validation'
 */
export function describeSplitOptions(o: SplitOptions): string {
  const pct = (x = 0) => `${Math.round(x * 1000) / 10}%`;
  const val = (v = 0, of: string) => (v > 0 ? `, ${pct(v)} of ${of} for validation` : '');
  switch (o.method) {
    case 'given':
      return `given split${val(o.validation, 'the training file')}`;
    case 'random':
      if (o.test === 0 && !o.validation) return 'no split: every play trains the model';
      return `random holdout: ${pct(o.test ?? 0.1)} test, ${pct(o.validation)} validation`;
    case 'per-user': {
      const test = o.testCount !== undefined ? `${o.testCount}` : pct(o.test ?? 0.2);
      const validation = o.validationCount !== undefined ? `${o.validationCount}` : pct(o.validation);
      return `per-user holdout: ${test} of each user's plays for test, ${validation} validation`;
    }
    case 'k-fold':
      return `fold ${o.fold + 1} of ${o.folds}-fold cross-validation${val(o.validation, "the fold's training part")}`;
    case 'held-out-users':
      return `held-out users: ${o.testUsers} test, ${o.validationUsers ?? 0} validation`;
  }
}
