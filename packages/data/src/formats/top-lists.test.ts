import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeControls, TOP_LISTS_HEADER, topListLines, tsvField } from './top-lists.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the property is about control characters
const OTHER_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('the all-listeners top-N file', () => {
  it('writes one line a recommendation: user, rank from 1, song, score to four decimals', () => {
    const text = topListLines(
      ['u1', 'u2'],
      [
        [
          { item: 's9', score: 0.5 },
          { item: 's3', score: 0.123456 },
        ],
        [],
      ],
    );
    expect(TOP_LISTS_HEADER + text).toBe('user\trank\tsong\tscore\nu1\t1\ts9\t0.5000\nu1\t2\ts3\t0.1235\n');
  });

  it('escapes tab, newline, CR and backslash as linear TSV, and other controls visibly', () => {
    expect(tsvField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(tsvField('\x1b]0;x\x07')).toBe('\\x1b]0;x\\x07');
    expect(tsvField('\u202eevil')).toBe('\\u202eevil');
    expect(tsvField('Motörhead — Ace of Spades')).toBe('Motörhead — Ace of Spades');
    expect(escapeControls('tab\tand\nnewline kept')).toBe('tab\tand\nnewline kept');
  });

  it('never lets an id add a column or a row, and escaping is reversible (property)', () => {
    // Ids built from the characters that matter: TSV's specials, terminal controls, and plain text.
    const id = fc.string({ unit: fc.constantFrom('a', 'ö', ' ', '\t', '\n', '\r', '\\', '\x1b', '\u202e') });
    const unescapeField = (f: string) =>
      f.replace(/\\(\\|t|n|r)/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c] as string);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(id, fc.array(fc.tuple(id, fc.double({ noNaN: true })), { maxLength: 4 })), {
          maxLength: 5,
        }),
        (rows) => {
          const users = rows.map(([u]) => u);
          const lists = rows.map(([, l]) => l.map(([item, score]) => ({ item, score })));
          const text = topListLines(users, lists);
          const lines = text === '' ? [] : text.slice(0, -1).split('\n');
          expect(lines.length).toBe(lists.reduce((n, l) => n + l.length, 0));
          let at = 0;
          for (const [j, list] of lists.entries())
            for (const [rank, r] of list.entries()) {
              const fields = lines[at++].split('\t');
              expect(fields).toHaveLength(4);
              expect(Number(fields[1])).toBe(rank + 1);
              // Ids without control characters other than \t \n \r come back exactly.
              if (!OTHER_CONTROLS.test(users[j] + r.item)) {
                expect(unescapeField(fields[0])).toBe(users[j]);
                expect(unescapeField(fields[2])).toBe(r.item);
              }
            }
        },
      ),
    );
  });
});
