import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runJson, tempDir } from './cli-helpers.ts';

// Every command through the real binary on the tiny synthetic dataset, in the order a user
// would run them: generate → stats → prepare → train → evaluate → recommend/similar → compare.
// The files one command leaves for the next come from memoised steps (`generated`, `prepared`,
// `trained`), run by whichever test needs them first: no test relies on another having run.

let dir: string;
let remove: () => Promise<void>;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  ({ dir, remove } = await tempDir('commands'));
});
afterAll(async () => {
  await remove();
});

type Item = { id: string; score: number; artist: string | null; title: string | null };

/** `make` run once, on first use; later calls share its result. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= make();
    return result;
  };
}

/** `autorec generate` of the tiny preset, with the first listener and the songs they played. */
const generated = once(async () => {
  const result = await runJson([
    'generate',
    '--preset',
    'tiny',
    '--out',
    path('plays.tsv'),
    '--tracks',
    path('tracks.txt'),
  ]);
  const lines = (await readFile(path('plays.tsv'), 'utf8')).trim().split('\n');
  const firstUser = lines[0].split('\t')[0];
  const userSongs = lines.filter((l) => l.startsWith(`${firstUser}\t`)).map((l) => l.split('\t')[1]);
  return { ...result, lines, firstUser, userSongs };
});

/** `autorec prepare` of the generated plays into `prep/`. */
const prepared = once(async () => {
  await generated();
  return runJson([
    'prepare',
    '--input',
    path('plays.tsv'),
    '--metadata',
    path('tracks.txt'),
    '--split',
    'holdout:0.1',
    '--seed',
    '7',
    '--out',
    path('prep'),
  ]);
});

/** `autorec train` of svd (`m-svd/`) and u-autorec (`m-auto/`) on the prepared cache. */
const trained = once(async () => {
  await prepared();
  const svd = await runJson([
    'train',
    '--data',
    path('prep'),
    '--model',
    'svd',
    '--epochs',
    '3',
    '--factors',
    '8',
    '--out',
    path('m-svd'),
  ]);
  const auto = await runJson([
    'train',
    '--data',
    path('prep'),
    '--model',
    'u-autorec',
    '--hidden',
    '8',
    '--epochs',
    '2',
    '--param',
    'patience=2',
    '--out',
    path('m-auto'),
  ]);
  return { svd, auto };
});

