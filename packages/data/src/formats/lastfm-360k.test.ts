import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { readInteractions } from './read.ts';

describe('lastfm-360k', () => {
  it('reads artist play counts, keyed by mbid or else by name, with artist names as info', async () => {
    const ds = await readInteractions(fixture('lastfm-360k.tsv'), { format: 'lastfm-360k' });
    expect(entries(ds)).toEqual([
      '00000c289a1829a808ac09c00daf10bc3c4e223b 3bd73256-3905-4f3a-97e2-8b341527f805 2137',
      '00000c289a1829a808ac09c00daf10bc3c4e223b f2fb0ff0-5679-42ec-a55c-15109ce6e320 1099',
      '00000c289a1829a808ac09c00daf10bc3c4e223b the bosshoss 897',
      '00001411dc427966b17297bf4d69e7e193135d89 f2fb0ff0-5679-42ec-a55c-15109ce6e320 12',
    ]);
    expect(ds.itemInfo).toEqual([
      { artist: 'betty blowtorch' },
      { artist: 'die Ärzte' },
      { artist: 'the bosshoss' },
    ]);
  });

  it('rejects a line without artist mbid or name, and bad play counts', async () => {
    const read = (text: string) => readInteractions(text, { format: 'lastfm-360k', name: 'users.tsv' });
    await expect(read('u\t\t\t3\n')).rejects.toThrow(
      "users.tsv, line 1, field 'artist_mbid': empty id: no artist mbid and no artist name",
    );
    await expect(read('u\tm\tname\tlots\n')).rejects.toThrow(
      `users.tsv, line 1, field 'plays': not a number: "lots"`,
    );
    const ds = await readInteractions('u\t\t\t3\nu\tm\t\t2\n', { format: 'lastfm-360k', mode: 'lenient' });
    expect(entries(ds)).toEqual(['u m 2']);
    expect(ds.itemInfo).toEqual([undefined]);
    expect(ds.report?.skipped).toBe(1);
  });
});
