/**
 * A child process that reports on stdout in JSON lines — an API server (`main.ts`), an
 * `autorec worker` (`worker-main.ts`) — for tests and benchmarks: its records collected, a wait
 * for the first record that matches, and stopping it by its process id.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export type JsonRecord = Record<string, unknown>;

export interface JsonProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The JSON lines it printed on stdout, in order (lines that are not JSON are skipped). */
  readonly records: JsonRecord[];
  /** The last 20,000 characters of its stderr (empty when stderr is inherited). */
  output(): string;
  /** Resolves with its exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves with the first record `match` accepts (also one printed already); rejects if the process exits first. */
  next(match: (r: JsonRecord) => boolean): Promise<JsonRecord>;
}

export interface JsonProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** 'keep' (default): collected for `output()`; 'inherit': shown live (benchmarks). */
  stderr?: 'keep' | 'inherit';
}

/**
 * Runs `script` under tsx with the workspace's source condition, as `npm run serve` does.
 *
 * @example
 * const server = startJsonProcess('replica-1', MAIN, ['--port', '0']);
 * const { listening } = await server.next((r) => 'listening' in r);
 */
export function startJsonProcess(
  name: string,
  script: string,
  args: readonly string[],
  options: JsonProcessOptions = {},
): JsonProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@autorec/source', '--import', 'tsx', script, ...args],
    {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
    },
  );
  const records: JsonRecord[] = [];
  const waiting = new Set<{ match: (r: JsonRecord) => boolean; done: (r: JsonRecord) => void }>();
  let log = '';
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let record: JsonRecord;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      records.push(record);
      for (const w of waiting)
        if (w.match(record)) {
          waiting.delete(w);
          w.done(record);
        }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  });
  // On 'close', not 'exit': then every line it wrote is in `records` (its pipes can still hold
  // some when it exits).
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    name,
    child,
    records,
    output: () => log,
    exited,
    next: (match) =>
      new Promise((resolve, reject) => {
        const seen = records.find(match);
        if (seen) return resolve(seen);
        waiting.add({ match, done: resolve });
        void exited.then((code) => reject(new Error(`${name} exited with ${code} first:\n${log}`)));
      }),
  };
}

/** SIGTERM (a graceful stop), SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopProcess(p: { child: ChildProcess } | undefined, graceMs = 10_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL (a crash); resolves once it has exited. */
export async function killProcess(p: { child: ChildProcess }): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
}
