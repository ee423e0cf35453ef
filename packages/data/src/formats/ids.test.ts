import { describe, expect, it } from 'vitest';
import { readItemInfo } from './item-info.ts';
import { readPlays } from './plays.ts';
import { readInteractions } from './read.ts';

// One id rule for every reader (issue 8, item 16): spaces around an id are not part of it, NUL
// bytes are refused, and formats with integer ids (HetRec, MovieLens) drop leading zeros.

describe('id normalisation', () => {
  it('spaces around ids are dropped in every format, as around counts', async () => {
    const ds = await readInteractions('u1 \ts1\t1\nu1\t s1\t2\n', { format: 'taste-profile' });
    expect(ds.users.toArray()).toEqual(['u1']);
    expect(ds.items.toArray()).toEqual(['s1']);
    expect(ds.counts.values[0]).toBe(3);
    const csv = await readInteractions('"u1 ", s1 ,1\nu1,s1,1\n', {
      format: 'csv',
      csv: { user: 0, item: 1, count: 2 },
    });
    expect(csv.users.toArray()).toEqual(['u1']);
    const { plays } = await readPlays(' SOAAA \t2\nSOAAA\t1\n');
    expect(plays).toEqual([{ item: 'SOAAA', count: 3, line: 1 }]);
  });

  it('HetRec and MovieLens ids are numbers: 02 and 2 are one user, in the metadata too', async () => {
    const ds = await readInteractions('02\t0051\t3\n2\t51\t4\n', { format: 'lastfm-hetrec' });
    expect(ds.users.toArray()).toEqual(['2']);
    expect(ds.items.toArray()).toEqual(['51']);
    expect(ds.counts.values[0]).toBe(7);
    const ml = await readInteractions('007\t0\t4\t881250949\n', { format: 'movielens' });
    expect(ml.users.toArray()).toEqual(['7']);
    expect(ml.items.toArray()).toEqual(['0']);
    const info = await readItemInfo('0051\tDuran Duran\n', { format: 'lastfm-hetrec' });
    expect(info.get('51')).toEqual({ artist: 'Duran Duran' });
  });

  it('a NUL byte in an id is refused, naming the line and field', async () => {
    await expect(
      readInteractions('u\u00001\ts1\t1\n', { format: 'taste-profile', name: 'x' }),
    ).rejects.toThrow("x, line 1, field 'user_id': a NUL byte in an id");
    await expect(readPlays('SO\u0000A\t1\n', { name: 'p' })).rejects.toThrow(
      "p, line 1, field 'song_id': a NUL byte in an id",
    );
  });
});
