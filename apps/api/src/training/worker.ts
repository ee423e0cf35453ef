// The training job's thread: reads the training data, fits the model, evaluates it on a
// holdout of that data and saves it to the version's folder — or, for a search task, trains one
// candidate on one fold of the training part and reports its score; or, for a batch scoring job
// run in-process (no Redis), scores its user ranges and joins them into the job's file. Everything about models is
// @autorec/core's and everything about data @autorec/data's; this file only wires them to
// the parent thread's messages (progress out, cancel in).
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  createModel,
  evaluateSplit,
  type ModelParams,
  runSearchTask,
  setupCompute,
  summarizeEvaluation,
} from '@autorec/core';
import { nnz, prepareDataset, type SyntheticPreset, syntheticDataset } from '@autorec/data';
import { lowerThreadPriority } from '../priority.ts';
import { versionStore } from '../storage/model-files.ts';
import { openRepository } from '../storage/open.ts';
import type {
  FromWorker,
  ScoredPart,
  ScoringWorkerJob,
  SearchWorkerJob,
  ToWorker,
  WorkerJob,
} from './protocol.ts';
import { gatherParts, type PartResult, scoreRange } from './scoring.ts';
import { datasetFromEvents } from './sources.ts';

const job = workerData as WorkerJob | SearchWorkerJob | ScoringWorkerJob;
/** How much nicer than the server (or the queue worker) this thread runs; see lowerThreadPriority. */
const TRAINING_NICENESS = 10;
lowerThreadPriority(TRAINING_NICENESS); // not permitted (some containers): the job runs at the server's priority
/** Listeners whose held-out plays rank the new version (a seeded sample beyond this). */
const EVALUATED_USERS = 10_000;
const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const abort = new AbortController();
port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') abort.abort();
});

async function run(): Promise<void> {
  if ('scoring' in job) return score(job.scoring);
  const repo = await openRepository(job.database, { readonly: true });
  let dataset: Awaited<ReturnType<typeof datasetFromEvents>>;
  try {
    dataset =
      job.data === 'events'
        ? await datasetFromEvents(repo, job.maxSeq)
        : syntheticDataset(job.data as SyntheticPreset);
  } finally {
    await repo.close();
  }
  if (dataset.counts.rows === 0)
    throw new Error('there are no events to train on; send some with POST /v1/events');
  const prepared = prepareDataset(dataset, { split: job.split, seed: job.seed });
  await setupCompute(); // this thread's compute context (a worker has its own tfjs)
  if ('search' in job) return search(job, prepared.trainSet);
  const model = createModel(job.model, job.params as ModelParams);
  let lastSent = 0;
  try {
    const fit = await model.fit(prepared.trainSet, {
      validation: prepared.ratings.validation,
      signal: abort.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (p.phase === 'batch' && now - lastSent < 250) return;
        lastSent = now;
        send({ type: 'progress', progress: { ...p } });
      },
    });
    if (fit.aborted) {
      send({ type: 'cancelled', epochs: fit.epochs.length });
      return;
    }
    send({
      type: 'progress',
      progress: { phase: 'evaluating', epoch: fit.epochs.length, epochs: fit.epochs.length },
    });
    // A seeded sample of at most 10,000 listeners bounds the evaluation's time on large data;
    // cancelling stops it between batches too.
    let evaluation: Awaited<ReturnType<typeof evaluateSplit>>;
    try {
      evaluation = await evaluateSplit(model, prepared, {
        ranking: { k: [10, 50], maxUsers: EVALUATED_USERS, seed: job.seed, signal: abort.signal },
      });
    } catch (error) {
      if (abort.signal.aborted) {
        send({ type: 'cancelled', epochs: fit.epochs.length });
        return;
      }
      throw error;
    }
    const metrics = summarizeEvaluation(evaluation);
    const data = {
      source: job.data,
      dataset: prepared.dataset.name,
      users: prepared.dataset.users.size,
      songs: prepared.dataset.items.size,
      plays: nnz(prepared.dataset.counts),
      trainingPlays: nnz(prepared.ratings.train),
      split: prepared.params.split,
      seed: prepared.params.seed,
      transform: prepared.transform.name,
      eventWatermark: job.maxSeq,
      evaluatedUsers: evaluation.ranking?.users,
    };
    await model.save(versionStore(job.models, job.path), { data, metrics }, fit);
    send({
      type: 'done',
      hyperParameters: model.hyperParameters,
      data,
      metrics,
      fit: { epochs: fit.epochs, bestEpoch: fit.bestEpoch, seconds: fit.seconds, backend: fit.backend },
    });
  } finally {
    model.dispose();
  }
}

/** A search task on the training part of the split (its validation and test plays never seen). */
async function search(spec: SearchWorkerJob, train: Parameters<typeof runSearchTask>[2]): Promise<void> {
  const { plan, task } = spec.search;
  let lastSent = 0;
  try {
    const result = await runSearchTask(
      task,
      plan,
      train,
      (candidate) => createModel(spec.model, { ...spec.params, ...candidate } as ModelParams),
      {
        signal: abort.signal,
        onProgress: (event) => {
          const now = performance.now();
          if (!event.training || (event.training.phase === 'batch' && now - lastSent < 250)) return;
          lastSent = now;
          send({ type: 'progress', progress: { ...event.training } });
        },
      },
    );
    send({ type: 'searched', result });
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    send({ type: 'cancelled', epochs: 0 });
  }
}

/**
 * A batch scoring job's ranges in turn, each into its part file, then the one file. The same
 * calls as the queue's range and gather jobs, so the file is the same; a part written already
 * (by an earlier run of this job id) is kept, as a retried range keeps it.
 */
async function score({ dataDir, models, spec, ranges }: ScoringWorkerJob['scoring']): Promise<void> {
  await setupCompute(); // recommendExcludingKnown runs on this thread's backend
  const parts: PartResult[] = [];
  for (const range of ranges) {
    const started = performance.now();
    try {
      parts.push(await scoreRange(dataDir, models, range, abort.signal));
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      send({ type: 'cancelled', epochs: 0 });
      return;
    }
    const scored: ScoredPart = {
      ...parts[parts.length - 1],
      seconds: (performance.now() - started) / 1000,
      thread: threadId,
    };
    send({ type: 'progress', progress: { ...scored } });
  }
  send({ type: 'scored', result: await gatherParts(dataDir, spec, parts, models) });
}

run().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(0);
  },
);
