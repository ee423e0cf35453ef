import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from './errors.ts';
import { readInteractions } from './formats/read.ts';
import { csrFromTriplets, nnz } from './sparse.ts';
import { MAX_EXACT_COUNT, TripletBuilder } from './triplets.ts';

describe('TripletBuilder', () => {
  it('holds memory for the distinct pairs, not the lines: a repeated line does not grow it', () => {
    const b = new TripletBuilder();
    const user = b.users.intern('u');
    const item = b.items.intern('s');
    const lines = 3_000_000;
    for (let k = 0; k < lines; k++) b.addIndices(user, item, 1);
    expect(b.length).toBeLessThanOrEqual(1 << 20);
    const { matrix, duplicates } = b.build();
    expect(nnz(matrix)).toBe(1);
    expect(matrix.values[0]).toBe(lines);
    expect(duplicates).toBe(lines - 1);
  });

  it('also when the repeats are interleaved across users and items', () => {
    const b = new TripletBuilder();
    for (let u = 0; u < 30; u++) b.users.intern(`u${u}`);
    for (let i = 0; i < 50; i++) b.items.intern(`s${i}`);
    for (let k = 0; k < 3_000_000; k++) b.addIndices(k % 30, k % 50, 1);
    expect(b.length).toBeLessThanOrEqual(1 << 20);
    const { matrix, duplicates } = b.build();
    expect(nnz(matrix)).toBe(150); // lcm(30, 50) distinct pairs
    expect(duplicates).toBe(3_000_000 - 150);
  });

  it('builds the same matrix as csrFromTriplets whatever the order and repeats', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(6), fc.nat(9), fc.integer({ min: 1, max: 1000 })), { maxLength: 200 }),
        (triplets) => {
          const b = new TripletBuilder();
          for (let u = 0; u < 7; u++) b.users.intern(`u${u}`);
          for (let i = 0; i < 10; i++) b.items.intern(`s${i}`);
          for (const [u, i, v] of triplets) b.addIndices(u, i, v);
          const { matrix, duplicates } = b.build();
          const expected = csrFromTriplets(
            7,
            10,
            triplets.map((t) => t[0]),
            triplets.map((t) => t[1]),
            triplets.map((t) => t[2]),
          );
          expect(duplicates).toBe(expected.duplicates);
          expect(Array.from(matrix.indptr)).toEqual(Array.from(expected.indptr));
          expect(Array.from(matrix.indices)).toEqual(Array.from(expected.indices));
          expect(Array.from(matrix.values)).toEqual(Array.from(expected.values));
        },
      ),
    );
  });

  it('refuses repeats that add up past the largest count stored exactly, naming the pair', () => {
    const b = new TripletBuilder(undefined, undefined, 'plays.tsv');
    b.add('u1', 's1', MAX_EXACT_COUNT - 1);
    b.add('u1', 's1', 2);
    expect(() => b.build()).toThrow(DataError);
    expect(() => b.build()).toThrow(
      /^plays\.tsv: user "u1", item "s1": .* add up to 16,777,217, above 16,777,216/,
    );
  });
});

describe('counts a 32-bit float cannot hold', () => {
  const read = (text: string, format: 'taste-profile' | 'csv' = 'taste-profile') =>
    readInteractions(text, { format, name: 'x.tsv', csv: { user: 0, item: 1, count: 2 } });

  it('a play count above 2^24 is refused, naming the line, instead of being rounded', async () => {
    await expect(read('u\ts\t16777217\n')).rejects.toThrow(
      /x\.tsv, line 1, field 'play_count': "16777217" is above 16,777,216, the largest count stored exactly/,
    );
    const ok = await read('u\ts\t16777216\n');
    expect(ok.counts.values[0]).toBe(16777216);
  });

  it('a weight that would become infinite or zero is refused', async () => {
    await expect(read('u,s,1e39\n', 'csv')).rejects.toThrow(/line 1.*"1e39" is above 16,777,216/);
    await expect(read('u,s,1e-50\n', 'csv')).rejects.toThrow(/line 1.*too small to store/);
    expect((await read('u,s,0.25\n', 'csv')).counts.values[0]).toBe(0.25);
  });

  it('two lines of one pair that sum past 2^24 are refused instead of becoming infinity', async () => {
    await expect(read('u\ts\t16777216\nu\ts\t1\n')).rejects.toThrow(/x\.tsv: user "u", item "s"/);
  });
});
