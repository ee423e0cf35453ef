import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, runJson, tempDir } from './cli-helpers.ts';

// Hostile and degenerate input through the real binary (issue 8): each case ends with one clear
// line naming the problem, never a crash, a hang or unbounded memory.

let dir: string;
let remove: () => Promise<void>;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  ({ dir, remove } = await tempDir('hostile'));
});
afterAll(async () => {
  await remove();
});

/** One message line and one hint line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^autorec: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(lines.length).toBe(2);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('input that would exhaust memory', () => {
  it('/dev/zero stops at the line cap with an error naming line 1', async () => {
    const r = await runCli(['stats', '--input', '/dev/zero']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /\/dev\/zero, line 1: the line is longer than 1,048,576 bytes/);
  });

  it('a gzip bomb of zeros stops at the line cap, in lenient mode too', async () => {
    await writeFile(path('zeros.gz'), gzipSync(Buffer.alloc(64 << 20), { level: 1 }));
    const r = await runCli(['stats', '--input', path('zeros.gz'), '--lenient']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /zeros\.gz, line 1: the line is longer than 1,048,576 bytes/);
  });

  it('a duplicate-line bomb is merged as it is read, and a sum past 2^24 is refused', async () => {
    await writeFile(path('dups.gz'), gzipSync(Buffer.from('u\ts\t4\n'.repeat(1_000_000)), { level: 1 }));
    const { run, json } = await runJson<{
      interactions: number;
      plays: number;
      parse: { duplicates: number };
    }>(['stats', '--input', path('dups.gz')]);
    expect(run.code).toBe(0);
    expect(json).toMatchObject({ interactions: 1, plays: 4_000_000, parse: { duplicates: 999_999 } });
    await writeFile(path('too-many.tsv'), 'u\ts\t16777000\nu\ts\t1000\n');
    const over = await runCli(['stats', '--input', path('too-many.tsv')]);
    expect(over.code).toBe(1);
    expectOneLine(
      over.stderr,
      /too-many\.tsv: user "u", item "s": .* add up to 16,778,000, above 16,777,216/,
    );
  });
});

describe('counts a 32-bit float cannot hold', () => {
  it('a play count above 2^24 or a weight of 1e39 is refused, naming the line', async () => {
    await writeFile(path('big.tsv'), 'u\ts\t3\nu\tt\t16777217\n');
    const r = await runCli(['stats', '--input', path('big.tsv')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /big\.tsv, line 2, field 'play_count': "16777217" is above 16,777,216/);
    await writeFile(path('big.csv'), 'u,s,1e39\n');
    const w = await runCli(['stats', '--input', path('big.csv'), '--format', 'csv', '--columns', '0,1,2']);
    expect(w.code).toBe(1);
    expectOneLine(w.stderr, /big\.csv, line 1, field 'column 3': "1e39" is above 16,777,216/);
  });
});

describe('training that diverges', () => {
  it('train stops with a clear error and saves nothing', async () => {
    const r = await runCli([
      'train',
      '--preset',
      'tiny',
      '--model',
      'svd',
      '--lr',
      '1e308',
      '--out',
      path('wild'),
    ]);
    expect(r.code).toBe(1);
    expectOneLine(
      r.stderr.replace(/^(?!autorec:| {2}hint:).*\n/gm, ''),
      /svd: training diverged at epoch 1: the loss is NaN; nothing was saved/,
    );
    await expect(readFile(path('wild/manifest.json'))).rejects.toThrow();
  });

  it('compare leaves the diverged model out, warns, and tests the rest (no "pair 0 is not finite")', async () => {
    const { run, json } = await runJson<{ results: { model: string }[]; warnings: string[] }>([
      'compare',
      '--preset',
      'tiny',
      '--models',
      'svd,baseline,popularity',
      '--lambda',
      '1e308',
    ]);
    expect(run.code).toBe(0);
    expect(json.results.map((r) => r.model)).toEqual(['baseline', 'popularity']);
    expect(json.warnings).toEqual([
      expect.stringMatching(/^svd: training diverged at epoch 1.*left out of the results$/),
    ]);
    expect(run.stderr).toMatch(/warning: svd: training diverged/);
  });
});

describe('--lenient skips are reported by every command that reads', () => {
  it('prepare, train and compare say what they skipped, and prepare.json and report.md record it', async () => {
    const good = Array.from({ length: 400 }, (_, i) => `u${i % 40}\ts${(i * 7) % 50}\t${1 + (i % 5)}`);
    await writeFile(
      path('some-bad.tsv'),
      [...good.slice(0, 200), 'bad line', 'u1\ts1\tzero', ...good.slice(200)].join('\n'),
    );
    const skipped = /some-bad\.tsv: skipped 2 bad lines of 402 \(--lenient\); first: line 201: /;

    const prepare = await runCli([
      'prepare',
      '--input',
      path('some-bad.tsv'),
      '--lenient',
      '--out',
      path('cache'),
    ]);
    expect(prepare.code).toBe(0);
    expect(prepare.stderr).toMatch(skipped);
    const summary = JSON.parse(await readFile(path('cache/prepare.json'), 'utf8'));
    expect(summary.warnings).toEqual([expect.stringMatching(skipped)]);
    expect(summary.parse).toEqual([{ source: path('some-bad.tsv'), lines: 402, accepted: 400, skipped: 2 }]);

    const train = await runCli([
      'train',
      '--data',
      path('cache'),
      '--model',
      'popularity',
      '--out',
      path('pop'),
    ]);
    expect(train.code).toBe(0);
    expect(train.stderr).toMatch(skipped);
    expect(JSON.parse(await readFile(path('pop/manifest.json'), 'utf8'))).toMatchObject({
      extra: { warnings: [expect.stringMatching(skipped)] },
    });

    const compare = await runCli([
      'compare',
      '--input',
      path('some-bad.tsv'),
      '--lenient',
      '--models',
      'popularity',
      '--out',
      path('report'),
    ]);
    expect(compare.code).toBe(0);
    expect(compare.stderr).toMatch(skipped);
    expect(await readFile(path('report/report.md'), 'utf8')).toMatch(
      /## Warnings\n\n- .*skipped 2 bad lines of 402/,
    );
  });
});

describe('too little data: refused with how much is needed, never an internal error or an empty cache', () => {
  const tiny = async (name: string, lines: string[]) => {
    await writeFile(path(name), `${lines.join('\n')}\n`);
    return path(name);
  };

  it('a filter that leaves nobody writes no cache', async () => {
    const r = await runCli([
      'prepare',
      '--synthetic',
      'tiny',
      '--min-user-plays',
      '1000',
      '--out',
      path('empty'),
    ]);
    expect(r.code).toBe(1);
    expectOneLine(
      r.stderr.replace(/^(?!autorec:| {2}hint:).*\n/gm, ''),
      /the filter leaves no interactions .*: lower its minimums/,
    );
    await expect(readFile(path('empty/prepared.bin'))).rejects.toThrow();
  });

  it('held-out-users of every user leaves nothing to train on', async () => {
    const r = await runCli([
      'prepare',
      '--synthetic',
      'tiny',
      '--split',
      'held-out-users:200',
      '--out',
      path('hou'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /too little data: the split leaves no training ratings .*: it holds out 200 users; keep some to train on/,
    );
    expect(r.stderr).toMatch(/hint: use more data, hold out less/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('a two-line file, holdout:1e-9, per-user on one play each and kfold:50 say what they need', async () => {
    const two = await tiny('two.tsv', ['u1\ts1\t3', 'u2\ts2\t1']);
    const cases: [string[], RegExp][] = [
      [
        ['--input', two],
        /the split leaves no test ratings of 2 interactions of 2 users; a test share of 0.1 needs at least 5/,
      ],
      [['--input', two, '--split', 'holdout:1e-9'], /no test ratings .*needs at least 500,?000,?000/],
      [
        ['--input', two, '--split', 'per-user:0.5'],
        /no test ratings .*a per-user holdout needs users with more than 1 play/,
      ],
      [['--input', two, '--split', 'kfold:50'], /no test ratings .*50 folds need at least 50/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['compare', ...args, '--models', 'popularity']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });
});

describe('wrong hints and internal errors (item 19) and limits said out loud (items 7, 8, 16)', () => {
  it("--delimiter '' and --columns 0,0 are usage errors", async () => {
    await writeFile(path('p.csv'), 'u,s,1\n');
    const d = await runCli([
      'stats',
      '--input',
      path('p.csv'),
      '--format',
      'csv',
      '--columns',
      '0,1,2',
      '--delimiter',
      '',
    ]);
    expect(d.code).toBe(2);
    expectOneLine(d.stderr, /--delimiter '' is empty/);
    const c = await runCli(['stats', '--input', path('p.csv'), '--format', 'csv', '--columns', '0,0']);
    expect(c.code).toBe(2);
    expectOneLine(c.stderr, /--columns '0,0': the user, item and count columns must be different/);
  });

  it('a JSON usage error carries the hint the README promises', async () => {
    const r = await runCli(['compare', '--no-such-flag', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { message: expect.any(String), hint: expect.any(String), exitCode: 2 },
    });
  });

  it('AUTOREC_BACKEND=foo is a user error, not "this is a bug"', async () => {
    const r = await runCli(
      ['train', '--preset', 'tiny', '--model', 'u-autorec', '--epochs', '1', '--out', path('b')],
      {
        env: { AUTOREC_BACKEND: 'foo' },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/AUTOREC_BACKEND='foo' is not a backend/);
    expect(r.stderr).not.toMatch(/internal error|this is a bug/);
  });

  it('a bad --plays file names the line and hints at the plays format, not --lenient', async () => {
    const train = await runCli(['train', '--preset', 'tiny', '--model', 'popularity', '--out', path('pop2')]);
    expect(train.code).toBe(0);
    await writeFile(path('bad-plays.tsv'), 'SOAAA\t3\nSOBBB\t-2\n');
    const r = await runCli(['recommend', '--model', path('pop2'), '--plays', path('bad-plays.tsv')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /bad-plays\.tsv, line 2, field 'count': must be positive/);
    expect(r.stderr).toMatch(/hint: each line of --plays is id<TAB>count/);
    expect(r.stderr).not.toMatch(/--lenient/);

    // -k far beyond the catalogue lists every song instead of failing to allocate.
    const user = /--user (\S+)/.exec(train.stdout)?.[1];
    expect(user).toBeDefined();
    const { run, json } = await runJson<{ items: unknown[] }>([
      'recommend',
      '--model',
      path('pop2'),
      '--user',
      user!,
      '-k',
      '99999999999999999999',
    ]);
    expect(run.code).toBe(0);
    expect(json.items.length).toBeGreaterThan(10);
  });

  it('threads beyond the cores are capped and said so; --factors 1e9 names the limit', async () => {
    const { run: t, json } = await runJson<{ backend: string }>([
      'train',
      '--preset',
      'tiny',
      '--model',
      'u-autorec',
      '--epochs',
      '1',
      '--param',
      'threads=1000',
      '--out',
      path('thr'),
    ]);
    expect(t.code).toBe(0);
    expect(t.stderr).toMatch(/u-autorec: threads=1000 is more than the \d+ cores here; using \d+/);
    // The workers really started were capped (the backend names them: wasm+wasm-simd×2).
    expect(Number(/×(\d+)$/.exec(json.backend)?.[1] ?? 1)).toBeLessThanOrEqual(availableParallelism());
    const f = await runCli([
      'train',
      '--preset',
      'tiny',
      '--model',
      'svd',
      '--factors',
      '1e9',
      '--out',
      path('big'),
    ]);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(
      /svd: factors=1000000000 needs .* GiB of weights .*; a model may use at most 4 GiB: lower factors/,
    );
    expect(f.stderr).not.toMatch(/internal error/);
  });
});

describe('files in another encoding or line ending (item 19)', () => {
  it('UTF-16 and CR-only files are named as such, with how to convert them', async () => {
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('u1\ts1\t1\n', 'utf16le')]);
    await writeFile(path('u16.tsv'), u16);
    const a = await runCli(['stats', '--input', path('u16.tsv')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('(the file looks like UTF-16 text: save it as UTF-8)');
    expect(a.stderr).toContain('hint: convert it, e.g. iconv -f UTF-16 -t UTF-8');
    await writeFile(path('mac.tsv'), 'u1\ts1\t1\ru2\ts1\t2\r');
    const b = await runCli(['stats', '--input', path('mac.tsv')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("the file's lines seem to end in CR only; convert them to LF");
    expect(b.stderr).toContain("hint: convert it, e.g. tr '\\r' '\\n'");
  });
});

describe('start-up under a virtual-memory limit', () => {
  // 8 GB failed every time before the launcher capped glibc's malloc arenas (V8: "young object
  // promotion failed" at a 50 MB heap), 16 GB before it disabled the wasm trap handler.
  for (const kb of [4_000_000, 8_000_000, 16_000_000])
    it(`ulimit -v ${kb / 1e6} GB: the CLI starts (no out-of-memory abort, no "Cannot allocate Wasm memory")`, async () => {
      const script = `ulimit -v ${kb} && exec "${process.execPath}" "${BIN}" stats --preset tiny --json`;
      const { stdout, stderr } = await promisify(execFile)('sh', ['-c', script], { cwd: REPO });
      expect(stderr).not.toMatch(/Cannot allocate Wasm memory|out of memory/);
      expect(JSON.parse(stdout)).toMatchObject({ users: expect.any(Number) });
    });
});

describe('evaluate checks the data is what the model was trained on (item 14)', () => {
  it('another transform or other play counts are refused, naming both', async () => {
    const gen = await runCli(['generate', '--preset', 'tiny', '--out', path('gen.tsv')]);
    expect(gen.code).toBe(0);
    const text = await readFile(path('gen.tsv'), 'utf8');
    // The same pairs with one count changed: same ids and split, other plays.
    await writeFile(
      path('gen2.tsv'),
      text.replace(/\t(\d+)\n/, (_m, c) => `\t${Number(c) + 1}\n`),
    );
    const prep = (input: string, out: string, extra: string[] = []) =>
      runCli(['prepare', '--input', path(input), '--out', path(out), ...extra]);
    expect((await prep('gen.tsv', 'c-bins')).code).toBe(0);
    expect((await prep('gen.tsv', 'c-log1p', ['--transform', 'log1p'])).code).toBe(0);
    expect((await prep('gen2.tsv', 'c-other')).code).toBe(0);
    const train = await runCli([
      'train',
      '--data',
      path('c-bins'),
      '--model',
      'baseline',
      '--out',
      path('m-bins'),
    ]);
    expect(train.code).toBe(0);
    const same = await runCli(['evaluate', '--model', path('m-bins'), '--data', path('c-bins')]);
    expect(same.code).toBe(0);
    const t = await runCli(['evaluate', '--model', path('m-bins'), '--data', path('c-log1p')]);
    expect(t.code).toBe(1);
    expectOneLine(t.stderr, /the model was trained on log-bins ratings .*; the cache holds log1p ratings/);
    const c = await runCli(['evaluate', '--model', path('m-bins'), '--data', path('c-other')]);
    expect(c.code).toBe(1);
    expectOneLine(c.stderr, /the model was trained on other play counts \(source checksum/);
  });
});
