import { resolve } from 'node:path';

/**
 * Folder of the real datasets (`lastfm-hetrec-2k/`, `ml-100k/`): `AUTOREC_REAL_DATA`, else
 * `../shared/data` beside the repository — where the tests look too.
 *
 * @example
 * const file = join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat');
 */
export function sharedDataDir(): string {
  return process.env.AUTOREC_REAL_DATA ?? resolve(import.meta.dirname, '../../../shared/data');
}
