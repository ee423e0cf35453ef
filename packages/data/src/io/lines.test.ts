import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAt } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
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
    const splitter = new LineSplitter((bytes, start, end) => pending.push([bytes, start, end]), {
      onFlush: () => {
        for (const [bytes, start, end] of pending) seen.push(decoder.decode(bytes.subarray(start, end)));
        pending.length = 0;
      },
    });
    for (const chunk of cutAt(encode('one\ntw'), [])) splitter.push(chunk);
    splitter.push(encode('o\nthree\nfo'));
    splitter.push(encode('ur'));
    splitter.end();
    expect(seen).toEqual(['one', 'two', 'three', 'four']);
  });

  it('stops at a line longer than the cap, naming it, however the bytes arrive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(fc.nat(60)), (short, cuts) => {
        // A few fine lines, then one of 33 bytes (with a 32-byte cap) that may or may not end.
        const text = `${'a'.repeat(short % 32)}\nok\n${'x'.repeat(33)}${short % 2 ? '\n' : ''}`;
        const seen: number[] = [];
        const splitter = new LineSplitter((_b, _s, _e, line) => seen.push(line), {
          maxLineBytes: 32,
          label: 'zeros.gz',
        });
        let error: unknown;
        try {
          for (const chunk of cutAt(encode(text), cuts)) splitter.push(chunk);
          splitter.end();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(DataError);
        expect((error as Error).message).toMatch(/^zeros\.gz, line 3: the line is longer than 32 bytes/);
        expect(seen).toEqual([1, 2]);
      }),
    );
  });

  it('accepts a line of exactly the cap, with or without CR', () => {
    const lines: number[] = [];
    const splitter = new LineSplitter((_b, s, e) => lines.push(e - s), { maxLineBytes: 8 });
    splitter.push(encode(`${'y'.repeat(8)}\r\n${'z'.repeat(8)}`));
    splitter.end();
    expect(lines).toEqual([8, 8]);
  });
});
