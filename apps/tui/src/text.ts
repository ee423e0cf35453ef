import stringWidth from 'string-width';

/**
 * Text measured in terminal cells, not UTF-16 code units: East Asian wide characters
 * (浜崎あゆみ) take two cells, combining marks (Thai vowels, a decomposed é) none, an emoji
 * sequence two. string-width is what Ink itself measures with, so text padded here lines up
 * in Ink's layout and in plain output alike. Cutting is done here by grapheme rather than with
 * cli-truncate, which overshoots by a cell when the cut falls next to a wide character.
 *
 * @example
 * displayWidth('浜崎あゆみ'); // 10
 * fitEnd('浜崎あゆみ', 7);    // '浜崎あ… ' (7 cells)
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The longest start of `text` (whole graphemes) that fits `width` cells. */
function headOf(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width) break;
    out += segment;
    used += w;
  }
  return out;
}

/** The longest end of `text` (whole graphemes) that fits `width` cells. */
function tailOf(text: string, width: number): string {
  const parts = Array.from(graphemes.segment(text), (g) => g.segment);
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = stringWidth(parts[i]);
    if (used + w > width) break;
    out = parts[i] + out;
    used += w;
  }
  return out;
}

/** `text` cut to at most `width` cells, with `…` where it was cut. */
export function truncateEnd(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  return `${headOf(text, width - 1)}…`;
}

/** `text` cut in the middle, with `…` there (for ids and paths: both ends stay). */
export function truncateMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  const room = width - 1;
  const head = headOf(text, Math.ceil(room / 2));
  return `${head}…${tailOf(text, room - displayWidth(head))}`;
}

/**
 * A line naming a file, cut to `width` cells in its folders: the start of the path and the
 * file name (with whatever follows it) stay, as in `/home/me/…/user_artists.dat (lastfm-hetrec)`.
 * Falls back to a cut in the middle when even the file name does not fit.
 */
export function shortenPath(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const slash = text.lastIndexOf('/');
  const tail = slash > 0 ? text.slice(slash) : '';
  const room = width - displayWidth(tail);
  if (tail === '' || room < 6) return truncateMiddle(text, width);
  return truncateEnd(text.slice(0, slash), room) + tail;
}

/** Pads with spaces on the right to `width` cells. */
export function padEndCells(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** Pads with spaces on the left to `width` cells. */
export function padStartCells(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** Exactly `width` cells: cut with `…` when longer, padded when shorter (a wide character cut in two leaves a space). */
export function fitEnd(text: string, width: number): string {
  return padEndCells(truncateEnd(text, width), width);
}
