import { describe, expect, it } from 'vitest';
import { grown } from './grow.ts';

describe('grown', () => {
  it('copies into a larger array of the same type, zero-filled', () => {
    const a = grown(Float64Array.of(1.5, -2), 4);
    expect(a).toBeInstanceOf(Float64Array);
    expect(Array.from(a)).toEqual([1.5, -2, 0, 0]);
  });

  it('keeps only the first `keep` elements', () => {
    expect(Array.from(grown(Uint8Array.of(7, 8, 9), 5, 2))).toEqual([7, 8, 0, 0, 0]);
  });
});
