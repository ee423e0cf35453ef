import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { json } from './shared.ts';

export function registerOps(app: ApiApp, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['ops'],
      summary: 'Liveness: the process answers',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'alive') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  const Ready = z.object({
    ready: z.boolean(),
    model: z.object({ model: z.string(), version: z.number().int() }).optional(),
    database: z.enum(['writable', 'failing']),
    trainingJob: z.string().optional(),
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['ops'],
      summary: 'Readiness: a model is loaded and the database is writable',
      responses: { 200: json(Ready, 'ready'), 503: json(Ready, 'not ready') },
    }),
    async (c) => {
      const served = deps.server.current?.version;
      const writable = await deps.repo.ping();
      const body = {
        ready: served !== undefined && writable,
        model: served && { model: served.model, version: served.version },
        database: writable ? ('writable' as const) : ('failing' as const),
        trainingJob: deps.jobs.runningJob,
      };
      return c.json(body, body.ready ? 200 : 503);
    },
  );

  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'Content-Type': deps.metrics.registry.contentType }),
  );
}
