import { describe, expect, it } from 'vitest';
import { readInteractions } from './read.ts';
import { encodingHint } from './run.ts';

const utf16le = (text: string) => {
  const out = new Uint8Array(2 + 2 * text.length);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) out[2 + 2 * i] = text.charCodeAt(i);
  return out;
};

describe('bad lines that are a file in another encoding or line ending', () => {
  it('says a UTF-16 file is UTF-16, in strict and lenient mode', async () => {
    const bytes = utf16le('u1\ts1\t1\nu2\ts1\t2\n');
    await expect(
      readInteractions(new Blob([bytes]), { name: 'u16.tsv', format: 'taste-profile' }),
    ).rejects.toThrow(/^u16\.tsv, line 1.*\(the file looks like UTF-16 text: save it as UTF-8\)$/);
    await expect(
      readInteractions(new Blob([bytes]), { name: 'u16.tsv', format: 'taste-profile', mode: 'lenient' }),
    ).rejects.toThrow(/first problem at line 1: .*looks like UTF-16 text/);
  });

  it('says lines ending in CR only are that, and adds nothing to an ordinary bad line', async () => {
    await expect(
      readInteractions('u1\ts1\t1\ru2\ts1\t2\r', { name: 'mac.tsv', format: 'taste-profile' }),
    ).rejects.toThrow(
      "mac.tsv, line 1: expected 3 tab-separated fields, found 5 (the line holds 1 carriage return(s): the file's lines seem to end in CR only; convert them to LF)",
    );
    await expect(
      readInteractions('u1\ts1\tmany\n', { name: 'x.tsv', format: 'taste-profile' }),
    ).rejects.toThrow(/not a number: "many"$/);
    const plain = new TextEncoder().encode('u1\ts1\t1');
    expect(encodingHint(plain, 0, plain.length)).toBeUndefined();
  });
});
