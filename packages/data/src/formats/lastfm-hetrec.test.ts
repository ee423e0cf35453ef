import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import { joinItemInfo, readItemInfo } from './item-info.ts';
import { readInteractions } from './read.ts';

describe('lastfm-hetrec', () => {
  it('reads user_artists.dat, skipping its header and CRLF line ends', async () => {
    const ds = await readInteractions(fixture('user_artists.dat'), { format: 'lastfm-hetrec' });
    expect(entries(ds)).toEqual(['2 51 13883', '2 52 11690', '2 53 11351', '3 289 1287', '3 51 2']);
    expect(ds.report).toMatchObject({ lines: 6, accepted: 5 });
  });

  it('also reads a copy without the header line', async () => {
    const ds = await readInteractions('2\t51\t13883\r\n2\t52\t1\r\n', { format: 'lastfm-hetrec' });
    expect(entries(ds)).toEqual(['2 51 13883', '2 52 1']);
  });

  it('rejects a stray header later in the file', async () => {
    await expect(
      readInteractions('userID\tartistID\tweight\n2\t51\t1\nuserID\tartistID\tweight\n', {
        format: 'lastfm-hetrec',
      }),
    ).rejects.toThrow(/line 3, field 'userID': expected an integer id, got "userID"/);
  });

  it('rejects a Taste Profile file (40-hex users, SO… songs) instead of reading it, naming the format', async () => {
    const taste = fixture('taste-profile.txt');
    for (const mode of ['strict', 'lenient'] as const) {
      const error = await readInteractions(taste, {
        format: 'lastfm-hetrec',
        name: 'train_triplets.txt',
        mode,
      }).catch((e: unknown) => e);
      expect(error, mode).toBeInstanceOf(DataError);
      expect((error as DataError).location).toEqual({ file: 'train_triplets.txt', line: 1, field: 'userID' });
      expect((error as DataError).message).toBe(
        "train_triplets.txt, line 1, field 'userID': expected an integer id, got " +
          '"b80344d063b5ccb3212f76538f3d9e43d87dca9e"; this looks like a taste-profile file, ' +
          "not lastfm-hetrec: read it with format 'taste-profile'",
      );
    }
  });

  it('checks that user and artist ids are integers', async () => {
    const read = (text: string, mode: 'strict' | 'lenient' = 'strict') =>
      readInteractions(text, { format: 'lastfm-hetrec', name: 'user_artists.dat', mode });
    await expect(read('2\t51\t3\n2\tx51\t1\n')).rejects.toThrow(
      `user_artists.dat, line 2, field 'artistID': expected an integer id, got "x51" (lastfm-hetrec ids are whole numbers)`,
    );
    await expect(read('2.5\t51\t3\n')).rejects.toThrow(/field 'userID': expected an integer id, got "2.5"/);
    await expect(read('-2\t51\t3\n')).rejects.toThrow(/field 'userID'/);
    // A stray line is skipped in lenient mode, and so is another format's line after good ones.
    const ds = await read('2\t51\t3\nu9\t51\t1\n2\tSOAKIMP12A8C130995\t1\n3\t52\t4\n', 'lenient');
    expect(entries(ds)).toEqual(['2 51 3', '3 52 4']);
    expect(ds.report).toMatchObject({ skipped: 2 });
    expect(ds.report?.problems[1].reason).toMatch(/looks like a taste-profile file/);
  });

  it('rejects artists.dat lines whose id is not an integer', async () => {
    await expect(
      readItemInfo('id\tname\turl\tpictureURL\n51\tDuran Duran\nfifty\tX\n', {
        format: 'lastfm-hetrec',
        name: 'artists.dat',
      }),
    ).rejects.toThrow(`artists.dat, line 3, field 'id': expected an integer id, got "fifty"`);
    // A Taste Profile file given as metadata stops at line 1 even in lenient mode.
    await expect(
      readItemInfo(fixture('taste-profile.txt'), { format: 'lastfm-hetrec', name: 'm.txt', mode: 'lenient' }),
    ).rejects.toThrow(/m\.txt, line 1, field 'id': .*looks like a taste-profile file/);
  });

  it('reads artists.dat into names by artist id and joins them to the dataset items', async () => {
    const info = await readItemInfo(fixture('artists.dat'), { format: 'lastfm-hetrec', name: 'artists.dat' });
    expect(info.get('51')).toEqual({ artist: 'Duran Duran' });
    expect(info.get('999')).toEqual({ artist: 'Sigur Rós' });
    expect(info.size).toBe(5);
    expect(info.report).toMatchObject({ source: 'artists.dat', lines: 6, accepted: 5, duplicates: 0 });

    const ds = await readInteractions(fixture('user_artists.dat'), { format: 'lastfm-hetrec' });
    // Artist 999 has no plays, so it is no item; the four items all get names.
    expect(joinItemInfo(ds, info)).toEqual({ matched: 4, missing: 0 });
    expect(ds.itemInfo?.map((i) => i?.artist)).toEqual(['Duran Duran', 'Morcheeba', 'Air', 'Britney Spears']);
  });

  it('checks artists.dat lines', async () => {
    const read = (text: string, mode: 'strict' | 'lenient' = 'strict') =>
      readItemInfo(text, { format: 'lastfm-hetrec', name: 'artists.dat', mode });
    await expect(read('id\tname\turl\tpictureURL\n7\n')).rejects.toThrow(
      'artists.dat, line 2: expected 2 to 4 tab-separated fields, found 1',
    );
    await expect(read('\tX\n')).rejects.toThrow("artists.dat, line 1, field 'id': empty id");
    await expect(read('7\t\turl\n')).rejects.toThrow("artists.dat, line 1, field 'name': empty value");
    const info = await read('7\tA\n7\tB\nbad\n8\tC\n', 'lenient');
    expect([...info]).toEqual([
      ['7', { artist: 'A' }],
      ['8', { artist: 'C' }],
    ]);
    expect(info.report).toMatchObject({ accepted: 3, duplicates: 1, skipped: 1 });
    await expect(read('')).rejects.toThrow('artists.dat: no data lines');
  });
});
