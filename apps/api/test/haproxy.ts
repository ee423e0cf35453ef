/**
 * A throw-away HAProxy (Debian's `haproxy`) on loopback in front of API replicas, for the cluster
 * test and the replica benchmark: round robin over the given ports, each replica health-checked on
 * `/readyz` every 500 ms (taken out after three failures or 2 s without an answer; a killed
 * replica refuses connections at once), a request that could not connect or got no answer retried
 * once on another replica, and a stats page whose CSV counts each replica's responses by status
 * class — so a test can count the 5xx of a replica it killed.
 * Started in the foreground (`-db`) and stopped by its process id.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres-server.ts';

export interface Haproxy {
  /** http://127.0.0.1:port of the balancer. */
  url: string;
  pid: number;
  /** Per-replica counters from the stats CSV, in the order the ports were given. */
  servers(): Promise<BackendServer[]>;
  stop(): Promise<void>;
}

export interface BackendServer {
  name: string;
  /** UP, DOWN, … as HAProxy reports it. */
  status: string;
  /** Responses by class (hrsp_1xx … hrsp_5xx) and connection/response errors. */
  responses: { '2xx': number; '4xx': number; '5xx': number };
  connectionErrors: number;
  responseErrors: number;
}

/** The `haproxy` binary (AUTOREC_HAPROXY_BIN, else PATH, else Debian's /usr/sbin), or undefined. */
export function findHaproxy(): string | undefined {
  const candidates = [process.env.AUTOREC_HAPROXY_BIN, 'haproxy', '/usr/sbin/haproxy'].filter(
    (c): c is string => Boolean(c),
  );
  for (const c of candidates) {
    try {
      execFileSync(c, ['-v'], { stdio: 'ignore' });
      return c;
    } catch {}
  }
  return undefined;
}

/**
 * Starts HAProxy in front of `ports` (replicas on 127.0.0.1).
 *
 * @example
 * const lb = await startHaproxy(findHaproxy()!, [8781, 8782, 8783]);
 * await fetch(`${lb.url}/v1/models`);
 * await lb.stop();
 */
export async function startHaproxy(bin: string, ports: readonly number[]): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout check 2s',
      // A request that found no connection, or no answer, is tried once more on another replica:
      // safe for GETs, and for event batches because events are idempotent by eventId.
      '  retries 2',
      '  option redispatch',
      '  retry-on conn-failure empty-response',
      'frontend api',
      `  bind 127.0.0.1:${port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  default-server inter 500ms fall 3 rise 1',
      ...ports.map((p, i) => `  server r${i} 127.0.0.1:${p} check`),
      'frontend stats',
      `  bind 127.0.0.1:${statsPort}`,
      '  stats enable',
      '  stats uri /stats',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(bin, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stats = `http://127.0.0.1:${statsPort}/stats;csv`;
  const servers = async (): Promise<BackendServer[]> => {
    const [header, ...rows] = (await (await fetch(stats)).text()).trim().split('\n');
    const names = header.replace(/^# /, '').split(',');
    const col = (row: string[], name: string) => row[names.indexOf(name)] ?? '';
    const num = (row: string[], name: string) => Number(col(row, name)) || 0;
    return rows
      .map((line) => line.split(','))
      .filter((row) => col(row, 'pxname') === 'replicas' && /^r\d+$/.test(col(row, 'svname')))
      .map((row) => ({
        name: col(row, 'svname'),
        status: col(row, 'status'),
        responses: { '2xx': num(row, 'hrsp_2xx'), '4xx': num(row, 'hrsp_4xx'), '5xx': num(row, 'hrsp_5xx') },
        connectionErrors: num(row, 'econ'),
        responseErrors: num(row, 'eresp'),
      }));
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when the stats page answers and every replica has been checked UP once.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const up = await servers().catch(() => []);
    if (up.length === ports.length && up.every((s) => s.status === 'UP')) {
      return { url, pid: child.pid!, servers, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`HAProxy did not start or its replicas are not UP: ${stderr || '(no output)'}`);
}
