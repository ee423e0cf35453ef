import { describe, expect, it } from 'vitest';
import { solveSymmetricPositive } from './linalg.ts';

describe('solveSymmetricPositive', () => {
  it('solves a small SPD system', () => {
    // [[4, 2], [2, 3]] x = [2, 5]  →  x = [-0.5, 2]
    const x = solveSymmetricPositive(Float64Array.of(4, 2, 2, 3), Float64Array.of(2, 5), 2);
    expect(x[0]).toBeCloseTo(-0.5, 12);
    expect(x[1]).toBeCloseTo(2, 12);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => solveSymmetricPositive(Float64Array.of(1, 2, 2, 1), Float64Array.of(1, 1), 2)).toThrow(
      /positive definite/,
    );
  });
});
