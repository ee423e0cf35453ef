import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { conflict, notFound } from '../problem.ts';
import { openScoringFile } from '../training/scoring.ts';
import { readBatchJob, registerBatchJobRoutes } from './batch-job-routes.ts';
import { errors, json, security } from './shared.ts';

/** Default users per range: a range is a few seconds of one worker's time on msd-sized models. */
const USERS_PER_PART = 10_000;

const ScoringBody = z
  .object({
    model: z.string().min(1).openapi({ example: 'ials' }),
    version: z.number().int().min(1).openapi({ example: 3 }),
    k: z.number().int().min(1).max(1000).default(10),
    parts: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({
        description: `user ranges, one queued job each on Redis, scored in turn without it (default: one per ${USERS_PER_PART.toLocaleString('en')} users)`,
      }),
  })
  .strict()
  .openapi('ScoringJobRequest');

const ScoringJob = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.number(),
    k: z.number(),
    users: z.number(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
    parts: z.object({ total: z.number(), done: z.number() }),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    result: z
      .object({
        file: z.string(),
        users: z.number(),
        lines: z.number(),
        bytes: z.number(),
        parts: z.number(),
      })
      .optional()
      .openapi({
        description:
          '`file` is relative to the data folder, or with versions on S3 the s3:// prefix of the parts and manifest.json; GET …/file downloads it',
      }),
    error: z.string().optional(),
  })
  .openapi('ScoringJob');

const ScoringId = z.string().uuid().openapi({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' });

/**
 * Batch scoring (`/v1/scoring-jobs`): the top-k of every training listener of a version, cut
 * into user ranges (training/scoring.ts) that `autorec worker`s score when the API has a Redis
 * queue, or that this process scores in turn in a worker thread when it has none
 * (training/local-jobs.ts) — the same file and statuses either way.
 */
export function registerScoring(app: ApiApp, deps: AppDeps): void {
  const { repo } = deps;
  /** Where the jobs run: the Redis queue or this process (`BatchJobs`). */
  const queue = () => deps.batch;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/scoring-jobs',
      tags: ['training'],
      summary: "Score every training listener of a version (a file of each one's top-k)",
      description:
        'Answers 202 at once. The users are cut into `parts` ranges, each scored into its own part file; a last step joins them into one TSV file (user, rank, song, score), each listener once. With --redis each range is a queued job that any `autorec worker` takes; without it the API scores the ranges in turn in a background thread (one batch job at a time, beside training jobs). 409 when the version is not ready.',
      security,
      request: { body: { content: { 'application/json': { schema: ScoringBody } }, required: true } },
      responses: { 202: json(ScoringJob, 'queued'), ...errors(404, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const q = queue();
      const version = await repo.version(body.model, body.version);
      if (!version) throw notFound('version', `${body.model}/${body.version}`);
      if (version.status !== 'ready')
        throw conflict(`${body.model} v${body.version} is ${version.status}: ${version.reason ?? ''}`);
      const users = Number(version.data.users);
      if (!Number.isInteger(users) || users < 1)
        throw conflict(`${body.model} v${body.version} does not record how many listeners it was trained on`);
      const parts = body.parts ?? Math.ceil(users / USERS_PER_PART);
      const job = await q.addScoring(
        { id: randomUUID(), model: version.model, version: version.version, path: version.path, k: body.k },
        users,
        parts,
      );
      c.header('Location', `/v1/scoring-jobs/${job.id}`);
      return c.json(job, 202);
    },
  );

  registerBatchJobRoutes(app, deps, {
    path: '/v1/scoring-jobs',
    noun: 'scoring job',
    schema: ScoringJob,
    id: ScoringId,
    summary: 'A scoring job: status, parts done, the file it wrote',
    description:
      'Read from the queue with --redis, from the database without it (a job whose server stopped while it ran reads `failed`). A finished job, its status and its file are kept for --keep-batch-results days (7 by default), then removed: 404 from then on.',
    read: (d, id) => d.batch.scoringStatus(id),
    step: (s) => s.parts.done,
    stepName: 'parts.done',
    unit: 'range',
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/scoring-jobs/{id}/file',
      tags: ['training'],
      summary: "A finished scoring job's file (TSV: user, rank, song, score)",
      description:
        'From the data folder, or — with versions on S3 — streamed from the part objects under `<prefix>/scores/{id}/` in order (one header line), each checked against the manifest as it goes: a damaged part ends the download short of its Content-Length.',
      security,
      request: { params: z.object({ id: ScoringId }) },
      responses: {
        200: {
          description: 'text/tab-separated-values',
          content: { 'text/tab-separated-values': { schema: z.string() } },
        },
        ...errors(404, 409),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await readBatchJob(deps, 'scoring job', id, () => queue().scoringStatus(id));
      if (job.status !== 'succeeded') throw conflict(`scoring job ${id} is ${job.status}`);
      // From the data folder or, with versions on S3, streamed from the part objects.
      const file = await openScoringFile(deps.dataDir, deps.models, { id, k: job.k });
      if (!file)
        throw notFound(
          'scoring-file',
          id,
          `its file is no longer where the job wrote it (${job.result?.file})`,
        );
      return c.body(file.body, 200, {
        'Content-Type': 'text/tab-separated-values; charset=utf-8',
        'Content-Length': String(file.bytes),
      });
    },
  );
}
