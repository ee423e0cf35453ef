import {
  type PairedTTestResult,
  pairedTTest,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from '../metrics/significance.ts';

/** Per-user values of one metric for one model, users ascending (as the evaluations return them). */
export interface PerUserValues {
  users: Uint32Array;
  values: ArrayLike<number>;
}

export interface PairedComparison {
  /** Users present in both (normally all: same split). */
  n: number;
  meanA: number;
  meanB: number;
  tTest: PairedTTestResult;
  wilcoxon: WilcoxonResult;
}

/**
 * Paired comparison of two models evaluated on the same split, over per-user values of one
 * metric (per-user MSE from `evaluateRatings`, per-user NDCG from `evaluateRanking`): users
 * are matched by index, and both the paired t-test and the Wilcoxon signed-rank test are run
 * on a − b. Per-user pairing is what makes the test valid: ratings of one user are not
 * independent, users (approximately) are.
 *
 * @example
 * const a = evaluateRatings(autorec, test).perUser, b = evaluateRatings(svd, test).perUser;
 * comparePerUser({ users: a.users, values: a.mse }, { users: b.users, values: b.mse }).tTest.pValue;
 */
export function comparePerUser(a: PerUserValues, b: PerUserValues): PairedComparison {
  const xa: number[] = [];
  const xb: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.users.length && j < b.users.length) {
    if (a.users[i] === b.users[j]) {
      xa.push(a.values[i++]);
      xb.push(b.values[j++]);
    } else if (a.users[i] < b.users[j]) i++;
    else j++;
  }
  if (xa.length < 2) throw new RangeError(`comparePerUser: ${xa.length} users in common; need at least 2`);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  return {
    n: xa.length,
    meanA: mean(xa),
    meanB: mean(xb),
    tTest: pairedTTest(xa, xb),
    wilcoxon: wilcoxonSignedRank(xa, xb),
  };
}
