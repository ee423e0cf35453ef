import {
  createModel,
  holdOutValidation,
  type ModelName,
  type ParamSet,
  paramGrid,
  type TuneMetric,
  type TuneTrial,
  tuneHyperParameters,
} from '@autorec/core';
import {
  type CsrMatrix,
  nnz,
  type PreparedDataset,
  Rng,
  type TrainSet,
  type TransformName,
} from '@autorec/data';
import { type Command, InvalidArgumentError } from 'commander';
import { InterruptedError, UsageError } from '../errors.ts';
import { onInterrupt } from '../interrupt.ts';
import {
  capThreads,
  DEFAULT_RECOMMENDER,
  DEFAULT_SEED,
  integerArg,
  MODEL_NAMES_HELP,
  modelArg,
  modelParams,
  oneFold,
  parseParamValue,
  parseSplit,
  type SplitChoice,
  singleSplit,
  transformArg,
} from '../options.ts';
import { formatSeconds, ProgressPrinter } from '../progress.ts';
import { textTable } from '../report/table.ts';
import { dataSource, describeSource, type InputFlags, preparedFrom } from '../sources.ts';
import {
  action,
  addHyperOptions,
  addInputOptions,
  addJsonOption,
  type CommandContext,
  hyperFlags,
} from './shared.ts';

interface TuneOptions extends InputFlags {
  model?: ModelName;
  grid?: string[];
  random?: number;
  metric: TuneMetric;
  seeds?: number[];
  split?: SplitChoice;
  seed: number;
  transform?: TransformName;
  param?: string[];
  json?: boolean;
}

/** Share of the training part held out for validation when the split has no per-entry validation. */
const VALIDATION_SHARE = 0.1;

export function registerTune(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('tune')
    .description(
      'search hyper-parameters on a validation set carved from the training part (never the test part): grid or random, by RMSE or NDCG@K',
    )
    .option('--model <name>', `model to tune (default ${DEFAULT_RECOMMENDER}): ${MODEL_NAMES_HELP}`, modelArg)
    .option(
      '--grid <key=v1,v2,…>',
      'values to try for one option (repeatable; every combination is a candidate), e.g. --grid factors=32,64,128; separate values with ; when one holds commas: --grid "layers=64,32;128"',
      collectGrid,
    )
    .option(
      '--random <n>',
      'try n candidates drawn at random (seeded) from the grid instead of all',
      integerArg(1),
    )
    .option(
      '--metric <m>',
      'what to optimise on validation: rmse, mae, ndcg@K or recall@K (default ndcg@10: lists a listener would get)',
      metricArg,
      'ndcg@10',
    )
    .option('--seeds <list>', 'fit each candidate once per seed and rank by the mean, e.g. 1,2,3', seedsArg);
  addInputOptions(cmd, { data: true, preset: true });
  cmd
    .option(
      '--split <spec>',
      'when not using --data: as for train (default holdout:0.1); its validation part is the one tuned on',
      parseSplit,
    )
    .option('--transform <name>', 'when not using --data: play count → rating transform', transformArg)
    .option('--seed <n>', 'seed of the split, the random draw and the models', integerArg(0), DEFAULT_SEED);
  addHyperOptions(cmd, 'a fixed model option for every candidate, KEY=VALUE (repeatable)');
  addJsonOption(cmd).action(
    action<TuneOptions>(ctx, async (o, out) => {
      const model = o.model ?? DEFAULT_RECOMMENDER;
      if (!o.grid?.length)
        throw new UsageError(
          'give at least one --grid KEY=V1,V2,… to search over',
          `e.g. autorec tune --model ${model} --grid ${exampleGrid(model)}`,
        );
      const fixed = modelParams([model], hyperFlags(o), o.param)[model];
      const candidates = drawCandidates(model, fixed, o.grid, o.random, o.seed);
      for (const note of capThreads({ [model]: { ...fixed, ...candidates[0] } })) out.note(note);
      const source = dataSource(o, undefined, o.split?.kind === 'single' ? o.split.files : undefined);
      if (source.kind === 'cache' && (o.split || o.transform))
        throw new UsageError('--split and --transform do not apply to --data: the cache holds its own');
      const fold = oneFold(o.split ?? parseSplit('holdout:0.1'));
      if (fold.note && source.kind !== 'cache') out.note(fold.note);
      out.note(`loading ${describeSource(source)}`);
      const { prepared, warnings } = await preparedFrom(source, {
        split: singleSplit(fold.choice),
        seed: o.seed,
        transform: o.transform,
      });
      for (const w of warnings) out.note(`warning: ${w}`);
      const { train, validation, from } = tuningSets(prepared, o.seed);
      out.note(
        `tuning ${model} on ${o.metric}: ${candidates.length} candidate(s), ${nnz(train.ratings).toLocaleString('en')} training ratings, ` +
          `${nnz(validation).toLocaleString('en')} validation ratings (${from}); the test part is not used`,
      );
      const progress = new ProgressPrinter(out);
      const interrupt = onInterrupt(() => out.note('\nstopping at the next batch boundary…'));
      const started = performance.now();
      try {
        const result = await tuneHyperParameters({
          makeModel: (p) => createModel(model, { ...fixed, ...p }),
          candidates,
          train,
          validation,
          metric: o.metric,
          seeds: o.seeds,
          signal: interrupt.signal,
          onProgress: (e) => {
            if (e.stage === 'fit' && e.training)
              progress.training(`${model} ${e.index + 1}/${e.total} ${describe(e.params)}`, e.training);
            if (e.stage === 'done' && e.trial)
              out.note(
                `${e.index + 1}/${e.total} ${describe(e.params)}: ${o.metric} ${e.trial.score.toFixed(4)}`,
              );
          },
        });
        out.clearStatus();
        if (result.aborted && result.trials.length === 0)
          throw new InterruptedError('tuning interrupted by Ctrl-C before any candidate finished');
        const best = result.best;
        const doc = {
          model,
          metric: o.metric,
          validation: from,
          fixed,
          seconds: (performance.now() - started) / 1000,
          trials: result.trials,
          best: best?.params,
          notFinished: result.aborted?.notFinished.length ?? 0,
        };
        // Ranking-only models predict ratings by their bias fallback: the same RMSE for every candidate.
        const showRmse = o.metric.includes('@') && createModel(model).scoreKind === 'rating';
        out.result(doc, () =>
          tuneReport(model, o.metric, result.trials, fixed, doc.seconds, doc.notFinished, showRmse),
        );
      } finally {
        interrupt.dispose();
      }
    }),
  );
}

