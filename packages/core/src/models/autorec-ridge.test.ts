import { Rng } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { implicitRidgeRow, ridgeWithIntercept, weightedGram } from './autorec-ridge.ts';

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

describe('implicit ridge row (whole-vector weighted least squares)', () => {
  it('is the minimiser of Σ_played (t − ŷ)² + Σ_unplayed a_i ŷ² + penalty·‖w‖²', () => {
    const rng = new Rng(9);
    const n = 40;
    const d = 6;
    const x = Float32Array.from({ length: n * d }, () => rng.next() * 2 - 1);
    const a = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 0.05 + rng.next() * 0.3));
    const played = Uint32Array.of(1, 4, 9, 22, 30);
    const penalty = 0.7;
    const f = (w: ArrayLike<number>, c: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let y = c;
        for (let k = 0; k < d; k++) y += w[k] * x[i * d + k];
        s += played.includes(i) ? (1 - y) ** 2 : a[i] * y * y;
      }
      for (let k = 0; k < d; k++) s += penalty * w[k] ** 2;
      return s;
    };
    const { w, c } = implicitRidgeRow(weightedGram(x, n, d, a), x, d, played, a, 1, penalty);
    const best = f(w, c);
    // Any small step away from the solution costs more (it is the unique minimiser).
    for (let trial = 0; trial < 50; trial++) {
      const w2 = Float64Array.from(w, (v) => v + (rng.next() - 0.5) * 0.02);
      const c2 = c + (rng.next() - 0.5) * 0.02;
      expect(f(w2, c2)).toBeGreaterThan(best);
    }
    // The gradient vanishes there.
    const eps = 1e-5;
    for (let k = 0; k <= d; k++) {
      const up = Float64Array.from(w);
      const down = Float64Array.from(w);
      let cu = c;
      let cd = c;
      if (k < d) {
        up[k] += eps;
        down[k] -= eps;
      } else {
        cu += eps;
        cd -= eps;
      }
      expect(Math.abs((f(up, cu) - f(down, cd)) / (2 * eps))).toBeLessThan(1e-4);
    }
  });
});
