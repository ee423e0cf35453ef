import { describe, expect, it } from 'vitest';
import { byteChunks, sourceName, sourceSize } from './source.ts';

async function collect(source: Parameters<typeof byteChunks>[0]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of byteChunks(source)) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('byteChunks', () => {
  it('reads strings, bytes, blobs, web streams and async iterables alike', async () => {
    const text = 'a\tb\n😀\n';
    const bytes = encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 3));
        c.enqueue(bytes.slice(3));
        c.close();
      },
    });
    async function* iterable() {
      yield bytes;
    }
    for (const source of [text, bytes, new Blob([bytes]), stream, iterable()]) {
      expect(await collect(source)).toEqual(bytes);
    }
  });

  it('never cuts a surrogate pair when encoding a long string in slices', async () => {
    // The first slice boundary (2^19 UTF-16 units) falls inside the emoji.
    const text = `${'x'.repeat((1 << 19) - 1)}😀tail`;
    expect(new TextDecoder().decode(await collect(text))).toBe(text);
  });

  it('cancels a web stream when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(Uint8Array.of(1));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of byteChunks(stream)) break;
    expect(cancelled).toBe(true);
  });
});

describe('sourceSize and sourceName', () => {
  it('know the size of bytes and blobs and the name of a File', () => {
    expect(sourceSize(Uint8Array.of(1, 2, 3))).toBe(3);
    expect(sourceSize(new Blob(['abcd']))).toBe(4);
    expect(sourceSize('text')).toBeUndefined();
    expect(sourceName(new File(['x'], 'plays.tsv'))).toBe('plays.tsv');
    expect(sourceName(new Blob(['x']))).toBeUndefined();
  });
});
