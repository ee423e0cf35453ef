// `npm run serve`: the API on a port, with graceful shutdown on SIGTERM/SIGINT.

import { setupCompute } from '@autorec/core';
import { serve } from '@hono/node-server';
import { ConfigError, readConfig } from './config.ts';
import { openService } from './service.ts';
import { describeDatabase } from './storage/open.ts';

const say = (line: string) => process.stderr.write(`autorec-api: ${line}\n`);

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.message.startsWith('usage:') ? 0 : 2);
    }
    throw error;
  }
  // The compute context, chosen once for the server (AUTOREC_BACKEND forces a tfjs backend).
  const { backend } = await setupCompute();
  const service = await openService({ ...config, say });
  say(`data folder ${service.deps.dataDir} (models/); database ${describeDatabase(service.database)}`);
  say(
    `compute backend ${backend.name} (${backend.reason}); keys ${service.deps.keys.size}` +
      `${config.anonymousRead ? ', anonymous reads allowed' : ''}; CORS ${config.corsOrigins.join(', ') || 'off'}` +
      `; rate limit ${config.rateLimit || 'off'}/min per key; body limit ${config.bodyLimit} bytes`,
  );
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
    void service.close().finally(() => process.exit(1));
  });
  service.ready.then(
    () => process.stdout.write(`${JSON.stringify({ ready: true })}\n`),
    (error: Error) => say(`not ready: ${error.message}`),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: finishing requests in flight, then stopping`);
    // Stop accepting; close() resolves when in-flight requests have finished.
    server.close(async () => {
      await service.close();
      say('stopped');
      process.exit(0);
    });
    // SSE streams and keep-alive sockets would hold close() open: end idle ones now.
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    setTimeout(
      () => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(),
      10_000,
    ).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: Error) => {
  say(error.message);
  process.exit(1);
});
