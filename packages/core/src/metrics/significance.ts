/**
 * Paired significance tests for comparing two models on the same split, over per-user
 * values (e.g. each user's mean squared error under model A and model B). Two-sided
 * p-values from the exact distributions: Student's t through the regularised incomplete
 * beta function, Wilcoxon's W by enumeration for small samples without ties.
 */

export interface PairedTTestResult {
  /** Number of pairs. */
  n: number;
  /** Mean of a − b. */
  meanDifference: number;
  /** t = mean(d) / (sd(d)/√n), sd with n − 1. */
  t: number;
  df: number;
  /** Two-sided p-value: P(|T_df| ≥ |t|). */
  pValue: number;
}

/**
 * Paired t-test on d_j = a_j − b_j: t = d̄ / (s_d / √n), df = n − 1, two-sided
 * p = I_{df/(df+t²)}(df/2, 1/2). Identical samples give t = 0, p = 1; a constant non-zero
 * difference gives t = ±∞, p = 0.
 *
 * @example
 * pairedTTest([1, 2, 3, 4], [1.1, 2.3, 2.9, 4.5]); // { t: -1.549…, df: 3, pValue: 0.219… }
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTTestResult {
  const d = differences(a, b, 'paired t-test');
  const n = d.length;
  if (n < 2) throw new RangeError(`paired t-test: needs at least 2 pairs, got ${n}`);
  let mean = 0;
  for (const x of d) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of d) ss += (x - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  if (sd === 0) {
    const t = mean === 0 ? 0 : mean > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { n, meanDifference: mean, t, df, pValue: mean === 0 ? 1 : 0 };
  }
  const t = mean / (sd / Math.sqrt(n));
  return { n, meanDifference: mean, t, df, pValue: studentTTwoSided(t, df) };
}

export interface WilcoxonResult {
  /** Pairs with a non-zero difference (zeros are dropped, Wilcoxon's original rule). */
  n: number;
  /** Sum of the ranks of positive differences (a > b). */
  wPlus: number;
  /** min(W+, W−), the statistic scipy reports for the two-sided test. */
  statistic: number;
  /** Normal-approximation z, when that method was used. */
  z?: number;
  /** Two-sided p-value. */
  pValue: number;
  /** 'exact' (n ≤ 50, no tied |d|) or 'normal' (with the tie-corrected variance). */
  method: 'exact' | 'normal';
}

/**
 * Wilcoxon signed-rank test on d_j = a_j − b_j: drop zeros, rank |d| (ties get mid-ranks),
 * W+ = Σ ranks of positive d. Exact two-sided p = min(1, 2·P(W ≤ min(W+, W−))) by counting
 * subsets of ranks when n ≤ 50 and there are no ties; otherwise the normal approximation
 * z = (W+ − n(n+1)/4) / σ with σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over tie groups, no
 * continuity correction (scipy's defaults). All-zero differences give p = 1.
 *
 * @example
 * wilcoxonSignedRank([0.5, 1.7, 2.9, -0.3, 4.4, 1.1, 0.25, 3.8], [0, 0, 0, 0, 0, 0, 0, 0]);
 * // { statistic: 2, pValue: 0.0234375, method: 'exact' } (as scipy.stats.wilcoxon)
 */
export function wilcoxonSignedRank(a: ArrayLike<number>, b: ArrayLike<number>): WilcoxonResult {
  const all = differences(a, b, 'Wilcoxon signed-rank test');
  const d = all.filter((x) => x !== 0);
  const n = d.length;
  if (n === 0) return { n: 0, wPlus: 0, statistic: 0, pValue: 1, method: 'exact' };
  const order = Array.from(d.keys()).sort((i, j) => Math.abs(d[i]) - Math.abs(d[j]));
  const ranks = new Float64Array(n);
  let tieTerm = 0;
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && Math.abs(d[order[e + 1]]) === Math.abs(d[order[s]])) e++;
    const mid = (s + e + 2) / 2;
    for (let j = s; j <= e; j++) ranks[order[j]] = mid;
    const t = e - s + 1;
    tieTerm += t * t * t - t;
    s = e + 1;
  }
  let wPlus = 0;
  for (let j = 0; j < n; j++) if (d[j] > 0) wPlus += ranks[j];
  const total = (n * (n + 1)) / 2;
  const statistic = Math.min(wPlus, total - wPlus);
  if (n <= 50 && tieTerm === 0) {
    return { n, wPlus, statistic, pValue: Math.min(1, 2 * signedRankCdf(statistic, n)), method: 'exact' };
  }
  const mean = total / 2;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return { n, wPlus, statistic, z: 0, pValue: 1, method: 'normal' };
  const z = (wPlus - mean) / Math.sqrt(variance);
  return { n, wPlus, statistic, z, pValue: Math.min(1, 2 * normalUpperTail(Math.abs(z))), method: 'normal' };
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>, what: string): number[] {
  if (a.length !== b.length)
    throw new RangeError(`${what}: ${a.length} values against ${b.length}; pairs must align`);
  if (a.length === 0) throw new RangeError(`${what}: no pairs (empty input)`);
  const d = new Array<number>(a.length);
  for (let j = 0; j < a.length; j++) {
    d[j] = a[j] - b[j];
    if (!Number.isFinite(d[j])) throw new RangeError(`${what}: pair ${j} is not finite (${a[j]}, ${b[j]})`);
  }
  return d;
}

/** P(W+ ≤ w) for n untied ranks: the number of subsets of {1..n} with sum ≤ w over 2ⁿ. */
function signedRankCdf(w: number, n: number): number {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) for (let s = max; s >= r; s--) counts[s] += counts[s - r];
  let below = 0;
  for (let s = 0; s <= Math.floor(w); s++) below += counts[s];
  return below / 2 ** n;
}

/** Two-sided tail of Student's t: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t: degrees of freedom must be > 0, got ${df}`);
  if (!Number.isFinite(t)) return 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** Upper tail of the standard normal, P(Z ≥ z) = ½·erfc(z/√2), via the incomplete gamma Q(½, z²/2). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  return 0.5 * regularizedGammaQ(0.5, (z * z) / 2);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised incomplete beta I_x(a, b), by Lentz's continued fraction (Numerical Recipes §6.4). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return h;
  }
  return h;
}

/** Regularised upper incomplete gamma Q(a, x) (series for x < a + 1, continued fraction otherwise). */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnFront) * h;
}
