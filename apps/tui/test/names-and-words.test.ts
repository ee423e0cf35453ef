import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runJson, tempDir } from './cli-helpers.ts';

/**
 * Words that fit the data and names instead of ids (issue 14, items 3 and 4), on small Last.fm
 * HetRec and MovieLens files written here: metal fans and pop fans, a Latin-1 movie title.
 */
const ARTISTS = [
  [1, 'Metallica'],
  [2, 'Iron Maiden'],
  [3, 'Motörhead'],
  [4, 'Slayer'],
  [5, 'Britney Spears'],
  [6, 'Lady Gaga'],
  [7, 'Rihanna'],
  [8, 'Genesis'],
  [9, 'genesis'],
] as const;
const METAL = [1, 2, 3, 4];
const POP = [5, 6, 7];

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove } = await tempDir('words'));
  const lines = ['userID\tartistID\tweight'];
  for (let u = 1; u <= 24; u++) {
    const likes = u % 2 === 0 ? METAL : POP;
    for (const [j, a] of likes.entries()) if ((u + j) % 4 !== 0) lines.push(`${u}\t${a}\t${10 * u + j}`);
    if (u % 5 === 0) lines.push(`${u}\t${8 + (u % 2)}\t3`);
  }
  await writeFile(join(dir, 'user_artists.dat'), `${lines.join('\n')}\n`);
  await writeFile(
    join(dir, 'artists.dat'),
    `id\tname\turl\tpictureURL\n${ARTISTS.map(([id, name]) => `${id}\t${name}\thttp://x\t`).join('\n')}\n`,
  );
  const ratings = ['1\t1\t5\t0', '1\t2\t4\t0', '2\t1\t3\t0', '2\t3\t5\t0', '3\t2\t2\t0', '3\t3\t4\t0'];
  await writeFile(join(dir, 'u.data'), `${ratings.join('\n')}\n`);
  // u.item is Latin-1: é is the single byte 0xE9.
  await writeFile(
    join(dir, 'u.item'),
    Buffer.from(
      '1|Toy Story (1995)|x||u|0\n2|Heat (1995)|x||u|0\n3|Mis\xe9rables, Les (1995)|x||u|0\n',
      'latin1',
    ),
  );
  for (const model of ['popularity', 'ease']) {
    const train = await runCli([
      'train',
      '--input',
      join(dir, 'user_artists.dat'),
      '--format',
      'lastfm-hetrec',
      '--metadata',
      join(dir, 'artists.dat'),
      '--model',
      model,
      '--split',
      'none',
      '--out',
      join(dir, model),
    ]);
    expect(train.code, train.stderr).toBe(0);
  }
}, 120_000);

afterAll(() => remove?.());

