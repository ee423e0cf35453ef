/** An `autorec worker` process for tests and benchmarks (apps/api/src/worker-main.ts). */
import { fileURLToPath } from 'node:url';
import { type JsonProcess, startJsonProcess } from './json-process.ts';

const WORKER_MAIN = fileURLToPath(new URL('../src/worker-main.ts', import.meta.url));

export interface WorkerProcess extends JsonProcess {
  /** Its stderr so far (the last 20,000 characters). */
  stderr: () => string;
  /** Resolves with the worker's id once it takes jobs; rejects if it exits first. */
  ready: Promise<string>;
}

/**
 * Starts `worker-main.ts` (what `autorec worker` runs) on `dataDir` and the queue at `redisUrl`,
 * with `extra` flags; its stdout JSON lines are collected in `records`. It runs at the test's
 * priority (AUTOREC_WORKER_NICE=0), not 10 nicer as by default: the tests wait for jobs with
 * deadlines, and on a machine busy with other work a niced worker may get a few percent of a
 * core. (`env` replaces that.)
 *
 * @example
 * const worker = startWorker(dir, redis.url, ['--lock-ms', '1500']);
 * const id = await worker.ready;
 */
export function startWorker(
  dataDir: string,
  redisUrl: string,
  extra: readonly string[] = [],
  env: NodeJS.ProcessEnv = { ...process.env, AUTOREC_WORKER_NICE: '0' },
): WorkerProcess {
  const p = startJsonProcess(
    'the worker',
    WORKER_MAIN,
    ['--redis', redisUrl, '--data-dir', dataDir, ...extra],
    { env },
  );
  const ready = p.next((r) => r.ready === true).then((r) => r.worker as string);
  return Object.assign(p, { stderr: p.output, ready });
}
