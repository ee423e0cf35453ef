import { describe, expect, it } from 'vitest';
import { IdIndex } from './ids.ts';

describe('IdIndex', () => {
  it('interns ids densely in first-seen order and maps back', () => {
    const ids = new IdIndex();
    expect(ids.intern('b')).toBe(0);
    expect(ids.intern('a')).toBe(1);
    expect(ids.intern('b')).toBe(0);
    expect(ids.external(1)).toBe('a');
    expect(ids.indexOf('zzz')).toBe(-1);
    expect(() => ids.external(2)).toThrow(RangeError);
  });

  it('builds from a list lazily and keeps interning after it', () => {
    const ids = new IdIndex(['x', 'y']);
    expect(ids.size).toBe(2);
    expect(ids.indexOf('y')).toBe(1);
    expect(ids.intern('z')).toBe(2);
    expect(ids.subset([2, 0]).toArray()).toEqual(['z', 'x']);
  });

  it('rejects a list with a repeated id when first looked up', () => {
    expect(() => new IdIndex(['x', 'x']).indexOf('x')).toThrow(/'x' appears twice/);
  });
});
