import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Play } from '@autorec/core';
import {
  type CsvColumns,
  type Dataset,
  type FilterOptions,
  type FormatName,
  type ItemInfoFormatName,
  joinItemInfo,
  joinTrainTest,
  MULT_VAE_FILTER,
  type PreparedDataset,
  type ProgressInfo,
  prepareDataset,
  type SplitOptions,
  type SyntheticPreset,
  syntheticDataset,
  type TransformName,
} from '@autorec/data';
import {
  loadPreparedDataset,
  readInteractionsFile,
  readItemInfoFile,
  readPlaysFile as readPlays,
} from '@autorec/data/node';
import { UsageError } from './errors.ts';

/** File name of the cache inside a prepared-dataset folder. */
export const PREPARED_FILE = 'prepared.bin';
/** Human-readable summary written next to the cache. */
export const PREPARED_SUMMARY = 'prepare.json';

/** Where the data of a run comes from, as the user named it. */
export type DataSource =
  | { kind: 'preset'; preset: SyntheticPreset; seed?: number }
  | {
      kind: 'file';
      input: string;
      format: FormatName;
      lenient?: boolean;
      csv?: CsvColumns;
      metadata?: MetadataSource;
    }
  | { kind: 'cache'; path: string }
  | {
      /** `--split files:TRAIN,TEST`: a split made elsewhere, both files in one format. */
      kind: 'files';
      train: string;
      test: string;
      format: FormatName;
      lenient?: boolean;
      csv?: CsvColumns;
      metadata?: MetadataSource;
    };

export interface MetadataSource {
  path: string;
  format: ItemInfoFormatName;
}

/** Flags shared by the commands that read interactions. */
export interface InputFlags {
  input?: string;
  format?: FormatName;
  lenient?: boolean;
  columns?: string;
  delimiter?: string;
  metadata?: string;
  metadataFormat?: ItemInfoFormatName;
  preset?: SyntheticPreset;
  data?: string;
  dataSeed?: number;
}

/** A one-line description of the source for reports and status lines. */
export function describeSource(source: DataSource): string {
  switch (source.kind) {
    case 'preset':
      return `synthetic '${source.preset}' preset (seed ${source.seed ?? 1}, built in memory)`;
    case 'file':
      return `${source.input} (${source.format}${source.metadata ? `, metadata ${source.metadata.path}` : ''})`;
    case 'cache':
      return `prepared cache ${source.path}`;
    case 'files':
      return `train ${source.train}, test ${source.test} (${source.format})`;
  }
}

/**
 * Turns the data flags into one source: exactly one of --data, --input or --preset (or the
 * given fallback when none is set).
 */
export function dataSource(
  flags: InputFlags,
  fallback?: DataSource,
  files?: { train: string; test: string },
): DataSource {
  const given = [flags.data && '--data', flags.input && '--input', flags.preset && '--preset'].filter(
    Boolean,
  );
  if (files) {
    if (given.length > 0)
      throw new UsageError(
        `--split files:TRAIN,TEST reads its own two files; leave out ${given.join(', ')}`,
        '--format, --columns and --metadata apply to both files',
      );
    const input = fileSource({ ...flags, input: files.train });
    const { input: _, ...rest } = input;
    return { ...rest, kind: 'files', train: files.train, test: files.test };
  }
  if (given.length > 1) throw new UsageError(`give only one of ${given.join(', ')}`);
  if (flags.data) return { kind: 'cache', path: flags.data };
  if (flags.preset) return { kind: 'preset', preset: flags.preset, seed: flags.dataSeed };
  if (flags.input) return fileSource({ ...flags, input: flags.input });
  if (fallback) return fallback;
  throw new UsageError(
    'no data given',
    'use --input FILE [--format F], --data DIR (from `autorec prepare`) or --preset tiny',
  );
}

/** A file source from --input and the format flags. */
function fileSource(flags: InputFlags & { input: string }): Extract<DataSource, { kind: 'file' }> {
  const format = flags.format ?? 'taste-profile';
  const source: Extract<DataSource, { kind: 'file' }> = {
    kind: 'file',
    input: flags.input,
    format,
    lenient: flags.lenient,
  };
  if (format === 'csv') source.csv = csvColumns(flags.columns, flags.delimiter);
  else if (flags.columns) throw new UsageError('--columns only applies to --format csv');
  if (flags.metadata)
    source.metadata = { path: flags.metadata, format: metadataFormat(format, flags.metadataFormat) };
  return source;
}

