import type { ItemInfo } from '../dataset.ts';
import { InfoTableParser, type ItemInfoFormat } from './info-table.ts';

/**
 * Million Song Dataset `unique_tracks.txt`: `track_id<SEP>song_id<SEP>artist<SEP>title`, the
 * separator being the literal text `<SEP>`. Keyed by song id (what the Taste Profile uses); when
 * several tracks share a song, the first wins.
 */
export const msdTracksFormat: ItemInfoFormat = {
  name: 'msd-tracks',
  parser: (info) =>
    new InfoTableParser(info, {
      delimiter: '<SEP>',
      names: ['track_id', 'song_id', 'artist', 'title'],
      header: 'none',
      key: 1,
      info: (f) => {
        const item: ItemInfo = {};
        if (!f.isEmpty(2)) item.artist = f.text(2);
        if (!f.isEmpty(3)) item.title = f.text(3);
        return item;
      },
    }),
};
