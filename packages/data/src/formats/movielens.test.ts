import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { readInteractions } from './read.ts';

describe('movielens', () => {
  it('recognises u.data, ratings.dat and ratings.csv from their content', async () => {
    const udata = await readInteractions(fixture('u.data'), { format: 'movielens' });
    expect(entries(udata)).toEqual(['186 302 3', '196 242 3', '196 377 5', '22 377 1']);
    expect(udata.explicit).toBe(true);
    const dat = await readInteractions(fixture('ratings.dat'), { format: 'movielens' });
    expect(entries(dat)).toEqual(['1 1193 5', '1 661 3', '2 1193 4']);
    const csv = await readInteractions(fixture('ratings.csv'), { format: 'movielens' });
    expect(entries(csv)).toEqual(['1 1 4', '1 3 4.5', '2 1 0.5']);
    expect(csv.report).toMatchObject({ lines: 4, accepted: 3 });
  });

  it('rejects ratings outside 0.5–5 in strict mode and skips them in lenient mode', async () => {
    for (const rating of ['0', '0.4', '5.5', '-1']) {
      await expect(
        readInteractions(`1\t2\t${rating}\t0\n`, { format: 'movielens', name: 'u.data' }),
      ).rejects.toThrow(`u.data, line 1, field 'rating': rating "${rating}" is outside 0.5–5`);
    }
    const ds = await readInteractions('1::2::9::0\n1::3::4::0\n', { format: 'movielens', mode: 'lenient' });
    expect(entries(ds)).toEqual(['1 3 4']);
    expect(ds.report?.problems).toEqual([{ line: 1, reason: `field 'Rating': rating "9" is outside 0.5–5` }]);
  });

  it('refuses to sum ratings of a repeated (user, movie) pair', async () => {
    await expect(
      readInteractions('1\t2\t3\t0\n1\t2\t4\t1\n', { format: 'movielens', name: 'u.data' }),
    ).rejects.toThrow(/^u\.data: 1 \(user, item\) pairs are rated more than once/);
  });

  it('checks that user and movie ids are integers, naming a Last.fm 360K file read by mistake', async () => {
    await expect(
      readInteractions('1\t2\t3\t0\n1\tm7\t3\t0\n', { format: 'movielens', name: 'u.data' }),
    ).rejects.toThrow(
      `u.data, line 2, field 'item_id': expected an integer id, got "m7" (movielens ids are whole numbers)`,
    );
    await expect(readInteractions('a,1,4.0,0\n', { format: 'movielens', name: 'r.csv' })).rejects.toThrow(
      `r.csv, line 1, field 'userId': expected an integer id, got "a" (movielens ids are whole numbers)`,
    );
    const lastfm =
      '00000c289a1829a808ac09c00daf10bc3c4e223b\t3bd73256-3905-4f3a-97e2-8b341527f805\tbetty\t3\n';
    await expect(
      readInteractions(lastfm, { format: 'movielens', name: 'usersha1.tsv', mode: 'lenient' }),
    ).rejects.toThrow(
      "usersha1.tsv, line 1, field 'user_id': expected an integer id, got " +
        `"00000c289a1829a808ac09c00daf10bc3c4e223b"; this looks like a lastfm-360k file, not movielens: read it with format 'lastfm-360k'`,
    );
  });

  it('stops at content that is no MovieLens variant, even in lenient mode', async () => {
    await expect(readInteractions('1 2 3 4\n', { format: 'movielens', mode: 'lenient' })).rejects.toThrow(
      /line 1: not a MovieLens ratings file/,
    );
  });
});
