import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runJson, tempDir } from './cli-helpers.ts';

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
