import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { readInteractions } from './read.ts';

describe('lastfm-1k', () => {
  it('counts plays per (user, track), naming tracks without an mbid by artist and title', async () => {
    const ds = await readInteractions(fixture('lastfm-1k.tsv'), { format: 'lastfm-1k' });
    expect(entries(ds)).toEqual([
      'user_000001 Deep Dish — Fuck Me Im Famous (Pacha Ibiza)-09-28-2007 1',
      'user_000001 f7c1f8f8-b935-45ed-8fc8-7def69d92a10 1',
      'user_000001 坂本龍一 — Composition 0919 (Live_2009_4_15) 2',
      'user_000002 f7c1f8f8-b935-45ed-8fc8-7def69d92a10 1',
    ]);
    expect(ds.report).toMatchObject({ accepted: 5, duplicates: 1 });
    const info = ds.items.toArray().map((id, i) => [id, ds.itemInfo?.[i]]);
    expect(info).toEqual([
      [
        'Deep Dish — Fuck Me Im Famous (Pacha Ibiza)-09-28-2007',
        { artist: 'Deep Dish', title: 'Fuck Me Im Famous (Pacha Ibiza)-09-28-2007' },
      ],
      [
        '坂本龍一 — Composition 0919 (Live_2009_4_15)',
        { artist: '坂本龍一', title: 'Composition 0919 (Live_2009_4_15)' },
      ],
      ['f7c1f8f8-b935-45ed-8fc8-7def69d92a10', { artist: '坂本龍一', title: 'The Last Emperor (Theme)' }],
    ]);
  });

  it('rejects a play with neither track mbid nor track name, and wrong field counts', async () => {
    const read = (text: string) => readInteractions(text, { format: 'lastfm-1k', name: 'plays.tsv' });
    await expect(read('u1\tt\ta\tArtist\t\t\n')).rejects.toThrow(
      "plays.tsv, line 1, field 'track_name': empty track: no track mbid and no track name",
    );
    await expect(read('u1\tt\ta\tArtist\tm\n')).rejects.toThrow(
      'plays.tsv, line 1: expected 6 tab-separated fields, found 5',
    );
    await expect(read('\tt\ta\tArtist\tm\tTitle\n')).rejects.toThrow(
      "plays.tsv, line 1, field 'user_id': empty id",
    );
    const ds = await readInteractions('u1\tt\ta\tArtist\t\t\nu1\tt\ta\tArtist\tm\tTitle\n', {
      format: 'lastfm-1k',
      mode: 'lenient',
    });
    expect(entries(ds)).toEqual(['u1 m 1']);
    expect(ds.itemInfo).toEqual([{ artist: 'Artist', title: 'Title' }]);
  });
});
