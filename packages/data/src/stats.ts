import { type CsrMatrix, nnz } from './sparse.ts';
import { quantileSorted } from './transforms.ts';

/** Summary of a distribution; quantiles interpolate linearly (numpy's default). */
export interface Quantiles {
  min: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** How concentrated consumption is on the most popular items. */
export interface LongTail {
  /** Share of the total going to the top 20% of items. */
  top20Share: number;
  /** Smallest share of items (most popular first) that makes 80% of the total. */
  itemsFor80Share: number;
}

export interface DatasetStats {
  users: number;
  items: number;
  /** Stored (user, item) pairs. */
  interactions: number;
  /** Sum of the counts (for explicit ratings: sum of ratings, rarely meaningful). */
  plays: number;
  /** interactions / (users × items). */
  density: number;
  /** The stored values: play count per (user, item). */
  playCount: Quantiles;
  /** Distinct items per user. */
  itemsPerUser: Quantiles;
  /** Summed play count per user. */
  playsPerUser: Quantiles;
  /** Distinct users (listeners) per item. */
  usersPerItem: Quantiles;
  longTail: {
    /** Items ranked by summed play count. */
    byPlays: LongTail;
    /** Items ranked by number of listeners. */
    byUsers: LongTail;
  };
}

/**
 * Sizes, sparsity, distributions and long-tail concentration of a users × items count matrix.
 * O(interactions) plus sorts of the per-user and per-item totals; integer counts use a
 * histogram instead of a sort, so 34M plays take well under a second.
 *
 * @example
 * const s = datasetStats(dataset.counts);
 * s.density;                 // 0.0014
 * s.playCount.p50;           // 1 on the Taste Profile
 * s.longTail.byPlays.top20Share; // e.g. 0.8
 */
export function datasetStats(m: CsrMatrix): DatasetStats {
  const n = nnz(m);
  const itemsPerUser = new Float64Array(m.rows);
  const playsPerUser = new Float64Array(m.rows);
  const usersPerItem = new Float64Array(m.cols);
  const playsPerItem = new Float64Array(m.cols);
  let plays = 0;
  for (let u = 0; u < m.rows; u++) {
    let s = 0;
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      const v = m.values[p];
      const i = m.indices[p];
      s += v;
      usersPerItem[i]++;
      playsPerItem[i] += v;
    }
    itemsPerUser[u] = m.indptr[u + 1] - m.indptr[u];
    playsPerUser[u] = s;
    plays += s;
  }
  return {
    users: m.rows,
    items: m.cols,
    interactions: n,
    plays,
    density: m.rows * m.cols > 0 ? n / (m.rows * m.cols) : 0,
    playCount: quantiles(m.values.subarray(0, n)),
    itemsPerUser: quantiles(itemsPerUser),
    playsPerUser: quantiles(playsPerUser),
    usersPerItem: quantiles(usersPerItem),
    longTail: { byPlays: longTail(playsPerItem), byUsers: longTail(usersPerItem) },
  };
}

/**
 * Min, quartiles, 90/99th percentiles, max and mean of `values` (NaN for no values).
 *
 * @example
 * quantiles([1, 2, 3, 4, 5]).p50; // 3
 */
