import { join } from 'node:path';
import { openPostgresRepository, redactUrl } from './postgres.ts';
import type { Repository } from './repository.ts';
import { openSqliteRepository } from './sqlite.ts';

/** Where the repository lives: the embedded SQLite file (default) or a PostgreSQL database. */
export type DatabaseLocation = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** A `postgres://` or `postgresql://` URL; anything else is not one. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** PostgreSQL when a URL is given (`--db`, `AUTOREC_DATABASE_URL`), else `autorec.db` in the data folder. */
export function databaseLocation(url: string | undefined, dataDir: string): DatabaseLocation {
  return url ? { engine: 'postgres', url } : { engine: 'sqlite', path: join(dataDir, 'autorec.db') };
}

/** For start-up lines and logs: the file, or the URL without its password. */
export function describeDatabase(location: DatabaseLocation): string {
  return location.engine === 'sqlite' ? `SQLite ${location.path}` : `PostgreSQL ${redactUrl(location.url)}`;
}

/**
 * Opens (and migrates, unless `readonly`) the repository at `location`.
 *
 * @example
 * const repo = await openRepository(databaseLocation(process.env.AUTOREC_DATABASE_URL, 'data'));
 */
export async function openRepository(
  location: DatabaseLocation,
  options: { readonly?: boolean } = {},
): Promise<Repository> {
  if (location.engine === 'sqlite') return openSqliteRepository(location.path, options);
  return openPostgresRepository(location.url, { ...options, maxConnections: options.readonly ? 2 : 10 });
}
