import { describe, expect, it } from 'vitest';
import { decodeText, parseDecimal } from './bytes.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => {
  const bytes = encode(`#${text}#`);
  return parseDecimal(bytes, 1, bytes.length - 1);
};

describe('parseDecimal', () => {
  it('parses integers, decimals and exponents', () => {
    expect(parse('0')).toBe(0);
    expect(parse('13883')).toBe(13883);
    expect(parse('4.5')).toBe(4.5);
    expect(parse('.5')).toBe(0.5);
    expect(parse('5.')).toBe(5);
    expect(parse('-3')).toBe(-3);
    expect(parse('+2')).toBe(2);
    expect(parse('1e3')).toBe(1000);
    expect(parse('2.5E-1')).toBe(0.25);
    // Past 15 digits the general path takes over, rounding as Number() does.
    expect(parse('12345678901234567')).toBe(Number('12345678901234567'));
  });

  it('allows surrounding spaces', () => {
    expect(parse(' 7 ')).toBe(7);
  });

  it('gives NaN for anything that is not a decimal number', () => {
    for (const bad of [
      '',
      ' ',
      'abc',
      '1a',
      'NaN',
      'Infinity',
      'inf',
      '0x10',
      '1e',
      '--1',
      '.',
      '1.2.3',
      '1 2',
      '١',
    ]) {
      expect(parse(bad), bad).toBeNaN();
    }
  });

  it('gives Infinity for out-of-range values', () => {
    expect(parse('1e999')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('decodeText', () => {
  it('decodes ASCII and UTF-8 ranges', () => {
    const bytes = encode('id\tBjörk\t坂本龍一');
    expect(decodeText(bytes, 0, 2)).toBe('id');
    expect(decodeText(bytes, 3, 9)).toBe('Björk');
    expect(decodeText(bytes, 10, bytes.length)).toBe('坂本龍一');
    const long = 'x'.repeat(100);
    expect(decodeText(encode(long), 0, 100)).toBe(long);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    expect(decodeText(Uint8Array.of(0x61, 0xff, 0x62), 0, 3)).toBe('a\uFFFDb');
  });
});
