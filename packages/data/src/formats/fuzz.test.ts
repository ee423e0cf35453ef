import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FormatName } from '../dataset.ts';
import { DataError } from '../errors.ts';
import { nnz } from '../sparse.ts';
import { MAX_EXACT_COUNT } from '../triplets.ts';
import { readItemInfo } from './item-info.ts';
import { readPlays } from './plays.ts';
import { readInteractions } from './read.ts';
import type { ReadMode } from './run.ts';

// Every reader against hostile input (issue 8): random bytes, random gzip, random mixes of good,
// bad and long lines. Each read either succeeds with sane content or fails with a DataError —
// never another exception — and memory stays bounded whatever the input.

const FORMATS: FormatName[] = [
  'taste-profile',
  'lastfm-hetrec',
  'lastfm-1k',
  'lastfm-360k',
  'movielens',
  'csv',
];
const MAX_LINE = 64;
const encode = (text: string) => new TextEncoder().encode(text);

/** Lines a real file might hold, broken ones and ones past the 64-byte line cap used here. */
const line = fc.oneof(
  fc.constantFrom(
    'u1\ts1\t3',
    '1\t2\t3',
    '2\t3\t5',
    'userID\tartistID\tweight',
    'id\tname\turl\tpictureURL',
    '1\tBjörk\thttp://x\t',
    'TRAAA<SEP>SOAAA<SEP>Artist<SEP>Title',
    'user_000001\t2009-05-04T23:08:57Z\tmbid\tArtist\t\tSong',
    '1::2::5::978300760',
    '1\t2\t4\t881250949',
    'SOAAA,3',
    'song_id\tcount',
    '',
    '\r',
    '\u0000\u0000',
    '\uFEFFu\ts\t1',
    'u\ts\t1e39',
    'u\ts\t16777217',
    'u\ts\t-1',
    'u\ts\tNaN',
    '"a,b",c,2',
    `u\t${'x'.repeat(MAX_LINE)}\t1`,
  ),
  fc.string({ maxLength: 30 }),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.double())
    .map(([u, s, v]) => `${u}\t${s}\t${v}`),
);
const lineMix = fc
  .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r'))
  .map(([lines, eol]) => encode(lines.join(eol)));
const hostileInput = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  lineMix,
  lineMix.map((bytes) => new Uint8Array(gzipSync(bytes))),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new Uint8Array(gzipSync(bytes))),
  // A truncated or corrupted gzip stream.
  fc.tuple(lineMix, fc.nat(), fc.nat(255)).map(([bytes, at, value]) => {
    const gz = new Uint8Array(gzipSync(bytes));
    if (at % 2 === 0) return gz.subarray(0, 2 + (at % Math.max(1, gz.length - 2)));
    gz[2 + (at % Math.max(1, gz.length - 2))] = value;
    return gz;
  }),
);

type Read = (bytes: Uint8Array, mode: ReadMode) => Promise<void>;
const readers: [string, Read][] = [
  ...FORMATS.map((format): [string, Read] => [
    format,
    async (bytes, mode) => {
      const ds = await readInteractions(bytes, {
        format,
        mode,
        name: 'fuzz',
        maxLineBytes: MAX_LINE,
        csv: { user: 0, item: 1, count: 2, delimiter: '\t' },
      });
      const n = nnz(ds.counts);
      expect(n).toBeGreaterThan(0);
      expect(ds.counts.rows).toBe(ds.users.size);
      expect(ds.counts.cols).toBe(ds.items.size);
      for (let p = 0; p < n; p++) {
        const v = ds.counts.values[p];
        expect(v > 0 && v <= MAX_EXACT_COUNT).toBe(true);
      }
      const r = ds.report!;
      expect(r.accepted + r.skipped).toBeLessThanOrEqual(r.lines);
      if (mode === 'strict') expect(r.skipped).toBe(0);
    },
  ]),
  ...(['lastfm-hetrec', 'msd-tracks'] as const).map((format): [string, Read] => [
    `${format} metadata`,
    async (bytes, mode) => {
      const info = await readItemInfo(bytes, { format, mode, name: 'fuzz', maxLineBytes: MAX_LINE });
      expect(info.size).toBeGreaterThan(0);
      expect(info.report.accepted + info.report.skipped).toBeLessThanOrEqual(info.report.lines);
    },
  ]),
  [
    'plays',
    async (bytes, mode) => {
      const { plays } = await readPlays(bytes, { mode, name: 'fuzz', maxLineBytes: MAX_LINE });
      for (const p of plays) expect(p.count > 0 && p.count <= MAX_EXACT_COUNT).toBe(true);
    },
  ],
];

describe('every reader on hostile input', () => {
  for (const [name, read] of readers) {
    it(`${name}: succeeds with sane content or fails with a DataError naming the input`, async () => {
      await fc.assert(
        fc.asyncProperty(
          hostileInput,
          fc.constantFrom<ReadMode>('strict', 'lenient'),
          async (bytes, mode) => {
            try {
              await read(bytes, mode);
            } catch (error) {
              if (!(error instanceof DataError)) throw error;
              expect(error.location.file).toBe('fuzz');
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

describe('memory is bounded whatever the input', () => {
  const PROBE = fileURLToPath(new URL('../../test/memory-probe.ts', import.meta.url));
  const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

  it('a gzip bomb of zeros and a duplicate-line bomb stay within 192 MB above the baseline, in every reader', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autorec-bombs-'));
    try {
      const file = (name: string) => join(dir, name);
      await writeFile(file('warmup.tsv'), 'u1\ts1\t3\n1\t2\t3\n');
      // 256 MiB of zeros (no newline) in 256 KB, read by every reader; 1.2M repeats of four (user,
      // item) pairs in 20 KB, read as a play-count file (TripletBuilder's tests bound its memory
      // exactly; this checks the whole read).
      await writeFile(file('zeros.gz'), gzipSync(Buffer.alloc(256 << 20), { level: 1 }));
      await writeFile(
        file('dups.gz'),
        gzipSync(Buffer.from('1\t1\t1\n1\t2\t1\n2\t1\t1\n2\t2\t1\n'.repeat(300_000)), { level: 1 }),
      );
      const child = spawn(
        process.execPath,
        [
          '--conditions=@autorec/source',
          '--import',
          'tsx',
          PROBE,
          file('warmup.tsv'),
          file('zeros.gz'),
          `tsv:${file('dups.gz')}`,
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      // A reader that hangs fails here with what the probe said, not as a vitest timeout.
      const watchdog = setTimeout(() => child.kill('SIGTERM'), 100_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(watchdog);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const result = JSON.parse(stdout) as { peakAboveBaseline: number; outcomes: Record<string, string[]> };
      // Every reader stops at the line cap on the zeros, and the interaction readers accept the duplicates.
      const zeros = result.outcomes[file('zeros.gz')];
      expect(zeros).toHaveLength(20);
      for (const outcome of zeros) expect(outcome).toMatch(/^the line is longer than 1,048,576 bytes/);
      expect(result.outcomes[file('dups.gz')]).toEqual(['ok']);
      // Unbounded, the zeros alone took ≥ 384 MB (the 256 MB line held whole, and the copy as it grew).
      expect(result.peakAboveBaseline).toBeLessThan(192 << 20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
