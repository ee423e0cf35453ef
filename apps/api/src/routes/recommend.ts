import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { notFound, Problem } from '../problem.ts';
import {
  BatchBody,
  IdList,
  Item,
  K,
  ListResponse,
  RankBody,
  RecommendBody,
  SongId,
  UserId,
} from '../schemas.ts';
import { type ListRequest, listFor } from '../serving.ts';
import { enrich, errors, json, security } from './shared.ts';

type RecommendInput = z.infer<typeof RecommendBody>;

/** A recommend request in the serving layer's terms, and the listener's event history. */
async function answer(
  deps: AppDeps,
  body: RecommendInput,
  extra: Pick<ListRequest, 'includeColdItems'> = {},
) {
  const request: ListRequest = {
    k: body.k,
    exclude: body.exclude,
    candidates: body.candidates,
    excludeSeen: body.excludeSeen,
    ...extra,
  };
  let history: Awaited<ReturnType<typeof deps.repo.userPlays>> = [];
  if ('user' in body) {
    request.user = body.user;
    history = await deps.repo.userPlays(body.user);
  } else request.plays = body.plays.map((p) => ({ item: p.song, count: p.count }));
  // Take the served model once, after the last await: one version from here to the answer.
  const served = deps.server.require();
  const list = listFor(served, request, history);
  return { ...list, items: await enrich(deps, served, list.items) };
}

export function registerRecommend(app: ApiApp, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{user}/recommendations',
      tags: ['recommend'],
      summary: "A listener's top-k songs",
      description:
        'For a training user from the model; for a listener known only from events, by fold-in of those plays (no retraining). Songs the listener played are left out unless excludeSeen=false.',
      security,
      request: {
        params: z.object({ user: UserId }),
        query: z.object({
          k: K,
          model: z.string().optional().openapi({ description: 'must name the served model when given' }),
          exclude: IdList.optional(),
          candidates: IdList.optional(),
          excludeSeen: z.enum(['true', 'false']).default('true'),
        }),
      },
      responses: { 200: json(ListResponse, 'the list'), ...errors(404, 503) },
    }),
    async (c) => {
      const { user } = c.req.valid('param');
      const q = c.req.valid('query');
      const served = deps.server.require();
      if (q.model !== undefined && q.model !== served.version.model)
        throw notFound('model', q.model, `the served model is ${served.version.model}`);
      const result = await answer(deps, {
        user,
        k: q.k,
        exclude: q.exclude,
        candidates: q.candidates,
        excludeSeen: q.excludeSeen === 'true',
      });
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/recommendations',
      tags: ['recommend'],
      summary: 'Recommend for a user or an anonymous list of plays',
      description:
        '`{ user }` as the GET; `{ plays: [{ song, count }] }` folds a new listener in without retraining (`source: fold-in`), an empty list gives the popular songs (`source: popular`). 422 when no song in `plays` is known.',
      security,
      request: { body: { content: { 'application/json': { schema: RecommendBody } }, required: true } },
      responses: { 200: json(ListResponse, 'the list'), ...errors(404, 413, 422, 503) },
    }),
    async (c) => c.json(await answer(deps, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/recommendations:batch',
      tags: ['recommend'],
      summary: 'Up to 1,000 recommend requests in one call',
      description: 'Each entry answers with its own status: 200 and the list, or the problem it hit.',
      security,
      request: { body: { content: { 'application/json': { schema: BatchBody } }, required: true } },
      responses: {
        200: json(
          z.object({
            results: z.array(
              z.object({
                status: z.number().int(),
                body: z.union([ListResponse, z.record(z.string(), z.unknown())]),
              }),
            ),
          }),
          'one result per request, in order',
        ),
        ...errors(413, 503),
      },
    }),
    async (c) => {
      const { requests } = c.req.valid('json');
      deps.server.require();
      const results = [];
      for (const request of requests) {
        try {
          results.push({ status: 200, body: await answer(deps, request) });
        } catch (error) {
          if (!(error instanceof Problem) || error.status === 503) throw error;
          results.push({ status: error.status, body: error.body() });
        }
      }
      return c.json({ results }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/rank',
      tags: ['recommend'],
      summary: 'Rerank a candidate list for a user or plays',
      description:
        'Every known candidate with its score, best first (played songs and songs without training plays included); candidates the model does not know are listed in `unknown`.',
      security,
      request: { body: { content: { 'application/json': { schema: RankBody } }, required: true } },
      responses: {
        200: json(ListResponse.extend({ unknown: z.array(SongId) }), 'the candidates in order'),
        ...errors(404, 413, 422, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const candidates = [...new Set(body.candidates)];
      // Every candidate the model knows is ranked, songs without training plays too: none is dropped silently.
      const result = await answer(
        deps,
        { ...body, k: Math.min(candidates.length, 10_000), excludeSeen: false, candidates } as RecommendInput,
        { includeColdItems: true },
      );
      const served = deps.server.require();
      const unknown = candidates.filter((s) => !served.model.items.has(s));
      return c.json({ ...result, unknown }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/songs/popular',
      tags: ['songs'],
      summary: 'The most listened-to songs (by listeners in the training data)',
      security,
      request: { query: z.object({ k: K, exclude: IdList.optional() }) },
      responses: { 200: json(ListResponse, 'the list'), ...errors(503) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const served = deps.server.require();
      const items = served.popular.recommendForPlays([], q.k, { exclude: q.exclude });
      return c.json(
        {
          items: await enrich(deps, served, items),
          model: served.version.model,
          version: served.version.version,
          source: 'popular' as const,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/songs/{song}/similar',
      tags: ['songs'],
      summary: 'Songs similar to a song, by the served model',
      security,
      request: { params: z.object({ song: SongId }), query: z.object({ k: K }) },
      responses: {
        200: json(
          z.object({ song: SongId, items: z.array(Item), model: z.string(), version: z.number().int() }),
          'the similar songs',
        ),
        ...errors(404, 503),
      },
    }),
    async (c) => {
      const { song } = c.req.valid('param');
      const { k } = c.req.valid('query');
      const served = deps.server.require();
      if (!served.model.items.has(song))
        throw notFound(
          'song',
          song,
          `model ${served.version.model} v${served.version.version} has no plays of it`,
        );
      const items = served.model.similarItems(song, k);
      return c.json(
        {
          song,
          items: await enrich(deps, served, items),
          model: served.version.model,
          version: served.version.version,
        },
        200,
      );
    },
  );
}
