import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openService, type Service, type ServiceConfig } from '../src/service.ts';
import { type Engine, postgresServer } from './engines.ts';
import { createDatabase } from './postgres-server.ts';

export const ADMIN = 'admin-token-for-tests-0000';
export const READER = 'reader-token-for-tests-000';
export const WRITER = 'writer-token-for-tests-000';

export interface TestService extends Service {
  dir: string;
  /** `app.request` with a key (admin by default) and JSON bodies. */
  call(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
    headers?: Record<string, string>,
  ): Promise<Response>;
  dispose(): Promise<void>;
}

/** Data folder → the PostgreSQL database its service keeps its data in. */
const databases = new Map<string, string>();

/**
 * A service on the `tiny` preset in a fresh folder, its first model trained and serving. On
 * `postgres` a new folder gets a new database of the test server (dropped by `dispose`); a
 * later start on the same folder finds the same database.
 */
export async function startTestService(
  overrides: Partial<ServiceConfig> = {},
  dir?: string,
  engine: Engine = 'sqlite',
): Promise<TestService> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'autorec-api-'));
  let databaseUrl = overrides.databaseUrl;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (engine === 'postgres' && databaseUrl === undefined) {
    databaseUrl = databases.get(folder);
    if (databaseUrl === undefined) {
      const database = await createDatabase(postgresServer().url!);
      databaseUrl = database.url;
      databases.set(folder, databaseUrl);
      dropDatabase = async () => {
        databases.delete(folder);
        await database.drop();
      };
    }
  }
  const keysFile = `${folder}.keys.json`; // beside the data folder, which must start empty
  writeFileSync(
    keysFile,
    JSON.stringify([
      { name: 'reader', key: READER, scopes: ['read'] },
      { name: 'writer', key: WRITER, scopes: ['write'] },
    ]),
  );
  let service: Service;
  try {
    service = await openService({
      dataDir: folder,
      source: { kind: 'preset', preset: 'tiny' },
      model: 'ials',
      adminKey: ADMIN,
      keysFile,
      anonymousRead: false,
      corsOrigins: ['https://app.example'],
      bodyLimit: 1 << 20,
      rateLimit: 0,
      processMetrics: false,
      log: () => {},
      ...overrides,
      databaseUrl,
    });
  } catch (error) {
    await dropDatabase?.();
    throw error;
  }
  await service.ready;
  return {
    ...service,
    dir: folder,
    call(method, path, body, key = ADMIN, headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (key !== null) h.authorization = `Bearer ${key}`;
      if (body !== undefined) h['content-type'] = 'application/json';
      return Promise.resolve(
        service.app.request(path, {
          method,
          headers: h,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
    },
    async dispose() {
      await service.close();
      await dropDatabase?.();
      rmSync(keysFile, { force: true });
      if (!dir) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Waits for `check` to hold, polling; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Reads a batch job (`/v1/scoring-jobs/{id}`, `/v1/search-jobs/{id}`) through `service` until it
 * no longer runs; returns its status.
 */
export function untilEnded(service: Pick<TestService, 'call'>, path: string, timeoutMs = 60_000) {
  return waitFor(async () => {
    const job = await (await service.call('GET', path)).json();
    return job.status === 'running' ? undefined : job;
  }, timeoutMs);
}

/** The events of a whole Server-Sent Events stream's text, data parsed as JSON (comments skipped). */
export function sseEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: /^data: (.*)$/m.exec(block)?.[1] }))
    .filter((e): e is { event: string; data: string } => e.event !== undefined && e.data !== undefined)
    .map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
}

/**
 * Checks a batch job's progress stream (`GET /v1/{scoring,search}-jobs/{id}/events`): `progress`
 * events whose count of `key` (parts or tasks) done only grows, up to the total, then
 * one `end` with the final status; returns that status.
 */
export function expectProgressStream(text: string, key: 'parts' | 'tasks'): Record<string, unknown> {
  const events = sseEvents(text);
  const end = events.at(-1);
  if (end?.event !== 'end') throw new Error(`the stream did not end with an end event:\n${text}`);
  const progress = events.slice(0, -1);
  const done = progress.map((e) => {
    if (e.event !== 'progress' || e.data.status !== 'running')
      throw new Error(`not a progress event: ${JSON.stringify(e)}`);
    const count = e.data[key] as { done: number; total: number };
    // All done and still running: the gather step joins the parts (ranks the candidates).
    if (count.done > count.total) throw new Error(`progress at ${count.done} of ${count.total}`);
    return count.done;
  });
  done.forEach((d, i) => {
    if (i > 0 && d <= done[i - 1]) throw new Error(`progress went from ${done[i - 1]} to ${d}`);
  });
  return end.data;
}

/**
 * The nice value of each thread of a process (Linux: field 19 of /proc/PID/task/TID/stat), its
 * main thread first.
 */
export function threadNices(pid: number | 'self'): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .sort((a, b) => Number(a) - Number(b))
    .flatMap((tid) => {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        return []; // the thread ended between the listing and the read
      }
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    });
}
