import { describe, expect, it } from 'vitest';
import {
  logGamma,
  normalUpperTail,
  pairedTTest,
  regularizedBeta,
  studentTTwoSided,
  wilcoxonSignedRank,
} from './significance.ts';

// Reference values from SciPy 1.17 (scipy.stats.ttest_rel / wilcoxon / t / norm).
describe('paired t-test', () => {
  it('matches scipy.stats.ttest_rel', () => {
    const r = pairedTTest([1, 2, 3, 4], [1.1, 2.3, 2.9, 4.5]);
    expect(r.t).toBeCloseTo(-1.5491933384829666, 10);
    expect(r.df).toBe(3);
    expect(r.pValue).toBeCloseTo(0.21910203741704792, 10);
    const a = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r2 = pairedTTest(a, b);
    expect(r2.t).toBeCloseTo(3.0353754156485917, 10);
    expect(r2.pValue).toBeCloseTo(0.016176627434908088, 10);
  });

  it('matches on a larger sample', () => {
    const j = Array.from({ length: 80 }, (_, i) => i);
    const r = pairedTTest(
      j.map((i) => Math.sin(i * 1.3) + 0.15),
      j.map((i) => Math.cos(i * 0.7)),
    );
    expect(r.t).toBeCloseTo(1.6034957809410497, 9);
    expect(r.pValue).toBeCloseTo(0.11281611839276155, 9);
  });

  it('handles identical and constant-shift samples', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toMatchObject({ t: 0, pValue: 1 });
    expect(pairedTTest([2, 3, 4], [1, 2, 3])).toMatchObject({ t: Number.POSITIVE_INFINITY, pValue: 0 });
  });

  it('refuses too few or misaligned pairs', () => {
    expect(() => pairedTTest([], [])).toThrow(/empty/);
    expect(() => pairedTTest([1], [2])).toThrow(/at least 2/);
    expect(() => pairedTTest([1, 2], [1])).toThrow(/align/);
  });
});

describe('Wilcoxon signed-rank test', () => {
  it('uses the exact distribution for small untied samples', () => {
    const r = wilcoxonSignedRank([0.5, 1.7, 2.9, -0.3, 4.4, 1.1, 0.25, 3.8], new Array(8).fill(0));
    expect(r.method).toBe('exact');
    expect(r.statistic).toBe(2);
    expect(r.pValue).toBeCloseTo(0.0234375, 12);
    const a = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r2 = wilcoxonSignedRank(a, b);
    expect(r2.statistic).toBe(5);
    expect(r2.pValue).toBeCloseTo(0.0390625, 12);
    const r3 = wilcoxonSignedRank(...waves(30, 0.3));
    expect(r3.statistic).toBe(167);
    expect(r3.pValue).toBeCloseTo(0.18396909348666668, 10);
  });

  it('uses the tie-corrected normal approximation with ties or n > 50', () => {
    const tied = wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 1, 2, 3, 3, 4, 4]);
    expect(tied.method).toBe('normal');
    expect(tied.statistic).toBe(1.5);
    expect(tied.pValue).toBeCloseTo(0.019931199293565356, 10);
    const big = wilcoxonSignedRank(...waves(80, 0.15));
    expect(big.method).toBe('normal');
    expect(big.statistic).toBe(1264);
    expect(big.pValue).toBeCloseTo(0.08773319883982465, 10);
  });

  it('gives p = 1 when nothing differs', () => {
    expect(wilcoxonSignedRank([1, 2], [1, 2])).toMatchObject({ n: 0, pValue: 1 });
  });
});

describe('distribution functions', () => {
  it('match SciPy', () => {
    expect(studentTTwoSided(2.5, 7)).toBeCloseTo(0.04099221858575289, 12);
    expect(studentTTwoSided(0.3, 1)).toBeCloseTo(0.8144528418445154, 12);
    expect(studentTTwoSided(4, 200) / 8.913095218593442e-5).toBeCloseTo(1, 8);
    expect(normalUpperTail(3.1)).toBeCloseTo(0.0009676032132183563, 14);
    expect(normalUpperTail(-1.2)).toBeCloseTo(0.8849303297782918, 12);
    expect(normalUpperTail(8) / 6.22096057427174e-16).toBeCloseTo(1, 8);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(regularizedBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
  });
});

/** The SciPy reference inputs: sin(1.3 i) + shift against cos(0.7 i), i = 0..n−1. */
function waves(n: number, shift: number): [number[], number[]] {
  const j = Array.from({ length: n }, (_, i) => i);
  return [j.map((i) => Math.sin(i * 1.3) + shift), j.map((i) => Math.cos(i * 0.7))];
}
