import { type CsrMatrix, countProblem } from '@autorec/data';
import { OptionError } from './errors.ts';
import type { Play } from './types.ts';

/**
 * Checks at the public API, with the rules and words of the file readers, so a library caller
 * gets the error a CLI user gets instead of a silent `[]`, a cryptic throw or an allocation
 * failure. One home for the checks `Recommender` and the models share.
 */

/**
 * The length of a top-k list: a whole number ≥ 1, or Infinity for every item; never more than
 * `items` (so a huge k allocates nothing).
 *
 * @example
 * topKLength(10, 500);       // 10
 * topKLength(Infinity, 500); // 500
 * topKLength(1.5, 500);      // RangeError: k must be a whole number ≥ 1 (or Infinity for every item), got 1.5
 */
export function topKLength(k: unknown, items: number): number {
  if (k === Number.POSITIVE_INFINITY) return items;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new RangeError(
      `k must be a whole number ≥ 1 (or Infinity for every item), got ${typeof k === 'number' ? k : JSON.stringify(k)}`,
    );
  return Math.min(k, items);
}

/**
 * A new listener's plays as `readPlays` would accept them: each a string id with a positive
 * whole play count within the exact range of a 32-bit float.
 *
 * @example
 * checkPlays([{ item: 'SOAAA', count: Infinity }]); // RangeError: play count for 'SOAAA': not a finite number: Infinity
 */
export function checkPlays(plays: readonly Play[]): void {
  if (!Array.isArray(plays)) throw new TypeError('plays must be an array of { item, count }');
  for (const play of plays) {
    const item = play?.item;
    if (typeof item !== 'string' || item === '')
      throw new TypeError(`each play needs a song id (a non-empty string), got ${JSON.stringify(item)}`);
    const problem = countProblem(play.count, 'plays');
    if (problem) throw new RangeError(`play count for '${item}': ${problem}`);
  }
}

/** Bytes of weights one model may allocate: what a WebAssembly memory addresses, and a sane laptop share. */
export const MAX_MODEL_BYTES = 4 * 2 ** 30;

/**
 * Refuses a model size that cannot be allocated, before allocating it, naming the option and
 * the data that make it so (e.g. `factors` × (users + items)).
 *
 * @example
 * checkModelSize('svd', 'factors', 1e9, 4e12, '(1,892 users + 17,632 items) × 1e9 factors');
 * // OptionError: svd: factors=1000000000 needs 16,000 GB of weights for (…); the limit is 4 GiB
 */
export function checkModelSize(
  model: string,
  option: string,
  value: number,
  bytes: number,
  what: string,
): void {
  if (bytes <= MAX_MODEL_BYTES) return;
  throw new OptionError(
    `${model}: ${option}=${value} needs ${(bytes / 2 ** 30).toLocaleString('en', { maximumFractionDigits: 1 })} GiB ` +
      `of weights for ${what}; a model may use at most ${MAX_MODEL_BYTES / 2 ** 30} GiB: lower ${option}`,
    { model, option },
  );
}

/**
 * Throws a RangeError naming `model` unless `item` is an index of its catalogue (0..nItems−1):
 * the check of every `itemSimilarities`.
 */
export function checkItemIndex(model: string, item: number, nItems: number): void {
  if (!(item >= 0 && item < nItems))
    throw new RangeError(`${model}: item index ${item} outside 0..${nItems - 1}`);
}

/**
 * Throws a RangeError naming `model` at the first of `users` that is not a training user
 * (0..nUsers−1): the check of every `scoreUsers`, before any scoring.
 */
export function checkUserIndices(model: string, users: Uint32Array, nUsers: number): void {
  for (const u of users)
    if (u >= nUsers) throw new RangeError(`${model}: user index ${u} outside 0..${nUsers - 1}`);
}

/**
 * The block a `scoreFoldInRows` call writes: `out` (checked to hold rows × n floats) or a fresh
 * array, after checking `plays` has n columns and every row is one of its rows.
 */
export function foldInBlock(
  model: string,
  plays: CsrMatrix,
  rows: ArrayLike<number>,
  n: number,
  out?: Float32Array,
): Float32Array {
  if (plays.cols !== n)
    throw new RangeError(`${model}: fold-in plays have ${plays.cols} columns, the model ${n} items`);
  for (let b = 0; b < rows.length; b++)
    if (!(Number.isInteger(rows[b]) && rows[b] >= 0 && rows[b] < plays.rows))
      throw new RangeError(`${model}: fold-in row ${rows[b]} outside 0..${plays.rows - 1}`);
  if (out && out.length < rows.length * n)
    throw new RangeError(`${model}: ${out.length} floats for ${rows.length} fold-in rows × ${n} items`);
  return out ?? new Float32Array(rows.length * n);
}
