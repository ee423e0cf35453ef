import { z } from '@hono/zod-openapi';

/** Shared request and response schemas: validation and the OpenAPI document come from these. */

export const SongId = z.string().min(1).max(256).openapi({ example: 'SOAKIMP12A8C130995' });
export const UserId = z
  .string()
  .min(1)
  .max(256)
  .openapi({ example: 'b80344d063b5ccb3212f76538f3d9e43d87dca9e' });
export const K = z.coerce.number().int().min(1).max(1000).default(10).openapi({ example: 10 });

/** A list of ids in a query: comma-separated and/or repeated (`exclude=a,b&exclude=c`), ≤ 1,000. */
export const IdList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
  .pipe(z.array(SongId).max(1000))
  .openapi({ type: 'string', example: 'SOAKIMP12A8C130995,SOBBMDR12A8C13253B' });

export const Play = z.object({
  song: SongId,
  count: z.number().int().min(1).max(1_000_000).default(1),
});

export const Item = z
  .object({
    song: SongId,
    score: z.number(),
    rank: z.number().int(),
    artist: z.string().optional(),
    title: z.string().optional(),
  })
  .openapi('Item');

export const ListResponse = z
  .object({
    items: z.array(Item),
    model: z.string().openapi({ example: 'ials' }),
    version: z.number().int().openapi({ example: 3 }),
    source: z.enum(['model', 'fold-in', 'popular']).openapi({
      description:
        '`model`: a training user; `fold-in`: a listener known from events since training or an anonymous plays list, folded in without retraining; `popular`: no plays at all',
    }),
  })
  .openapi('RecommendationList');

const RecommendFields = {
  k: z.number().int().min(1).max(1000).default(10),
  exclude: z.array(SongId).max(1000).optional(),
  candidates: z.array(SongId).max(10_000).optional(),
  excludeSeen: z.boolean().default(true),
};

export const RecommendBody = z
  .union([
    z.object({ user: UserId, ...RecommendFields }).strict(),
    z.object({ plays: z.array(Play).max(10_000), ...RecommendFields }).strict(),
  ])
  .openapi('RecommendRequest', {
    example: { plays: [{ song: 'SOAKIMP12A8C130995', count: 12 }], k: 10 },
  });

export const BatchBody = z
  .object({ requests: z.array(RecommendBody).min(1).max(1000) })
  .openapi('BatchRequest', {
    example: { requests: [{ user: 'u1', k: 5 }, { plays: [{ song: 's1', count: 3 }] }] },
  });

export const RankBody = z
  .union([
    z.object({ user: UserId, candidates: z.array(SongId).min(1).max(10_000) }).strict(),
    z.object({ plays: z.array(Play).max(10_000), candidates: z.array(SongId).min(1).max(10_000) }).strict(),
  ])
  .openapi('RankRequest', { example: { user: 'u1', candidates: ['s1', 's2', 's3'] } });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', {
    example: {
      type: '/docs#problem-invalid-request',
      title: 'Bad Request',
      status: 400,
      detail: 'query.k: Too big: expected number to be <=1000',
      errors: [{ field: 'query.k', rule: 'too_big', message: 'Too big: expected number to be <=1000' }],
    },
  });

export const Timestamp = z.union([z.number().int().min(0), z.iso.datetime({ offset: true })]).openapi({
  description: 'milliseconds since the epoch or an ISO 8601 date-time',
  example: '2026-12-04T21:00:00Z',
});

export const Event = z
  .object({
    eventId: z.string().min(1).max(128).optional(),
    user: UserId,
    song: SongId,
    count: z.number().int().min(1).max(1_000_000).default(1),
    timestamp: Timestamp.optional(),
  })
  .strict();

export const EventsBody = z.object({ events: z.array(Event).min(1).max(10_000) }).openapi('EventsRequest', {
  example: { events: [{ eventId: 'e-1', user: 'u1', song: 'SOAKIMP12A8C130995', count: 2 }] },
});

export const SongInfo = z
  .object({ song: SongId, artist: z.string().max(512).optional(), title: z.string().max(512).optional() })
  .openapi('Song');

export const Version = z
  .object({
    model: z.string(),
    version: z.number().int(),
    status: z.enum(['ready', 'unusable']),
    reason: z.string().optional(),
    labels: z.array(z.string()),
    hyperParameters: z.record(z.string(), z.unknown()),
    data: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.number()),
    createdAt: z.string(),
    jobId: z.string().optional(),
  })
  .openapi('ModelVersion');

export const Job = z
  .object({
    id: z.string(),
    model: z.string(),
    params: z.record(z.string(), z.unknown()),
    data: z.string(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    progress: z.record(z.string(), z.unknown()).optional(),
    result: z
      .object({ model: z.string(), version: z.number().int(), metrics: z.record(z.string(), z.number()) })
      .optional(),
    error: z.string().optional(),
    promoteTo: z.string().optional(),
  })
  .openapi('TrainingJob');
