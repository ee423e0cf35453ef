import { describe, expect, it } from 'vitest';
import { ErrorAccumulator, mae, mse, rmse } from './rating.ts';

describe('rating metrics', () => {
  it('match hand-computed values', () => {
    // errors: 1, -1, 0, 2  → squares 1, 1, 0, 4 (sum 6), absolutes sum 4
    const p = [4, 2, 3, 5];
    const a = [3, 3, 3, 3];
    expect(mse(p, a)).toBeCloseTo(6 / 4, 12);
    expect(rmse(p, a)).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(mae(p, a)).toBeCloseTo(1, 12);
  });

  it('accumulate in a stream to the same values', () => {
    const acc = new ErrorAccumulator();
    for (const [p, a] of [
      [4, 3],
      [2, 3],
      [3, 3],
      [5, 3],
    ])
      acc.add(p, a);
    expect(acc.count).toBe(4);
    expect(acc.rmse()).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(acc.mae()).toBeCloseTo(1, 12);
  });

  it('refuse empty or misaligned input with a clear error', () => {
    expect(() => rmse([], [])).toThrow(/rmse: no ratings/);
    expect(() => mae([], [])).toThrow(/mae: no ratings/);
    expect(() => rmse([1, 2], [1])).toThrow(/2 predictions but 1 actual/);
    expect(() => new ErrorAccumulator().rmse()).toThrow(/empty/);
  });
});
