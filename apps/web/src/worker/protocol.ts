/**
 * What the page and the worker say to each other. Types only: the page imports nothing of the
 * core at run time, so tfjs and the models stay in the worker's bundle.
 */
import type {
  BackendName,
  CompareProgress,
  HyperParameterInfo,
  ModelComparison,
  ModelName,
  ParamValue,
  RowTests,
  VerdictParts,
} from '@autorec/core';
import type {
  CsvColumns,
  FormatName,
  ItemInfoFormatName,
  ParseReport,
  SplitOptions,
  TransformName,
} from '@autorec/data';

export interface BackendState {
  name: BackendName;
  reason: string;
  /** Cross-origin isolated: shared memory, so the kernels may use threads. */
  isolated: boolean;
  /** Threads the kernels use (1 without isolation). */
  threads: number;
  /** Backends a user may pick here. */
  choices: BackendName[];
}

/** A registered model as the training form shows it. */
export interface ModelInfo {
  name: ModelName;
  params: HyperParameterInfo[];
}

/** A file read in the worker: which format, how strictly, and the optional metadata file. */
export interface FileRequest {
  file: File;
  format: FormatName;
  lenient: boolean;
  csv?: CsvColumns;
  metadata?: { file: File; format: ItemInfoFormatName };
}

export interface ReadProgress {
  file: string;
  bytesRead: number;
  totalBytes?: number;
  lines: number;
}

/** The loaded dataset as the data screen shows it. */
export interface DatasetView {
  name: string;
  format: FormatName;
  /** What the items are: songs, artists or movies. */
  noun: string;
  explicit: boolean;
  users: number;
  items: number;
  interactions: number;
  plays: number;
  density: number;
  /** Plays per user and listeners per item: median and max. */
  playsPerUser: { p50: number; max: number };
  usersPerItem: { p50: number; max: number };
  top20Share: number;
  /** The long tail: share of plays (y) held by the most popular share of items (x). */
  tail: { x: number[]; y: number[] };
  hasMetadata: boolean;
  report?: ParseReport;
  /** The transform the data package picks by default for this format. */
  defaultTransform: TransformName;
}

export interface TrainRequest {
  models: { name: ModelName; params: Record<string, ParamValue> }[];
  split: SplitOptions;
  transform?: TransformName;
  seed: number;
  k: number;
  /** Rank at most this many users (a seeded sample); undefined: all. */
  maxUsers?: number;
  /**
   * Measure NDCG@10 on validation after each epoch of models that early-stop on RMSE
   * (`CompareOptions.validationRanking`): a curve of ranking quality, at the cost of a ranking
   * pass per epoch (on Last.fm 2K it makes an I-AutoRec epoch several times longer).
   */
  validationRanking?: boolean;
}

export type TrainEvent = CompareProgress;

export interface ComparisonView {
  dataset: string;
  protocol: 'holdout' | 'held-out-users';
  reference: string;
  k: number;
  models: ModelComparison[];
  /** Ids of the saved models, in model order. */
  saved: string[];
  aborted: boolean;
  /** The CLI's report of the same run: table cells, verdict and the files to download. */
  report: ReportView;
}

/** One row of the report's table: printed cells (the CLI's), the best marked, the paired tests. */
export interface ReportRowView {
  model: string;
  title: string;
  cells: string[];
  /** Per column: the best value of the column (the CLI's `*`, the markdown's bold). */
  best: boolean[];
  tests: RowTests;
}

/** The comparison as the CLI reports it, computed in the worker by the core's report module. */
export interface ReportView {
  columns: { key: string; title: string }[];
  rows: ReportRowView[];
  /** The models the paired tests compare against (SVD, popularity when in the run). */
  reference: string;
  rankingReference: string;
  verdict: VerdictParts;
  warnings: string[];
  files: ReportFiles;
}

/** A model saved in IndexedDB. */
export interface SavedModelInfo {
  id: string;
  label: string;
  model: ModelName;
  dataset: string;
  savedAt: string;
  users: number;
  items: number;
  /** RMSE, NDCG@K… of the run that trained it, when known. */
  metrics: Record<string, number>;
  hyperParameters: Record<string, number | string | boolean>;
  /** Bytes of its files. */
  bytes: number;
}

/** A song (or artist, movie) with its display name. */
export interface SongView {
  id: string;
  label: string;
  /** Play count, or the score of a recommendation. */
  value: number;
}

export interface ListenerView {
  user: string;
  played: SongView[];
  playedTotal: number;
  recommended: SongView[];
}

/** The report's three files, as `autorec compare --out` names them. */
export interface ReportFiles {
  names: { markdown: string; json: string; svg: string };
  markdown: string;
  json: string;
  svg: string;
}
