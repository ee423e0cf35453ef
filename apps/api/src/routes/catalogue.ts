import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { notFound, Problem } from '../problem.ts';
import { SongId, SongInfo, UserId } from '../schemas.ts';
import { errors, json, security } from './shared.ts';

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
const Cursor = z.string().max(512).optional().openapi({ description: '`nextCursor` of the previous page' });

export function registerCatalogue(app: ApiApp, deps: AppDeps): void {
  const { repo } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/songs',
      tags: ['songs'],
      summary: 'The catalogue: every song with metadata or plays, in id order, a page at a time',
      security,
      request: {
        query: z.object({
          query: z
            .string()
            .min(1)
            .max(256)
            .optional()
            .openapi({ description: 'substring of id, artist or title' }),
          cursor: Cursor,
          limit: Limit,
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(SongInfo), nextCursor: z.string().optional() }),
          'a page of songs',
        ),
        ...errors(),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await repo.listSongs(q.query, q.cursor, q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/songs/{song}',
      tags: ['songs'],
      summary: "A song's metadata and whether the served model knows it",
      security,
      request: { params: z.object({ song: SongId }) },
      responses: {
        200: json(SongInfo.extend({ inModel: z.boolean() }), 'the song'),
        ...errors(404),
      },
    }),
    async (c) => {
      const { song } = c.req.valid('param');
      const stored = await repo.song(song);
      const model = deps.server.current?.model;
      const inModel = model?.items.has(song) ?? false;
      const info = stored ?? (inModel ? { song, ...model?.itemInfo(song) } : undefined);
      if (!info) throw notFound('song', song, 'no metadata and no plays of it');
      return c.json({ ...info, song, inModel }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/songs',
      tags: ['songs'],
      summary: 'Store artist and title of up to 10,000 songs (fields left out keep their value)',
      security,
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ songs: z.array(SongInfo).min(1).max(10_000) }).openapi({
                example: {
                  songs: [{ song: 'SOAKIMP12A8C130995', artist: 'Casual', title: "I Didn't Mean To" }],
                },
              }),
            },
          },
          required: true,
        },
      },
      responses: { 200: json(z.object({ updated: z.number().int() }), 'stored'), ...errors(413) },
    }),
    async (c) => c.json({ updated: await repo.upsertSongs(c.req.valid('json').songs) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{user}',
      tags: ['listeners'],
      summary: "A listener's play summary (events) and whether the served model knows them",
      security,
      request: { params: z.object({ user: UserId }) },
      responses: {
        200: json(
          z.object({
            user: UserId,
            inModel: z.boolean(),
            events: z.number().int(),
            songs: z.number().int(),
            plays: z.number().int(),
            firstPlayed: z.string().optional(),
            lastPlayed: z.string().optional(),
          }),
          'the summary',
        ),
        ...errors(404),
      },
    }),
    async (c) => {
      const { user } = c.req.valid('param');
      const summary = await repo.userSummary(user);
      const inModel = deps.server.current?.model.users.has(user) ?? false;
      if (!summary && !inModel) throw notFound('user', user, 'no events and not in the training data');
      return c.json(
        {
          user,
          inModel,
          events: summary?.events ?? 0,
          songs: summary?.songs ?? 0,
          plays: summary?.plays ?? 0,
          firstPlayed: summary && new Date(summary.firstTimestamp).toISOString(),
          lastPlayed: summary && new Date(summary.lastTimestamp).toISOString(),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{user}/plays',
      tags: ['listeners'],
      summary: "A listener's events, newest first, a page at a time",
      security,
      request: { params: z.object({ user: UserId }), query: z.object({ cursor: Cursor, limit: Limit }) },
      responses: {
        200: json(
          z.object({
            items: z.array(
              z.object({
                eventId: z.string().optional(),
                song: SongId,
                count: z.number().int(),
                timestamp: z.string(),
              }),
            ),
            nextCursor: z.string().optional(),
          }),
          'a page of events',
        ),
        ...errors(404),
      },
    }),
    async (c) => {
      const { user } = c.req.valid('param');
      const q = c.req.valid('query');
      if (q.cursor !== undefined && !/^\d+$/.test(q.cursor))
        throw new Problem(400, 'invalid-request', 'query.cursor: not a cursor from this API', {
          errors: [{ field: 'query.cursor', rule: 'cursor', message: 'not a cursor from this API' }],
        });
      const page = await repo.userEvents(user, q.cursor, q.limit);
      if (page.items.length === 0 && q.cursor === undefined) throw notFound('user', user, 'no events');
      return c.json(
        {
          items: page.items.map((e) => ({
            eventId: e.eventId,
            song: e.song,
            count: e.count,
            timestamp: new Date(e.timestamp).toISOString(),
          })),
          nextCursor: page.nextCursor,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/users/{user}',
      tags: ['listeners'],
      summary: "Erase a listener's events (the model forgets them at its next training)",
      security,
      request: { params: z.object({ user: UserId }) },
      responses: {
        200: json(z.object({ user: UserId, deleted: z.number().int() }), 'erased'),
        ...errors(404),
      },
    }),
    async (c) => {
      const { user } = c.req.valid('param');
      const deleted = await repo.deleteUser(user);
      if (deleted === 0 && !(deps.server.current?.model.users.has(user) ?? false))
        throw notFound('user', user, 'no events and not in the training data');
      return c.json({ user, deleted }, 200);
    },
  );
}
