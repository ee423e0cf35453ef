import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../ids.ts';
import { ByteInterner } from './interner.ts';

/** Ids laid out in one buffer, as fields of a chunk would be. */
function layout(ids: Uint8Array[]): { bytes: Uint8Array; starts: Int32Array; ends: Int32Array } {
  const bytes = new Uint8Array(ids.reduce((n, id) => n + id.length + 1, 0));
  const starts = new Int32Array(ids.length);
  const ends = new Int32Array(ids.length);
  let at = 0;
  ids.forEach((id, i) => {
    bytes.set(id, at);
    starts[i] = at;
    ends[i] = at + id.length;
    at += id.length + 1;
  });
  return { bytes, starts, ends };
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('ByteInterner', () => {
  it('gives the same indices as IdIndex.intern on the decoded ids', () => {
    const ids = ['u1', 'u2', 'u1', 'Björk', '', 'u2', 'a-much-longer-id-than-twenty-bytes', 'Björk'];
    const { bytes, starts, ends } = layout(ids.map(encode));
    const interner = new ByteInterner(new IdIndex());
    const got = ids.map((_, i) => interner.intern(bytes, starts[i], ends[i]));
    const expected = new IdIndex();
    expect(got).toEqual(ids.map((id) => expected.intern(id)));
    expect(interner.index.toArray()).toEqual(expected.toArray());
  });

  it('shares an index between byte keys and string keys of the same id', () => {
    const interner = new ByteInterner(new IdIndex());
    expect(interner.internString('Sigur Rós')).toBe(0);
    const bytes = encode('Sigur Rós');
    expect(interner.intern(bytes, 0, bytes.length)).toBe(0);
    expect(interner.index.size).toBe(1);
  });

  it('maps different invalid byte sequences that decode alike to one index', () => {
    const interner = new ByteInterner(new IdIndex());
    const bytes = Uint8Array.of(0xff, 0x20, 0xfe);
    expect(interner.intern(bytes, 0, 1)).toBe(0);
    expect(interner.intern(bytes, 2, 3)).toBe(0);
  });

  it('internMany equals interning one by one, across table growth and any mix of ids', () => {
    const id = fc.oneof(
      fc.constantFrom('a', 'b', 'SOAKIMP12A8C130995', 'b80344d063b5ccb3212f76538f3d9e43d87dca9e'),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.nat({ max: 5000 }).map(String),
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), (ids, batch) => {
        const { bytes, starts, ends } = layout(ids.map(encode));
        const one = new ByteInterner(new IdIndex());
        const expected = ids.map((_, i) => one.intern(bytes, starts[i], ends[i]));
        const many = new ByteInterner(new IdIndex());
        const got: number[] = [];
        const out = new Int32Array(batch);
        for (let from = 0; from < ids.length; from += batch) {
          const n = Math.min(batch, ids.length - from);
          many.internMany(bytes, starts.subarray(from), ends.subarray(from), n, out);
          got.push(...out.subarray(0, n));
        }
        expect(got).toEqual(expected);
        expect(many.index.toArray()).toEqual(one.index.toArray());
      }),
      { numRuns: 30 },
    );
  });

  it('holds many distinct ids', () => {
    const interner = new ByteInterner(new IdIndex());
    const ids = Array.from({ length: 50_000 }, (_, i) => `SO${i.toString(36).padStart(16, '0')}`);
    const { bytes, starts, ends } = layout(ids.map(encode));
    const first = ids.map((_, i) => interner.intern(bytes, starts[i], ends[i]));
    const again = ids.map((_, i) => interner.intern(bytes, starts[i], ends[i]));
    expect(first).toEqual(ids.map((_, i) => i));
    expect(again).toEqual(first);
    expect(interner.index.size).toBe(ids.length);
  });
});
