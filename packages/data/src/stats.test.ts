import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csrFromTriplets } from './sparse.ts';
import { datasetStats, itemTotals, longTail, longTailCurve, mostActiveUsers, quantiles } from './stats.ts';
import { quantileSorted } from './transforms.ts';

describe('datasetStats', () => {
  // 3 users × 4 songs; song 0 is the hit.
  const m = csrFromTriplets(3, 4, [0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 0, 3], [10, 1, 20, 1, 30, 2]);
  const s = datasetStats(m);

  it('counts sizes, plays and density', () => {
    expect(s).toMatchObject({ users: 3, items: 4, interactions: 6, plays: 64, density: 0.5 });
  });

  it('summarises play counts, songs per user, plays per user and listeners per song', () => {
    expect(s.playCount).toMatchObject({ min: 1, p50: 6, max: 30 });
    expect(s.playCount.mean).toBeCloseTo(64 / 6);
    expect(s.itemsPerUser).toMatchObject({ min: 2, p50: 2, max: 2 });
    expect(s.playsPerUser).toMatchObject({ min: 11, p50: 21, max: 32 });
    expect(s.usersPerItem).toMatchObject({ min: 1, p50: 1, max: 3, mean: 1.5 });
  });

  it('measures the long tail by plays and by listeners', () => {
    // Top 20% of 4 songs = 1 song (song 0): 60 of 64 plays, 3 of 6 listens.
    expect(s.longTail.byPlays.top20Share).toBeCloseTo(60 / 64);
    expect(s.longTail.byPlays.itemsFor80Share).toBe(0.25);
    expect(s.longTail.byUsers.top20Share).toBe(0.5);
    expect(s.longTail.byUsers.itemsFor80Share).toBe(0.75);
  });
});

describe('quantiles and longTail', () => {
  it('matches a plain sort for integer and fractional values alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.double({ min: 0, max: 100, noNaN: true })), {
          minLength: 1,
          maxLength: 300,
        }),
        (values) => {
          const sorted = Float64Array.from(values).sort();
          const q = quantiles(values);
          expect(q.min).toBe(sorted[0]);
          expect(q.max).toBe(sorted[sorted.length - 1]);
          expect(q.p90).toBeCloseTo(quantileSorted(sorted, 0.9), 9);
          expect(q.p25).toBeCloseTo(quantileSorted(sorted, 0.25), 9);
        },
      ),
    );
  });

  it('handles empty input and the documented example', () => {
    expect(quantiles([]).p50).toBeNaN();
    expect(quantiles([1, 2, 3, 4, 5]).p50).toBe(3);
    expect(longTail([80, 5, 5, 5, 5])).toEqual({ top20Share: 0.8, itemsFor80Share: 0.2 });
    expect(longTail([]).top20Share).toBeNaN();
  });
});

describe('itemTotals and longTailCurve', () => {
  it('sums each item’s plays', () => {
    const m = csrFromTriplets(3, 4, [0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 0, 3], [10, 1, 20, 1, 30, 2]);
    expect(Array.from(itemTotals(m))).toEqual([60, 1, 1, 2]);
  });

  it('draws the most popular items first, from (0,0) to (1,1)', () => {
    const { x, y } = longTailCurve([1, 60, 2, 1]);
    expect(x).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(y).toEqual([0, 60 / 64, 62 / 64, 63 / 64, 1]);
  });

  it('is non-decreasing, bounded by the diagonal from above, and agrees with longTail', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (values, points) => {
          const { x, y } = longTailCurve(values, points);
          expect(x.length).toBe(Math.min(points, values.length) + 1);
          for (let i = 1; i < x.length; i++) {
            expect(x[i]).toBeGreaterThan(x[i - 1]);
            expect(y[i]).toBeGreaterThanOrEqual(y[i - 1] - 1e-12);
            // The most popular first: the curve never dips below the diagonal.
            expect(y[i]).toBeGreaterThanOrEqual(x[i] - 1e-9);
          }
          expect(x.at(-1)).toBe(1);
          expect(y.at(-1)).toBeCloseTo(1);
          const total = values.reduce((a, b) => a + b, 0);
          if (total > 0 && values.length % 5 === 0 && points >= values.length) {
            const at20 = y[x.findIndex((v) => Math.abs(v - 0.2) < 1e-9)];
            expect(at20).toBeCloseTo(longTail(values).top20Share);
          }
        },
      ),
    );
  });

  it('gives the diagonal’s ends for no plays', () => {
    expect(longTailCurve([])).toEqual({ x: [0, 1], y: [0, 1] });
    expect(longTailCurve([0, 0])).toEqual({ x: [0, 1], y: [0, 1] });
  });
});

describe('mostActiveUsers', () => {
  it('orders by distinct items, then plays, then index, and cuts at the limit', () => {
    const m = csrFromTriplets(
      4,
      3,
      Uint32Array.of(0, 1, 1, 2, 2, 3),
      Uint32Array.of(0, 0, 1, 0, 2, 1),
      Float32Array.of(5, 1, 1, 2, 9, 2),
    );
    expect(mostActiveUsers(m)).toEqual([
      { user: 2, items: 2, plays: 11 },
      { user: 1, items: 2, plays: 2 },
      { user: 0, items: 1, plays: 5 },
      { user: 3, items: 1, plays: 2 },
    ]);
    expect(mostActiveUsers(m, 1).map((a) => a.user)).toEqual([2]);
    expect(mostActiveUsers(m, 0)).toEqual([]);
  });
});
