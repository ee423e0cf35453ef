import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fields } from './fields.ts';
import { LineError } from './line-error.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function split(delimiter: string, line: string, quotes = false): string[] {
  const f = new Fields(delimiter, { quotes });
  const bytes = encode(`>${line}<`);
  const n = f.split(bytes, 1, bytes.length - 1);
  return Array.from({ length: n }, (_, i) => f.text(i));
}

describe('Fields', () => {
  it('splits on one byte, keeping empty fields', () => {
    expect(split('\t', 'a\tb\tc')).toEqual(['a', 'b', 'c']);
    expect(split('\t', '')).toEqual(['']);
    expect(split('\t', '\t')).toEqual(['', '']);
    expect(split('\t', 'a\t\tb\t')).toEqual(['a', '', 'b', '']);
  });

  it('splits like String.split for any line and delimiter byte, however long', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', ',', '\t', 'x', ';'), maxLength: 80 });
    fc.assert(
      fc.property(line, fc.constantFrom('\t', ',', ';'), (text, d) => {
        expect(split(d, text)).toEqual(text.split(d));
      }),
    );
  });

  it('splits on a delimiter string', () => {
    expect(split('<SEP>', 'TR1<SEP>SO1<SEP>A<b>c<SEP>')).toEqual(['TR1', 'SO1', 'A<b>c', '']);
    expect(split('::', '1::2:::3')).toEqual(['1', '2', ':3']);
    const line = fc.string({ unit: fc.constantFrom('a', ':', '<', 'S', 'E', 'P', '>'), maxLength: 60 });
    fc.assert(
      fc.property(line, fc.constantFrom('::', '<SEP>'), (text, d) => {
        expect(split(d, text)).toEqual(text.split(d));
      }),
    );
  });

  it('reads RFC 4180 quoted fields', () => {
    expect(split(',', '"a,b","say ""hi""",,"",x', true)).toEqual(['a,b', 'say "hi"', '', '', 'x']);
    expect(split(',', '"a",', true)).toEqual(['a', '']);
    expect(split(',', 'a"b,c', true)).toEqual(['a"b', 'c']);
  });

  it('rejects broken quoting', () => {
    expect(() => split(',', '"abc', true)).toThrow(LineError);
    expect(() => split(',', '"ab"c,d', true)).toThrow('unexpected text after the closing quote of field 1');
  });

  it('knows header lines and numbers', () => {
    const f = new Fields('\t');
    const bytes = encode('UserID \tartistid\t12');
    f.split(bytes, 0, bytes.length);
    expect(f.equalsNames(['userID', 'artistID', 'weight'])).toBe(false);
    expect(f.number(2)).toBe(12);
    expect(f.number(0)).toBeNaN();
    f.split(bytes, 0, 16);
    expect(f.equalsNames(['userID', 'artistID'])).toBe(true);
  });

  it('names its delimiter in messages', () => {
    expect(new Fields('\t').description).toBe('tab-separated');
    expect(new Fields(',').description).toBe('comma-separated');
    expect(new Fields('::').description).toBe("'::'-separated");
    expect(() => new Fields('')).toThrow(TypeError);
  });
});
