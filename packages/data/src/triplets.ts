import { grown } from './grow.ts';
import { IdIndex } from './ids.ts';
import { type CsrMatrix, csrFromTriplets } from './sparse.ts';

/**
 * Accumulates (user, item, count) triplets with external ids while a file is read, in
 * growable typed arrays (12 bytes per line, no per-line objects), then turns them into a
 * user-major CSR with duplicates summed.
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

  constructor(users: IdIndex = new IdIndex(), items: IdIndex = new IdIndex()) {
    this.users = users;
    this.items = items;
  }

  get length(): number {
    return this.n;
  }

  add(user: string, item: string, count: number): void {
    this.addIndices(this.users.intern(user), this.items.intern(item), count);
  }

  /** Adds by dense index, for readers that intern ids themselves (e.g. to reuse a run of equal users). */
  addIndices(user: number, item: number, count: number): void {
    if (this.n === this.counts.length) this.grow();
    this.userIdx[this.n] = user;
    this.itemIdx[this.n] = item;
    this.counts[this.n] = count;
    this.n++;
  }

  private grow(): void {
    const size = this.counts.length * 2;
    this.userIdx = grown(this.userIdx, size);
    this.itemIdx = grown(this.itemIdx, size);
    this.counts = grown(this.counts, size);
  }

  /** The user-major matrix of summed counts; `duplicates` counts (user, item) pairs seen more than once. */
  build(): { matrix: CsrMatrix; users: IdIndex; items: IdIndex; duplicates: number } {
    const { duplicates, ...matrix } = csrFromTriplets(
      this.users.size,
      this.items.size,
      this.userIdx,
      this.itemIdx,
      this.counts,
      this.n,
    );
    return { matrix, users: this.users, items: this.items, duplicates };
  }
}