export function quantiles(values: ArrayLike<number>): Quantiles {
  const sorted = sortedCopy(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const q = (p: number) => quantileSorted(sorted, p);
  return {
    min: q(0),
    p25: q(0.25),
    p50: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    p99: q(0.99),
    max: q(1),
    mean: values.length > 0 ? sum / values.length : Number.NaN,
  };
}

/**
 * Share of the total held by the top 20% of entries, and the share of entries (largest
 * first) needed to reach 80% of the total.
 *
 * @example
 * longTail([80, 5, 5, 5, 5]); // { top20Share: 0.8, itemsFor80Share: 0.2 }
 */
export function longTail(totals: ArrayLike<number>): LongTail {
  const n = totals.length;
  const sorted = sortedCopy(totals);
  let total = 0;
  for (let i = 0; i < n; i++) total += sorted[i];
  if (n === 0 || total === 0) return { top20Share: Number.NaN, itemsFor80Share: Number.NaN };
  const top = Math.ceil(0.2 * n);
  let acc = 0;
  let topSum = 0;
  let k = 0;
  let reached = -1;
  for (let j = n - 1; j >= 0; j--) {
    acc += sorted[j];
    k++;
    if (k === top) topSum = acc;
    // A small tolerance so 80% computed in floating point counts as reached.
    if (reached < 0 && acc >= 0.8 * total * (1 - 1e-12)) reached = k;
  }
  return { top20Share: topSum / total, itemsFor80Share: reached / n };
}

/** Ascending copy; small non-negative integers (play counts) go through a histogram in O(n). */
function sortedCopy(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const HIST = 1 << 16;
  const hist = new Uint32Array(HIST);
  const large: number[] = [];
  let integral = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v >= 0 && v < HIST && Number.isInteger(v)) hist[v]++;
    else if (Number.isInteger(v) && v >= HIST) large.push(v);
    else {
      integral = false;
      break;
    }
  }
  if (!integral) return Float64Array.from(values).sort();
  const out = new Float64Array(n);
  let w = 0;
  for (let v = 0; v < HIST; v++) {
    const c = hist[v];
    if (c > 0) {
      out.fill(v, w, w + c);
      w += c;
    }
  }
  out.set(Float64Array.from(large).sort(), w);
  return out;
}

/**
 * Summed values (plays) per item: column sums of a users × items matrix.
 *
 * @example
 * itemTotals(dataset.counts)[i]; // plays of item i
 */
export function itemTotals(m: CsrMatrix): Float64Array {
  const totals = new Float64Array(m.cols);
  const n = nnz(m);
  for (let p = 0; p < n; p++) totals[m.indices[p]] += m.values[p];
  return totals;
}

/**
 * The long tail as a curve to plot: items ranked most popular first; `x` is the share of
 * items so far, `y` the share of the total they hold (both 0…1, starting at 0,0 and ending at
 * 1,1). At most `points` + 1 points, evenly spaced in rank, so a million items plot as fast as
 * a hundred. Empty or all-zero totals give the diagonal's two ends.
 *
 * @example
 * const { x, y } = longTailCurve(itemTotals(dataset.counts), 100);
 * // y at x = 0.2 is `datasetStats(...).longTail.byPlays.top20Share` (up to rounding of the rank)
 */
export function longTailCurve(totals: ArrayLike<number>, points = 200): { x: number[]; y: number[] } {
  const n = totals.length;
  const sorted = sortedCopy(totals); // ascending; walked from the end
  let total = 0;
  for (let i = 0; i < n; i++) total += sorted[i];
  if (n === 0 || total <= 0) return { x: [0, 1], y: [0, 1] };
  const steps = Math.max(1, Math.min(points, n));
  const x = [0];
  const y = [0];
  let acc = 0;
  let k = 0;
  for (let s = 1; s <= steps; s++) {
    const upTo = Math.round((s * n) / steps);
    for (; k < upTo; k++) acc += sorted[n - 1 - k];
    x.push(upTo / n);
    y.push(Math.min(1, acc / total));
  }
  return { x, y };
}

/** One user's activity: how many distinct items and how many plays (summed values). */
export interface UserActivity {
  /** Dense user index (row of the matrix). */
  user: number;
  items: number;
  plays: number;
}

/**
 * Users ordered by activity — most distinct items first, then most plays, then by index — the
 * first `limit` of them (all by default). What `autorec stats --users` lists and the app's
 * browser offers first.
 *
 * @example
 * mostActiveUsers(dataset.counts, 3); // [{ user: 17, items: 50, plays: 90_120 }, …]
 */
export function mostActiveUsers(m: CsrMatrix, limit = m.rows): UserActivity[] {
  const all: UserActivity[] = [];
  for (let u = 0; u < m.rows; u++) {
    let plays = 0;
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) plays += m.values[p];
    all.push({ user: u, items: m.indptr[u + 1] - m.indptr[u], plays });
  }
  all.sort((a, b) => b.items - a.items || b.plays - a.plays || a.user - b.user);
  return all.slice(0, Math.max(0, limit));
}
