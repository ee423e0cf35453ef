import { resolve } from 'node:path';
import {
  createModel,
  evaluateSplitRatings,
  fitOnSplit,
  knownPlaysOf,
  type ModelName,
  type Recommender,
  saveKnownPlays,
} from '@autorec/core';
import {
  checkFolderReplaceable,
  cleanStaleOutputs,
  directoryStore,
  OutputPathError,
} from '@autorec/core/node';
import { nnz, type TransformName } from '@autorec/data';
import type { Command } from 'commander';
import { InterruptedError, UsageError, UserError } from '../errors.ts';
import { onInterrupt } from '../interrupt.ts';
import {
  capThreads,
  DEFAULT_RECOMMENDER,
  DEFAULT_SEED,
  describeSplit,
  integerArg,
  MODEL_NAMES_HELP,
  modelArg,
  modelOptionNames,
  modelParams,
  oneFold,
  parseSplit,
  type SplitChoice,
  singleSplit,
  transformArg,
} from '../options.ts';
import { formatSeconds, ProgressPrinter } from '../progress.ts';
import { dataSource, describeSource, type InputFlags, preparedFrom } from '../sources.ts';
import {
  action,
  addHyperOptions,
  addInputOptions,
  addJsonOption,
  type CommandContext,
  hyperFlags,
} from './shared.ts';

interface TrainOptions extends InputFlags {
  model?: ModelName;
  out: string;
  split?: SplitChoice;
  seed: number;
  transform?: TransformName;
  param?: string[];
  json?: boolean;
}

