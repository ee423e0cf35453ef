import { DataError } from './errors.ts';
import { grown } from './grow.ts';
import { IdIndex } from './ids.ts';
import { type CsrMatrix, isSortedStrict, sortRow } from './sparse.ts';

/**
 * The largest count stored exactly. Matrices hold 32-bit floats, which represent every whole
 * number up to 2^24 and no odd one above it: 16,777,217 would silently become 16,777,216, and
 * values past 3.4e38 infinity. Readers reject bigger counts, and the sum of a repeated pair may
 * not pass it either.
 */
export const MAX_EXACT_COUNT = 2 ** 24;

/**
 * Why `value` cannot be a count of the given kind, in the words the file readers use, or
 * undefined when it can: `plays` are whole numbers, `weight` positive numbers, `rating` 0.5–5,
 * all within `MAX_EXACT_COUNT` so a 32-bit float holds them. `text` is how the value is quoted.
 *
 * @example
 * countProblem(1.5, 'plays');      // 'play count must be a whole number, got 1.5'
 * countProblem(12, 'plays');       // undefined
 */
export function countProblem(
  value: unknown,
  kind: 'plays' | 'weight' | 'rating',
  text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)),
): string | undefined {
  if (typeof value !== 'number') return `not a number: ${text}`;
  if (value > 0 && value <= MAX_EXACT_COUNT && (kind !== 'plays' || Number.isInteger(value))) {
    if (kind === 'rating' ? value >= 0.5 && value <= 5 : Math.fround(value) > 0) return undefined;
  }
  if (Number.isNaN(value)) return `not a number: ${text}`;
  if (!Number.isFinite(value)) return `not a finite number: ${text}`;
  if (kind === 'rating') return `rating ${text} is outside 0.5–5`;
  if (value <= 0) return `must be positive, got ${text}`;
  if (value > MAX_EXACT_COUNT)
    return `${text} is above ${MAX_EXACT_COUNT.toLocaleString('en')}, the largest count stored exactly (as a 32-bit float)`;
  if (kind === 'plays') return `play count must be a whole number, got ${text}`;
  return `${text} is too small to store (below 1.4e-45, it would be 0 as a 32-bit float)`;
}

/** Below this many triplets the builder just grows; above it, it merges repeats before growing. */
const COMPACT_FROM = 1 << 20;

/**
 * Accumulates (user, item, count) triplets with external ids while a file is read, in
 * growable typed arrays (12 bytes per line, no per-line objects), then turns them into a
 * user-major CSR with duplicates summed.
 *
 * Memory is bounded by the distinct pairs, not the lines: when the arrays are full (past 1M
 * triplets) repeated pairs are merged first, and the arrays grow only if that frees less than
 * half, so a file repeating one line a billion times stays at a few MB. Sums are exact (float64)
 * and must stay within `MAX_EXACT_COUNT`; `label` names the input in that error.
 *
 * @example
 * const b = new TripletBuilder();
 * b.add('u1', 's1', 3);
 * b.add('u1', 's1', 2); // duplicate pair: summed to 5 on build
 * const { matrix, users, items, duplicates } = b.build(); // duplicates === 1
 */
export class TripletBuilder {
  readonly users: IdIndex;
  readonly items: IdIndex;
  private userIdx = new Uint32Array(1024);
  private itemIdx = new Uint32Array(1024);
  private counts = new Float32Array(1024);
  private n = 0;
  private merged = 0;
  /** Triplets `[0, sorted)` are in (user, item) order with no repeats: merged before. */
  private sorted = 0;
  private readonly label: string | undefined;

  constructor(users: IdIndex = new IdIndex(), items: IdIndex = new IdIndex(), label?: string) {
    this.users = users;
    this.items = items;
    this.label = label;
  }

  /** Triplets held: lines added, less the repeats merged so far. */
  get length(): number {
    return this.n;
  }

  add(user: string, item: string, count: number): void {
    this.addIndices(this.users.intern(user), this.items.intern(item), count);
  }

  /** Adds by dense index, for readers that intern ids themselves (e.g. to reuse a run of equal users). */
  addIndices(user: number, item: number, count: number): void {
    if (this.n === this.counts.length) this.makeRoom();
    this.userIdx[this.n] = user;
    this.itemIdx[this.n] = item;
    this.counts[this.n] = count;
    this.n++;
  }

  private makeRoom(): void {
    const capacity = this.counts.length;
    if (capacity >= COMPACT_FROM && this.n > this.sorted) {
      this.compact();
      if (this.n <= capacity / 2) return;
    }
    const size = capacity * 2;
    this.userIdx = grown(this.userIdx, size, this.n);
    this.itemIdx = grown(this.itemIdx, size, this.n);
    this.counts = grown(this.counts, size, this.n);
  }

  /**
   * Sorts the triplets by (user, item) in place and merges repeated pairs, summing in float64:
   * a counting sort by user, then each user's items sorted (already sorted when the reader
   * handed runs in order, as `InteractionSink` does).
   */
  private compact(): void {
    const n = this.n;
    const rows = this.users.size;
    const { userIdx, itemIdx, counts } = this;
    const start = new Uint32Array(rows + 1);
    for (let k = 0; k < n; k++) start[userIdx[k] + 1]++;
    for (let r = 0; r < rows; r++) start[r + 1] += start[r];
    const cursor = start.slice(0, rows);
    const items = new Uint32Array(n);
    const values = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const p = cursor[userIdx[k]]++;
      items[p] = itemIdx[k];
      values[p] = counts[k];
    }
    let write = 0;
    for (let r = 0; r < rows; r++) {
      const from = start[r];
      const to = start[r + 1];
      if (!isSortedStrict(items, from, to)) sortRow(items, values, from, to);
      const rowStart = write;
      for (let p = from; p < to; p++) {
        if (write > rowStart && itemIdx[write - 1] === items[p]) {
          const sum = counts[write - 1] + values[p];
          if (sum > MAX_EXACT_COUNT) this.tooBig(r, items[p], sum);
          counts[write - 1] = sum;
          this.merged++;
        } else {
          userIdx[write] = r;
          itemIdx[write] = items[p];
          counts[write] = values[p];
          write++;
        }
      }
    }
    this.n = write;
    this.sorted = write;
  }

  private tooBig(user: number, item: number, sum: number): never {
    throw new DataError(
      `user ${JSON.stringify(this.users.external(user))}, item ${JSON.stringify(this.items.external(item))}: ` +
        `the repeated lines of this pair add up to ${sum.toLocaleString('en')}, above ` +
        `${MAX_EXACT_COUNT.toLocaleString('en')}, the largest count stored exactly`,
      { file: this.label },
    );
  }

  /** The user-major matrix of summed counts; `duplicates` counts the lines merged into a pair seen before. */
  build(): { matrix: CsrMatrix; users: IdIndex; items: IdIndex; duplicates: number } {
    this.compact();
    const rows = this.users.size;
    const n = this.n;
    const indptr = new Uint32Array(rows + 1);
    for (let k = 0; k < n; k++) indptr[this.userIdx[k] + 1]++;
    for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
    const matrix: CsrMatrix = {
      rows,
      cols: this.items.size,
      indptr,
      indices: this.itemIdx.slice(0, n),
      values: this.counts.slice(0, n),
    };
    return { matrix, users: this.users, items: this.items, duplicates: this.merged };
  }
}
