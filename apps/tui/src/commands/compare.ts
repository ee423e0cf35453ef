import { join } from 'node:path';
import { comparisonJson, type ModelName, REPORT_FILES, verdict } from '@autorec/core';
import { itemNoun, type TransformName } from '@autorec/data';
import type { Command } from 'commander';
import { InterruptedError } from '../errors.ts';
import {
  checkExperiment,
  type ExperimentConfig,
  type ExperimentEvent,
  ExperimentInterruptedError,
  runExperiment,
} from '../experiment.ts';
import { onInterrupt } from '../interrupt.ts';
import {
  capThreads,
  DEFAULT_COMPARE_MODELS,
  DEFAULT_SEED,
  describeSplit,
  integerArg,
  modelListArg,
  modelParams,
  parseSplit,
  type SplitChoice,
  transformArg,
  withPopularity,
} from '../options.ts';
import type { Output } from '../output.ts';
import { ProgressPrinter } from '../progress.ts';
import { openReportFolder, type ReportFolder } from '../report/folder.ts';
import { comparisonTable } from '../report/table.ts';
import { writeReport } from '../report/write.ts';
import { dataSource, type InputFlags } from '../sources.ts';
import {
  action,
  addHyperOptions,
  addInputOptions,
  addJsonOption,
  type CommandContext,
  hyperFlags,
} from './shared.ts';

interface CompareOptions extends InputFlags {
  models?: ModelName[];
  split?: SplitChoice;
  seed: number;
  transform?: TransformName;
  k: number;
  maxUsers?: number;
  refit?: boolean;
  param?: string[];
  out?: string;
  json?: boolean;
}

export function registerCompare(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('compare')
    .description(
      "the paper's experiment: train every model on the same split and compare RMSE, MAE and top-k ranking in one table",
    );
  addInputOptions(cmd, { data: true, preset: true });
  cmd
    .option(
      '--models <list>',
      `comma-separated (default ${DEFAULT_COMPARE_MODELS.join(',')}; popularity is always added)`,
      modelListArg,
    )
    .option(
      '--split <spec>',
      'holdout:TEST[:VAL] (default holdout:0.1 with 0.1 validation), per-user:TEST[:VAL], kfold:K, held-out-users:N[:V], files:TRAIN,TEST',
      parseSplit,
    )
    .option(
      '--transform <name>',
      'play count → rating transform (default: by format; log-bins for taste-profile)',
      transformArg,
    )
    .option('--seed <n>', 'seed of the split and of every model', integerArg(0), DEFAULT_SEED)
    .option('-k, --k <n>', 'ranking cut-off', integerArg(1), 10)
    .option('--max-users <n>', 'rank a seeded sample of at most n users (default: all)', integerArg(1))
    .option(
      '--no-refit',
      'do not train early-stopping models (AutoRec) again on training + validation for the epochs they kept (others always train on both)',
    )
    .option(
      '--out <dir>',
      'write a report folder: report.md, results.json, training-curves.svg, models/<name>/',
    );
  addHyperOptions(cmd, 'a model option as [MODEL.]KEY=VALUE, e.g. u-autorec.patience=5 (repeatable)');
  cmd.addHelpText(
    'after',
    '\nWithout --data, --input or --preset it runs on the synthetic `default` preset (built in memory).\n' +
      'Shared flags (--epochs, --hidden, --lr, --lambda, --factors, --batch-size) apply to every model that has the option.',
  );
  addJsonOption(cmd).action(
    action<CompareOptions>(ctx, async (o, out) => {
      const source = dataSource(
        o,
        { kind: 'preset', preset: 'default' },
        o.split?.kind === 'single' ? o.split.files : undefined,
      );
      const models = withPopularity(o.models ?? DEFAULT_COMPARE_MODELS);
      const config: ExperimentConfig = {
        source,
        split: o.split ?? parseSplit('holdout:0.1'),
        seed: o.seed,
        transform: o.transform,
        models,
        params: modelParams(models, hyperFlags(o), o.param),
        k: o.k,
        maxUsers: o.maxUsers,
        refit: o.refit,
      };
      checkExperiment(config, o.split !== undefined);
      for (const note of capThreads(config.params)) out.note(note);
      const folder = o.out ? await openReportFolder(o.out) : undefined;
      await compare(config, folder, o, out);
    }),
  );
}