export function registerTrain(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('train')
    .description('train one model and save it to a folder (for evaluate, recommend and similar)')
    .option(
      '--model <name>',
      `default ${DEFAULT_RECOMMENDER}, the default recommender (chosen for ranking, see docs/benchmarks.md): ${MODEL_NAMES_HELP}`,
      modelArg,
    )
    .requiredOption('--out <dir>', 'model folder to write (replaced atomically if it holds a model)');
  addInputOptions(cmd, { data: true, preset: true });
  cmd
    .option(
      '--split <spec>',
      'when not using --data: holdout:TEST[:VAL] (default holdout:0.1), per-user:…, kfold:K[:F] (fold F from 1; fold 1 without it), held-out-users:N, files:TRAIN,TEST, or none (a final model on every play)',
      parseSplit,
    )
    .option(
      '--transform <name>',
      'when not using --data: play count → rating transform (default: by format)',
      transformArg,
    )
    .option('--seed <n>', 'seed of the split and the model', integerArg(0), DEFAULT_SEED);
  addHyperOptions(cmd, 'any model option as KEY=VALUE, e.g. patience=5 or residual=true (repeatable)');
  addJsonOption(cmd).action(
    action<TrainOptions>(ctx, async (o, out) => {
      const source = dataSource(o, undefined, o.split?.kind === 'single' ? o.split.files : undefined);
      if (source.kind === 'cache' && (o.split || o.transform))
        throw new UsageError('--split and --transform do not apply to --data: the cache holds its own');
      const modelName = o.model ?? DEFAULT_RECOMMENDER;
      if (!o.model) out.note(`no --model: training the default recommender, ${modelName}`);
      const params = modelParams([modelName], hyperFlags(o), o.param)[modelName];
      for (const note of capThreads({ [modelName]: params })) out.note(note);
      if (params.seed === undefined && modelOptionNames(modelName).includes('seed')) params.seed = o.seed;
      // Fails before training when --out is not a folder a model may be saved to.
      await cleanStaleOutputs(o.out);
      await checkFolderReplaceable(o.out, 'autorec-model');
      const fold = oneFold(o.split ?? parseSplit('holdout:0.1'));
      const choice = fold.choice;
      if (fold.note && source.kind !== 'cache') out.note(fold.note);
      out.note(`loading ${describeSource(source)}`);
      const { prepared, warnings } = await preparedFrom(source, {
        split: singleSplit(choice),
        seed: o.seed,
        transform: o.transform,
      });
      for (const w of warnings) out.note(`warning: ${w}`);
      const progress = new ProgressPrinter(out);
      const interrupt = onInterrupt(() =>
        out.note('\nstopping at the next batch boundary… (Ctrl-C again to quit now)'),
      );
      out.note(`training ${modelName} on ${nnz(prepared.ratings.train).toLocaleString('en')} ratings`);
      // Models that do not early-stop train on training + validation (core's fitOnSplit).
      let model: Recommender | undefined;
      try {
        const fitted = await fitOnSplit(
          (overrides) => createModel(modelName, { ...params, ...overrides }),
          prepared,
          {
            signal: interrupt.signal,
            onProgress: (p) => progress.training(modelName, p),
          },
        );
        model = fitted.model;
        const { fit } = fitted;
        out.clearStatus();
        if (fit.aborted) {
          const last = fit.epochs.at(-1);
          out.note(
            `interrupted after ${fit.epochs.length} epoch${fit.epochs.length === 1 ? '' : 's'}` +
              (last?.validationRmse !== undefined
                ? ` (last val RMSE ${last.validationRmse.toFixed(4)})`
                : '') +
              `; nothing was saved to ${o.out}`,
          );
          throw new InterruptedError('training interrupted by Ctrl-C');
        }
        if (fit.diverged) out.note(`${fit.diverged}; kept epoch ${fit.bestEpoch}, the best before it`);
        // `--split none`: every play trained the model, nothing is left to test on.
        const test = nnz(prepared.ratings.test) > 0 ? evaluateSplitRatings(model, prepared) : undefined;
        const store = directoryStore(o.out);
        const known = knownPlaysOf(prepared);
        const extra = {
          dataset: prepared.dataset.name,
          // The format names the items and events in later output (artists, movies, ratings…).
          format: prepared.dataset.format,
          sourceChecksum: prepared.sourceChecksum,
          split: prepared.params.split,
          seed: prepared.params.seed,
          test: test && { rmse: test.all.rmse, mae: test.all.mae },
          ...(warnings.length > 0 ? { warnings } : {}),
          ...(fit.diverged ? { diverged: fit.diverged } : {}),
        };
        // A stop that came after the last batch (or during the evaluation) still means: do not write.
        interrupt.signal.throwIfAborted();
        try {
          // Validation and test plays are known plays: `recommend` leaves them out of every list.
          if (known) await saveKnownPlays(store, known);
          await model.save(store, extra, fit);
        } catch (e) {
          await store.discard();
          if (e instanceof OutputPathError) throw e;
          throw new UserError(`cannot save the model to '${o.out}': ${(e as Error).message}`, {
            hint: 'choose a new folder for --out',
          });
        }
        const doc = {
          model: modelName,
          out: resolve(o.out),
          dataset: prepared.dataset.name,
          split: prepared.split.options,
          transform: prepared.transform.name,
          hyperParameters: model.hyperParameters,
          epochs: fit.epochs.length,
          bestEpoch: fit.bestEpoch,
          trainedOn: fitted.trainedOn,
          seconds: fit.seconds,
          backend: fit.backend,
          curve: fit.epochs,
          test: test
            ? { rmse: test.all.rmse ?? null, mae: test.all.mae ?? null, ratings: test.all.count }
            : null,
          warnings: [...warnings, ...(fit.diverged ? [fit.diverged] : [])],
        };
        out.result(doc, () =>
          [
            `trained ${modelName} in ${formatSeconds(fit.seconds)} (${fit.epochs.length} epochs${fit.bestEpoch ? `, kept epoch ${fit.bestEpoch}` : ''}, backend ${fit.backend})`,
            test
              ? `test RMSE ${test.all.rmse?.toFixed(4)}  MAE ${test.all.mae?.toFixed(4)} on ${test.all.count.toLocaleString('en')} ratings (${source.kind === 'cache' ? 'cache split' : describeSplit(choice)})`
              : 'no test part (--split none): a final model trained on every play',
            `saved to ${o.out}`,
            `next: autorec recommend --model ${o.out} --user ${prepared.dataset.users.external(0)}`,
          ].join('\n'),
        );
      } finally {
        interrupt.dispose();
        model?.dispose();
      }
    }),
  );
}
