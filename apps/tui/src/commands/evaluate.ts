import { resolve } from 'node:path';
import { evaluateSplit, type HoldoutEvaluation, heldOutUsersOf, summarizeEvaluation } from '@autorec/core';
import { nnz } from '@autorec/data';
import type { Command } from 'commander';
import { onInterrupt } from '../interrupt.ts';
import { checkModelMatchesData, openModel } from '../models.ts';
import { integerArg } from '../options.ts';
import { keyValueTable } from '../report/table.ts';
import { loadPrepared } from '../sources.ts';
import { action, addJsonOption, type CommandContext } from './shared.ts';

interface EvaluateOptions {
  model: string;
  data: string;
  k: number;
  maxUsers?: number;
  json?: boolean;
}

export function registerEvaluate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('evaluate')
    .description(
      "rating (RMSE, MAE, warm/cold) and ranking (precision, recall, NDCG, MAP, hit rate, coverage @k) metrics on a cache's test split",
    )
    .requiredOption('--model <dir>', 'model folder (from train, or a report’s models/<name>)')
    .requiredOption('--data <dir>', 'prepared dataset folder the model was trained on')
    .option('-k, --k <n>', 'ranking cut-off', integerArg(1), 10)
    .option('--max-users <n>', 'rank a seeded sample of at most n users (default: all)', integerArg(1));
  addJsonOption(cmd).action(
    action<EvaluateOptions>(ctx, async (o, out) => {
      const opened = await openModel(o.model);
      const prepared = await loadPrepared(o.data);
      checkModelMatchesData(opened, prepared);
      const { model } = opened;
      const { test } = prepared.ratings;
      const heldOut = heldOutUsersOf(prepared) !== undefined;
      const interrupt = onInterrupt();
      out.note(`evaluating ${model.name} on ${nnz(test).toLocaleString('en')} test ratings`);
      let evaluation: HoldoutEvaluation;
      try {
        const ranking = { k: o.k, maxUsers: o.maxUsers, signal: interrupt.signal };
        // Under the cache's protocol, as `compareModels` does (held-out users by fold-in).
        evaluation = await evaluateSplit(model, prepared, { ranking });
      } finally {
        interrupt.dispose();
        model.dispose();
      }
      const metrics = summarizeEvaluation(evaluation);
      const doc = {
        model: model.name,
        modelDir: resolve(o.model),
        data: resolve(o.data),
        protocol: heldOut ? 'held-out-users' : 'holdout',
        k: o.k,
        testRatings: evaluation.rating.all.count,
        warmRatings: evaluation.rating.warm.count,
        coldRatings: evaluation.rating.cold.count,
        rankedUsers: evaluation.ranking?.users ?? 0,
        metrics,
        seconds: evaluation.seconds,
      };
      out.result(doc, () =>
        [
          `${model.name} on ${o.data} (${doc.protocol}; ${doc.testRatings.toLocaleString('en')} test ratings, ${doc.coldRatings.toLocaleString('en')} cold; ${doc.rankedUsers.toLocaleString('en')} users ranked)`,
          keyValueTable(Object.entries(metrics).map(([k, v]) => [k, v.toFixed(4)])),
        ].join('\n'),
      );
    }),
  );
}
