import { randomUUID } from 'node:crypto';
import {
  checkModelParams,
  isModelName,
  MODEL_NAMES,
  OptionError,
  type ParamSet,
  searchPlan,
  searchTasks,
  type TuneMetric,
} from '@autorec/core';
import { SYNTHETIC_PRESET_NAMES } from '@autorec/data';
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { badRequest } from '../problem.ts';
import { registerBatchJobRoutes } from './batch-job-routes.ts';
import { errors, json, security } from './shared.ts';

/** More tasks than this is a mistake more often than a plan (each trains a model). */
const MAX_TASKS = 1_000;

const Value = z.union([z.number(), z.string(), z.boolean()]);

const SearchBody = z
  .object({
    model: z.string().openapi({ example: 'ials', description: `one of ${MODEL_NAMES.join(', ')}` }),
    params: z
      .record(z.string(), Value)
      .default({})
      .openapi({ description: 'parameters every candidate shares', example: { iterations: 10 } }),
    grid: z
      .record(z.string(), z.array(Value).min(1))
      .optional()
      .openapi({
        description: 'values per parameter; every combination is a candidate',
        example: { factors: [32, 64], regularization: [0.01, 0.1] },
      }),
    candidates: z
      .array(z.record(z.string(), Value))
      .min(1)
      .optional()
      .openapi({ description: 'an explicit candidate list instead of a grid' }),
    folds: z.number().int().min(2).max(10).default(3),
    metric: z
      .string()
      .regex(/^(rmse|mae|(ndcg|recall)@[1-9]\d*)$/)
      .default('ndcg@10')
      .openapi({ description: 'rmse, mae, ndcg@K or recall@K on each fold’s held-out plays' }),
    seed: z.number().int().min(0).default(42).openapi({ description: 'seed of the folds' }),
    data: z
      .string()
      .default('events')
      .openapi({ description: `'events' or a preset: ${SYNTHETIC_PRESET_NAMES.join(', ')}` }),
  })
  .strict()
  .openapi('SearchJobRequest');

const Candidate = z.object({
  index: z.number(),
  params: z.record(z.string(), Value),
  score: z.object({ mean: z.number(), sd: z.number(), values: z.array(z.number()) }),
  rmse: z.number(),
  fitSeconds: z.number(),
});

const SearchJob = z
  .object({
    id: z.string(),
    model: z.string(),
    metric: z.string(),
    folds: z.number(),
    candidates: z.number(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
    tasks: z.object({ total: z.number(), done: z.number() }),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    result: z
      .object({ metric: z.string(), folds: z.number(), candidates: z.array(Candidate), best: Candidate })
      .optional()
      .openapi({ description: 'candidates best first, each with its mean ± sd over the folds' }),
    error: z.string().optional(),
  })
  .openapi('SearchJob');

const SearchId = z.string().uuid().openapi({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' });

/**
 * Hyper-parameter searches (`/v1/search-jobs`): every (candidate, fold) is a task — a queued job
 * that any `autorec worker` takes when the API has a Redis queue, or run in turn in this
 * process's training threads when it has none (training/local-jobs.ts); a last step ranks the
 * candidates by their mean over the folds. The folds are cut from the training part of the data
 * as training jobs split it (its validation and test plays are never seen).
 */
export function registerSearch(app: ApiApp, deps: AppDeps): void {
  /** Where the tasks run: the Redis queue or this process (`BatchJobs`). */
  const queue = () => deps.batch;
  const paramError = (field: string, message: string) =>
    badRequest(`${field}: ${message}`, [{ field, rule: 'model-option', message }]);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/search-jobs',
      tags: ['training'],
      summary: 'Search hyper-parameters by k-fold cross-validation, one task per candidate and fold',
      description:
        'Answers 202 at once. Give `grid` (every combination) or `candidates`. Each task trains one candidate on one fold of the training part and scores it on that fold’s held-out plays with `metric`; the result ranks the candidates by their mean over the folds (with sd and each fold’s value). With --redis every task is a queued job that any `autorec worker` takes; without it the API runs the tasks in turn in a background thread (one batch job at a time, beside training jobs).',
      security,
      request: { body: { content: { 'application/json': { schema: SearchBody } }, required: true } },
      responses: { 202: json(SearchJob, 'queued'), ...errors(413) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const q = queue();
      const model = body.model;
      if (!isModelName(model))
        throw badRequest(`body.model: unknown model '${body.model}'; available: ${MODEL_NAMES.join(', ')}`, [
          { field: 'body.model', rule: 'enum', message: `one of ${MODEL_NAMES.join(', ')}` },
        ]);
      if (body.data !== 'events' && !(SYNTHETIC_PRESET_NAMES as readonly string[]).includes(body.data))
        throw badRequest(`body.data: '${body.data}' is neither 'events' nor a preset`, [
          { field: 'body.data', rule: 'enum', message: `events or ${SYNTHETIC_PRESET_NAMES.join(', ')}` },
        ]);
      if ((body.grid === undefined) === (body.candidates === undefined))
        throw badRequest('give either body.grid or body.candidates', [
          { field: 'body', rule: 'one-of', message: 'grid or candidates' },
        ]);
      const plan = searchPlan(
        (body.candidates ?? body.grid) as ParamSet[] | Record<string, ParamSet[string][]>,
        body.folds,
        body.seed,
        body.metric as TuneMetric,
      );
      const tasks = searchTasks(plan);
      if (tasks.length > MAX_TASKS)
        throw badRequest(`${tasks.length} tasks (candidates × folds) is more than ${MAX_TASKS}`, [
          { field: 'body', rule: 'max-tasks', message: `at most ${MAX_TASKS} tasks` },
        ]);
      // Every candidate's parameters, checked now rather than in a worker's thread.
      plan.candidates.forEach((candidate, i) => {
        try {
          checkModelParams(model, { ...body.params, ...candidate });
        } catch (error) {
          if (error instanceof OptionError) throw paramError(`candidate ${i}`, error.message);
          throw error;
        }
      });
      const status = await q.addSearch(
        {
          id: randomUUID(),
          model,
          params: body.params,
          data: body.data,
          maxSeq: (await deps.repo.eventStats()).lastSeq,
          plan,
          createdAt: new Date().toISOString(),
        },
        tasks,
      );
      c.header('Location', `/v1/search-jobs/${status.id}`);
      return c.json(status, 202);
    },
  );

  registerBatchJobRoutes(app, deps, {
    path: '/v1/search-jobs',
    noun: 'search job',
    schema: SearchJob,
    id: SearchId,
    summary: 'A search: status, tasks done, the candidates ranked',
    description:
      'Read from the queue with --redis, from the database without it (a search whose server stopped while it ran reads `failed`). A finished search is kept for --keep-batch-results days (7 by default), then removed: 404 from then on.',
    read: (d, id) => d.batch.searchStatus(id),
    step: (s) => s.tasks.done,
    stepName: 'tasks.done',
    unit: 'task',
  });
}
