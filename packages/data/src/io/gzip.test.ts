import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cutAt, streamOf } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import { gunzipIfNeeded, isGzip } from './gzip.ts';

const encode = (text: string) => new TextEncoder().encode(text);

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('isGzip', () => {
  it('recognises the magic number', () => {
    expect(isGzip(gzipSync('x'))).toBe(true);
    expect(isGzip(encode('x\ty'))).toBe(false);
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false);
  });
});

describe('gunzipIfNeeded', () => {
  const text = 'u1\tSOAB\t3\nu2\tSOCD\t1\n'.repeat(50);

  it('passes plain input through untouched', async () => {
    expect(await collect(gunzipIfNeeded(streamOf(cutAt(encode(text), [1, 5]))))).toBe(text);
    expect(await collect(gunzipIfNeeded(streamOf([])))).toBe('');
    expect(await collect(gunzipIfNeeded(streamOf([Uint8Array.of(0x1f)])))).toBe('\x1f');
  });

  it('decompresses gzip, even when the magic number is cut between chunks', async () => {
    const gz = new Uint8Array(gzipSync(text));
    expect(await collect(gunzipIfNeeded(streamOf([gz])))).toBe(text);
    expect(await collect(gunzipIfNeeded(streamOf(cutAt(gz, [0, 1, 2, 17]))))).toBe(text);
  });

  it('reports corrupt gzip data as a DataError naming the input', async () => {
    const gz = new Uint8Array(gzipSync(text));
    const broken = gz.slice(0, gz.length / 2);
    broken.fill(7, 12);
    const error = await collect(gunzipIfNeeded(streamOf([broken]), 'plays.gz')).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/^plays\.gz: corrupt gzip data/);
  });
});
