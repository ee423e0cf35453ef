import { inject } from 'vitest';

/** The storage engines every repository and API test runs on. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

/** URL of the test run's PostgreSQL server (see global-postgres.ts), or why there is none. */
export function postgresServer(): { url?: string; skip?: string } {
  return inject('postgres');
}

/** The name of a describe block for `engine`, saying why it is skipped when it is. */
export function engineTitle(engine: Engine): string {
  const skip = engine === 'postgres' ? postgresServer().skip : undefined;
  return skip ? `on ${engine} (skipped: ${skip})` : `on ${engine}`;
}

export function engineMissing(engine: Engine): boolean {
  return engine === 'postgres' && !postgresServer().url;
}
