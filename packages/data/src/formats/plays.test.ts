import { describe, expect, it } from 'vitest';
import { cutAt, streamOf } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import { readPlays } from './plays.ts';

const read = (text: string, mode: 'strict' | 'lenient' = 'strict') =>
  readPlays(text, { name: 'mine.tsv', mode });

describe('readPlays', () => {
  it('reads song_id<TAB>count lines, summing repeated songs in order of first appearance', async () => {
    const { plays, report } = await read('SOAAA\t3\r\nSOBBB\t1\r\nSOAAA\t2\r\n');
    expect(plays).toEqual([
      { item: 'SOAAA', count: 5, line: 1 },
      { item: 'SOBBB', count: 1, line: 2 },
    ]);
    expect(report).toMatchObject({ source: 'mine.tsv', lines: 3, accepted: 3, duplicates: 1, skipped: 0 });
  });

  it('accepts comma-separated lines (quotes allowed) and bare ids meaning one play', async () => {
    expect((await read('SOAAA,4\n"Simon, Garfunkel",2\nSOAAA\n')).plays).toEqual([
      { item: 'SOAAA', count: 5, line: 1 },
      { item: 'Simon, Garfunkel', count: 2, line: 2 },
    ]);
    expect((await read('SOAAA\nSOBBB\nSOAAA\n')).plays).toEqual([
      { item: 'SOAAA', count: 2, line: 1 },
      { item: 'SOBBB', count: 1, line: 2 },
    ]);
    // The first delimited line fixes the delimiter: in a tab file a comma belongs to the id.
    expect((await read('SOAAA\nSimon, Garfunkel\t3\nA, B\n')).plays).toEqual([
      { item: 'SOAAA', count: 1, line: 1 },
      { item: 'Simon, Garfunkel', count: 3, line: 2 },
      { item: 'A, B', count: 1, line: 3 },
    ]);
  });

  it('skips a header line naming the columns, but only on line 1', async () => {
    for (const header of ['song_id\tcount', 'song,plays', 'SONG_ID', 'track_id\tplay_count', 'x\tcount']) {
      const { plays, report } = await read(`${header}\nSOAAA${header.includes(',') ? ',' : '\t'}2\n`);
      expect(plays, header).toEqual([{ item: 'SOAAA', count: 2, line: 2 }]);
      expect(report.accepted).toBe(1);
    }
    await expect(read('SOAAA\t1\nsong_id\tcount\n')).rejects.toThrow(
      'mine.tsv, line 2, field \'count\': not a number: "count"',
    );
  });

  it('names file, line and field for bad lines in strict mode', async () => {
    const error = await read('SOAAA\t3\nSOBBB\t0\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toEqual({ file: 'mine.tsv', line: 2, field: 'count' });
    expect((error as DataError).message).toBe('mine.tsv, line 2, field \'count\': must be positive, got "0"');
    await expect(read('SOAAA\t2.5\n')).rejects.toThrow("field 'count': play count must be a whole number");
    await expect(read('SOAAA\tmany\n')).rejects.toThrow(/line 1, field 'count': not a number: "many"/);
    await expect(read('SOAAA\t\n')).rejects.toThrow("line 1, field 'count': empty value");
    await expect(read('\t3\n')).rejects.toThrow("mine.tsv, line 1, field 'song_id': empty id");
    await expect(read('u1\tSOAAA\t3\n')).rejects.toThrow(
      'mine.tsv, line 1: expected song_id or song_id and count, found 3 tab-separated fields',
    );
    await expect(read('SOAAA,1\nSOBBB\t2\n')).rejects.toThrow(
      "mine.tsv, line 2, field 'song_id': a tab in a comma-separated file",
    );
  });

  it('skips and counts bad lines in lenient mode; a file without plays is an error in both modes', async () => {
    const { plays, report } = await read('SOAAA\t3\nSOBBB\t-1\n\nSOCCC\tx\nSOAAA\t1\n', 'lenient');
    expect(plays).toEqual([{ item: 'SOAAA', count: 4, line: 1 }]);
    expect(report).toMatchObject({ lines: 5, accepted: 2, skipped: 2, duplicates: 1 });
    expect(report.problems.map((p) => p.line)).toEqual([2, 4]);
    await expect(read('')).rejects.toThrow('mine.tsv: no data lines');
    await expect(read('song_id\tcount\n')).rejects.toThrow('mine.tsv: no data lines');
    await expect(read('SOAAA\t0\n', 'lenient')).rejects.toThrow(
      /no valid data lines: all 1 were skipped; first problem at line 1/,
    );
  });

  it('reads the same from a stream cut anywhere', async () => {
    const text = 'song_id\tcount\nSOAAA\t3\nSOBBB\nSOAAA\t12\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { plays } = await readPlays(streamOf(cutAt(bytes, [cut])));
      expect(plays).toEqual([
        { item: 'SOAAA', count: 15, line: 2 },
        { item: 'SOBBB', count: 1, line: 3 },
      ]);
    }
  });
});
