import { escapeControls } from '@autorec/data';

/**
 * Text from data files (ids, artist and title metadata) reaches the terminal; a terminal obeys
 * control characters in it — ESC sequences retitle the window, clear the screen, move the
 * cursor or (in some terminals) write files, and bidi overrides reorder what is shown. These
 * helpers make such text inert where the app prints it (the `Output` class for every command,
 * `songLabel` for the interactive app) and where it writes TSV.
 */

/**
 * `text` with every control character that could act on a terminal shown as a visible escape
 * (`\x1b`, `\x07`, `\u202e`); tabs and newlines are kept. The same escapes as the TSV fields of
 * `--all-users` files (`escapeControls` in @autorec/data, their one home).
 *
 * @example
 * printable('\x1b]0;pwned\x07Song'); // '\\x1b]0;pwned\\x07Song'
 */
export const printable: (text: string) => string = escapeControls;

/** `json` (from JSON.stringify) with the characters JSON leaves raw but terminals may obey as `\uXXXX`. */
export function printableJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
