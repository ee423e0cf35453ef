import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAt } from '../../test/fixtures/fixtures.ts';
import { LineSplitter } from './lines.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function splitLines(chunks: Uint8Array[]): { lines: string[]; numbers: number[] } {
  const decoder = new TextDecoder();
  const lines: string[] = [];
  const numbers: number[] = [];
  const splitter = new LineSplitter((bytes, start, end, line) => {
    lines.push(decoder.decode(bytes.subarray(start, end)));
    numbers.push(line);
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, numbers };
}

describe('LineSplitter', () => {
  it('splits LF and CRLF lines and numbers them from 1', () => {
    expect(splitLines([encode('a\tb\nc\r\nd\n')])).toEqual({ lines: ['a\tb', 'c', 'd'], numbers: [1, 2, 3] });
  });

  it('keeps a last line without a newline', () => {
    expect(splitLines([encode('a\nb')]).lines).toEqual(['a', 'b']);
    expect(splitLines([encode('a\r\nb\r')]).lines).toEqual(['a', 'b']);
  });

  it('gives no lines for empty input, and counts empty lines inside', () => {
    expect(splitLines([]).lines).toEqual([]);
    expect(splitLines([new Uint8Array(0)]).lines).toEqual([]);
    expect(splitLines([encode('\n\na\n')]).lines).toEqual(['', '', 'a']);
  });

  it('strips a UTF-8 BOM, also when it arrives one byte at a time', () => {
    const bytes = encode('\uFEFFid\nx\n');
    expect(splitLines([bytes]).lines).toEqual(['id', 'x']);
    expect(splitLines(cutAt(bytes, [1, 2, 3, 4])).lines).toEqual(['id', 'x']);
    expect(splitLines([encode('\uFEFF')]).lines).toEqual([]);
    // Bytes that only start like a BOM are data.
    expect(splitLines([Uint8Array.of(0xef), encode('\n')]).lines).toEqual(['\uFFFD']);
  });

  it('joins lines cut anywhere, including between CR and LF and inside a UTF-8 character', () => {
    const text = 'björk\tSOAB\t1\r\nsigur rós\t坂本\t22\r\nlast';
    const bytes = encode(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }), (cuts) => {
        expect(splitLines(cutAt(bytes, cuts)).lines).toEqual([
          'björk\tSOAB\t1',
          'sigur rós\t坂本\t22',
          'last',
        ]);
      }),
    );
  });

  it('calls flush after each chunk, before the bytes of a straddling line are reused', () => {
    // A handler that reads its lines only at flush time sees them intact.
    const pending: [Uint8Array, number, number][] = [];
    const seen: string[] = [];
    const decoder = new TextDecoder();
    const splitter = new LineSplitter(
      (bytes, start, end) => pending.push([bytes, start, end]),
      () => {
        for (const [bytes, start, end] of pending) seen.push(decoder.decode(bytes.subarray(start, end)));
        pending.length = 0;
      },
    );
    for (const chunk of cutAt(encode('one\ntw'), [])) splitter.push(chunk);
    splitter.push(encode('o\nthree\nfo'));
    splitter.push(encode('ur'));
    splitter.end();
    expect(seen).toEqual(['one', 'two', 'three', 'four']);
  });
});
