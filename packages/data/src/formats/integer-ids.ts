import type { FormatName } from '../dataset.ts';
import type { Fields } from './fields.ts';
import { LineError, quote } from './line-error.ts';

const ZERO = 48;
const NINE = 57;

const SHA1 = /^[0-9a-f]{40}$/i;
const MSD_SONG = /^SO[A-Z0-9]{16}$/;
const MBID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LASTFM_1K_USER = /^user_\d+$/;

/**
 * The format a line of another reader's input looks like, from its first two fields (user and
 * item in every interaction format): 40-hex users with `SO…` songs are the Taste Profile,
 * 40-hex users with MusicBrainz ids (or none) Last.fm 360K, `user_000001` users Last.fm 1K.
 *
 * @example
 * guessFormat('b80344d063b5ccb3212f76538f3d9e43d87dca9e', 'SOAKIMP12A8C130995'); // 'taste-profile'
 */
export function guessFormat(user: string, item: string): FormatName | undefined {
  if (MSD_SONG.test(item)) return 'taste-profile';
  if (SHA1.test(user)) return item === '' || MBID.test(item) ? 'lastfm-360k' : 'taste-profile';
  if (LASTFM_1K_USER.test(user)) return 'lastfm-1k';
  return undefined;
}

/**
 * Checks that field `i` is a decimal integer id, as in the formats whose ids are numbers
 * (Last.fm HetRec, MovieLens): a cheap test that stops a file of another format from being read
 * as one of these without complaint. The `LineError` names the field and, when the line looks
 * like another format (see `guessFormat`), says which; such a line on the first data line is
 * fatal even in lenient mode, because the whole file is then in another format.
 *
 * @example
 * checkIntegerId(fields, 0, 'userID', 'lastfm-hetrec', true);
 * // LineError: expected an integer id, got "b80344…"; this looks like a taste-profile file, not lastfm-hetrec: read it with format 'taste-profile'
 */
export function checkIntegerId(
  f: Fields,
  i: number,
  name: string,
  format: FormatName,
  firstDataLine: boolean,
): void {
  const { bytes } = f;
  const end = f.ends[i];
  let p = f.starts[i];
  while (p < end && bytes[p] >= ZERO && bytes[p] <= NINE) p++;
  if (p === end) {
    // One spelling per number: leading zeros are dropped (keeping a lone 0), so 02 and 2 are one id.
    let start = f.starts[i];
    while (start < end - 1 && bytes[start] === ZERO) start++;
    f.starts[i] = start;
    return;
  }
  const guess = f.count >= 2 ? guessFormat(f.text(0), f.text(1)) : undefined;
  const got = `expected an integer id, got ${quote(f.text(i))}`;
  if (guess === undefined || guess === format)
    throw new LineError(`${got} (${format} ids are whole numbers)`, name);
  throw new LineError(
    `${got}; this looks like a ${guess} file, not ${format}: read it with format '${guess}'`,
    name,
    firstDataLine,
  );
}
