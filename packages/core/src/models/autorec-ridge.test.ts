import { Rng } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { ridgeWithIntercept } from './autorec-ridge.ts';

/** Objective of the ridge problem, to compare solutions by value. */
function objective(
  x: Float32Array,
  t: number[],
  n: number,
  d: number,
  penalty: number,
  w: ArrayLike<number>,
  c: number,
) {
  let s = 0;
  for (let j = 0; j < n; j++) {
    let p = c;
    for (let a = 0; a < d; a++) p += w[a] * x[j * d + a];
    s += (t[j] - p) ** 2;
  }
  for (let a = 0; a < d; a++) s += penalty * w[a] ** 2;
  return s;
}

describe('ridge with intercept', () => {
  for (const [n, d] of [
    [30, 5],
    [4, 12],
  ])
    it(`is the minimiser (${n} rows × ${d} features: ${n < d ? 'dual' : 'primal'} system)`, () => {
      const rng = new Rng(n * 31 + d);
      const x = Float32Array.from({ length: n * d }, () => rng.normal());
      const t = Array.from({ length: n }, () => 3 + rng.normal());
      const penalty = 0.7;
      const { w, c } = ridgeWithIntercept(x, t, n, d, penalty);
      const best = objective(x, t, n, d, penalty, w, c);
      // Any perturbation of the solution increases the objective (first-order optimality).
      for (let k = 0; k < 20; k++) {
        const w2 = Float64Array.from(w, (v) => v + 1e-3 * rng.normal());
        const c2 = c + 1e-3 * rng.normal();
        expect(objective(x, t, n, d, penalty, w2, c2)).toBeGreaterThan(best);
      }
    });

  it('recovers exact coefficients without noise and handles no rows', () => {
    const x = Float32Array.of(1, 0, 0, 1, 1, 1, 2, -1);
    const t = [1 * 2 - 0 + 5, 0 * 2 - 1 + 5, 2 - 1 + 5, 4 + 1 + 5];
    const { w, c } = ridgeWithIntercept(x, t, 4, 2, 0);
    expect(w[0]).toBeCloseTo(2, 6);
    expect(w[1]).toBeCloseTo(-1, 6);
    expect(c).toBeCloseTo(5, 6);
    expect(ridgeWithIntercept(new Float32Array(0), [], 0, 3, 1)).toEqual({ w: new Float64Array(3), c: 0 });
  });
});
