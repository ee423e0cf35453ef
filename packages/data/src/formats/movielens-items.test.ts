import { join } from 'node:path';
import { describeRealData } from '@autorec/test-utils/real-data';
import { describe, expect, it } from 'vitest';
import { readItemInfoFile } from '../node/files.ts';
import { readItemInfo } from './item-info.ts';

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const read = (bytes: Uint8Array<ArrayBuffer> | string, mode: 'strict' | 'lenient' = 'strict') =>
  readItemInfo(new Blob([bytes]), { format: 'movielens', name: 'movies', mode });

describe('MovieLens movie titles', () => {
  it('reads u.item (ML-100K): `|`-separated, Latin-1 titles', async () => {
    const info = await read(
      latin1(
        '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n' +
          '543|Mis\xe9rables, Les (1995)|01-Jan-1995||http://y|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n',
      ),
    );
    expect(info.get('1')).toEqual({ title: 'Toy Story (1995)' });
    expect(info.get('543')).toEqual({ title: 'Misérables, Les (1995)' });
  });

  it('reads movies.dat (ML-1M) and movies.csv (ML-latest) with quoted titles and UTF-8', async () => {
    const dat = await read(
      latin1("1::Toy Story (1995)::Animation|Children's|Comedy\n73::Mis\xe9rables, Les (1995)::Drama\n"),
    );
    expect([...dat]).toEqual([
      ['1', { title: 'Toy Story (1995)' }],
      ['73', { title: 'Misérables, Les (1995)' }],
    ]);
    const csv = await read(
      'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n11,"American President, The (1995)",Comedy|Drama|Romance\n' +
        '5,"Am\u00e9lie (Fabuleux destin d\'Am\u00e9lie Poulain, Le) (2001)",Comedy|Romance\n',
    );
    expect(csv.get('11')).toEqual({ title: 'American President, The (1995)' });
    expect(csv.get('5')?.title).toBe("Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)");
    expect(csv.report).toMatchObject({ accepted: 3, skipped: 0 });
  });

  it('names file, line and field for bad lines, and refuses another format on line 1', async () => {
    await expect(read('1|Toy Story (1995)\nx|Heat (1995)\n')).rejects.toThrow(
      /movies, line 2, field 'movie id': expected an integer id/,
    );
    await expect(read('1|\n')).rejects.toThrow("movies, line 1, field 'movie title': empty value");
    await expect(read('no delimiters here\n', 'lenient')).rejects.toThrow(
      /movies, line 1: not a MovieLens movies file/,
    );
    const lenient = await read(
      '1::Heat (1995)::Drama\nx::Casino (1995)::Drama\n2::Up (2009)::Drama\n',
      'lenient',
    );
    expect([...lenient.keys()]).toEqual(['1', '2']);
    expect(lenient.report.problems.map((p) => p.line)).toEqual([2]);
  });
});

describeRealData('ml-100k', 'MovieLens 100K titles (real data)', (dir) => {
  it('reads every title of u.item, accents included', async () => {
    const info = await readItemInfoFile(join(dir, 'u.item'), 'movielens');
    expect(info.size).toBe(1_682);
    expect(info.report).toMatchObject({ skipped: 0, accepted: 1_682 });
    expect(info.get('50')).toEqual({ title: 'Star Wars (1977)' });
    expect(info.get('543')?.title).toBe('Misérables, Les (1995)');
    expect([...info.values()].every((i) => i.title && !i.title.includes('\ufffd'))).toBe(true);
  });
});
