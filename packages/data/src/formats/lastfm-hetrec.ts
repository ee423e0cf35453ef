import type { InteractionFormat } from './format.ts';
import { InfoTableParser, type ItemInfoFormat } from './info-table.ts';
import { TableParser } from './table.ts';

/**
 * Last.fm HetRec 2011 `user_artists.dat`: `userID<TAB>artistID<TAB>weight` after a header line;
 * weight is the user's play count for the artist. Both ids are integers, which is checked: a
 * Taste Profile file has the same three tab-separated columns and would otherwise read cleanly.
 */
export const lastfmHetrecFormat: InteractionFormat = {
  name: 'lastfm-hetrec',
  explicit: false,
  parser: (sink) =>
    new TableParser(sink, {
      delimiter: '\t',
      names: ['userID', 'artistID', 'weight'],
      header: 'detect',
      user: 0,
      item: 1,
      value: 2,
      valueKind: 'plays',
      integerIds: 'lastfm-hetrec',
    }),
};

/**
 * Last.fm HetRec 2011 `artists.dat`: `id<TAB>name<TAB>url<TAB>pictureURL` after a header →
 * `{ artist: name }` by id. Ids are integers, as in `user_artists.dat`.
 */
export const lastfmHetrecArtistsFormat: ItemInfoFormat = {
  name: 'lastfm-hetrec',
  parser: (info) =>
    new InfoTableParser(info, {
      delimiter: '\t',
      names: ['id', 'name', 'url', 'pictureURL'],
      // url and pictureURL are unused and may be missing.
      minColumns: 2,
      header: 'detect',
      key: 0,
      info: (f) => ({ artist: f.text(1) }),
      required: [1],
      integerKey: 'lastfm-hetrec',
    }),
};
