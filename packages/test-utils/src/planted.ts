import { type CsrMatrix, csrFromTriplets, IdIndex, Rng, type TrainSet } from '@autorec/data';

/**
 * The one planted-data generator of the tests and benchmarks: ratings r = μ + b_u + b_i + p_u·q_i + ε
 * on 1–5 whose best achievable error is known, so a test can ask "does the model find the
 * planted structure?" without real data. Two observation patterns, chosen by the options:
 *
 * - `{ users, items, density }`: each (user, item) pair observed with probability `density`,
 *   continuous ratings, a train/test split; `noiseFloor` is an oracle's RMSE (small, fast: unit tests).
 * - `{ users, items, ratings }`: the MovieLens-100K shape — Zipf item popularity, a long tail of
 *   ratings per user, rounded stars, train/validation/test; `oracleRmse` is the floor (benchmarks,
 *   AutoRec's thread and browser tests).
 *
 * Both are seeded (`seed`) and give the same data on every platform (the package's `Rng`).
 *
 * @example
 * const { train, test, noiseFloor } = plantedRatings({ users: 300, items: 200, rank: 3 });
 * const ml = plantedRatings({ users: 943, items: 1682, ratings: 100_000 }); // ml.validation, ml.oracleRmse
 */
export function plantedRatings(options?: UniformPlantedOptions): UniformPlanted;
export function plantedRatings(options: ShapedPlantedOptions): ShapedPlanted;
export function plantedRatings(
  options: UniformPlantedOptions | ShapedPlantedOptions = {},
): UniformPlanted | ShapedPlanted {
  return 'ratings' in options ? shapedPlanted(options) : uniformPlanted(options);
}

export interface UniformPlantedOptions {
  users?: number;
  items?: number;
  /** Rank of the planted user × item interaction term. */
  rank?: number;
  /** Share of (user, item) pairs observed. */
  density?: number;
  /** σ of the Gaussian noise added to each rating: the best achievable RMSE. */
  noise?: number;
  /** Share of observed ratings held out as test. */
  testShare?: number;
  seed?: number;
}

export interface UniformPlanted {
  train: TrainSet;
  test: CsrMatrix;
  /** The noise σ: an oracle's RMSE on the test set (before clipping). */
  noiseFloor: number;
}

/**
 * Ratings with a planted structure, r = 3 + b_u + b_i + u·v + ε (clipped to 1–5), with a random
 * train/test split in the same index space. External ids are `u0…`, `i0…`; the transform is
 * `log-bins` so fold-in from play counts works.
 *
 * @example
 * const { train, test, noiseFloor } = plantedRatings({ users: 300, items: 200, rank: 3 });
 */
function uniformPlanted(options: UniformPlantedOptions): UniformPlanted {
  const {
    users = 300,
    items = 200,
    rank = 3,
    density = 0.25,
    noise = 0.3,
    testShare = 0.15,
    seed = 7,
  } = options;
  const rng = new Rng(seed);
  const bu = Float64Array.from({ length: users }, () => 0.4 * rng.normal());
  const bi = Float64Array.from({ length: items }, () => 0.5 * rng.normal());
  const pu = Float64Array.from({ length: users * rank }, () => rng.normal() * 0.6);
  const qi = Float64Array.from({ length: items * rank }, () => rng.normal() * 0.6);
  const tr: number[][] = [[], [], []];
  const te: number[][] = [[], [], []];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) {
      if (rng.next() >= density) continue;
      let r = 3 + bu[u] + bi[i];
      for (let f = 0; f < rank; f++) r += pu[u * rank + f] * qi[i * rank + f];
      r = Math.min(5, Math.max(1, r + noise * rng.normal()));
      const part = rng.next() < testShare ? te : tr;
      part[0].push(u);
      part[1].push(i);
      part[2].push(r);
    }
  const mat = (t: number[][]) => {
    const { duplicates: _, ...m } = csrFromTriplets(users, items, t[0], t[1], t[2]);
    return m;
  };
  return {
    train: {
      ratings: mat(tr),
      users: new IdIndex(Array.from({ length: users }, (_, u) => `u${u}`)),
      items: new IdIndex(Array.from({ length: items }, (_, i) => `i${i}`)),
      scale: { min: 1, max: 5 },
      transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
    },
    test: mat(te),
    noiseFloor: noise,
  };
}

/**
 * Explicit 1–5 ratings with planted structure, for tests and the AutoRec benchmark where
 * MovieLens itself is not available offline:
 * r_ui = clip(round(μ + b_u + b_i + p_u·q_i + ε)), with rank-`rank` factors, Zipf item
 * popularity and a long-tailed number of ratings per user (at least `minPerUser`).
 *
 * The defaults are calibrated on the MovieLens-100K shape (943 × 1,682 × 100,000): the
 * global mean scores test RMSE 1.122 and the bias baseline 0.944, as on MovieLens-100K (1.126,
 * 0.944), with its rating distribution (5/15/28/29/22 %). What a factor model can add is the
 * planted p_u·q_i (variance `signal`); noise and rounding set a floor no model can beat,
 * reported as `oracleRmse` (0.787 at the defaults).
 *
 * @example
 * const { train, validation, test, oracleRmse } = plantedRatings({ users: 943, items: 1682, ratings: 100_000 });
 */