/** `user,item[,count]` (0-based indices or header names) → the data package's csv mapping. */
export function csvColumns(columns: string | undefined, delimiter: string | undefined): CsvColumns {
  if (!columns)
    throw new UsageError(
      '--format csv needs --columns USER,ITEM[,COUNT]',
      'e.g. --columns 0,1,2 or --columns user,song,plays',
    );
  const parts = columns.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
    throw new UsageError(`--columns '${columns}': give USER,ITEM or USER,ITEM,COUNT`);
  const col = (p: string): number | string => (/^\d+$/.test(p) ? Number(p) : p);
  if (new Set(parts).size !== parts.length)
    throw new UsageError(`--columns '${columns}': the user, item and count columns must be different`);
  const mapping: CsvColumns = { user: col(parts[0]), item: col(parts[1]) };
  if (parts[2] !== undefined) mapping.count = col(parts[2]);
  if (delimiter === '')
    throw new UsageError(
      "--delimiter '' is empty",
      "give one character or string, e.g. --delimiter ';' or --delimiter tab",
    );
  if (delimiter !== undefined)
    mapping.delimiter = delimiter === 'tab' || delimiter === '\\t' ? '\t' : delimiter;
  return mapping;
}

/** The metadata format that goes with a play-count format (or the one given); a UsageError when none does. */
export function metadataFormat(format: FormatName, given?: ItemInfoFormatName): ItemInfoFormatName {
  if (given) return given;
  if (format === 'taste-profile') return 'msd-tracks';
  if (format === 'lastfm-hetrec') return 'lastfm-hetrec';
  if (format === 'movielens') return 'movielens';
  throw new UsageError(
    `cannot tell the metadata format for --format ${format}`,
    'add --metadata-format msd-tracks|lastfm-hetrec|movielens',
  );
}

/**
 * Reads the raw dataset of a preset or file source (a cache holds a prepared dataset; see
 * `loadPrepared`). Metadata, when given, is joined for artist and title.
 */
export async function readDataset(
  source: Exclude<DataSource, { kind: 'cache' | 'files' }>,
  onProgress?: (info: ProgressInfo) => void,
): Promise<Dataset> {
  if (source.kind === 'preset')
    return syntheticDataset(source.preset, source.seed === undefined ? {} : { seed: source.seed });
  const dataset = await readInteractionsFile(source.input, {
    format: source.format,
    mode: source.lenient ? 'lenient' : 'strict',
    csv: source.csv,
    onProgress,
  });
  if (source.metadata) {
    const info = await readItemInfoFile(source.metadata.path, source.metadata.format, {
      mode: source.lenient ? 'lenient' : 'strict',
    });
    joinItemInfo(dataset, info);
  }
  return dataset;
}

/**
 * One line per input whose bad lines were skipped (--lenient), for every command that reads:
 * how many of how many lines, and the first problem, so no skip goes unnoticed.
 *
 * @example
 * skippedLineWarnings(dataset); // ['plays.tsv: skipped 520 of 5,198 lines (--lenient); first: line 3: field …']
 */
export function skippedLineWarnings(dataset: Pick<Dataset, 'report' | 'metadataReport'>): string[] {
  const warnings: string[] = [];
  for (const r of [dataset.report, dataset.metadataReport]) {
    if (!r || r.skipped === 0) continue;
    const first = r.problems[0];
    warnings.push(
      `${r.source}: skipped ${r.skipped.toLocaleString('en')} bad line${r.skipped === 1 ? '' : 's'} of ${r.lines.toLocaleString('en')} (--lenient)` +
        (first ? `; first: line ${first.line}: ${first.reason}` : ''),
    );
  }
  return warnings;
}

/** Lines read and skipped per input, for prepare.json and manifests. */
export function parseSummary(
  dataset: Pick<Dataset, 'report' | 'metadataReport'>,
): { source: string; lines: number; accepted: number; skipped: number }[] {
  return [dataset.report, dataset.metadataReport]
    .filter((r) => r !== undefined)
    .map(({ source, lines, accepted, skipped }) => ({ source, lines, accepted, skipped }));
}

