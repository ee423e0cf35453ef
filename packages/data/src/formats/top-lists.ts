/**
 * The all-listeners top-N file that `autorec recommend --all-users` and the API's batch scoring
 * jobs write: a header, then `user<TAB>rank<TAB>song<TAB>score` lines (rank from 1, score with
 * four decimals). One writer for both, so the two files are byte-for-byte the same format.
 */

/** The file's first line. */
export const TOP_LISTS_HEADER = 'user\trank\tsong\tscore\n';

/**
 * C0 controls except tab and newline, DEL, C1 controls (U+0080–U+009F, which some terminals
 * read as 8-bit escapes), and the Unicode bidi embedding, override and isolate characters.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character that could act on a terminal shown as a visible escape
 * (`\x1b`, `\x07`, `\u202e`); tabs and newlines are kept.
 *
 * @example
 * escapeControls('\x1b]0;pwned\x07Song'); // '\\x1b]0;pwned\\x07Song'
 */
export function escapeControls(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/**
 * One TSV field: backslash, tab, newline and carriage return escaped as `\\`, `\t`, `\n`, `\r`
 * (the "linear TSV" convention of PostgreSQL's COPY and many readers), so a field never splits a
 * row or a line; other control characters as `\xNN`. Ids without these characters are unchanged.
 *
 * @example
 * tsvField('a\tb'); // 'a\\tb'
 */
export function tsvField(value: string): string {
  return escapeControls(value.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]));
}

/**
 * The lines of a batch of listeners' lists (`lists[j]` is `users[j]`'s, best first).
 *
 * @example
 * topListLines(['u1'], [[{ item: 's9', score: 0.5 }]]); // 'u1\t1\ts9\t0.5000\n'
 */
export function topListLines(
  users: readonly string[],
  lists: readonly (readonly { item: string; score: number }[])[],
): string {
  let text = '';
  for (const [j, list] of lists.entries())
    for (const [rank, r] of list.entries())
      text += `${tsvField(users[j])}\t${rank + 1}\t${tsvField(r.item)}\t${r.score.toFixed(4)}\n`;
  return text;
}
