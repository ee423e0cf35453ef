/** An `autorec worker` process for tests and benchmarks (apps/api/src/worker-main.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER_MAIN = fileURLToPath(new URL('../src/worker-main.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** JSON lines it printed on stdout. */
  records: Record<string, unknown>[];
  stderr: () => string;
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/**
 * Starts `worker-main.ts` (what `autorec worker` runs) on `dataDir` and the queue at `redisUrl`,
 * with `extra` flags; its stdout JSON lines are collected in `records`.
 *
 * @example
 * const worker = startWorker(dir, redis.url, ['--lock-ms', '1500']);
 * const id = await worker.ready;
 */
export function startWorker(dataDir: string, redisUrl: string, extra: readonly string[] = []): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@autorec/source',
      '--import',
      'tsx',
      WORKER_MAIN,
      '--redis',
      redisUrl,
      '--data-dir',
      dataDir,
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const records: Record<string, unknown>[] = [];
  let stderr = '';
  let buffer = '';
  let onRecord: (r: Record<string, unknown>) => void = () => {};
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const record = JSON.parse(line) as Record<string, unknown>;
      records.push(record);
      onRecord(record);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    onRecord = (r) => {
      if (r.ready === true) resolve(r.worker as string);
    };
    void exited.then((code) => reject(new Error(`the worker exited with ${code}: ${stderr}`)));
  });
  return { child, records, stderr: () => stderr, ready, exited };
}
