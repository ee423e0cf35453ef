import { type CsrMatrix, Rng, rowIndices } from '@autorec/data';
import { catalogueCoverage, popularityPercentiles, userRankingMetrics } from '../metrics/ranking.ts';
import type { Recommender } from '../recommender.ts';
import { progressStep, topKExcluding } from './ranked-lists.ts';
import { checkShape } from './rating.ts';

export interface RankingOptions {
  /** Cut-off(s) K (default 10). */
  k?: number | readonly number[];
  /** Users scored per `scoreUsers` call (default 256): memory is batch × items × 4 bytes. */
  batchSize?: number;
  /** Evaluate a seeded random sample of at most this many users (default: all). */
  maxUsers?: number;
  /** Seed of the user sample (default 0). */
  seed?: number;
  /** Only test entries rated at least this count as relevant (default: every test play). */
  minRelevantRating?: number;
  /**
   * Let items without training ratings into the ranked lists (default false, as in
   * `recommend`). Relevant test items that are cold still count as relevant either way.
   */
  includeColdItems?: boolean;
  /**
   * Other known plays to leave out of every list besides the model's training plays (same
   * shape), e.g. the validation part a model was not trained on: a known play is never a
   * recommendation.
   */
  exclude?: CsrMatrix;
  /** Called after each batch with users done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between batches (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The cut-offs every comparison reports (the first K a caller gives is put in front). */
export const DEFAULT_RANKING_KS: readonly number[] = Object.freeze([10, 20, 50, 100]);

/** Means over the evaluated users at one K, plus catalogue coverage and popularity bias. */
export interface RankingAtK {
  k: number;
  precision: number;
  /** hits / |relevant| (RecBole's). */
  recall: number;
  /** hits / min(K, |relevant|) (Mult-VAE's Recall@R). */
  truncatedRecall: number;
  ndcg: number;
  map: number;
  hitRate: number;
  /** Share of the catalogue in some user's top K. */
  coverage: number;
  /**
   * Popularity bias: mean popularity percentile (`popularityPercentiles` of the items' training
   * listeners) over every recommended slot of every top-K list — 0.5 is what a uniformly random
   * pick of items gives, near 1 means the lists are made of the most played items.
   */
  popularity: number;
}

export interface RankingEvaluation {
  /** Users evaluated (those with at least one relevant test item, after sampling). */
  users: number;
  atK: RankingAtK[];
  /** Each evaluated user's NDCG at the first K requested, for paired significance tests (users ascending). */
  perUser: { users: Uint32Array; ndcg: Float64Array };
}

/**
 * Accumulates per-user ranking metrics at several K from ranked lists (best first, at
 * least max K long when the catalogue allows), without keeping the lists.
 */
export class RankingAccumulator {
  readonly ks: number[];
  /** Index in `ks` of the first K the caller gave: the one reported per user. */
  private readonly primary: number;
  private readonly sums: Float64Array[];
  private readonly covered: Set<number>[];
  private readonly users: number[] = [];
  private readonly ndcg: number[] = [];
  /** Per K: Σ popularity percentile over recommended slots, and the slot count. */
  private readonly popularitySums: Float64Array;
  private readonly slots: Float64Array;
  private readonly catalogueSize: number;
  private readonly percentiles: Float64Array;

  /**
   * @param itemPopularity each item's training popularity (e.g. `itemPopularity(train)`); its
   *   length is the catalogue size.
   */
  constructor(ks: number | readonly number[], itemPopularity: ArrayLike<number>) {
    this.catalogueSize = itemPopularity.length;
    this.percentiles = popularityPercentiles(itemPopularity);
    const list = typeof ks === 'number' ? [ks] : [...ks];
    if (list.length === 0) throw new RangeError('ranking: give at least one K');
    for (const k of list)
      if (!Number.isInteger(k) || k < 1)
        throw new RangeError(`ranking: K must be a positive integer, got ${k}`);
    this.ks = [...new Set(list)].sort((a, b) => a - b);
    this.primary = this.ks.indexOf(list[0]);
    this.sums = this.ks.map(() => new Float64Array(6));
    this.covered = this.ks.map(() => new Set<number>());
    this.popularitySums = new Float64Array(this.ks.length);
    this.slots = new Float64Array(this.ks.length);
  }

  get maxK(): number {
    return this.ks.at(-1)!;
  }

  add(user: number, ranked: ArrayLike<number>, relevant: ReadonlySet<number>): void {
    for (let j = 0; j < this.ks.length; j++) {
      const k = this.ks[j];
      const m = userRankingMetrics(ranked, relevant, k);
      const s = this.sums[j];
      s[0] += m.precision;
      s[1] += m.recall;
      s[2] += m.ndcg;
      s[3] += m.map;
      s[4] += m.hitRate;
      s[5] += m.truncatedRecall;
      const n = Math.min(k, ranked.length);
      for (let r = 0; r < n; r++) {
        this.covered[j].add(ranked[r]);
        this.popularitySums[j] += this.percentiles[ranked[r]];
      }
      this.slots[j] += n;
      if (j === this.primary) {
        this.users.push(user);
        this.ndcg.push(m.ndcg);
      }
    }
  }

