import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { readInteractions } from './read.ts';

describe('csv', () => {
  it('maps columns by header name, with quoted fields', async () => {
    const ds = await readInteractions(fixture('plays.csv'), {
      format: 'csv',
      csv: { user: 'listener', item: 'track', count: 'plays' },
    });
    expect(entries(ds)).toEqual(['alice Hello, World 3', 'alice plain 2', 'bob Say "Hi" 1']);
    expect(ds.report).toMatchObject({ lines: 4, accepted: 3 });
  });

  it('maps columns by index, without a header, counting one play per line when there is no count', async () => {
    const ds = await readInteractions('a;x\nb;x\na;x\na;y\n', {
      format: 'csv',
      csv: { delimiter: ';', user: 0, item: 1 },
    });
    expect(entries(ds)).toEqual(['a x 2', 'a y 1', 'b x 1']);
    expect(ds.report?.duplicates).toBe(1);
  });

  it('accepts any delimiter string and positive non-integer weights', async () => {
    const ds = await readInteractions('u||i||0.25\n', {
      format: 'csv',
      csv: { delimiter: '||', user: 0, item: 1, count: 2 },
    });
    expect(entries(ds)).toEqual(['u i 0.25']);
  });

  it('fails in both modes when a named column is missing or an index is out of range', async () => {
    for (const mode of ['strict', 'lenient'] as const) {
      await expect(
        readInteractions('a,b\n1,2\n', {
          format: 'csv',
          name: 'x.csv',
          mode,
          csv: { user: 'a', item: 'song' },
        }),
      ).rejects.toThrow(`x.csv, line 1: no column named "song" in the header "a, b"`);
      await expect(
        readInteractions('1,2\n', { format: 'csv', name: 'x.csv', mode, csv: { user: 0, item: 5 } }),
      ).rejects.toThrow('x.csv, line 1: column 5 does not exist: the file has 2 columns');
    }
  });

  it('checks field counts, quotes, ids and counts per line', async () => {
    const csv = { user: 'u', item: 'i', count: 'n' };
    const read = (body: string, mode: 'strict' | 'lenient' = 'strict') =>
      readInteractions(`u,i,n\n${body}`, { format: 'csv', name: 'p.csv', mode, csv });
    await expect(read('a,b\n')).rejects.toThrow('p.csv, line 2: expected 3 comma-separated fields, found 2');
    await expect(read('"a,b,1\n')).rejects.toThrow(
      'p.csv, line 2: unterminated quoted field starting at byte 1',
    );
    await expect(read('"a"x,b,1\n')).rejects.toThrow(
      'p.csv, line 2: unexpected text after the closing quote of field 1',
    );
    await expect(read(',b,1\n')).rejects.toThrow("p.csv, line 2, field 'u': empty id");
    await expect(read('a,b,-1\n')).rejects.toThrow(`p.csv, line 2, field 'n': must be positive, got "-1"`);
    await expect(read('a,b,x\n')).rejects.toThrow(`p.csv, line 2, field 'n': not a number: "x"`);
    await expect(read('a,b,Infinity\n')).rejects.toThrow(
      `p.csv, line 2, field 'n': not a number: "Infinity"`,
    );
    const ds = await read('a,b\n"a","b",2\n', 'lenient');
    expect(entries(ds)).toEqual(['a b 2']);
    expect(ds.report?.problems).toEqual([{ line: 2, reason: 'expected 3 comma-separated fields, found 2' }]);
  });

  it('needs a column mapping, and a header for names', async () => {
    await expect(readInteractions('a,b\n', { format: 'csv' })).rejects.toThrow(/needs the column mapping/);
    await expect(
      readInteractions('a,b\n', { format: 'csv', csv: { user: 'a', item: 'b', header: false } }),
    ).rejects.toThrow(/need a header line/);
  });
});
