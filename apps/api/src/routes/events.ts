import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { EventsBody } from '../schemas.ts';
import { errors, json, security } from './shared.ts';

export function registerEvents(app: ApiApp, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/events',
      tags: ['events'],
      summary: 'Store up to 10,000 listening events',
      description:
        'Answers 202 only after the events are committed. Idempotent on `eventId`: an id already stored counts as a duplicate and is not stored twice. A listener’s events count toward their recommendations at once (fold-in, and their songs are left out), before any retraining.',
      security,
      request: { body: { content: { 'application/json': { schema: EventsBody } }, required: true } },
      responses: {
        202: json(
          z.object({ accepted: z.number().int(), duplicates: z.number().int() }).openapi({
            example: { accepted: 1000, duplicates: 0 },
          }),
          'committed',
        ),
        ...errors(413),
      },
    }),
    async (c) => {
      const now = Date.now();
      const events = c.req.valid('json').events.map((e) => ({
        eventId: e.eventId,
        user: e.user,
        song: e.song,
        count: e.count,
        timestamp:
          e.timestamp === undefined
            ? now
            : typeof e.timestamp === 'number'
              ? e.timestamp
              : Date.parse(e.timestamp),
      }));
      const result = await deps.repo.addEvents(events);
      deps.metrics.events.inc(result.accepted);
      deps.metrics.duplicates.inc(result.duplicates);
      return c.json(result, 202);
    },
  );
}
