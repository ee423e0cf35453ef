import type { IdIndex } from './ids.ts';
import type { CsrMatrix } from './sparse.ts';

/** Input formats, named the same on every surface (CLI flags, API, browser). */
export type FormatName =
  | 'taste-profile'
  | 'msd-tracks'
  | 'lastfm-hetrec'
  | 'lastfm-1k'
  | 'lastfm-360k'
  | 'movielens'
  | 'csv';

/** What a reader saw: counts of lines and problems, with the first few bad lines for the user. */
export interface ParseReport {
  /** File name or `<stream>`. */
  source: string;
  bytesRead: number;
  /** Lines read, including the header and skipped lines, excluding a trailing empty line. */
  lines: number;
  /** Interactions accepted (before merging duplicates). */
  accepted: number;
  /** Lines skipped in lenient mode. */
  skipped: number;
  /** (user, item) pairs seen more than once; their counts are summed. */
  duplicates: number;
  /** The first few problems, with 1-based line numbers. */
  problems: { line: number; reason: string }[];
}

/** Display information for an item (a song, track or artist). */
export interface ItemInfo {
  artist?: string;
  title?: string;
}

/**
 * Raw interactions as read: users × items play counts (or explicit ratings for MovieLens),
 * with the maps back to external ids. Every later step (filters, transforms, splits) keeps
 * `users`/`items` consistent with the matrix shape.
 */
export interface Dataset {
  name: string;
  format: FormatName;
  users: IdIndex;
  items: IdIndex;
  /** users × items, user-major; values are play counts (or ratings when `explicit`). */
  counts: CsrMatrix;
  /** True when values are explicit ratings (MovieLens), not play counts. */
  explicit: boolean;
  /** Display info by dense item index, when metadata was joined. */
  itemInfo?: (ItemInfo | undefined)[];
  report?: ParseReport;
  /** The read of the metadata file joined for `itemInfo` (see `joinItemInfo`), when there was one. */
  metadataReport?: ParseReport;
}

/** Closed range of the rating scale, used to clip predictions. */
export interface RatingScale {
  min: number;
  max: number;
}

/** Play count → rating/weight transforms, named the same on every surface. */
export type TransformName =
  | 'log-bins'
  | 'global-quantiles'
  | 'user-quantiles'
  | 'log1p'
  | 'binary'
  | 'confidence'
  | 'none';

/**
 * A fitted transform: its name plus whatever it learned from the data (e.g. quantile
 * thresholds), so the same mapping can be applied later to a new listener's plays
 * (fold-in) and saved with a model. Plain JSON.
 */
export interface TransformSpec {
  name: TransformName;
  /** global-quantiles: the 4 cut points on log(count) between ratings 1|2, 2|3, 3|4, 4|5. */
  thresholds?: number[];
  /** confidence: weight = 1 + alpha * log(1 + count / epsilon). */
  alpha?: number;
  epsilon?: number;
  /** The range of values this transform produces on the data it was fitted on. */
  scale: RatingScale;
}

/**
 * What a model trains on: the rating matrix of the training split with the id maps and
 * how the ratings were made. Produced by the data package's preparation step.
 */
export interface TrainSet {
  /** users × items, user-major; values are ratings after the transform. */
  ratings: CsrMatrix;
  users: IdIndex;
  items: IdIndex;
  /** The rating range; predictions are clipped to it. */
  scale: RatingScale;
  transform: TransformSpec;
  itemInfo?: (ItemInfo | undefined)[];
}
