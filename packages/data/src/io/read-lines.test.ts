import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ProgressInfo, readLines } from './read-lines.ts';

describe('readLines', () => {
  it('reads every line of plain or gzip input, reporting progress at the end', async () => {
    const text = Array.from({ length: 1000 }, (_, i) => `u${i}\ts${i % 7}\t${i + 1}`).join('\r\n');
    for (const source of [new TextEncoder().encode(text), new Uint8Array(gzipSync(text))]) {
      const seen: string[] = [];
      const progress: ProgressInfo[] = [];
      const decoder = new TextDecoder();
      const result = await readLines(source, (b, s, e) => seen.push(decoder.decode(b.subarray(s, e))), {
        onProgress: (p) => progress.push(p),
      });
      expect(seen).toEqual(text.split('\r\n'));
      expect(result).toEqual({ bytesRead: source.length, lines: 1000 });
      expect(progress.at(-1)).toEqual({ bytesRead: source.length, totalBytes: source.length, lines: 1000 });
    }
  });

  it('throttles progress calls', async () => {
    const source = new TextEncoder().encode('x\n'.repeat(3_000_000));
    let calls = 0;
    await readLines(source, () => {}, { onProgress: () => calls++, progressIntervalMs: 60_000 });
    expect(calls).toBe(1);
  });

  it('uses the given total size for streams that cannot tell it', async () => {
    async function* chunks() {
      yield new TextEncoder().encode('a\nb\n');
    }
    const progress: ProgressInfo[] = [];
    await readLines(chunks(), () => {}, { totalBytes: 4, onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([{ bytesRead: 4, totalBytes: 4, lines: 2 }]);
  });
});
