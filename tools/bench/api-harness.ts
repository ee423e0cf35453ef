/**
 * What the API benchmarks share: starting a real `apps/api` server process on loopback, calling it
 * with the bench key, and one bounded autocannon run reported as one JSON line (stdout) and one
 * human line (stderr). Used by `api.ts` (one server) and `replicas.ts` (replicas behind HAProxy).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startJsonProcess, stopProcess } from '../../apps/api/test/json-process.ts';
import { sharedDataDir } from './data-dir.ts';

export const BENCH_KEY = 'bench-admin-key-0123456789abcdef';
const root = resolve(import.meta.dirname, '../..');
export const benchHeaders = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };

/** The server's import flags for `lastfm` (Last.fm 2K from the shared folder) or `msd` (60K listeners). */
export function sourceArgs(data: string): string[] {
  if (data === 'msd') return ['--preset', 'msd', '--preset-users', '60000'];
  if (data === 'lastfm') {
    const file = join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat');
    if (!existsSync(file))
      throw new Error(`${file} not found (set AUTOREC_REAL_DATA to the shared data folder)`);
    return ['--input', file, '--format', 'lastfm-hetrec'];
  }
  throw new Error(`--data ${data}: use lastfm or msd`);
}

/**
 * Starts `apps/api/src/main.ts` on a free port with `args` (data folder, database, import, …);
 * resolves with its port once it serves a model (`{"ready":true}` on stdout).
 */
export async function startServer(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const server = startJsonProcess(
    'the server',
    join(root, 'apps/api/src/main.ts'),
    ['--port', '0', '--rate-limit', '0', ...args],
    { cwd: root, env: { ...process.env, AUTOREC_API_KEY: BENCH_KEY }, stderr: 'inherit' },
  );
  const { listening } = await server.next((r) => typeof r.listening === 'number');
  await server.next((r) => r.ready === true);
  return { child: server.child, port: Number(listening) };
}

/** Stops a server started by `startServer` (SIGTERM: a graceful stop) and waits for it. */
export const stopServer = (child: ChildProcess | undefined) => stopProcess(child && { child });

/** A JSON call with the bench key; throws with the status and body on a non-2xx answer. */
export async function api(base: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, { ...init, headers: benchHeaders });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** CPU seconds a server process has used (prom-client's process metric): load-independent cost. */
export async function serverCpuSeconds(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.match(/^process_cpu_seconds_total (\S+)$/m)?.[1] ?? Number.NaN);
}

export interface Scenario {
  name: string;
  method?: 'GET' | 'POST';
  /** Path and body of each request (called per request). */
  next: () => { path: string; body?: unknown };
  /** Items per request, for the items/s figure (events per batch). */
  items?: number;
}

export interface RunOptions {
  connections: number;
  seconds: number;
  /** Servers whose CPU the requests cost (their /metrics); default: `base` itself. */
  servers?: readonly string[];
  /** Extra fields for the JSON line (data set, database, replicas, …). */
  tags?: Record<string, unknown>;
}

/** One bounded autocannon run against `base`; prints its JSON line and a summary; returns the figures. */
export async function run(base: string, s: Scenario, o: RunOptions) {
  const servers = o.servers ?? [base];
  const load = loadavg()[0];
  const cpuOf = async () => (await Promise.all(servers.map(serverCpuSeconds))).reduce((a, b) => a + b, 0);
  const cpuBefore = await cpuOf();
  const result = await autocannon({
    url: base,
    connections: o.connections,
    duration: o.seconds,
    headers: benchHeaders,
    requests: [
      {
        method: s.method ?? 'GET',
        setupRequest: (req) => {
          const { path, body } = s.next();
          return { ...req, path, body: body === undefined ? undefined : JSON.stringify(body) };
        },
      },
    ],
  });
  const cpu = (await cpuOf()) - cpuBefore;
  const out = {
    scenario: s.name,
    ...o.tags,
    connections: o.connections,
    seconds: o.seconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    itemsPerSecond: s.items ? Math.round(result.requests.average * s.items) : undefined,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    /** Server CPU (all threads of every server) per request: what a request costs whatever else runs. */
    serverCpuMsPerRequest: Math.round((cpu / result.requests.total) * 1e6) / 1e3,
    loadAverageAtStart: load,
  };
  console.log(JSON.stringify(out));
  console.error(
    `${s.name}: ${out.requestsPerSecond} req/s${out.itemsPerSecond ? ` (${out.itemsPerSecond} items/s)` : ''}, p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms, non-2xx ${out.non2xx}, errors ${out.errors}, server CPU ${out.serverCpuMsPerRequest} ms/request`,
  );
  return out;
}
