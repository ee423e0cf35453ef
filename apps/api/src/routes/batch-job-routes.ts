import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { conflict, notFound } from '../problem.ts';
import { clearCancel, requestCancel } from '../training/cancel.ts';
import { describeKeep, expired } from '../training/retention.ts';
import { errors, json, security } from './shared.ts';
import { statusStream } from './status-stream.ts';

/** What a batch job's status has in common (scoring jobs and searches). */
interface BatchStatus {
  status: string;
  finishedAt?: string;
}

/**
 * A batch job's status as clients may see it, or a 404: unknown, or finished longer ago than
 * the retention (`--keep-batch-results`) — from then on it is gone for every route, whether or
 * not a sweep has removed its files and status yet (training/retention.ts).
 */
export async function readBatchJob<T extends BatchStatus>(
  deps: AppDeps,
  noun: string,
  id: string,
  read: () => Promise<T | undefined>,
): Promise<T> {
  const status = await read();
  if (!status) throw notFound(noun, id);
  const { keepMs, now } = deps.retention;
  if (expired(status, keepMs, now()))
    throw notFound(
      noun,
      id,
      `it finished at ${status.finishedAt}, and finished batch jobs are kept ${describeKeep(keepMs)} (--keep-batch-results): its status and results are removed`,
    );
  return status;
}

/** A kind of batch job, for {@link registerBatchJobRoutes}. */
export interface BatchJobKind<T extends BatchStatus> {
  /** `/v1/scoring-jobs` or `/v1/search-jobs`. */
  path: string;
  /** How problems and summaries name one: `scoring job`, `search`. */
  noun: string;
  /** The status's OpenAPI schema and the id's. */
  schema: z.ZodType;
  id: z.ZodType<string>;
  /** GET's summary and description. */
  summary: string;
  description: string;
  /** The status, from the queue or this process (`deps.batch`). */
  read: (deps: AppDeps, id: string) => Promise<T | undefined>;
  /** What the progress stream follows, and how its description names it (`parts.done`). */
  step: (status: T) => number;
  stepName: string;
  /** What stops when it is cancelled: `range`, `task`. */
  unit: string;
}

/**
 * The routes every batch job kind has beside its POST: `GET {path}/{id}` (the status),
 * `DELETE {path}/{id}` (cancel) and `GET {path}/{id}/events` (progress as Server-Sent Events),
 * the same for scoring jobs and searches, on the Redis queue or in this process.
 */
export function registerBatchJobRoutes<T extends BatchStatus>(
  app: ApiApp,
  deps: AppDeps,
  kind: BatchJobKind<T>,
): void {
  const params = z.object({ id: kind.id });
  const read = (id: string) => readBatchJob(deps, kind.noun, id, () => kind.read(deps, id));

  app.openapi(
    createRoute({
      method: 'get',
      path: `${kind.path}/{id}`,
      tags: ['training'],
      summary: kind.summary,
      description: kind.description,
      security,
      request: { params },
      responses: { 200: json(kind.schema, `the ${kind.noun}`), ...errors(404) },
    }),
    async (c) => c.json(await read(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${kind.path}/{id}`,
      tags: ['training'],
      summary: `Cancel a running ${kind.noun}`,
      description: `Writes a cancel request to the database, which whoever runs it — an \`autorec worker\`, this API or another replica — reads within a second: the ${kind.unit} in progress stops, none other starts, and the status becomes \`cancelled\`. Answers 202 with the status as it is now; 409 when it has already ended.`,
      security,
      request: { params },
      responses: { 202: json(kind.schema, 'cancelling'), ...errors(404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const status = await read(id);
      if (status.status !== 'running')
        throw conflict(`${kind.noun} ${id} has already ended (${status.status})`);
      await requestCancel(deps.repo, id);
      await deps.batch.cancel(id);
      const now = (await kind.read(deps, id)) ?? status;
      // It ended between the first read and the request: whoever ran it may have looked for a
      // request for the last time before it was written, so nobody else would forget it.
      if (now.status !== 'running') await clearCancel(deps.repo, id);
      return c.json(now, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${kind.path}/{id}/events`,
      tags: ['training'],
      summary: `A ${kind.noun}'s progress as Server-Sent Events`,
      description: `\`progress\` events (the status, as GET gives it) whenever \`${kind.stepName}\` changes, then one \`end\` event with the final status, and the stream closes. With or without --redis, from any replica.`,
      security,
      request: { params },
      responses: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...errors(404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return statusStream(c, await read(id), () => kind.read(deps, id), kind.step);
    },
  );
}
