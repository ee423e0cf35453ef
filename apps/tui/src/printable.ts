/**
 * Text from data files (ids, artist and title metadata) reaches the terminal; a terminal obeys
 * control characters in it — ESC sequences retitle the window, clear the screen, move the
 * cursor or (in some terminals) write files, and bidi overrides reorder what is shown. These
 * helpers make such text inert where the app prints it (the `Output` class for every command,
 * `songLabel` for the interactive app) and where it writes TSV.
 */

/**
 * C0 controls except tab and newline, DEL, C1 controls (U+0080–U+009F, which some terminals
 * read as 8-bit escapes), and the Unicode bidi embedding, override and isolate characters.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

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
 * printable('\x1b]0;pwned\x07Song'); // '\\x1b]0;pwned\\x07Song'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** `json` (from JSON.stringify) with the characters JSON leaves raw but terminals may obey as `\uXXXX`. */
export function printableJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
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
  return value.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]).replace(UNPRINTABLE, escapeChar);
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
