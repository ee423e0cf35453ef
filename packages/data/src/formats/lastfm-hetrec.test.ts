import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
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
    ).rejects.toThrow(/line 3, field 'weight': not a number: "weight"/);
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
