import type { InteractionFormat } from './format.ts';
import { TableParser } from './table.ts';

/**
 * Echo Nest Taste Profile (Million Song Dataset) `train_triplets.txt`:
 * `user_id<TAB>song_id<TAB>play_count`, no header, lines grouped by user.
 */
export const tasteProfileFormat: InteractionFormat = {
  name: 'taste-profile',
  explicit: false,
  parser: (sink) =>
    new TableParser(sink, {
      delimiter: '\t',
      names: ['user_id', 'song_id', 'play_count'],
      header: 'none',
      user: 0,
      item: 1,
      value: 2,
      valueKind: 'plays',
    }),
};
