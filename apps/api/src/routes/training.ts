import { checkModelParams, isModelName, MODEL_NAMES, OptionError } from '@autorec/core';
import { SYNTHETIC_PRESET_NAMES } from '@autorec/data';
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { ApiApp, AppDeps } from '../context.ts';
import { badRequest, conflict, notFound } from '../problem.ts';
import { Job } from '../schemas.ts';
import type { JobEvent } from '../training/jobs.ts';
import { errors, json, security } from './shared.ts';

const JobId = z.string().uuid().openapi({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' });
const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

const JobBody = z
  .object({
    model: z.string().openapi({ example: 'ials', description: `one of ${MODEL_NAMES.join(', ')}` }),
    params: z
      .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
      .default({})
      .openapi({ example: { factors: 64, iterations: 10 } }),
    data: z
      .string()
      .default('events')
      .openapi({
        description: `'events' (everything stored) or a synthetic preset: ${SYNTHETIC_PRESET_NAMES.join(', ')}`,
      }),
    promote: z.string().min(1).max(64).optional().openapi({
      description: 'label the new version gets when the job succeeds, e.g. production',
      example: 'production',
    }),
  })
  .strict()
  .openapi('TrainingJobRequest');

export function registerTraining(app: ApiApp, deps: AppDeps): void {
  const { repo, jobs } = deps;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/training-jobs',
      tags: ['training'],
      summary: 'Train a model in the background (a worker thread)',
      description:
        'Answers 202 with the job and its Location at once. On success the job evaluates the model on a holdout of the data and registers a new version with those metrics (promoted to `promote` when given).',
      security,
      request: { body: { content: { 'application/json': { schema: JobBody } }, required: true } },
      responses: { 202: json(Job, 'queued'), ...errors(413) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      if (!isModelName(body.model))
        throw badRequest(`body.model: unknown model '${body.model}'; available: ${MODEL_NAMES.join(', ')}`, [
          { field: 'body.model', rule: 'enum', message: `one of ${MODEL_NAMES.join(', ')}` },
        ]);
      if (body.data !== 'events' && !(SYNTHETIC_PRESET_NAMES as readonly string[]).includes(body.data))
        throw badRequest(
          `body.data: '${body.data}' is neither 'events' nor a preset (${SYNTHETIC_PRESET_NAMES.join(', ')})`,
          [{ field: 'body.data', rule: 'enum', message: `events or ${SYNTHETIC_PRESET_NAMES.join(', ')}` }],
        );
      try {
        checkModelParams(body.model, body.params); // names, kinds and ranges now, not in the thread
      } catch (error) {
        if (error instanceof OptionError)
          throw badRequest(`body.params: ${error.message}`, [
            { field: 'body.params', rule: 'model-option', message: error.message },
          ]);
        throw error;
      }
      const job = await jobs.submit({
        model: body.model,
        params: body.params,
        data: body.data,
        promoteTo: body.promote,
      });
      c.header('Location', `/v1/training-jobs/${job.id}`);
      return c.json(job, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/training-jobs',
      tags: ['training'],
      summary: 'The latest training jobs, newest first',
      security,
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
      responses: { 200: json(z.object({ jobs: z.array(Job) }), 'jobs'), ...errors() },
    }),
    async (c) => c.json({ jobs: await repo.jobs(c.req.valid('query').limit) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/training-jobs/{id}',
      tags: ['training'],
      summary:
        'A job: status, epoch, losses, validation metrics and ETA (in `progress`), the version it made',
      security,
      request: { params: z.object({ id: JobId }) },
      responses: { 200: json(Job, 'the job'), ...errors(404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await repo.job(id);
      if (!job) throw notFound('job', id);
      return c.json(job, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/training-jobs/{id}',
      tags: ['training'],
      summary: 'Cancel a job (a running one stops at its next batch)',
      description:
        'A job another replica or an `autorec worker` runs gets a cancel request in the database, which its runner reads within a second; the answer is 202 with the job as it is now, and its status becomes `cancelled` when the runner stops it.',
      security,
      request: { params: z.object({ id: JobId }) },
      responses: { 202: json(Job, 'cancelling'), ...errors(404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await repo.job(id);
      if (!job) throw notFound('job', id);
      if (!(await jobs.cancel(id))) {
        const now = (await repo.job(id)) ?? job;
        throw conflict(`job ${id} has already finished (${now.status})`);
      }
      return c.json((await repo.job(id)) ?? job, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/training-jobs/{id}/events',
      tags: ['training'],
      summary: "A job's progress as Server-Sent Events",
      description:
        '`progress` events (epoch, batch, loss, validation RMSE, ETA) while it runs, then one `end` event with the final job, and the stream closes.',
      security,
      request: { params: z.object({ id: JobId }) },
      responses: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...errors(404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await repo.job(id);
      if (!job) throw notFound('job', id);
      return streamSSE(c, async (stream) => {
        let counter = 0;
        const send = (event: JobEvent) =>
          stream.writeSSE({
            event: event.type,
            id: String(++counter),
            data: JSON.stringify(event.type === 'end' ? event.job : event.progress),
          });
        const queue: JobEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = jobs.subscribe(id, (event) => {
          queue.push(event);
          wake?.();
        });
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        try {
          // Re-read after subscribing: an end between the first read and now is not lost.
          const now = (await repo.job(id)) ?? job;
          if (FINISHED.has(now.status)) {
            await send({ type: 'end', job: now });
            return;
          }
          if (now.progress) await send({ type: 'progress', progress: now.progress });
          while (!stream.aborted) {
            if (queue.length === 0) {
              await new Promise<void>((resolve) => {
                wake = resolve;
                const heartbeat = setTimeout(resolve, 15_000);
                heartbeat.unref();
              });
              wake = undefined;
              if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
              continue;
            }
            const event = queue.shift()!;
            await send(event);
            if (event.type === 'end') return;
          }
        } finally {
          unsubscribe();
        }
      });
    },
  );
}
