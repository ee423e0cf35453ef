/**
 * vitest globalSetup: one PostgreSQL server on loopback for the run (its own data folder and a
 * free port), stopped by its process id afterwards; each test makes its own database on it.
 * AUTOREC_TEST_DATABASE_URL uses a server that is already running instead. Without PostgreSQL's
 * binaries the PostgreSQL tests skip, saying why — unless AUTOREC_REQUIRE_POSTGRES=1 (CI).
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url?: string; skip?: string };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.AUTOREC_TEST_DATABASE_URL;
  if (external) {
    project.provide('postgres', { url: external });
    return undefined;
  }
  const bin = findPostgresBin();
  if (!bin) {
    const reason = process.env.AUTOREC_POSTGRES_BIN
      ? `AUTOREC_POSTGRES_BIN=${process.env.AUTOREC_POSTGRES_BIN} holds no postgres binary`
      : 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres nor postgres on PATH; apt-get install postgresql)';
    if (process.env.AUTOREC_REQUIRE_POSTGRES === '1')
      throw new Error(`AUTOREC_REQUIRE_POSTGRES=1 but ${reason}`);
    process.stderr.write(`skipping the PostgreSQL tests: ${reason}\n`);
    project.provide('postgres', { skip: reason });
    return undefined;
  }
  const server = await startPostgres(bin);
  project.provide('postgres', { url: server.url });
  return () => server.stop();
}