export interface ShapedPlantedOptions {
  users: number;
  items: number;
  ratings: number;
  rank?: number;
  /** Variance of the planted interaction p_u·q_i. */
  signal?: number;
  /** σ of the Gaussian noise before rounding. */
  noise?: number;
  userBiasSd?: number;
  itemBiasSd?: number;
  mean?: number;
  minPerUser?: number;
  zipf?: number;
  /** Shares of ratings held out for validation and test. */
  validationShare?: number;
  testShare?: number;
  seed?: number;
}

export interface ShapedPlanted {
  train: TrainSet;
  validation: CsrMatrix;
  test: CsrMatrix;
  /** Test RMSE of the best possible predictor, E[rating | planted score] — the floor. */
  oracleRmse: number;
}

function shapedPlanted(options: ShapedPlantedOptions): ShapedPlanted {
  const o = {
    rank: 10,
    signal: 0.3,
    noise: 0.83,
    userBiasSd: 0.45,
    itemBiasSd: 0.59,
    mean: 3.55,
    minPerUser: 20,
    zipf: 0.9,
    validationShare: 0.05,
    testShare: 0.1,
    seed: 1,
    ...options,
  };
  const rng = new Rng(o.seed);
  const { users, items, rank } = o;
  const factorSd = Math.sqrt(Math.sqrt(o.signal / rank));
  const p = Float32Array.from({ length: users * rank }, () => rng.normal() * factorSd);
  const q = Float32Array.from({ length: items * rank }, () => rng.normal() * factorSd);
  const bu = Float32Array.from({ length: users }, () => rng.normal() * o.userBiasSd);
  const bi = Float32Array.from({ length: items }, () => rng.normal() * o.itemBiasSd);
  // Item popularity: Zipf over a random order of items.
  const order = rng.permutation(items);
  const weight = new Float64Array(items);
  for (let k = 0; k < items; k++) weight[order[k]] = 1 / (k + 1) ** o.zipf;
  const cdf = new Float64Array(items);
  let acc = 0;
  for (let i = 0; i < items; i++) cdf[i] = acc += weight[i];
  // Ratings per user: minimum plus a log-normal share of the rest.
  const extra = Float64Array.from({ length: users }, () => Math.exp(rng.normal()));
  const extraSum = extra.reduce((a, b) => a + b, 0);
  const budget = Math.max(0, o.ratings - users * o.minPerUser);
  const perUser = Uint32Array.from(extra, (e) =>
    Math.min(items, o.minPerUser + Math.round((budget * e) / extraSum)),
  );
  const rowIdx: number[] = [];
  const colIdx: number[] = [];
  const vals: number[] = [];
  const clean: number[] = [];
  const seen = new Set<number>();
  for (let u = 0; u < users; u++) {
    seen.clear();
    let tries = 0;
    while (seen.size < perUser[u] && tries++ < perUser[u] * 50) {
      const x = rng.next() * acc;
      let lo = 0;
      let hi = items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      if (seen.has(lo)) continue;
      seen.add(lo);
      let dot = 0;
      for (let f = 0; f < rank; f++) dot += p[u * rank + f] * q[lo * rank + f];
      const score = o.mean + bu[u] + bi[lo] + dot;
      rowIdx.push(u);
      colIdx.push(lo);
      vals.push(clip(Math.round(score + rng.normal() * o.noise)));
      clean.push(expectedRating(score, o.noise));
    }
  }
  // Split entries at random into train / validation / test.
  const n = vals.length;
  const part = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const x = rng.next();
    part[k] = x < o.testShare ? 2 : x < o.testShare + o.validationShare ? 1 : 0;
  }
  const pick = (which: number) => {
    const keep = [...part.keys()].filter((k) => part[k] === which);
    return csrFromTriplets(
      users,
      items,
      keep.map((k) => rowIdx[k]),
      keep.map((k) => colIdx[k]),
      keep.map((k) => vals[k]),
    );
  };
  let sse = 0;
  let nt = 0;
  for (let k = 0; k < n; k++)
    if (part[k] === 2) {
      sse += (clean[k] - vals[k]) ** 2;
      nt++;
    }
  const train: TrainSet = {
    ratings: pick(0),
    users: new IdIndex(Array.from({ length: users }, (_, u) => `u${u}`)),
    items: new IdIndex(Array.from({ length: items }, (_, i) => `i${i}`)),
    scale: { min: 1, max: 5 },
    transform: { name: 'none', scale: { min: 1, max: 5 } },
  };
  return { train, validation: pick(1), test: pick(2), oracleRmse: Math.sqrt(sse / Math.max(1, nt)) };
}

/** E[clip(round(score + ε))] for ε ~ N(0, sd²). */
function expectedRating(score: number, sd: number): number {
  let e = 0;
  let below = 0;
  for (let k = 1; k <= 5; k++) {
    const upTo = k === 5 ? 1 : normalCdf((k + 0.5 - score) / sd);
    e += k * (upTo - below);
    below = upTo;
  }
  return e;
}

/** Φ(x) by the Abramowitz–Stegun 7.1.26 erf approximation (error < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function clip(x: number): number {
  return Math.min(5, Math.max(1, x));
}
