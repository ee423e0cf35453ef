import { describe, expect, it } from 'vitest';
import { entries, fixture } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import { readInteractions } from './read.ts';

const read = (text: string, mode: 'strict' | 'lenient' = 'strict') =>
  readInteractions(text, { format: 'taste-profile', name: 'train_triplets.txt', mode });

async function strictError(text: string): Promise<DataError> {
  const error = await read(text).catch((e) => e);
  expect(error).toBeInstanceOf(DataError);
  return error;
}

describe('taste-profile', () => {
  it('reads the sample into a user × song matrix of play counts', async () => {
    const ds = await readInteractions(fixture('taste-profile.txt'), { format: 'taste-profile' });
    expect(ds.format).toBe('taste-profile');
    expect(ds.explicit).toBe(false);
    expect(ds.users.toArray()).toEqual([
      'b80344d063b5ccb3212f76538f3d9e43d87dca9e',
      '85c1f87fea955d09b4bec2e36aee110927aad554',
    ]);
    expect(ds.items.size).toBe(4);
    expect(entries(ds)).toEqual([
      '85c1f87fea955d09b4bec2e36aee110927aad554 SOAKIMP12A8C130995 5',
      '85c1f87fea955d09b4bec2e36aee110927aad554 SODDNQT12A6D4F5F7E 12',
      'b80344d063b5ccb3212f76538f3d9e43d87dca9e SOAKIMP12A8C130995 1',
      'b80344d063b5ccb3212f76538f3d9e43d87dca9e SOBBMDR12A8C13253B 2',
      'b80344d063b5ccb3212f76538f3d9e43d87dca9e SOBXHDL12A81C204C0 1',
    ]);
    expect(ds.report).toMatchObject({ source: '<stream>', lines: 5, accepted: 5, skipped: 0, duplicates: 0 });
    expect(ds.itemInfo).toBeUndefined();
  });

  it('sums repeated (user, song) pairs and counts them', async () => {
    const ds = await read('u1\ts1\t2\nu1\ts2\t1\nu2\ts1\t1\nu1\ts1\t3\nu1\ts1\t1\n');
    expect(entries(ds)).toEqual(['u1 s1 6', 'u1 s2 1', 'u2 s1 1']);
    expect(ds.report).toMatchObject({ accepted: 5, duplicates: 2 });
  });

  it('handles a BOM, CRLF, blank lines and a missing final newline', async () => {
    const ds = await read('\uFEFFu1\ts1\t2\r\n\r\nu2\ts2\t1\r\nu2\ts1\t4');
    expect(entries(ds)).toEqual(['u1 s1 2', 'u2 s1 4', 'u2 s2 1']);
    expect(ds.report).toMatchObject({ lines: 4, accepted: 3, skipped: 0 });
  });

  it('rejects empty input in both modes', async () => {
    for (const text of ['', '\n\n', '\uFEFF']) {
      await expect(read(text)).rejects.toThrow('train_triplets.txt: no data lines');
      await expect(read(text, 'lenient')).rejects.toThrow('train_triplets.txt: no data lines');
    }
  });

  const bad: [string, string, RegExp][] = [
    [
      'wrong column count',
      'u1\ts2\n',
      /^train_triplets\.txt, line 2: expected 3 tab-separated fields, found 2$/,
    ],
    ['extra column', 'u1\ts2\t1\tx\n', /line 2: expected 3 tab-separated fields, found 4$/],
    ['empty user id', '\ts2\t1\n', /line 2, field 'user_id': empty id$/],
    ['empty song id', 'u1\t\t1\n', /line 2, field 'song_id': empty id$/],
    ['empty count', 'u1\ts2\t\n', /line 2, field 'play_count': empty value$/],
    ['non-numeric count', 'u1\ts2\tmany\n', /line 2, field 'play_count': not a number: "many"$/],
    ['non-finite count', 'u1\ts2\t1e999\n', /line 2, field 'play_count': not a finite number: "1e999"$/],
    ['NaN count', 'u1\ts2\tNaN\n', /line 2, field 'play_count': not a number: "NaN"$/],
    ['zero count', 'u1\ts2\t0\n', /line 2, field 'play_count': must be positive, got "0"$/],
    ['negative count', 'u1\ts2\t-3\n', /line 2, field 'play_count': must be positive, got "-3"$/],
    [
      'fractional count',
      'u1\ts2\t2.5\n',
      /line 2, field 'play_count': play count must be a whole number, got "2.5"$/,
    ],
  ];

  for (const [what, line, message] of bad) {
    it(`strict mode stops at a line with ${what}, naming file, line and field`, async () => {
      const error = await strictError(`u0\ts1\t1\n${line}u3\ts1\t1\n`);
      expect(error.message).toMatch(message);
      expect(error.location.line).toBe(2);
    });

    it(`lenient mode skips a line with ${what} and reports it`, async () => {
      const ds = await read(`u0\ts1\t1\n${line}u3\ts1\t1\n`, 'lenient');
      expect(entries(ds)).toEqual(['u0 s1 1', 'u3 s1 1']);
      expect(ds.report?.skipped).toBe(1);
      expect(ds.report?.problems).toHaveLength(1);
      expect(ds.report?.problems[0].line).toBe(2);
      // The reason reads like the strict-mode message without the file and line.
      const reason = ds.report?.problems[0].reason ?? '';
      expect(`train_triplets.txt, line 2${reason.startsWith('field') ? ', ' : ': '}${reason}`).toMatch(
        message,
      );
      // A skipped line leaves no user or song behind.
      expect(ds.users.toArray()).toEqual(['u0', 'u3']);
      expect(ds.items.toArray()).toEqual(['s1']);
    });
  }

  it('keeps the first maxProblems problems and counts all', async () => {
    const text = `${'x\n'.repeat(15)}u1\ts1\t1\n`;
    const ds = await readInteractions(text, { format: 'taste-profile', mode: 'lenient', maxProblems: 3 });
    expect(ds.report?.skipped).toBe(15);
    expect(ds.report?.problems.map((p) => p.line)).toEqual([1, 2, 3]);
  });

  it('is an error when every line is bad, even in lenient mode', async () => {
    await expect(read('a\nb\n', 'lenient')).rejects.toThrow(
      /train_triplets\.txt: no valid data lines: all 2 were skipped; first problem at line 1: expected 3/,
    );
  });
});
