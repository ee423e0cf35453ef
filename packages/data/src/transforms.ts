import type { RatingScale, TransformName, TransformSpec } from './dataset.ts';
import { type CsrMatrix, nnz } from './sparse.ts';

/**
 * Play count → rating/weight transforms. The seed paper turns play counts into ratings but
 * does not say how; these are the candidates, each named the same on every surface:
 *
 * | name               | value for a play count c                                  | range     |
 * |--------------------|-----------------------------------------------------------|-----------|
 * | `log-bins`         | 1 + ⌊log2 c⌋ capped at 5: 1 → 1, 2–3 → 2, 4–7 → 3, 8–15 → 4, 16+ → 5 | 1–5 |
 * | `global-quantiles` | quintile of log c over the whole dataset (cuts fitted once)  | 1–5       |
 * | `user-quantiles`   | quintile of c among the same user's plays                   | 1–5       |
 * | `log1p`            | ln(1 + c)                                                    | 0–max     |
 * | `binary`           | 1 for every play                                             | 0–1       |
 * | `confidence`       | 1 + α·ln(1 + c/ε) (Hu, Koren & Volinsky's log weighting)     | 1–max     |
 * | `none`             | c itself (explicit ratings such as MovieLens)                | min–max   |
 *
 * Measured on Last.fm 2K: `user-quantiles` leaves no signal (every model ≈ the global mean)
 * while `global-quantiles` lets SVD reach RMSE 0.851 against 1.408 for the global mean.
 *
 * @example
 * const spec = fitTransform('global-quantiles', dataset.counts);
 * const ratings = applyTransform(spec, dataset.counts);
 * transformPlays(spec, [1, 40, 300]); // Float32Array [1, 3, 5] (depends on the data)
 */
export const TRANSFORM_NAMES: readonly TransformName[] = [
  'log-bins',
  'global-quantiles',
  'user-quantiles',
  'log1p',
  'binary',
  'confidence',
  'none',
];

export interface TransformOptions {
  /** `confidence` only: scale of the log weight (default 1). */
  alpha?: number;
  /** `confidence` only: count at which the log starts to bite (default 1). */
  epsilon?: number;
}

export function isTransformName(name: string): name is TransformName {
  return (TRANSFORM_NAMES as readonly string[]).includes(name);
}

/** Fits a transform on the play counts it will be applied to (quantile cuts, value range). */
export function fitTransform(
  name: TransformName,
  counts: CsrMatrix,
  options: TransformOptions = {},
): TransformSpec {
  if (!isTransformName(name))
    throw new Error(`unknown transform '${name}'; use one of ${TRANSFORM_NAMES.join(', ')}`);
  const spec: TransformSpec = { name, scale: { min: 1, max: 5 } };
  if (name === 'global-quantiles') spec.thresholds = logQuintileCuts(counts.values);
  if (name === 'confidence') {
    spec.alpha = options.alpha ?? 1;
    spec.epsilon = options.epsilon ?? 1;
    if (!(spec.alpha > 0) || !(spec.epsilon > 0))
      throw new RangeError('confidence: alpha and epsilon must be > 0');
  }
  spec.scale = rangeOf(name, counts.values, spec);
  return spec;
}

/** Applies a fitted transform to a users × items count matrix (same pattern, new values). */
export function applyTransform(spec: TransformSpec, counts: CsrMatrix): CsrMatrix {
  const n = nnz(counts);
  let values: Float32Array;
  if (spec.name === 'user-quantiles') {
    values = new Float32Array(n);
    for (let r = 0; r < counts.rows; r++) {
      const start = counts.indptr[r];
      const end = counts.indptr[r + 1];
      values.set(transformPlays(spec, counts.values.subarray(start, end)), start);
    }
  } else {
    // Every other transform maps each count on its own: one call for the whole matrix.
    values = transformPlays(spec, counts.values.subarray(0, n));
  }
  return { rows: counts.rows, cols: counts.cols, indptr: counts.indptr, indices: counts.indices, values };
}

/**
 * Transforms one user's play counts (all of them together, since `user-quantiles` ranks
 * within the user). Used for a new listener's plays at fold-in time.
 */
export function transformPlays(spec: TransformSpec, counts: ArrayLike<number>): Float32Array {
  const out = new Float32Array(counts.length);
  switch (spec.name) {
    case 'log-bins':
      for (let i = 0; i < counts.length; i++) out[i] = logBin(counts[i]);
      break;
    case 'global-quantiles': {
      const cuts = spec.thresholds;
      if (cuts?.length !== 4) throw new Error('global-quantiles transform has no fitted thresholds');
      for (let i = 0; i < counts.length; i++) {
        const x = Math.log(counts[i]);
        let r = 1;
        for (const t of cuts) if (x > t) r++;
        out[i] = r;
      }
      break;
    }
    case 'user-quantiles':
      userQuintiles(counts, out);
      break;
    case 'log1p':
      for (let i = 0; i < counts.length; i++) out[i] = Math.log1p(counts[i]);
      break;
    case 'binary':
      out.fill(1);
      break;
    case 'confidence': {
      const a = spec.alpha ?? 1;
      const e = spec.epsilon ?? 1;
      for (let i = 0; i < counts.length; i++) out[i] = 1 + a * Math.log1p(counts[i] / e);
      break;
    }
    case 'none':
      for (let i = 0; i < counts.length; i++) out[i] = counts[i];
      break;
    default:
      throw new Error(`unknown transform '${(spec as TransformSpec).name}'`);
  }
  return out;
}

function logBin(c: number): number {
  if (c < 2) return 1;
  return Math.min(5, 1 + Math.floor(Math.log2(c)));
}

/** Cut points at the 20/40/60/80th percentiles of log(count). */
function logQuintileCuts(values: Float32Array): number[] {
  if (values.length === 0) return [0, 0, 0, 0];
  const logs = Float64Array.from(values, (v) => Math.log(v)).sort();
  return [0.2, 0.4, 0.6, 0.8].map((q) => quantileSorted(logs, q));
}

/** Linear-interpolated quantile of sorted data (numpy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Rating 1–5 by mid-rank percentile within the user's own counts (ties share a rating). */
function userQuintiles(counts: ArrayLike<number>, out: Float32Array): void {
  const n = counts.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[a] - counts[b]);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && counts[order[j + 1]] === counts[order[i]]) j++;
    const midRank = (i + j + 2) / 2; // 1-based mid-rank of the tie group
    const r = Math.min(5, 1 + Math.floor((5 * (midRank - 0.5)) / n));
    for (let t = i; t <= j; t++) out[order[t]] = r;
    i = j + 1;
  }
}

function rangeOf(name: TransformName, values: Float32Array, spec: TransformSpec): RatingScale {
  switch (name) {
    case 'log-bins':
    case 'global-quantiles':
    case 'user-quantiles':
      return { min: 1, max: 5 };
    case 'binary':
      return { min: 0, max: 1 };
    default: {
      let max = Number.NEGATIVE_INFINITY;
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < values.length; i++) {
        if (values[i] > max) max = values[i];
        if (values[i] < min) min = values[i];
      }
      if (values.length === 0) return { min: 0, max: 1 };
      const t = (c: number) => transformPlays({ ...spec, scale: { min: 0, max: 1 } }, [c])[0];
      return name === 'none' ? { min, max } : { min: name === 'log1p' ? 0 : 1, max: t(max) };
    }
  }
}