describe('autorec commands on tiny data', () => {
  it('generate writes a Taste Profile file and its song metadata', async () => {
    const { run, json, lines, firstUser, userSongs } = await generated();
    expect(run.code).toBe(0);
    expect(json).toMatchObject({ preset: 'tiny', users: 200 });
    expect(json.interactions).toBeGreaterThan(3000);
    expect(lines).toHaveLength(json.interactions as number);
    const [user, song, count] = lines[0].split('\t');
    expect(user).toMatch(/^[0-9a-f]{40}$/);
    expect(song).toMatch(/^SO[A-Z]{5}12A[0-9A-F]{8}$/);
    expect(Number(count)).toBeGreaterThan(0);
    expect(firstUser).toBe(user);
    expect(userSongs).toContain(song);
    expect(await readFile(path('tracks.txt'), 'utf8')).toContain(`<SEP>${song}<SEP>`);
  });

  it('stats counts users, songs and plays, and with --lenient reports bad lines', async () => {
    await generated();
    const { run, json } = await runJson(['stats', '--input', path('plays.tsv')]);
    expect(run.code).toBe(0);
    expect(json).toMatchObject({ users: 200, format: 'taste-profile' });
    expect(json.items).toBeGreaterThan(100);
    expect(json.density).toBeGreaterThan(0);
    expect((json.playCount as { p50: number }).p50).toBeGreaterThanOrEqual(1);

    const text = await readFile(path('plays.tsv'), 'utf8');
    await writeFile(path('bad.tsv'), `${text}someone\tSOBROKEN\tmany\n`);
    const strict = await runCli(['stats', '--input', path('bad.tsv')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/bad\.tsv, line \d+, field 'play_count'/);
    const lenient = await runJson(['stats', '--input', path('bad.tsv'), '--lenient']);
    expect(lenient.run.code).toBe(0);
    expect(lenient.json.parse).toMatchObject({ skipped: 1 });
  });

  it('prepare writes a cache folder with the split and transform', async () => {
    const { run, json } = await prepared();
    expect(run.code).toBe(0);
    expect(json).toMatchObject({
      users: 200,
      transform: { name: 'log-bins' },
      split: { method: 'random', test: 0.1, seed: 7 },
    });
    expect(json.itemsWithInfo).toBe(json.items);
    const summary = JSON.parse(await readFile(path('prep/prepare.json'), 'utf8'));
    expect(summary.split.interactions).toEqual((json.split as { interactions: unknown }).interactions);
    expect(summary.split.interactions.test).toBeGreaterThan(400);
  });

  it('train saves svd and u-autorec models trained on the cache', async () => {
    const { svd, auto } = await trained();
    expect(svd.run.code).toBe(0);
    expect(svd.json).toMatchObject({ model: 'svd', epochs: 3, hyperParameters: { factors: 8, epochs: 3 } });
    expect((svd.json.test as { rmse: number }).rmse).toBeGreaterThan(0);
    expect(auto.run.code).toBe(0);
    expect(auto.json).toMatchObject({ model: 'u-autorec', hyperParameters: { hiddenUnits: 8, patience: 2 } });
    expect(auto.json.curve).toHaveLength(auto.json.epochs as number);
    expect(auto.run.stderr).toMatch(/u-autorec: epoch 1\/2 .*val RMSE/);
    const manifest = JSON.parse(await readFile(path('m-auto/manifest.json'), 'utf8'));
    expect(manifest.model).toBe('u-autorec');
  });

  it('evaluate reports rating and ranking metrics on the cache test split', async () => {
    await trained();
    const { run, json } = await runJson([
      'evaluate',
      '--model',
      path('m-auto'),
      '--data',
      path('prep'),
      '-k',
      '5',
    ]);
    expect(run.code).toBe(0);
    const metrics = json.metrics as Record<string, number>;
    expect(metrics.rmse).toBeGreaterThan(0);
    expect(metrics.mae).toBeGreaterThan(0);
    expect(metrics['ndcg@5']).toBeGreaterThanOrEqual(0);
    expect(metrics['precision@5']).toBeLessThanOrEqual(1);
    expect(json.protocol).toBe('holdout');
  });

  it('recommend gives top-N with artist and title, never a song the listener played', async () => {
    await trained();
    const { firstUser, userSongs } = await generated();
    const byUser = await runJson<{ items: Item[] }>([
      'recommend',
      '--model',
      path('m-auto'),
      '--user',
      firstUser,
      '-k',
      '10',
    ]);
    expect(byUser.run.code).toBe(0);
    expect(byUser.json.items).toHaveLength(10);
    // Nothing the listener is known to have played — training, validation or test — is listed.
    expect(byUser.json.items.filter((i) => userSongs.includes(i.id))).toEqual([]);
    expect(byUser.run.stderr).toMatch(/model: u-autorec \(hiddenUnits 8/);
    for (const item of byUser.json.items) {
      expect(item.artist).toBeTruthy();
      expect(item.title).toBeTruthy();
    }
    const scores = byUser.json.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const mine = userSongs.slice(0, 5);
    await writeFile(
      path('mine.tsv'),
      `${mine.map((s, i) => `${s}\t${i + 1}`).join('\n')}\nSONOTINTHEDATA\t3\n`,
    );
    const byPlays = await runJson<{ items: Item[]; ignoredSongs: string[] }>([
      'recommend',
      '--model',
      path('m-svd'),
      '--plays',
      path('mine.tsv'),
      '-k',
      '7',
    ]);
    expect(byPlays.run.code).toBe(0);
    expect(byPlays.json.items).toHaveLength(7);
    expect(byPlays.json.items.some((i) => mine.includes(i.id))).toBe(false);
    expect(byPlays.json.ignoredSongs).toEqual(['SONOTINTHEDATA']);
  });

  it("recommend --all-users writes every user's top-N to a TSV file, as recommend --user would", async () => {
    await trained();
    const { firstUser, userSongs } = await generated();
    const { run, json } = await runJson<{ users: number; k: number; out: string }>([
      'recommend',
      '--model',
      path('m-auto'),
      '--all-users',
      '--out',
      path('all-users.tsv'),
      '-k',
      '5',
    ]);
    expect(run.code).toBe(0);
    const lines = (await readFile(path('all-users.tsv'), 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('user\trank\tsong\tscore');
    expect(json.k).toBe(5);
    expect(lines).toHaveLength(1 + 5 * json.users);
    const first = lines
      .slice(1)
      .filter((l) => l.startsWith(`${firstUser}\t`))
      .map((l) => l.split('\t'));
    expect(first.map((f) => f[1])).toEqual(['1', '2', '3', '4', '5']);
    for (const f of first) expect(userSongs).not.toContain(f[2]);
    const single = await runJson<{ items: Item[] }>([
      'recommend',
      '--model',
      path('m-auto'),
      '--user',
      firstUser,
      '-k',
      '5',
    ]);
    expect(first.map((f) => f[2])).toEqual(single.json.items.map((i) => i.id));

    const noOut = await runCli(['recommend', '--model', path('m-auto'), '--all-users']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--all-users needs --out FILE/);
    const both = await runCli([
      'recommend',
      '--model',
      path('m-auto'),
      '--all-users',
      '--user',
      firstUser,
      '--out',
      'x',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --user ID, --plays FILE or --all-users/);
  });

  it('similar lists the most similar songs, without the song itself', async () => {
    await trained();
    const { userSongs } = await generated();
    const { run, json } = await runJson<{ song: Item; items: Item[] }>([
      'similar',
      '--model',
      path('m-auto'),
      '--song',
      userSongs[0],
      '-k',
      '4',
    ]);
    expect(run.code).toBe(0);
    expect(json.song.id).toBe(userSongs[0]);
    expect(json.song.artist).toBeTruthy();
    expect(json.items).toHaveLength(4);
    expect(json.items.map((i) => i.id)).not.toContain(userSongs[0]);
  });
});

describe('autorec compare', () => {
  type Row = Record<string, number | string | null>;

  it('runs every model on the same split and prints one table as JSON', async () => {
    const { run, json } = await runJson<{ dataset: Row; split: Row; backend: string; results: Row[] }>([
      'compare',
      '--preset',
      'tiny',
      '--models',
      'svd,u-autorec,i-autorec,baseline',
      '--epochs',
      '2',
      '--hidden',
      '8',
      '--factors',
      '8',
    ]);
    expect(run.code).toBe(0);
    expect(json.dataset).toMatchObject({ users: 200, transform: 'log-bins' });
    expect(json.split).toMatchObject({ method: 'random', seed: 42 });
    expect(json.backend).toMatch(/js/);
    // popularity, the line every recommender must beat, is always added.
    expect(json.results.map((r) => r.model)).toEqual([
      'svd',
      'u-autorec',
      'i-autorec',
      'baseline',
      'popularity',
    ]);
    for (const r of json.results.filter((x) => x.model !== 'popularity')) {
      for (const key of [
        'rmse',
        'mae',
        'rmseWarm',
        'precision@10',
        'recall@10',
        'ndcg@10',
        'trainSeconds',
        'epochs',
      ])
        expect(typeof r[key], `${r.model}.${key}`).toBe('number');
      expect(r).toHaveProperty('rmseCold');
      expect(r.rmse as number).toBeGreaterThan(0.3);
      expect(r.rmse as number).toBeLessThan(2.5);
    }
    expect(json.results[1].epochs).toBeLessThanOrEqual(2);
  });

  it('runs k-fold cross-validation with means and standard deviations', async () => {
    const { run, json } = await runJson<{ split: Row; results: (Row & { sd: Record<string, number> })[] }>([
      'compare',
      '--preset',
      'tiny',
      '--models',
      'svd,baseline',
      '--split',
      'kfold:3',
      '--epochs',
      '2',
    ]);
    expect(run.code).toBe(0);
    expect(json.split).toMatchObject({ method: 'k-fold', folds: 3 });
    expect(json.results).toHaveLength(3);
    expect(json.results[0].sd.rmse).toBeGreaterThan(0);
    expect(run.stderr).toContain('[fold 3/3]');
    // Per-fold values and tests across folds come from core; popularity is always added.
    const [svd, baseline, popularity] = json.results as unknown as (Row & {
      perFold: Record<string, number[]>;
      acrossFolds?: Record<string, { folds: number; pValueT: number }>;
      rankingVsReference?: { model: string };
    })[];
    expect(popularity.model).toBe('popularity');
    expect(svd.perFold.rmse).toHaveLength(3);
    expect(svd.rmse).toBeCloseTo(svd.perFold.rmse.reduce((a, b) => a + b, 0) / 3, 10);
    expect(svd.perFold['ndcg@100']).toHaveLength(3);
    expect(baseline.acrossFolds?.rmse.folds).toBe(3);
    expect(baseline.rankingVsReference?.model).toBe('popularity');
    // Validation is carved inside each fold: SVD early-stops on it (a validation RMSE per epoch).
    expect(json.split).toMatchObject({ validation: expect.any(Number) });
    expect(json.split.validation as number).toBeGreaterThan(0);
  });

  it('compares and trains on a split given as two files; --split none trains a final model', async () => {
    const generated = await runCli(['generate', '--preset', 'tiny', '--out', path('given-all.tsv')]);
    expect(generated.code).toBe(0);
    const plays = (await readFile(path('given-all.tsv'), 'utf8')).trim().split('\n');
    // A fixed 80/20 cut of the generated plays, written as two files.
    await writeFile(path('given-train.tsv'), `${plays.filter((_, i) => i % 5 !== 0).join('\n')}\n`);
    await writeFile(path('given-test.tsv'), `${plays.filter((_, i) => i % 5 === 0).join('\n')}\n`);
    const split = `files:${path('given-train.tsv')},${path('given-test.tsv')}`;
    const { run, json } = await runJson<{ split: Row; results: Row[] }>([
      'compare',
      '--split',
      split,
      '--models',
      'baseline',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const testPlays = plays.filter((_, i) => i % 5 === 0).length;
    expect(json.split).toMatchObject({ method: 'given', test: testPlays });
    // Validation is carved from the training file only: train + validation = the training file.
    expect((json.split.train as number) + (json.split.validation as number)).toBe(plays.length - testPlays);
    expect(json.results.map((r) => r.model)).toEqual(['baseline', 'popularity']);
    const clash = await runCli(['compare', '--split', split, '--preset', 'tiny']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/reads its own two files; leave out --preset/);

    const final = await runJson([
      'train',
      '--input',
      path('given-all.tsv'),
      '--model',
      'baseline',
      '--split',
      'none',
      '--out',
      path('m-final'),
    ]);
    expect(final.run.code, final.run.stderr).toBe(0);
    expect(final.json.test).toBeNull();
    expect(final.json.split).toEqual({ method: 'random', test: 0, validation: 0 });
    const manifest = JSON.parse(await readFile(path('m-final/manifest.json'), 'utf8'));
    expect(manifest.model).toBe('baseline');
    // Without --model, train makes the default recommender, chosen for ranking, and says so.
    const byDefault = await runJson(['train', '--input', path('given-all.tsv'), '--out', path('m-default')]);
    expect(byDefault.run.code, byDefault.run.stderr).toBe(0);
    expect(byDefault.json.model).toBe('ials');
    expect(byDefault.run.stderr).toMatch(/no --model: training the default recommender, ials/);
    const none = await runCli(['compare', '--preset', 'tiny', '--split', 'none']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--split none leaves nothing to test on/);
  });

  it('compares on a prepared cache and refuses --split there', async () => {
    await prepared();
    const ok = await runJson<{ results: Row[]; split: Row }>([
      'compare',
      '--data',
      path('prep'),
      '--models',
      'baseline,popularity',
    ]);
    expect(ok.run.code).toBe(0);
    expect(ok.json.split).toMatchObject({ seed: 7 });
    expect(ok.json.results.map((r) => r.model)).toEqual(['baseline', 'popularity']);
    const bad = await runCli(['compare', '--data', path('prep'), '--split', 'holdout:0.2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--split does not apply to --data');
  });

  it('train, evaluate and compare report the same RMSE for held-out users (scored by fold-in)', async () => {
    const cache = path('prep-held-out');
    const prepared = await runJson([
      'prepare',
      '--synthetic',
      'tiny',
      '--split',
      'held-out-users:30:10',
      '--out',
      cache,
    ]);
    expect(prepared.run.code).toBe(0);
    const model = path('m-held-out');
    const trained = await runJson<{ test: { rmse: number } }>([
      'train',
      '--data',
      cache,
      '--model',
      'baseline',
      '--out',
      model,
    ]);
    const evaluated = await runJson<{ protocol: string; metrics: Record<string, number> }>([
      'evaluate',
      '--model',
      model,
      '--data',
      cache,
    ]);
    const compared = await runJson<{ protocol: string; results: Row[] }>([
      'compare',
      '--data',
      cache,
      '--models',
      'baseline',
    ]);
    expect([trained.run.code, evaluated.run.code, compared.run.code]).toEqual([0, 0, 0]);
    expect(evaluated.json.protocol).toBe('held-out-users');
    expect(compared.json.protocol).toBe('held-out-users');
    const rmse = compared.json.results[0].rmse as number;
    expect(trained.json.test.rmse).toBeCloseTo(rmse, 10);
    expect(evaluated.json.metrics.rmse).toBeCloseTo(rmse, 10);
  });
});

describe('errors a user can cause', () => {
  /** One message line and one hint line on stderr, no stack trace. */
  function expectOneLine(stderr: string, pattern: RegExp): void {
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^autorec: /);
    expect(lines[0]).toMatch(pattern);
    expect(lines[1]).toMatch(/^ {2}hint: /);
    expect(lines.length).toBe(2);
    expect(stderr).not.toMatch(/\n\s+at /);
  }

  it('a missing file: exit 1, one line naming it', async () => {
    const r = await runCli(['stats', '--input', 'does/not/exist.tsv']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /does\/not\/exist\.tsv: file not found/);
    expect(r.stdout).toBe('');
  });

  it('a file in the wrong format: exit 1, naming the line and field', async () => {
    await generated();
    const r = await runCli(['stats', '--input', path('plays.tsv'), '--format', 'movielens']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /plays\.tsv, line 1/);
  });

  it('an unknown model, a bad value or an unknown flag: usage error, exit 2', async () => {
    const model = await runCli(['train', '--model', 'deep-magic', '--preset', 'tiny', '--out', path('x')]);
    expect(model.code).toBe(2);
    expectOneLine(model.stderr, /deep-magic.*use one of u-autorec, i-autorec, svd/);
    const value = await runCli(['compare', '--epochs', 'many']);
    expect(value.code).toBe(2);
    expectOneLine(value.stderr, /--epochs.*must be a whole number/);
    const flag = await runCli(['stats', '--inptu', 'x']);
    expect(flag.code).toBe(2);
    expectOneLine(flag.stderr, /unknown option '--inptu'/);
    const option = await runCli(['compare', '--preset', 'tiny', '--models', 'svd', '--hidden', '10']);
    expect(option.code).toBe(2);
    expectOneLine(option.stderr, /--hidden does not apply to svd/);
    const param = await runCli([
      'train',
      '--model',
      'svd',
      '--preset',
      'tiny',
      '--param',
      'epochs',
      '--out',
      path('x'),
    ]);
    expect(param.code).toBe(2);
    expectOneLine(param.stderr, /argument 'epochs' is invalid\. write it as KEY=VALUE/);
  });

  it('an unknown user or song: exit 1 with a hint', async () => {
    await trained();
    const user = await runCli(['recommend', '--model', path('m-svd'), '--user', 'nobody']);
    expect(user.code).toBe(1);
    expectOneLine(user.stderr, /unknown user 'nobody'/);
    const song = await runCli(['similar', '--model', path('m-svd'), '--song', 'SONOSUCHSONG']);
    expect(song.code).toBe(1);
    expectOneLine(song.stderr, /unknown item 'SONOSUCHSONG'/);
    const model = await runCli(['recommend', '--model', path('no-model-here'), '--user', 'x']);
    expect(model.code).toBe(1);
    expectOneLine(model.stderr, /model folder .* not found/);
  });

  it('--json failures still print one JSON document on stdout', async () => {
    const r = await runCli(['stats', '--input', 'nope.tsv', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { message: 'nope.tsv: file not found', exitCode: 1 },
    });
    const usage = await runCli(['compare', '--split', 'sideways', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error.message).toContain('unknown split');
  });

  it('no command outside a terminal waits for nothing: a hint and exit 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no command given');
  });
});
