import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAtK,
  catalogueCoverage,
  hitRateAtK,
  ndcgAtK,
  popularityPercentiles,
  precisionAtK,
  recallAtK,
  truncatedRecallAtK,
  userRankingMetrics,
} from './ranking.ts';

describe('ranking metrics at K', () => {
  // Ranked list 10, 20, 30, 40, 50; relevant: 20, 40, 99 (99 never recommended).
  const ranked = [10, 20, 30, 40, 50];
  const relevant = new Set([20, 40, 99]);

  it('match hand-computed values', () => {
    expect(precisionAtK(ranked, relevant, 5)).toBeCloseTo(2 / 5, 12);
    expect(precisionAtK(ranked, relevant, 1)).toBe(0);
    // Recall divides by |relevant| = 3; truncated recall by min(K, |relevant|): 3 at K = 5, 2 at K = 2.
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, relevant, 2)).toBeCloseTo(1 / 3, 12);
    expect(truncatedRecallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(truncatedRecallAtK(ranked, relevant, 2)).toBeCloseTo(1 / 2, 12);
    // DCG@5 = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4).
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(dcg / (1 + 1 / Math.log2(3) + 0.5), 12);
    // AP@5 = (1/2 + 2/4) / min(5, 3).
    expect(averagePrecisionAtK(ranked, relevant, 5)).toBeCloseTo(1 / 3, 12);
    expect(hitRateAtK(ranked, relevant, 1)).toBe(0);
    expect(hitRateAtK(ranked, relevant, 2)).toBe(1);
  });

  it('give 1 for a perfect list', () => {
    const rel = new Set([7, 8]);
    const m = userRankingMetrics([8, 7, 1], rel, 2);
    expect(m).toEqual({ precision: 1, recall: 1, truncatedRecall: 1, ndcg: 1, map: 1, hitRate: 1 });
    // Three relevant, K = 2: a perfect list recalls 2 of 3, but is perfect in the truncated form.
    const three = userRankingMetrics([8, 7, 1], new Set([7, 8, 9]), 2);
    expect(three.recall).toBeCloseTo(2 / 3, 12);
    expect(three.truncatedRecall).toBe(1);
  });

  it('agree with the definitions written out naïvely, one pass and single-metric alike', () => {
    const lists = [ranked, [99, 40, 20], [1, 2, 3], [40]];
    for (const list of lists)
      for (const k of [1, 2, 3, 5, 8]) {
        const want = naive(list, relevant, k);
        const m = userRankingMetrics(list, relevant, k);
        for (const [got, expected] of [
          [m.precision, want.precision],
          [m.recall, want.recall],
          [m.truncatedRecall, want.truncatedRecall],
          [truncatedRecallAtK(list, relevant, k), want.truncatedRecall],
          [m.ndcg, want.ndcg],
          [m.map, want.map],
          [precisionAtK(list, relevant, k), want.precision],
          [recallAtK(list, relevant, k), want.recall],
          [ndcgAtK(list, relevant, k), want.ndcg],
          [averagePrecisionAtK(list, relevant, k), want.map],
        ])
          expect(got).toBeCloseTo(expected, 12);
        expect(m.hitRate).toBe(want.hitRate);
        expect(hitRateAtK(list, relevant, k)).toBe(want.hitRate);
      }
  });

  it('give mid-rank popularity percentiles, ties sharing one', () => {
    expect(Array.from(popularityPercentiles([0, 5, 5, 9]))).toEqual([0.125, 0.5, 0.5, 0.875]);
    expect(Array.from(popularityPercentiles([3, 3, 3]))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(popularityPercentiles([9, 1]))).toEqual([0.75, 0.25]);
    expect(popularityPercentiles([])).toHaveLength(0);
  });

  it('count a list shorter than K as misses in precision', () => {
    expect(precisionAtK([20], relevant, 4)).toBeCloseTo(1 / 4, 12);
  });

  it('compute catalogue coverage', () => {
    expect(catalogueCoverage(new Set([0, 3]), 8)).toBe(0.25);
    expect(catalogueCoverage([1, 1, 2], 4)).toBe(0.5);
  });

  it('refuse empty input and bad K', () => {
    expect(() => precisionAtK(ranked, new Set(), 5)).toThrow(/no relevant items/);
    expect(() => ndcgAtK(ranked, relevant, 0)).toThrow(/positive integer/);
    expect(() => recallAtK(ranked, relevant, 2.5)).toThrow(/positive integer/);
    expect(() => catalogueCoverage(new Set(), 0)).toThrow(/catalogue is empty/);
  });
});

/** The metrics straight from their definitions (top-K relevance vector, sums over it). */
function naive(ranked: number[], relevant: Set<number>, k: number) {
  const rel = ranked.slice(0, k).map((i) => (relevant.has(i) ? 1 : 0));
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const denominator = Math.min(k, relevant.size);
  const ideal = sum(Array.from({ length: denominator }, (_, j) => 1 / Math.log2(j + 2)));
  return {
    precision: sum(rel) / k,
    recall: sum(rel) / relevant.size,
    truncatedRecall: sum(rel) / denominator,
    ndcg: sum(rel.map((r, j) => r / Math.log2(j + 2))) / ideal,
    map: sum(rel.map((r, j) => (r * sum(rel.slice(0, j + 1))) / (j + 1))) / denominator,
    hitRate: sum(rel) > 0 ? 1 : 0,
  };
}
