import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, type RedisServer, redisSkip, startRedis } from '../../api/test/redis-server.ts';
import { runCli, startCli, tempDir } from './cli-helpers.ts';

const skip = redisSkip();

/** A loopback port nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe('autorec worker', () => {
  let folder: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    folder = await tempDir('worker');
  });
  afterAll(async () => {
    await folder?.remove();
  });

  it('prints its usage for --help (exit 0); a missing --redis or a bad flag exits 2', async () => {
    const help = await runCli(['worker', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: autorec worker --redis URL/);
    expect(help.stdout).toContain('--lock-ms N');
    const none = await runCli(['worker'], { env: { AUTOREC_REDIS_URL: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('autorec worker needs --redis URL');
    const bad = await runCli(['worker', '--redis', 'http://example.com']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--redis takes a Redis URL');
  }, 60_000);

  it('refuses a folder that is not an API data folder, and a Redis that does not answer: exit 1, one line', async () => {
    const notOurs = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--data-dir', folder.dir]);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toMatch(/cannot start: .* is not an API data folder \(no autorec\.db\)/);
    await writeFile(join(folder.dir, 'autorec.db'), ''); // an empty SQLite database
    const port = await closedPort();
    const down = await runCli(['worker', '--redis', `redis://127.0.0.1:${port}`, '--data-dir', folder.dir]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      `cannot start: Redis at redis://127.0.0.1:${port} did not answer within 10 s`,
    );
  }, 60_000);

  describe.skipIf(skip)(`with a Redis${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis(findRedisServer()!);
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('says it is ready on stdout and stops gracefully on Ctrl-C, exit 0', async () => {
      await writeFile(join(folder.dir, 'autorec.db'), '');
      const run = startCli(['worker', '--redis', redis.url, '--data-dir', folder.dir]);
      await new Promise<void>((resolve, reject) => {
        let stdout = '';
        run.child.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk;
          if (/\{"worker":"[0-9a-f-]{36}","ready":true\}/.test(stdout)) resolve();
        });
        run.child.once('close', (code) => reject(new Error(`exited with ${code}: ${run.stderrSoFar()}`)));
      });
      run.child.kill('SIGINT');
      const end = await run.done;
      expect(end.code).toBe(0);
      expect(end.stderr).toMatch(
        /jobs from redis:\/\/127\.0\.0\.1:\d+[\s\S]*asked to stop[\s\S]*autorec-worker: stopped/,
      );
    }, 60_000);
  });
});
