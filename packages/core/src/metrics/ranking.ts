/**
 * Ranking metrics at a cut-off K for one user, from the ranked list of recommended item
 * indices (best first; only the first K are read) and the set of relevant (held-out) items.
 * Items the user played in training must already be left out of `ranked`.
 *
 * Definitions (binary relevance; hits = |top-K ∩ relevant|), and how they differ from implicit's
 * `ranking_metrics_at_k` and RecBole's metrics (docs/metrics.md has the long form):
 * - Precision@K = hits / K (RecBole's; implicit's "precision" is Σ hits / Σ min(K, |relevant|)
 *   pooled over users, i.e. a micro-averaged truncated recall).
 * - Recall@K = hits / |relevant| (RecBole's; implicit has none).
 * - Truncated Recall@K = hits / min(K, |relevant|): Liang et al.'s Mult-VAE "Recall@R", so a
 *   user with 50 held-out songs can reach 1 with a perfect top-10 instead of at most 0.2.
 * - NDCG@K = DCG / ideal DCG over min(K, |relevant|) items (implicit's and RecBole's alike).
 * - MAP@K: AP@K = Σ P@j · rel_j / min(K, |relevant|) (implicit's and RecBole's alike).
 * - HitRate@K = 1 if hits > 0 (RecBole's "Hit").
 * Every metric is a per-user value averaged over users with a relevant test item.
 */

function check(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${what}: K must be a positive integer, got ${k}`);
  if (relevant.size === 0) throw new RangeError(`${what}: the user has no relevant items (empty input)`);
  if (!(ranked.length >= 0)) throw new TypeError(`${what}: ranked list must be array-like`);
}

/**
 * Precision@K = |top-K ∩ relevant| / K (a list shorter than K counts its missing slots as misses).
 *
 * @example
 * precisionAtK([5, 1, 7], new Set([1, 9]), 2); // 0.5
 */
export function precisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return metricsAt(ranked, relevant, k, 'precision@K').precision;
}

/**
 * Recall@K = |top-K ∩ relevant| / |relevant|.
 *
 * @example
 * recallAtK([5, 1, 7], new Set([1, 9, 4]), 2); // 1 / 3
 */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return metricsAt(ranked, relevant, k, 'recall@K').recall;
}

/**
 * Truncated Recall@K = |top-K ∩ relevant| / min(K, |relevant|): Mult-VAE's Recall@R (Liang et
 * al. 2018), the form their published tables use.
 *
 * @example
 * truncatedRecallAtK([5, 1, 7], new Set([1, 9, 4]), 2); // 1 / min(2, 3) = 0.5
 */
export function truncatedRecallAtK(
  ranked: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  return metricsAt(ranked, relevant, k, 'truncated recall@K').truncatedRecall;
}

/**
 * NDCG@K with binary relevance: DCG = Σ_{j=1..K} rel_j / log₂(j + 1), divided by the ideal
 * DCG Σ_{j=1..min(K, |relevant|)} 1 / log₂(j + 1).
 *
 * @example
 * ndcgAtK([5, 1], new Set([1]), 2); // (1/log₂3) / 1 ≈ 0.6309
 */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return metricsAt(ranked, relevant, k, 'ndcg@K').ndcg;
}

/**
 * Average precision at K: AP@K = Σ_{j=1..K} P@j · rel_j / min(K, |relevant|); MAP@K is its
 * mean over users.
 *
 * @example
 * averagePrecisionAtK([1, 5, 9], new Set([1, 9]), 3); // (1/1 + 2/3) / 2 ≈ 0.8333
 */
export function averagePrecisionAtK(
  ranked: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  return metricsAt(ranked, relevant, k, 'AP@K').map;
}

/**
 * HitRate@K = 1 when at least one relevant item is in the top K, else 0.
 *
 * @example
 * hitRateAtK([5, 1], new Set([1]), 1); // 0
 */
export function hitRateAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return metricsAt(ranked, relevant, k, 'hit-rate@K').hitRate;
}

/**
 * Catalogue coverage = |⋃_u top-K(u)| / |catalogue|: the share of items recommended to
 * anyone. `recommended` are the distinct item indices that appeared in some top-K list.
 *
 * @example
 * catalogueCoverage(new Set([0, 3]), 8); // 0.25
 */
export function catalogueCoverage(
  recommended: ReadonlySet<number> | ArrayLike<number>,
  catalogueSize: number,
): number {
  if (!(catalogueSize > 0)) throw new RangeError(`coverage: the catalogue is empty (size ${catalogueSize})`);
  const size = 'size' in recommended ? recommended.size : new Set(Array.from(recommended)).size;
  if (size > catalogueSize)
    throw new RangeError(
      `coverage: ${size} distinct items recommended but the catalogue has ${catalogueSize}`,
    );
  return size / catalogueSize;
}

/**
 * Popularity percentile of every item: the share of the catalogue strictly less popular, plus
 * half the share equally popular (mid-rank), so 0.5 is the median item whatever the ties and
 * the most popular item of a catalogue with no ties is (n − 0.5) / n. `popularity[i]` is item
 * i's training count (users who played it).
 *
 * @example
 * popularityPercentiles([0, 5, 5, 9]); // [0.125, 0.5, 0.5, 0.875]
 */
export function popularityPercentiles(popularity: ArrayLike<number>): Float64Array {
  const n = popularity.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => popularity[a] - popularity[b]);
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && popularity[order[e + 1]] === popularity[order[s]]) e++;
    const p = (s + (e - s + 1) / 2) / n;
    for (let j = s; j <= e; j++) out[order[j]] = p;
    s = e + 1;
  }
  return out;
}

/** The six per-user ranking metrics at one K. */
export interface UserRankingMetrics {
  precision: number;
  recall: number;
  truncatedRecall: number;
  ndcg: number;
  map: number;
  hitRate: number;
}

/**
 * All per-user metrics at K in one pass over the list.
 *
 * @example
 * userRankingMetrics([1, 5, 9], new Set([1, 9]), 3);
 * // { precision: 0.667, recall: 1, truncatedRecall: 1, ndcg: 0.920, map: 0.833, hitRate: 1 }
 */
export function userRankingMetrics(
  ranked: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): UserRankingMetrics {
  return metricsAt(ranked, relevant, k, 'ranking metrics');
}

/** The one pass behind every metric above; `what` names the caller in error messages. */
function metricsAt(
  ranked: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
  what: string,
): UserRankingMetrics {
  check(ranked, relevant, k, what);
  let hits = 0;
  let dcg = 0;
  let ap = 0;
  const n = Math.min(k, ranked.length);
  for (let j = 0; j < n; j++) {
    if (!relevant.has(ranked[j])) continue;
    hits++;
    dcg += 1 / Math.log2(j + 2);
    ap += hits / (j + 1);
  }
  const denominator = Math.min(k, relevant.size);
  let ideal = 0;
  for (let j = 0; j < denominator; j++) ideal += 1 / Math.log2(j + 2);
  return {
    precision: hits / k,
    recall: hits / relevant.size,
    truncatedRecall: hits / denominator,
    ndcg: dcg / ideal,
    map: ap / denominator,
    hitRate: hits > 0 ? 1 : 0,
  };
}
