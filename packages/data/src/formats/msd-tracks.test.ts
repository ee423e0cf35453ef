import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures/fixtures.ts';
import { joinItemInfo, readItemInfo } from './item-info.ts';
import { readInteractions } from './read.ts';

describe('msd-tracks', () => {
  it('maps song ids to artist and title, keeping the first track of a song', async () => {
    const info = await readItemInfo(fixture('unique_tracks.txt'), { format: 'msd-tracks' });
    expect(info.get('SOQMMHC12AB0180CB8')).toEqual({ artist: 'Faster Pussy cat', title: 'Silent Night' });
    expect(info.get('SOGTUKN12AB017F4F1')).toEqual({ artist: 'Hudson Mohawke', title: 'No One Could Ever' });
    expect(info.size).toBe(3);
    expect(info.report).toMatchObject({ lines: 4, accepted: 4, duplicates: 1 });
  });

  it('joins onto a Taste Profile dataset by song id', async () => {
    const ds = await readInteractions('u1\tSOGTUKN12AB017F4F1\t3\nu1\tSOUNKNOWN000000000\t1\n', {
      format: 'taste-profile',
    });
    const info = await readItemInfo(fixture('unique_tracks.txt'), { format: 'msd-tracks' });
    expect(joinItemInfo(ds, info)).toEqual({ matched: 1, missing: 1 });
    expect(ds.itemInfo).toEqual([{ artist: 'Hudson Mohawke', title: 'No One Could Ever' }, undefined]);
  });

  it('checks the <SEP> field count and the song id', async () => {
    const read = (text: string) => readItemInfo(text, { format: 'msd-tracks', name: 'unique_tracks.txt' });
    await expect(read('TR1<SEP>SO1<SEP>Artist\n')).rejects.toThrow(
      "unique_tracks.txt, line 1: expected 4 '<SEP>'-separated fields, found 3",
    );
    await expect(read('TR1<SEP><SEP>Artist<SEP>Title\n')).rejects.toThrow(
      "unique_tracks.txt, line 1, field 'song_id': empty id",
    );
    // Empty artist or title is kept as missing, not as ''.
    expect((await read('TR1<SEP>SO1<SEP><SEP>Title\n')).get('SO1')).toEqual({ title: 'Title' });
  });

  it('is metadata, not plays', async () => {
    await expect(readInteractions('x', { format: 'msd-tracks' })).rejects.toThrow(/readItemInfo/);
  });
});