describe('--plays written with names', () => {
  it('finds artists by name (case and accents ignored) and says in text mode which lines were left out and why', async () => {
    await writeFile(
      join(dir, 'fan.tsv'),
      'artist\tplays\nMetallica\t707\nmotorhead\t30\nSlayer,12\nNobody Here\t4\nGENESIS\t1\n',
    );
    const run = await runCli([
      'recommend',
      '--model',
      join(dir, 'ease'),
      '--plays',
      join(dir, 'fan.tsv'),
      '-k',
      '3',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/│ # │ artist +│ id │ score \(higher ranks first\) │/);
    // The fan's other metal artists come first; what they named is never listed back.
    expect(run.stdout).toContain('Iron Maiden');
    expect(run.stdout).not.toMatch(/Metallica|Motörhead/);
    expect(run.stderr).toContain('3 line(s) of');
    expect(run.stderr).toContain(
      "line 4: 'Slayer,12': no artist is named this, but 'Slayer' is: the file is tab-separated",
    );
    expect(run.stderr).toContain("line 5: 'Nobody Here': no artist has this id or name");
    expect(run.stderr).toContain(
      "line 6: 'GENESIS': matches 2 artists: genesis (id 9), Genesis (id 8); write the id instead",
    );
  });

  it('keeps the ignored lines in JSON, and fails naming every line when nothing is known', async () => {
    const { json } = await runJson<{ ignoredSongs: string[]; ignored: { line: number; reason: string }[] }>([
      'recommend',
      '--model',
      join(dir, 'ease'),
      '--plays',
      join(dir, 'fan.tsv'),
    ]);
    expect(json.ignoredSongs).toEqual(['Slayer,12', 'Nobody Here', 'GENESIS']);
    expect(json.ignored.map((i) => i.line)).toEqual([4, 5, 6]);
    await writeFile(join(dir, 'nobody.tsv'), 'Nobody\t3\nNo One\n');
    const run = await runCli(['recommend', '--model', join(dir, 'ease'), '--plays', join(dir, 'nobody.tsv')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('none of the 2 artists in');
    expect(run.stderr).toContain("line 2: 'No One': no artist has this id or name");
  });

  it('similar takes a name too; an ambiguous one lists the candidates', async () => {
    const run = await runCli(['similar', '--model', join(dir, 'ease'), '--song', 'iron maiden', '-k', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('similar to Iron Maiden:');
    const ambiguous = await runCli(['similar', '--model', join(dir, 'ease'), '--song', 'GENESIS']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain("'GENESIS' matches 2 artists: genesis (id 9), Genesis (id 8)");
  });

  it('recommend --all-users --out /dev/stdout writes only the lists to stdout, the summary to stderr', async () => {
    const run = await runCli([
      'recommend',
      '--model',
      join(dir, 'ease'),
      '--all-users',
      '--out',
      '/dev/stdout',
      '-k',
      '2',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('user\trank\tsong\tscore');
    expect(lines).toHaveLength(1 + 24 * 2);
    expect(run.stderr).toContain('wrote the top 2 songs of each of 24 users to /dev/stdout');
  });

  it('popularity lists listener counts as whole numbers, under that name', async () => {
    const run = await runCli(['recommend', '--model', join(dir, 'popularity'), '--user', '1', '-k', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/│ listeners │/);
    expect(run.stdout).toMatch(/│ +\d+ │\n/);
    expect(run.stdout).not.toMatch(/\d\.000/);
  });

  it('an unknown user points to stats --users, which lists the most active ids', async () => {
    const unknown = await runCli(['recommend', '--model', join(dir, 'ease'), '--user', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('`autorec stats --users` on it lists their ids');
    const input = ['--input', join(dir, 'user_artists.dat'), '--format', 'lastfm-hetrec'];
    const { json } = await runJson<{ users: number; listed: { id: string; items: number; plays: number }[] }>(
      ['stats', ...input, '--users', '2'],
    );
    expect(json.users).toBe(24);
    // Most artists first, then most plays: users 10 and 20 have 3 metal artists and a Genesis.
    expect(json.listed).toEqual([
      { id: '20', items: 4, plays: 201 + 202 + 203 + 3 },
      { id: '10', items: 4, plays: 100 + 101 + 103 + 3 },
    ]);
    const text = await runCli(['stats', ...input, '--users', '2']);
    expect(text.stdout).toContain('the 2 most active of 24 listeners');
    expect(text.stdout).toMatch(/│ # │ listener │ artists │ plays │/);
  });
});

describe('MovieLens in its own words', () => {
  it('stats counts raters, movies and ratings (not a sum of stars) and reads u.item titles', async () => {
    const run = await runCli([
      'stats',
      '--input',
      join(dir, 'u.data'),
      '--format',
      'movielens',
      '--metadata',
      join(dir, 'u.item'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    for (const row of [
      /│ raters +│ 3 +│/,
      /│ movies +│ 3 +│/,
      /│ ratings +│ 6 +│/,
      /│ movies with title +│ 3 +│/,
    ])
      expect(run.stdout).toMatch(row);
    expect(run.stdout).not.toMatch(/plays|listeners|artist/);
    expect(run.stdout).toMatch(/│ raters per movie /);
  });

  it('prepare says raters, movies and ratings for MovieLens', async () => {
    const run = await runCli([
      'prepare',
      '--input',
      join(dir, 'u.data'),
      '--format',
      'movielens',
      '--split',
      'none',
      '--out',
      join(dir, 'ml-prep'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 raters × 3 movies, 6 ratings');
  });

  it('lists movies with their Latin-1 titles under the word movie', async () => {
    const out = join(dir, 'ml-pop');
    const input = [
      '--input',
      join(dir, 'u.data'),
      '--format',
      'movielens',
      '--metadata',
      join(dir, 'u.item'),
    ];
    const train = await runCli(['train', ...input, '--model', 'popularity', '--split', 'none', '--out', out]);
    expect(train.code, train.stderr).toBe(0);
    const run = await runCli(['recommend', '--model', out, '--user', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/│ # │ movie +│ id │ listeners │/);
    expect(run.stdout).toContain('Misérables, Les (1995)');
  });
});