  result(): RankingEvaluation {
    const n = this.users.length;
    if (n === 0) throw new RangeError('ranking evaluation: no user has a relevant test item (empty input)');
    const order = Array.from(this.users.keys()).sort((a, b) => this.users[a] - this.users[b]);
    return {
      users: n,
      atK: this.ks.map((k, j) => {
        const s = this.sums[j];
        return {
          k,
          precision: s[0] / n,
          recall: s[1] / n,
          truncatedRecall: s[5] / n,
          ndcg: s[2] / n,
          map: s[3] / n,
          hitRate: s[4] / n,
          coverage: catalogueCoverage(this.covered[j], this.catalogueSize),
          popularity: this.slots[j] > 0 ? this.popularitySums[j] / this.slots[j] : Number.NaN,
        };
      }),
      perUser: {
        users: Uint32Array.from(order, (j) => this.users[j]),
        ndcg: Float64Array.from(order, (j) => this.ndcg[j]),
      },
    };
  }
}

/**
 * Top-K ranking quality of a trained model on a test matrix (same shape as its training
 * matrix). For each user with relevant test items, all items are scored by `scoreUsers` in
 * batches of `batchSize` users — no users × items matrix is ever held, so it runs on 571K ×
 * 41K — the user's training items are excluded, and Precision/Recall/NDCG/MAP/HitRate@K
 * (and truncated recall; see metrics/ranking.ts) are averaged over users. Coverage is the
 * share of the catalogue appearing in some top-K list, popularity bias the mean popularity
 * percentile of what the lists hold.
 *
 * @example
 * const r = await evaluateRanking(svd, split.test, { k: [10, 50], maxUsers: 10_000 });
 * r.atK[0].ndcg;
 */
export async function evaluateRanking(
  model: Recommender,
  test: CsrMatrix,
  options: RankingOptions = {},
): Promise<RankingEvaluation> {
  const train = model.trainSet.ratings;
  checkShape(train, test, 'test');
  if (options.exclude) checkShape(train, options.exclude, 'exclude');
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`evaluateRanking: batchSize must be a positive integer, got ${batchSize}`);
  const nItems = train.cols;
  const acc = new RankingAccumulator(options.k ?? 10, itemPopularity(train));
  const users = selectUsers(test, options);
  const topOf = topKExcluding(model, acc.maxK, options.includeColdItems);
  const step = progressStep(options);
  for (let start = 0; start < users.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = users.subarray(start, Math.min(users.length, start + batchSize));
    const scores = model.scoreUsers(batch);
    if (scores.length !== batch.length * nItems)
      throw new Error(
        `${model.name}.scoreUsers returned ${scores.length} scores for ${batch.length} users × ${nItems} items`,
      );
    for (let b = 0; b < batch.length; b++) {
      const u = batch[b];
      acc.add(
        u,
        topOf(scores, b * nItems, rowIndices(train, u), options.exclude && rowIndices(options.exclude, u)),
        relevantItems(test, u, options.minRelevantRating),
      );
    }
    await step(start + batch.length, users.length);
  }
  options.signal?.throwIfAborted();
  return acc.result();
}

/**
 * Each item's number of listeners in `train` (its column's non-zeros): the popularity that
 * popularity bias is measured against.
 *
 * @example
 * itemPopularity(model.trainSet.ratings)[i]; // users who played item i in training
 */
export function itemPopularity(train: CsrMatrix): Uint32Array {
  const out = new Uint32Array(train.cols);
  for (let p = 0; p < train.indptr[train.rows]; p++) out[train.indices[p]]++;
  return out;
}

/** Users with at least one relevant test item, optionally a seeded sample of them, ascending. */
export function selectUsers(
  test: CsrMatrix,
  options: Pick<RankingOptions, 'maxUsers' | 'seed' | 'minRelevantRating'>,
  candidates?: ArrayLike<number>,
): Uint32Array {
  const eligible: number[] = [];
  const consider = (u: number) => {
    if (hasRelevant(test, u, options.minRelevantRating)) eligible.push(u);
  };
  if (candidates) for (let j = 0; j < candidates.length; j++) consider(candidates[j]);
  else for (let u = 0; u < test.rows; u++) if (test.indptr[u + 1] > test.indptr[u]) consider(u);
  let chosen = Uint32Array.from(eligible);
  const max = options.maxUsers;
  if (max !== undefined) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxUsers must be a positive integer, got ${max}`);
    if (max < chosen.length) {
      const order = new Rng(options.seed ?? 0).permutation(chosen.length);
      chosen = Uint32Array.from(order.subarray(0, max), (j) => chosen[j]);
    }
  }
  return chosen.sort();
}

/** Items of `user`'s test row rated at least `minRating` (all of them without one). */
export function relevantItems(test: CsrMatrix, user: number, minRating?: number): Set<number> {
  const out = new Set<number>();
  for (let p = test.indptr[user]; p < test.indptr[user + 1]; p++)
    if (minRating === undefined || test.values[p] >= minRating) out.add(test.indices[p]);
  return out;
}

/** Whether `relevantItems` would be non-empty, without building the set (run once per user). */
function hasRelevant(test: CsrMatrix, user: number, minRating?: number): boolean {
  for (let p = test.indptr[user]; p < test.indptr[user + 1]; p++)
    if (minRating === undefined || test.values[p] >= minRating) return true;
  return false;
}
