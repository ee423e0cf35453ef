import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openService, type Service, type ServiceConfig } from '../src/service.ts';

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

/** A service on the `tiny` preset in a fresh folder, its first model trained and serving. */
export async function startTestService(
  overrides: Partial<ServiceConfig> = {},
  dir?: string,
): Promise<TestService> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'autorec-api-'));
  const keysFile = `${folder}.keys.json`; // beside the data folder, which must start empty
  writeFileSync(
    keysFile,
    JSON.stringify([
      { name: 'reader', key: READER, scopes: ['read'] },
      { name: 'writer', key: WRITER, scopes: ['write'] },
    ]),
  );
  const service = await openService({
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
  });
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
