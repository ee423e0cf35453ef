import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.ts';
import { filterDataset, MULT_VAE_FILTER } from './filters.ts';
import { IdIndex } from './ids.ts';
import { type CsrMatrix, csrFromTriplets, getValue, nnz, rowNnz, transpose } from './sparse.ts';

function dataset(rows: number, cols: number, triplets: [number, number, number][]): Dataset {
  const m = csrFromTriplets(
    rows,
    cols,
    triplets.map((t) => t[0]),
    triplets.map((t) => t[1]),
    triplets.map((t) => t[2]),
  );
  return {
    name: 'test',
    format: 'taste-profile',
    users: new IdIndex(Array.from({ length: rows }, (_, u) => `u${u}`)),
    items: new IdIndex(Array.from({ length: cols }, (_, i) => `s${i}`)),
    counts: m,
    explicit: false,
    itemInfo: Array.from({ length: cols }, (_, i) => ({ title: `t${i}` })),
  };
}

/** (external user, external item) → count. */
function byIds(d: Dataset): Map<string, number> {
  const out = new Map<string, number>();
  const m = d.counts;
  for (let u = 0; u < m.rows; u++)
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++)
      out.set(`${d.users.external(u)}|${d.items.external(m.indices[p])}`, m.values[p]);
  return out;
}

function itemDegrees(m: CsrMatrix): number[] {
  const t = transpose(m);
  return Array.from({ length: t.rows }, (_, i) => rowNnz(t, i));
}

// u0 plays s0 s1 s2; u1 plays s0 s1; u2 plays s0 s3; u3 plays s2.
const small = dataset(4, 4, [
  [0, 0, 5],
  [0, 1, 1],
  [0, 2, 2],
  [1, 0, 3],
  [1, 1, 1],
  [2, 0, 7],
  [2, 3, 1],
  [3, 2, 4],
]);

describe('filterDataset', () => {
  it('one pass, songs first (the Mult-VAE order), renumbers densely and carries item info', () => {
    const { dataset: d, summary } = filterDataset(small, { minUsersPerItem: 2, minItemsPerUser: 2 });
    // Songs: s3 has one listener → dropped. Users then: u2 has only s0 left → dropped, u3 has s2 → dropped.
    expect(d.users.toArray()).toEqual(['u0', 'u1']);
    // s2 kept by the song pass (2 listeners) though only u0 remains: one pass does not revisit songs.
    expect(d.items.toArray()).toEqual(['s0', 's1', 's2']);
    expect(d.itemInfo?.map((i) => i?.title)).toEqual(['t0', 't1', 't2']);
    expect(getValue(d.counts, 0, 2)).toBe(2);
    expect(summary.removed).toEqual({ users: 2, items: 1, interactions: 3, plays: 12 });
    expect(summary.after).toEqual({ users: 2, items: 3, interactions: 5, plays: 12 });
    expect(summary.passes).toBe(1);
  });

  it('one pass, users first gives a different result', () => {
    const { dataset: d } = filterDataset(small, {
      minUsersPerItem: 2,
      minItemsPerUser: 2,
      order: 'users-first',
    });
    // Users: u3 (1 song) dropped. Songs then: s2 and s3 have one listener each → dropped.
    expect(d.users.toArray()).toEqual(['u0', 'u1', 'u2']);
    expect(d.items.toArray()).toEqual(['s0', 's1']);
  });

  it('iterates to the k-core, the same whichever side starts', () => {
    const a = filterDataset(small, { minUsersPerItem: 2, minItemsPerUser: 2, iterate: true });
    const b = filterDataset(small, {
      minUsersPerItem: 2,
      minItemsPerUser: 2,
      iterate: true,
      order: 'users-first',
    });
    expect(a.dataset.users.toArray()).toEqual(['u0', 'u1']);
    expect(a.dataset.items.toArray()).toEqual(['s0', 's1']);
    expect(byIds(b.dataset)).toEqual(byIds(a.dataset));
    expect(a.summary.passes).toBeGreaterThan(1);
  });

  it('keeps everything with no minimums except users and songs without plays', () => {
    const d = dataset(3, 3, [
      [0, 0, 1],
      [2, 2, 1],
    ]);
    const { dataset: f } = filterDataset(d);
    expect(f.users.toArray()).toEqual(['u0', 'u2']);
    expect(f.items.toArray()).toEqual(['s0', 's2']);
  });

  it('k-core property: every kept user and song meets its minimum, and counts are unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 14 }),
            fc.integer({ min: 0, max: 11 }),
            fc.integer({ min: 1, max: 9 }),
          ),
          {
            maxLength: 120,
          },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (triplets, minU, minI) => {
          const d = dataset(15, 12, triplets);
          const { dataset: f, summary } = filterDataset(d, {
            minItemsPerUser: minU,
            minUsersPerItem: minI,
            iterate: true,
          });
          for (let u = 0; u < f.counts.rows; u++) expect(rowNnz(f.counts, u)).toBeGreaterThanOrEqual(minU);
          for (const deg of itemDegrees(f.counts)) expect(deg).toBeGreaterThanOrEqual(minI);
          const original = byIds(d);
          for (const [k, v] of byIds(f)) expect(original.get(k)).toBe(v);
          expect(summary.before.interactions - summary.removed.interactions).toBe(nnz(f.counts));
          expect(f.counts.cols).toBe(f.items.size);
          expect(f.itemInfo).toHaveLength(f.items.size);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('has the Mult-VAE preset and rejects bad options', () => {
    expect(MULT_VAE_FILTER).toEqual({
      minItemsPerUser: 20,
      minUsersPerItem: 200,
      order: 'items-first',
      iterate: false,
    });
    expect(() => filterDataset(small, { minItemsPerUser: -1 })).toThrow(/minItemsPerUser/);
    expect(() => filterDataset(small, { minUsersPerItem: 1.5 })).toThrow(/minUsersPerItem/);
  });
});
