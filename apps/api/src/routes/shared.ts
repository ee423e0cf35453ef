import type { ScoredItem } from '@autorec/core';
import type { z } from '@hono/zod-openapi';
import type { AppDeps } from '../context.ts';
import { Problem as ProblemSchema } from '../schemas.ts';
import type { ServedModel } from '../serving.ts';

/** Response entries with rank and, when known, artist and title (stored metadata first, then the model's). */
export async function enrich(deps: AppDeps, served: ServedModel, items: readonly ScoredItem[]) {
  const info = await deps.repo.songsInfo(items.map((i) => i.item));
  return items.map(({ item, score }, i) => {
    const known = info.get(item) ?? served.model.itemInfo(item);
    const out: { song: string; score: number; rank: number; artist?: string; title?: string } = {
      song: item,
      score,
      rank: i + 1,
    };
    if (known?.artist) out.artist = known.artist;
    if (known?.title) out.title = known.title;
    return out;
  });
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The error responses every route documents, plus the ones it adds. */
export function errors(...statuses: number[]) {
  const text: Record<number, string> = {
    400: 'a field of the query or body breaks a rule (named in `errors`)',
    401: 'no or an invalid API key',
    403: 'the key lacks the scope',
    404: 'unknown user, song, model, version or job (named)',
    409: 'conflicting state',
    413: 'the body is too large',
    422: 'well-formed, but the model cannot serve it',
    429: 'rate limit reached (see RateLimit headers)',
    503: 'no model is loaded yet',
  };
  const out: Record<number, ReturnType<typeof problem>> = {};
  for (const s of [400, 401, 403, 429, ...statuses]) out[s] = problem(text[s]);
  return out;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const security = [{ apiKey: [] }];
