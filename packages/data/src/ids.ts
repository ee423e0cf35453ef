/**
 * A two-way map between external ids (user ids, song ids as they appear in the source files)
 * and dense integer indices 0..size-1, which is what every matrix and model works with.
 *
 * @example
 * const users = new IdIndex();
 * users.intern('b80344d0'); // 0
 * users.intern('85c1f87f'); // 1
 * users.intern('b80344d0'); // 0 again
 * users.external(1);        // '85c1f87f'
 */
export class IdIndex {
  private readonly byId = new Map<string, number>();
  private readonly ids: string[] = [];

  constructor(ids: Iterable<string> = []) {
    for (const id of ids) this.intern(id);
  }

  /** Index of `id`, adding it at the end when it is new. */
  intern(id: string): number {
    let index = this.byId.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.byId.set(id, index);
      this.ids.push(id);
    }
    return index;
  }

  /** Index of `id`, or -1 when it is unknown. */
  indexOf(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** External id at `index`; throws a RangeError for an index out of range. */
  external(index: number): string {
    const id = this.ids[index];
    if (id === undefined) throw new RangeError(`index ${index} is outside 0..${this.ids.length - 1}`);
    return id;
  }

  get size(): number {
    return this.ids.length;
  }

  /** All external ids in index order (a copy). */
  toArray(): string[] {
    return this.ids.slice();
  }

  /** A new index holding only the entries whose old index is kept, renumbered densely in order. */
  subset(keep: ArrayLike<number>): IdIndex {
    const out = new IdIndex();
    for (let i = 0; i < keep.length; i++) out.intern(this.external(keep[i]));
    return out;
  }
}
