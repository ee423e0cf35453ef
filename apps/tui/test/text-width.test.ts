import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textTable } from '../src/report/table.ts';
import { displayWidth, fitEnd, shortenPath, truncateMiddle } from '../src/text.ts';
import { runCli, tempDir } from './cli-helpers.ts';

/** Names from Last.fm's artists.dat whose display width is not their length, and two made-up ones. */
const WIDE = ['浜崎あゆみ', 'มาช่า วัฒนพานิช', '동방신기', 'Beyonce\u0301', '👩‍🎤 Star', 'Sigur Rós'];

describe('display width', () => {
  it('counts cells: wide characters two, combining marks none, an emoji sequence two', () => {
    expect(displayWidth('浜崎あゆみ')).toBe(10);
    expect(displayWidth('มาช่า วัฒนพานิช')).toBe(12);
    expect(displayWidth('Beyonce\u0301')).toBe(7);
    expect(displayWidth('👩‍🎤')).toBe(2);
  });

  it('fitEnd gives exactly the asked width for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom(...WIDE)),
        fc.integer({ min: 1, max: 40 }),
        (s, w) => {
          expect(displayWidth(fitEnd(s, w))).toBe(w);
        },
      ),
    );
  });

  it('long paths keep their start and file name', () => {
    const path = '/home/someone/music/datasets/lastfm/hetrec-2011-lastfm-2k/user_artists.dat';
    const short = shortenPath(path, 40);
    expect(displayWidth(short)).toBeLessThanOrEqual(40);
    expect(short).toMatch(/^\/home\/.*…\/user_artists\.dat$/);
    expect(displayWidth(truncateMiddle(path, 20))).toBeLessThanOrEqual(20);
  });

  it('text tables keep straight borders with wide names, and cut the shrinking column to the width', () => {
    const rows = WIDE.map((name, i) => [String(i + 1), name, (0.9 - i / 10).toFixed(3)]);
    const table = textTable({ head: ['#', 'artist', 'score'], rows, align: ['right', 'left', 'right'] });
    const widths = new Set(table.split('\n').map(displayWidth));
    expect(widths.size).toBe(1);
    const narrow = textTable({
      head: ['#', 'artist'],
      rows: [['1', 'The Long Name of a Band That Goes On and On and On Forever 浜崎あゆみ']],
      maxWidth: 30,
      shrink: 1,
    });
    for (const line of narrow.split('\n')) expect(displayWidth(line)).toBe(30);
    expect(narrow).toContain('…');
  });
});

describe('the CLI on data with wide names', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('wide'));
    // A small Last.fm-format dataset: 60 users over 12 artists, some with wide names.
    const lines = ['userID\tartistID\tweight'];
    for (let u = 1; u <= 60; u++)
      for (let a = 1; a <= 12; a++)
        if ((u * 7 + a * 3) % 5 < 3) lines.push(`${u}\t${a}\t${1 + ((u * a) % 40)}`);
    await writeFile(join(dir, 'user_artists.dat'), `${lines.join('\n')}\n`);
    const names = [...WIDE, 'Ace of Base', 'Ophelia', 'Porta', 'Tanju Duru', 'Amy Diamond', 'Raymond Scott'];
    await writeFile(
      join(dir, 'artists.dat'),
      `id\tname\turl\tpictureURL\n${names.map((n, i) => `${i + 1}\t${n}\thttp://x\thttp://y`).join('\n')}\n`,
    );
  });
  afterAll(() => remove());

  it('similar prints a table whose borders line up', async () => {
    const train = await runCli([
      'train',
      '--model',
      'svd',
      '--input',
      join(dir, 'user_artists.dat'),
      '--format',
      'lastfm-hetrec',
      '--metadata',
      join(dir, 'artists.dat'),
      '--out',
      join(dir, 'svd'),
    ]);
    expect(train.code, train.stderr).toBe(0);
    const run = await runCli(['similar', '--model', join(dir, 'svd'), '--song', '7', '-k', '11']);
    expect(run.code, run.stderr).toBe(0);
    const table = run.stdout.split('\n').filter((l) => /^[┌│├└]/.test(l));
    expect(table.length).toBe(11 + 4);
    expect(run.stdout).toContain('浜崎あゆみ');
    expect(new Set(table.map(displayWidth)).size).toBe(1);
  });
});
