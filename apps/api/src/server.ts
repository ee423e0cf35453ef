import { setupCompute } from '@autorec/core';
import { serve } from '@hono/node-server';
import { configOrExitCode, readConfig } from './config.ts';
import { openService } from './service.ts';
import { describeModelFiles } from './storage/model-files.ts';
import { describeDatabase } from './storage/open.ts';

const say = (line: string) => process.stderr.write(`autorec-api: ${line}\n`);

/**
 * The API on a port until `stop` aborts (or, without one, SIGTERM/SIGINT arrive): stops
 * accepting, finishes requests in flight, marks running jobs interrupted, closes the database.
 * Resolves with the exit code — 0 after a graceful stop or `--help`, 2 for a bad flag, 1 when
 * the server cannot start (the reason on stderr: a data folder that is not the API's, a database
 * that refuses the connection, an import file that does not parse, a port in use). `npm run serve` (main.ts) and `autorec serve` both run it.
 *
 * @example
 * const stop = new AbortController();
 * const exited = runServer(['--port', '8787'], process.env, { stop: stop.signal });
 * stop.abort(); // later: a graceful shutdown
 * process.exitCode = await exited;
 */
export async function runServer(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { stop?: AbortSignal } = {},
): Promise<number> {
  const config = configOrExitCode(readConfig, argv, env);
  if (typeof config === 'number') return config;
  let backend: Awaited<ReturnType<typeof setupCompute>>['backend'];
  let service: Awaited<ReturnType<typeof openService>>;
  try {
    // The compute context, chosen once for the server (AUTOREC_BACKEND forces a tfjs backend).
    ({ backend } = await setupCompute());
    service = await openService({ ...config, say });
  } catch (error) {
    // A data folder that is not ours, a database that refuses us, a file that does not parse:
    // said in one line, exit 1 (the message names the folder, URL or file).
    say(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  say(
    `data folder ${service.deps.dataDir}; models in ${describeModelFiles(service.deps.models)}; database ${describeDatabase(service.database)}`,
  );
  say(
    `compute backend ${backend.name} (${backend.reason}); keys ${service.deps.keys.size}` +
      `${config.anonymousRead ? ', anonymous reads allowed' : ''}; CORS ${config.corsOrigins.join(', ') || 'off'}` +
      `; rate limit ${config.rateLimit || 'off'}/min per key; body limit ${config.bodyLimit} bytes`,
  );
  let finished!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const server = serve({ fetch: service.app.fetch, port: config.port, hostname: config.host }, (info) => {
    say(`listening on http://${config.host}:${info.port} (OpenAPI at /openapi.json, docs at /docs)`);
    // Machine-readable line for scripts and tests that start the server on port 0.
    process.stdout.write(`${JSON.stringify({ listening: info.port })}\n`);
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    say(
      error.code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is in use; choose another with --port`
        : error.message,
    );
    void service.close().finally(() => finished(1));
  });
  service.ready.then(
    () => process.stdout.write(`${JSON.stringify({ ready: true })}\n`),
    (error: Error) => say(`not ready: ${error.message}`),
  );

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: finishing requests in flight, then stopping`);
    // Stop accepting; close() calls back when in-flight requests have finished.
    server.close(async () => {
      await service.close();
      say('stopped');
      finished(0);
    });
    // SSE streams and keep-alive sockets would hold close() open: end idle ones now.
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    setTimeout(
      () => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(),
      10_000,
    ).unref();
  };
  if (options.stop) {
    if (options.stop.aborted) stop('asked to stop');
    else options.stop.addEventListener('abort', () => stop('asked to stop'), { once: true });
  } else {
    const onSignal = (signal: NodeJS.Signals) => stop(signal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void exited.then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  return exited;
}
