import type { ItemInfo } from '../dataset.ts';
import type { InteractionFormat } from './format.ts';
import { LineError } from './line-error.ts';
import { internField, TableParser } from './table.ts';

const ARTIST_NAME = 3;
const TRACK_MBID = 4;
const TRACK_NAME = 5;

/**
 * Last.fm 1K users play log: one line per play,
 * `userid<TAB>timestamp<TAB>artist-mbid<TAB>artist-name<TAB>track-mbid<TAB>track-name`, no header.
 * Plays are counted per (user, track). A track is its MusicBrainz id, or `artist — track` when
 * the id is missing; its info comes from the names on its first line.
 */
export const lastfm1kFormat: InteractionFormat = {
  name: 'lastfm-1k',
  explicit: false,
  parser: (sink) =>
    new TableParser(sink, {
      delimiter: '\t',
      names: ['user_id', 'timestamp', 'artist_mbid', 'artist_name', 'track_mbid', 'track_name'],
      header: 'none',
      user: 0,
      item: TRACK_MBID,
      valueKind: 'plays',
      itemKey: (f, items) => {
        if (!f.isEmpty(TRACK_MBID)) return internField(f, TRACK_MBID, items);
        if (f.isEmpty(TRACK_NAME))
          throw new LineError('empty track: no track mbid and no track name', 'track_name');
        return items.internString(`${f.text(ARTIST_NAME)} — ${f.text(TRACK_NAME)}`);
      },
      info: (f) => {
        const info: ItemInfo = {};
        if (!f.isEmpty(ARTIST_NAME)) info.artist = f.text(ARTIST_NAME);
        if (!f.isEmpty(TRACK_NAME)) info.title = f.text(TRACK_NAME);
        return info;
      },
    }),
};
