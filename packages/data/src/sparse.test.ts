import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDisjoint,
  csrFromTriplets,
  entryCoordinates,
  filterEntries,
  getValue,
  nnz,
  rowIndices,
  transpose,
} from './sparse.ts';

describe('csrFromTriplets', () => {
  it('sorts columns within rows and sums duplicates', () => {
    const m = csrFromTriplets(2, 4, [1, 0, 1, 1], [3, 2, 0, 3], [1, 2, 3, 4]);
    expect(Array.from(m.indptr)).toEqual([0, 1, 3]);
    expect(Array.from(rowIndices(m, 1))).toEqual([0, 3]);
    expect(getValue(m, 1, 3)).toBe(5);
    expect(m.duplicates).toBe(1);
  });

  it('rejects out-of-range indices', () => {
    expect(() => csrFromTriplets(1, 1, [1], [0], [1])).toThrow(/row index 1/);
    expect(() => csrFromTriplets(1, 1, [0], [2], [1])).toThrow(/column index 2/);
  });

  it('matches a dense reference for arbitrary triplets, and transpose twice is identity', () => {
    const triplet = fc.tuple(fc.nat(5), fc.nat(6), fc.integer({ min: 1, max: 9 }));
    fc.assert(
      fc.property(fc.array(triplet, { maxLength: 60 }), (ts) => {
        const dense = Array.from({ length: 6 }, () => new Array(7).fill(0));
        for (const [r, c, v] of ts) dense[r][c] += v;
        const m = csrFromTriplets(
          6,
          7,
          ts.map((t) => t[0]),
          ts.map((t) => t[1]),
          ts.map((t) => t[2]),
        );
        for (let r = 0; r < 6; r++) for (let c = 0; c < 7; c++) expect(getValue(m, r, c)).toBe(dense[r][c]);
        const t = transpose(m);
        for (let r = 0; r < 6; r++) for (let c = 0; c < 7; c++) expect(getValue(t, c, r)).toBe(dense[r][c]);
        const back = transpose(t);
        expect(Array.from(back.indptr)).toEqual(Array.from(m.indptr));
        expect(Array.from(back.indices)).toEqual(Array.from(m.indices));
        expect(nnz(m) + m.duplicates).toBe(ts.length);
      }),
    );
  });

  it('filterEntries keeps the chosen entries only', () => {
    const m = csrFromTriplets(2, 2, [0, 0, 1], [0, 1, 1], [1, 2, 3]);
    const f = filterEntries(m, (_r, _c, v) => v >= 2);
    expect(nnz(f)).toBe(2);
    expect(getValue(f, 0, 0)).toBe(0);
    expect(getValue(f, 1, 1)).toBe(3);
  });
});

describe('csrFromTriplets on long unsorted rows', () => {
  it('sorts rows longer than the insertion-sort cutoff and sums their duplicates', () => {
    const n = 500;
    const cols = Array.from({ length: n }, (_, i) => (i * 7919) % 97);
    const m = csrFromTriplets(1, 97, new Array(n).fill(0), cols, new Array(n).fill(1));
    const idx = Array.from(rowIndices(m, 0));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(new Set(idx).size).toBe(idx.length);
    let total = 0;
    for (const c of idx) total += getValue(m, 0, c);
    expect(total).toBe(n);
    expect(m.duplicates).toBe(n - idx.length);
  });
});

describe('entryCoordinates', () => {
  it('gives each stored entry its row and column, aligned with values (empty rows included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(6), fc.nat(5), fc.integer({ min: 1, max: 9 })), { maxLength: 40 }),
        (t) => {
          const m = csrFromTriplets(
            8,
            6,
            t.map((x) => x[0]),
            t.map((x) => x[1]),
            t.map((x) => x[2]),
          );
          const { rows, cols } = entryCoordinates(m);
          expect(rows.length).toBe(nnz(m));
          expect(cols.length).toBe(nnz(m));
          for (let q = 0; q < nnz(m); q++) expect(getValue(m, rows[q], cols[q])).toBe(m.values[q]);
          expect(Array.from(rows)).toEqual([...rows].sort((a, b) => a - b));
        },
      ),
    );
  });
});

describe('addDisjoint', () => {
  it('merges two disjoint matrices into sorted rows holding every entry, and refuses overlaps', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 7 })), {
          selector: ([r, c]) => `${r},${c}`,
          maxLength: 40,
        }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (cells, side) => {
          const pick = (s: boolean) => cells.filter((_, j) => side[j] === s);
          const build = (xs: [number, number][]) =>
            csrFromTriplets(
              6,
              8,
              xs.map((x) => x[0]),
              xs.map((x) => x[1]),
              xs.map((x) => x[0] * 10 + x[1]),
            );
          const sum = addDisjoint(build(pick(true)), build(pick(false)));
          const all = build(cells);
          expect(Array.from(sum.indptr)).toEqual(Array.from(all.indptr));
          expect(Array.from(sum.indices)).toEqual(Array.from(all.indices.subarray(0, nnz(all))));
          expect(Array.from(sum.values)).toEqual(Array.from(all.values.subarray(0, nnz(all))));
        },
      ),
      { numRuns: 100 },
    );
    const one = csrFromTriplets(2, 2, [1], [1], [3]);
    expect(() => addDisjoint(one, one)).toThrow(/entry \(1, 1\) is in both/);
    expect(() => addDisjoint(one, csrFromTriplets(3, 2, [], [], []))).toThrow(/differ in shape/);
  });
});
