import { join } from 'node:path';
import { describeRealData } from '@autorec/test-utils/real-data';
import { expect, it } from 'vitest';
import { readInteractionsFile, readItemInfoFile } from '../node/files.ts';
import { nnz } from '../sparse.ts';
import { joinItemInfo } from './item-info.ts';

describeRealData('lastfm-hetrec-2k', 'Last.fm HetRec 2011 (real data)', (dir) => {
  it('loads user_artists.dat with names from artists.dat', async () => {
    const ds = await readInteractionsFile(join(dir, 'user_artists.dat'), { format: 'lastfm-hetrec' });
    expect(nnz(ds.counts)).toBe(92_834);
    expect(ds.users.size).toBe(1_892);
    expect(ds.items.size).toBe(17_632);
    expect(ds.report).toMatchObject({ lines: 92_835, accepted: 92_834, skipped: 0, duplicates: 0 });
    let total = 0;
    for (const v of ds.counts.values) total += v;
    expect(total).toBe(69_183_975);

    const info = await readItemInfoFile(join(dir, 'artists.dat'), 'lastfm-hetrec');
    expect(joinItemInfo(ds, info)).toEqual({ matched: 17_632, missing: 0 });
    expect(ds.itemInfo?.[ds.items.indexOf('51')]).toEqual({ artist: 'Duran Duran' });
    expect(ds.itemInfo?.every((i) => i?.artist !== undefined && i.artist !== '')).toBe(true);
  });
});
