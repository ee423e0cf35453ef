/**
 * A throw-away Redis server on loopback for tests and benchmarks: Debian's `redis-server` on a
 * free port, its working folder a temporary one (no persistence), stopped by its process id.
 * `redisSkip()` says why the Redis tests skip (no redis-server) — or throws when
 * AUTOREC_REQUIRE_REDIS=1 (CI), so that a missing server fails the run instead.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres-server.ts';

export interface RedisServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** AUTOREC_REDIS_BIN, else Debian's /usr/bin/redis-server, else the one on PATH. */
export function findRedisServer(): string | undefined {
  const given = process.env.AUTOREC_REDIS_BIN;
  if (given) return existsSync(given) ? given : undefined;
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why the Redis tests cannot run here, or undefined when they can. */
export function redisSkip(): string | undefined {
  if (findRedisServer()) return undefined;
  const reason = process.env.AUTOREC_REDIS_BIN
    ? `AUTOREC_REDIS_BIN=${process.env.AUTOREC_REDIS_BIN} is not a file`
    : 'redis-server is not installed (apt-get install redis-server)';
  if (process.env.AUTOREC_REQUIRE_REDIS === '1') throw new Error(`AUTOREC_REQUIRE_REDIS=1 but ${reason}`);
  process.stderr.write(`skipping the Redis tests: ${reason}\n`);
  return reason;
}

/**
 * Starts a server (no snapshots, no append-only file) and waits until it answers PING.
 *
 * @example
 * const redis = await startRedis(findRedisServer()!);
 * // … new Queue('q', { connection: { url: redis.url } }) …
 * await redis.stop();
 */
export async function startRedis(bin: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-redis-'));
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    if (await answersPing(child, port)) {
      return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopServer(child, dir) };
    }
    lastError = output;
    await stopServer(child, undefined);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start: ${lastError}`);
}

async function answersPing(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const pong = await new Promise<boolean>((done) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(1000);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        done(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => done(false));
      socket.once('timeout', () => {
        socket.destroy();
        done(false);
      });
    });
    if (pong) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** SIGTERM: Redis shuts down at once (nothing to save); SIGKILL after 10 s. */
async function stopServer(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
