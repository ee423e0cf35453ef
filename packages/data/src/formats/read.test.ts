import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAt, entries, streamOf } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import type { ProgressInfo } from '../io/read-lines.ts';
import { readInteractions } from './read.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const text = 'u1\tSOA\t3\nu1\tSOB\t1\nu2\tSOA\t2\n';
const expected = ['u1 SOA 3', 'u1 SOB 1', 'u2 SOA 2'];

describe('readInteractions', () => {
  it('reads strings, bytes, blobs, files, web streams and async iterables', async () => {
    const bytes = encode(text);
    const sources = [
      text,
      bytes,
      new Blob([bytes]),
      new File([bytes], 'plays.tsv'),
      new Blob([bytes]).stream(),
      streamOf(cutAt(bytes, [3, 10])),
    ];
    for (const source of sources) {
      const ds = await readInteractions(source, { format: 'taste-profile' });
      expect(entries(ds)).toEqual(expected);
    }
    const named = await readInteractions(new File([bytes], 'plays.tsv'), { format: 'taste-profile' });
    expect(named.name).toBe('plays.tsv');
    expect(named.report?.source).toBe('plays.tsv');
  });

  it('reads gzip input, detected by content', async () => {
    const ds = await readInteractions(new Uint8Array(gzipSync(text)), { format: 'taste-profile' });
    expect(entries(ds)).toEqual(expected);
  });

  it('reports progress with the total size and a final call', async () => {
    const calls: ProgressInfo[] = [];
    const bytes = encode(text);
    await readInteractions(streamOf([bytes]), {
      format: 'taste-profile',
      totalBytes: bytes.length,
      onProgress: (p) => calls.push(p),
    });
    expect(calls.at(-1)).toEqual({ bytesRead: bytes.length, totalBytes: bytes.length, lines: 3 });
  });

  it('rejects unknown formats', async () => {
    await expect(readInteractions(text, { format: 'mp3' as 'csv' })).rejects.toThrow("unknown format 'mp3'");
  });

  it('reads thousands of lines in any chunking the same as in one piece', async () => {
    // Longer than one intern batch, with runs of users crossing batch and chunk boundaries.
    const lines = Array.from(
      { length: 5000 },
      (_, i) => `user${Math.floor(i / 37)}\tSO${(i * 7919) % 1301}\t${1 + (i % 5)}`,
    );
    const bytes = encode(lines.join('\r\n'));
    const whole = entries(await readInteractions(bytes, { format: 'taste-profile' }));
    expect(whole.length).toBe(5000);
    for (const size of [1, 7, 100, 4096]) {
      const cuts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size);
      const ds = await readInteractions(streamOf(cutAt(bytes, cuts)), { format: 'taste-profile' });
      expect(entries(ds)).toEqual(whole);
    }
  });

  it('gives the same matrix whatever the chunk boundaries (property)', async () => {
    const id = fc.constantFrom('u1', 'björk', '坂本', 'SOAKIMP12A8C130995', 'x'.repeat(30), '😀');
    const triplet = fc.tuple(id, id, fc.integer({ min: 1, max: 10_000 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(triplet, { minLength: 1, maxLength: 40 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (triplets, eol, bom, finalNewline, cuts) => {
          const body = triplets.map(([u, i, c]) => `${u}\t${i}\t${c}`).join(eol) + (finalNewline ? eol : '');
          const bytes = encode((bom ? '\uFEFF' : '') + body);
          const chunks = cutAt(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          );
          const ds = await readInteractions(streamOf(chunks), { format: 'taste-profile' });
          const sums = new Map<string, number>();
          for (const [u, i, c] of triplets) sums.set(`${u} ${i}`, (sums.get(`${u} ${i}`) ?? 0) + c);
          expect(entries(ds)).toEqual([...sums].map(([k, v]) => `${k} ${v}`).sort());
          expect(ds.report?.accepted).toBe(triplets.length);
          expect(ds.report?.duplicates).toBe(triplets.length - sums.size);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads counts written with a fraction or an exponent when they are whole (1e1 is 10, 1.0 is 1)', async () => {
    const ds = await readInteractions('u\ts1\t1e1\nu\ts2\t1.0\nu\ts3\t.5e1\n', { format: 'taste-profile' });
    expect(Array.from(ds.counts.values)).toEqual([10, 1, 5]);
    await expect(readInteractions('u\ts\t1.5\n', { format: 'taste-profile' })).rejects.toThrow(
      'play count must be a whole number',
    );
    await expect(readInteractions('u\ts\t1e\n', { format: 'taste-profile' })).rejects.toThrow('not a number');
  });

  it('never crashes on garbage lines: DataError in strict mode, counted in lenient mode (property)', async () => {
    const garbage = fc.string({
      unit: fc.constantFrom('a', '1', '\t', ' ', '-', '.', 'e', '\r', '"', ',', 'é', '\u0000', '\uFFFD'),
      maxLength: 30,
    });
    const isValid = (line: string) => {
      const f = line.replace(/\r$/, '').split('\t');
      // Ids: spaces around them dropped, never empty, no NUL; counts decimal numbers (an exponent
      // allowed: `1e1` is 10, `1.0` is 1, as tools write them) that are whole, 1..2^24.
      const id = (x: string) => x.replace(/^ +| +$/g, '') !== '' && !x.includes('\u0000');
      const count = f[2]?.replace(/^ +| +$/g, '') ?? '';
      return (
        f.length === 3 &&
        id(f[0]) &&
        id(f[1]) &&
        /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(count) &&
        Number.isInteger(Number(count)) &&
        Number(count) > 0 &&
        Number(count) <= 2 ** 24
      );
    };
    await fc.assert(
      fc.asyncProperty(fc.array(garbage, { minLength: 1, maxLength: 20 }), async (lines) => {
        const good = 'u\ts\t1';
        const input = [good, ...lines].join('\n');
        const bad = lines.filter((l) => l.replace(/\r$/, '') !== '' && !isValid(l)).length;
        const strict = readInteractions(input, { format: 'taste-profile' });
        if (bad > 0) {
          const error = await strict.catch((e) => e);
          expect(error).toBeInstanceOf(DataError);
          expect(error.location.line).toBeGreaterThan(1);
        } else {
          await strict;
        }
        const ds = await readInteractions(input, { format: 'taste-profile', mode: 'lenient' });
        expect(ds.report?.skipped).toBe(bad);
        expect(ds.report?.problems.length).toBe(Math.min(bad, 10));
      }),
      { numRuns: 200 },
    );
  });
});