async function compare(
  config: ExperimentConfig,
  folder: ReportFolder | undefined,
  o: CompareOptions,
  out: Output,
): Promise<void> {
  const startedAt = new Date();
  const progress = new ProgressPrinter(out);
  const done: string[] = [];
  let current: { model: string; epoch: number; epochs: number; evaluating?: boolean } | undefined;
  const interrupt = onInterrupt(() => {
    out.clearStatus();
    out.note('stopping at the next batch boundary… (Ctrl-C again to quit now)');
  });
  const onEvent = (e: ExperimentEvent) => {
    progress.event(e);
    if (e.type !== 'model') return;
    const label = e.folds > 1 ? `${e.model} (fold ${e.fold + 1})` : e.model;
    if (e.stage === 'done') {
      done.push(label);
      current = undefined;
    } else if (e.stage === 'evaluate' && current) current.evaluating = true;
    else if (e.training) current = { model: label, epoch: e.training.epoch, epochs: e.training.epochs };
  };
  out.note(
    `comparing ${config.models.join(', ')} — ${config.source.kind === 'cache' ? 'split from the cache' : describeSplit(config.split)}, seed ${config.seed}`,
  );
  try {
    const run = await runExperiment(config, { signal: interrupt.signal, onEvent });
    for (const w of run.result.warnings ?? []) out.note(`warning: ${w}`);
    if (folder) {
      // A stop that came after the last batch still means: do not write.
      interrupt.signal.throwIfAborted();
      out.note(`writing the report to ${folder.dir}`);
      await writeReport(folder, run, {
        command: commandLine(),
        startedAt,
        runtime: `Node ${process.versions.node}`,
      });
      await folder.commit();
    }
    for (const m of run.trained) m.dispose();
    const { result } = run;
    out.result(comparisonJson(result, folder?.dir), () =>
      [
        `${result.dataset.name}: ${result.dataset.users.toLocaleString('en')} users × ${result.dataset.items.toLocaleString('en')} ${itemNoun(result.dataset.format)}, ` +
          `${result.dataset.interactions.toLocaleString('en')} pairs; transform ${result.dataset.transform}; ${result.split.description}; backend ${result.backend}`,
        comparisonTable(result.results, result.k),
        '',
        ...verdict(result),
        folder
          ? `\nreport: ${join(o.out!, REPORT_FILES.report)}  (took ${result.seconds.toFixed(1)} s)`
          : `\ntook ${result.seconds.toFixed(1)} s`,
      ].join('\n'),
    );
  } catch (error) {
    await folder?.discard();
    if (error instanceof InterruptedError || interrupt.signal.aborted) {
      out.clearStatus();
      const where = !current
        ? 'no model was training'
        : current.evaluating
          ? `${current.model} was being evaluated`
          : `${current.model} was at epoch ${current.epoch}/${current.epochs}`;
      out.note(`interrupted: finished ${done.length ? done.join(', ') : 'no model'}; ${where}.`);
      const partial =
        error instanceof ExperimentInterruptedError && error.result.results.length > 0 ? error : undefined;
      if (partial && !out.json) out.result(null, () => partialText(partial, config.models.length));
      throw new InterruptedError(
        folder ? `interrupted by Ctrl-C; no report written (${o.out} unchanged)` : 'interrupted by Ctrl-C',
        {
          partial: partial && {
            ...comparisonJson(partial.result),
            interruption: partial.interruption,
          },
        },
      );
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
}

/**
 * The finished models' numbers after Ctrl-C: the dataset line and the table, headed by what
 * they cover. No verdict: with models missing it would answer a different question.
 */
function partialText(error: ExperimentInterruptedError, models: number): string {
  const { result, interruption: at } = error;
  const scope =
    at.folds === 1
      ? `${result.results.length} of ${models} models finished`
      : at.completeFolds > 0
        ? `means over the ${at.completeFolds} of ${at.folds} folds every model finished`
        : `fold 1 of ${at.folds} only, ${result.results.length} of ${models} models finished`;
  return [
    `partial results (${scope}; not saved):`,
    `${result.dataset.name}: ${result.dataset.users.toLocaleString('en')} users × ${result.dataset.items.toLocaleString('en')} ${itemNoun(result.dataset.format)}; ` +
      `transform ${result.dataset.transform}; ${result.split.description}`,
    comparisonTable(result.results, result.k),
  ].join('\n');
}

/** The command as typed, for the report (`autorec compare …`). */
function commandLine(): string {
  const args = process.argv
    .slice(2)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return ['autorec', ...args].join(' ');
}