/**
 * The warnings `prepare` recorded in the cache folder's prepare.json (skipped lines), so a
 * command reading the cache repeats them; none when the file is absent or unreadable.
 */
export async function cacheWarnings(path: string): Promise<string[]> {
  try {
    const file = await preparedPath(path);
    const doc = JSON.parse(await readFile(join(dirname(file), PREPARED_SUMMARY), 'utf8')) as {
      warnings?: unknown;
    };
    return Array.isArray(doc.warnings) ? doc.warnings.filter((w) => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The raw dataset of any source but a cache, with the test interactions of a given split
 * (`files`: the train and test files joined by the data package's `joinTrainTest`).
 *
 * @example
 * const { dataset, testMask } = await readSource(source);
 * prepareDataset(dataset, { split, seed, testMask });
 */
export async function readSource(
  source: Exclude<DataSource, { kind: 'cache' }>,
  onProgress?: (info: ProgressInfo) => void,
): Promise<{ dataset: Dataset; testMask?: Uint8Array }> {
  if (source.kind !== 'files') return { dataset: await readDataset(source, onProgress) };
  const { train, test, ...rest } = source;
  const read = (input: string) => readDataset({ ...rest, kind: 'file', input }, onProgress);
  return joinTrainTest(await read(train), await read(test));
}

/** Path of the cache file for --data: the folder written by `autorec prepare`, or the file itself. */
export async function preparedPath(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? join(path, PREPARED_FILE) : path;
  } catch {
    return path; // the loader reports the missing path
  }
}

/** Loads a prepared-dataset cache from a folder written by `autorec prepare` (or the file itself). */
export async function loadPrepared(path: string): Promise<PreparedDataset> {
  return loadPreparedDataset(await preparedPath(path));
}

/** What `prepare` (and commands preparing in memory) need besides the source. */
export interface PrepareChoice {
  split: SplitOptions;
  seed: number;
  transform?: TransformName;
  filter?: FilterOptions;
}

/**
 * The prepared dataset of any source: a cache as stored, anything else read and run through
 * the data package's `prepareDataset` (filter → split → transform); with the warnings of the
 * read (skipped lines, see `skippedLineWarnings`; for a cache, those `prepare` recorded).
 */
export async function preparedFrom(
  source: DataSource,
  choice: PrepareChoice,
  onProgress?: (info: ProgressInfo) => void,
): Promise<{ prepared: PreparedDataset; warnings: string[] }> {
  if (source.kind === 'cache')
    return { prepared: await loadPrepared(source.path), warnings: await cacheWarnings(source.path) };
  const { dataset, testMask } = await readSource(source, onProgress);
  return {
    prepared: prepareDataset(dataset, { ...choice, testMask }),
    warnings: skippedLineWarnings(dataset),
  };
}

/** Filter options from --min-user-plays / --min-song-users / --preset mult-vae. */
export function filterChoice(flags: {
  minUserPlays?: number;
  minSongUsers?: number;
  preset?: string;
}): FilterOptions | undefined {
  if (flags.preset !== undefined) {
    if (flags.preset !== 'mult-vae')
      throw new UsageError(`unknown filter preset '${flags.preset}'; use mult-vae`);
    if (flags.minUserPlays !== undefined || flags.minSongUsers !== undefined)
      throw new UsageError(
        '--preset mult-vae sets both minimums; leave out --min-user-plays and --min-song-users',
      );
    return { ...MULT_VAE_FILTER };
  }
  if (flags.minUserPlays === undefined && flags.minSongUsers === undefined) return undefined;
  return {
    minItemsPerUser: flags.minUserPlays ?? 0,
    minUsersPerItem: flags.minSongUsers ?? 0,
    iterate: true,
  };
}

/**
 * A new listener's plays from a `song_id<TAB>count` file (or `song_id,count`, or bare ids),
 * read by the data package's plays reader: bad lines are reported with file, line and field,
 * and a song listed twice has its counts summed.
 */
export async function readPlaysFile(path: string): Promise<Play[]> {
  return (await readPlays(path)).plays;
}
