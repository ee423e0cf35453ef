export { csvFormat } from './csv.ts';
export { Fields } from './fields.ts';
export type { CsvColumns, InteractionFormat } from './format.ts';
export {
  type InfoLayout,
  type InfoParser,
  InfoTableParser,
  type ItemInfoFormat,
  type ItemInfoFormatName,
} from './info-table.ts';
export {
  type FormatWords,
  formatWords,
  ItemInfoMap,
  type ItemInfoReadOptions,
  itemLabel,
  itemNoun,
  joinItemInfo,
  readItemInfo,
} from './item-info.ts';
export { lastfm1kFormat } from './lastfm-1k.ts';
export { lastfm360kFormat } from './lastfm-360k.ts';
export { lastfmHetrecArtistsFormat, lastfmHetrecFormat } from './lastfm-hetrec.ts';
export { LineError } from './line-error.ts';
export { movielensFormat } from './movielens.ts';
export { movielensItemsFormat } from './movielens-items.ts';
export { msdTracksFormat } from './msd-tracks.ts';
export { type PlayCount, type PlaysRead, readPlays } from './plays.ts';
export { type ReadOptions, readInteractions } from './read.ts';
export { type CommonReadOptions, type LineParser, type ReadMode, runLineParser } from './run.ts';
export { InteractionSink } from './sink.ts';
export { readValue, type TableLayout, TableParser, type ValueKind } from './table.ts';
export { tasteProfileFormat } from './taste-profile.ts';
export { escapeControls, TOP_LISTS_HEADER, topListLines, tsvField } from './top-lists.ts';