/**
 * The tuning data: the split's own validation part when it holds out entries of the training
 * users and items (random, per-user, k-fold, given files); otherwise — held-out users, or no
 * validation at all — a seeded 10% of the training ratings.
 */
function tuningSets(
  prepared: PreparedDataset,
  seed: number,
): { train: TrainSet; validation: CsrMatrix; from: string } {
  const own = prepared.ratings.validation;
  if (prepared.params.split.method !== 'held-out-users' && own && nnz(own) > 0)
    return { train: prepared.trainSet, validation: own, from: "the split's validation part" };
  const held = holdOutValidation(prepared.trainSet, VALIDATION_SHARE, seed);
  return { ...held, from: `${VALIDATION_SHARE * 100}% of the training ratings, seed ${seed}` };
}

/**
 * The candidates: every combination of the grid, or `random` of them drawn without repeats by
 * a seeded generator. Each is checked against the model's parameter table before any training.
 */
function drawCandidates(
  model: ModelName,
  fixed: ParamSet,
  grid: readonly string[],
  random: number | undefined,
  seed: number,
): ParamSet[] {
  const values: Record<string, (string | number | boolean)[]> = {};
  for (const g of grid) {
    const eq = g.indexOf('=');
    const key = g.slice(0, eq);
    if (key in values) throw new UsageError(`--grid ${key} is given twice; list every value in one --grid`);
    if (key in fixed) throw new UsageError(`${key} is both fixed (flag or --param) and searched (--grid)`);
    // Values are split on commas — or on semicolons when a value itself holds commas (layers=64,32;128).
    const list = g.slice(eq + 1);
    values[key] = list.split(list.includes(';') ? ';' : ',').map((v) => parseParamValue(v.trim()));
  }
  let all = paramGrid(values);
  // Every candidate checked up front: a bad value fails before hours of training, naming itself.
  for (const c of all)
    modelParams(
      [model],
      {},
      Object.entries({ ...fixed, ...c }).map(([k, v]) => `${k}=${v}`),
    );
  if (random !== undefined && random < all.length) {
    const rng = new Rng(seed);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    all = all.slice(0, random);
  }
  return all;
}

function tuneReport(
  model: string,
  metric: TuneMetric,
  trials: readonly TuneTrial[],
  fixed: ParamSet,
  seconds: number,
  notFinished: number,
  ranking: boolean,
): string {
  const table = textTable({
    head: ['#', 'candidate', `val ${metric}`, ...(ranking ? ['val RMSE'] : []), 'epochs (kept)', 'fit'],
    rows: trials.map((t, i) => [
      String(i + 1),
      describe(t.params),
      t.score.toFixed(4),
      ...(ranking ? [Number.isFinite(t.rmse) ? t.rmse.toFixed(4) : '–'] : []),
      t.epochs > 0 ? `${Math.round(t.epochs)} (${Math.round(t.bestEpoch)})` : 'closed form',
      formatSeconds(t.fitSeconds),
    ]),
    align: ['right', 'left', 'right', ...(ranking ? ['right' as const] : []), 'right', 'right'],
  });
  const lines = [table];
  if (notFinished > 0) lines.push(`stopped early: ${notFinished} candidate(s) not tried`);
  const best = trials[0];
  if (best) {
    const params = Object.entries({ ...fixed, ...best.params }).map(([k, v]) => `--param ${k}=${v}`);
    lines.push(
      `best on validation: ${describe(best.params)} (${metric} ${best.score.toFixed(4)}), searched in ${formatSeconds(seconds)}`,
      `train it: autorec train --model ${model} ${params.join(' ')} --out DIR   (and report its test figures, not these)`,
    );
  }
  return lines.join('\n');
}

function describe(params: ParamSet): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function exampleGrid(model: ModelName): string {
  if (model.endsWith('autorec')) return 'hiddenUnits=300,500 --grid lambda=1,100';
  if (model === 'ease') return 'lambda=100,500,1000';
  return 'factors=32,64,128';
}

function collectGrid(value: string, previous: string[] = []): string[] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1)
    throw new InvalidArgumentError('write it as KEY=V1,V2,…, e.g. factors=32,64,128');
  return [...previous, value];
}

function metricArg(value: string): TuneMetric {
  const m = value.trim().toLowerCase();
  if (m === 'rmse' || m === 'mae' || /^(ndcg|recall)@[1-9]\d*$/.test(m)) return m as TuneMetric;
  throw new InvalidArgumentError('use rmse, mae, ndcg@K or recall@K (e.g. ndcg@10)');
}

function seedsArg(value: string): number[] {
  const seeds = value.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new InvalidArgumentError('a comma-separated list of whole numbers ≥ 0, e.g. 1,2,3');
  return seeds;
}
