import type { InteractionFormat } from './format.ts';
import { LineError } from './line-error.ts';
import { internField, TableParser } from './table.ts';

const ARTIST_MBID = 1;
const ARTIST_NAME = 2;

/**
 * Last.fm 360K users `usersha1-artmbid-artname-plays.tsv`:
 * `user-mbid<TAB>artist-mbid<TAB>artist-name<TAB>plays`, no header. An artist is its MusicBrainz
 * id, or its name when the id is missing.
 */
export const lastfm360kFormat: InteractionFormat = {
  name: 'lastfm-360k',
  explicit: false,
  parser: (sink) =>
    new TableParser(sink, {
      delimiter: '\t',
      names: ['user_mbid', 'artist_mbid', 'artist_name', 'plays'],
      header: 'none',
      user: 0,
      item: ARTIST_MBID,
      value: 3,
      valueKind: 'plays',
      itemKey: (f, items) => {
        if (!f.isEmpty(ARTIST_MBID)) return internField(f, ARTIST_MBID, items);
        if (!f.isEmpty(ARTIST_NAME)) return internField(f, ARTIST_NAME, items);
        throw new LineError('empty id: no artist mbid and no artist name', 'artist_mbid');
      },
      info: (f) => (f.isEmpty(ARTIST_NAME) ? undefined : { artist: f.text(ARTIST_NAME) }),
    }),
};
