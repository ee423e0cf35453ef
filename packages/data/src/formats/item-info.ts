import type { Dataset, ItemInfo, ParseReport } from '../dataset.ts';
import { type ByteSource, sourceName } from '../io/source.ts';
import type { ItemInfoFormat, ItemInfoFormatName } from './info-table.ts';
import { lastfmHetrecArtistsFormat } from './lastfm-hetrec.ts';
import { movielensItemsFormat } from './movielens-items.ts';
import { msdTracksFormat } from './msd-tracks.ts';
import { type CommonReadOptions, noDataError, runLineParser } from './run.ts';

export interface ItemInfoReadOptions extends CommonReadOptions {
  /** `lastfm-hetrec` reads `artists.dat`, `msd-tracks` `unique_tracks.txt`, `movielens` `u.item`/`movies.dat`/`movies.csv`. */
  format: ItemInfoFormatName;
}

/** Display info by external item id, with the report of the read that produced it. */
export class ItemInfoMap extends Map<string, ItemInfo> {
  report: ParseReport = {
    source: '',
    bytesRead: 0,
    lines: 0,
    accepted: 0,
    skipped: 0,
    duplicates: 0,
    problems: [],
  };
}

const itemInfoFormats: Record<ItemInfoFormatName, ItemInfoFormat> = {
  'lastfm-hetrec': lastfmHetrecArtistsFormat,
  'msd-tracks': msdTracksFormat,
  movielens: movielensItemsFormat,
};

/**
 * Reads a metadata file into display info by item id: Last.fm HetRec `artists.dat` (artist id →
 * `{ artist }`), MSD `unique_tracks.txt` (song id → `{ artist, title }`, first track of a song
 * wins; `report.duplicates` counts the ids seen again) or MovieLens movies (movie id → `{ title }`). Same strict/lenient rules as `readInteractions`.
 *
 * @example
 * const info = await readItemInfo(artistsFile, { format: 'lastfm-hetrec' });
 * info.get('51'); // { artist: 'Duran Duran' }
 */
export async function readItemInfo(source: ByteSource, options: ItemInfoReadOptions): Promise<ItemInfoMap> {
  const format = itemInfoFormats[options.format];
  if (!format)
    throw new TypeError(
      `'${options.format}' is not a metadata format (use lastfm-hetrec, msd-tracks or movielens)`,
    );
  const label = options.name ?? sourceName(source) ?? '<stream>';
  const info = new ItemInfoMap();
  const parser = format.parser(info);
  const report = await runLineParser(source, parser, label, options);
  report.accepted = parser.accepted;
  report.duplicates = parser.repeats;
  if (info.size === 0) throw noDataError(report);
  info.report = report;
  return info;
}

/**
 * Fills `dataset.itemInfo` (by dense item index) from info keyed by external item id, e.g.
 * artist names from `artists.dat` for a `user_artists.dat` dataset. Items without info get
 * `undefined`; info for ids that are not items of the dataset is ignored. The read's report (an
 * `ItemInfoMap` from `readItemInfo`) goes to `dataset.metadataReport`, so skipped lines are not lost.
 *
 * @example
 * const { matched, missing } = joinItemInfo(dataset, await readItemInfo(tracks, { format: 'msd-tracks' }));
 */
export function joinItemInfo(
  dataset: Dataset,
  info: ReadonlyMap<string, ItemInfo>,
): { matched: number; missing: number } {
  const ids = dataset.items.toArray();
  if (info instanceof ItemInfoMap) dataset.metadataReport = info.report;
  let matched = 0;
  dataset.itemInfo = ids.map((id) => {
    const item = info.get(id);
    if (item) matched++;
    return item;
  });
  return { matched, missing: ids.length - matched };
}

/**
 * How an item is shown to a listener: `Artist — Title`, else whichever of the two is known
 * (Last.fm HetRec items are artists), else its id.
 *
 * @example
 * itemLabel('SOAAADD12AB018A9DD', { artist: 'Radiohead', title: 'Creep' }); // 'Radiohead — Creep'
 * itemLabel('289', { artist: 'Britney Spears' });                           // 'Britney Spears'
 */
export function itemLabel(id: string, info: ItemInfo | undefined): string {
  if (info?.artist && info.title) return `${info.artist} — ${info.title}`;
  return info?.title || info?.artist || id;
}

/** The words human output uses for a format's items, events and people, singular and plural. */
export interface FormatWords {
  item: string;
  items: string;
  /** One interaction: a play (counts) or a rating (explicit). */
  event: string;
  events: string;
  person: string;
  people: string;
  /** What a metadata file gives for an item: `name`, `title` or `artist/title`. */
  info: string;
}

const ARTIST_WORDS: FormatWords = {
  item: 'artist',
  items: 'artists',
  event: 'play',
  events: 'plays',
  person: 'listener',
  people: 'listeners',
  info: 'name',
};
const MOVIE_WORDS: FormatWords = {
  item: 'movie',
  items: 'movies',
  event: 'rating',
  events: 'ratings',
  person: 'rater',
  people: 'raters',
  info: 'title',
};
const SONG_WORDS: FormatWords = {
  item: 'song',
  items: 'songs',
  event: 'play',
  events: 'plays',
  person: 'listener',
  people: 'listeners',
  info: 'artist/title',
};

/**
 * The one place that names what a format's items and events are, for human output: Last.fm
 * HetRec and 360K count plays per artist, MovieLens has raters rating movies, the rest (Taste
 * Profile, Last.fm 1K, CSV, the synthetic presets) listeners playing songs.
 *
 * @example
 * formatWords('movielens').events;      // 'ratings'
 * formatWords('lastfm-hetrec').item;    // 'artist'
 */
export function formatWords(format: string): FormatWords {
  if (format === 'lastfm-hetrec' || format === 'lastfm-360k') return ARTIST_WORDS;
  if (format === 'movielens') return MOVIE_WORDS;
  return SONG_WORDS;
}

/**
 * What the items of a play-count format are, plural (see `formatWords`).
 *
 * @example
 * itemNoun('lastfm-hetrec'); // 'artists'
 */
export function itemNoun(format: string): string {
  return formatWords(format).items;
}
