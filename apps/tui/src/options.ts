import { availableParallelism } from 'node:os';
import {
  checkModelParams,
  isModelName,
  MODEL_NAMES,
  type ModelName,
  type ModelParams,
  modelEntry,
  OptionError,
} from '@autorec/core';
import type {
  FormatName,
  ItemInfoFormatName,
  SplitOptions,
  SyntheticPreset,
  TransformName,
} from '@autorec/data';
import { isTransformName, SYNTHETIC_PRESET_NAMES, TRANSFORM_NAMES } from '@autorec/data';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './errors.ts';

/** Interaction formats a user can name with --format (`msd-tracks` is metadata, see --metadata). */
export const INPUT_FORMATS: readonly FormatName[] = [
  'taste-profile',
  'lastfm-hetrec',
  'lastfm-1k',
  'lastfm-360k',
  'movielens',
  'csv',
];

export const METADATA_FORMATS: readonly ItemInfoFormatName[] = ['msd-tracks', 'lastfm-hetrec', 'movielens'];

/** The default seed of splits and models across the CLI and the app. */
export const DEFAULT_SEED = 42;

/** The paper's two AutoRecs with SVD and the baseline: what the interactive app preselects. */
export const PAPER_MODELS: readonly ModelName[] = ['svd', 'u-autorec', 'i-autorec', 'baseline'];

/**
 * The models `autorec compare` runs when --models is not given: the paper's four, implicit ALS
 * as the ranking model, and popularity — the line every recommender must beat, so it is always
 * in a comparison (`withPopularity`).
 */
export const DEFAULT_COMPARE_MODELS: readonly ModelName[] = [...PAPER_MODELS, 'ials', 'popularity'];

/**
 * The model `autorec train` trains without --model: implicit ALS, the best ranking model that
 * runs on every shipped data set (docs/benchmarks.md: Last.fm 2K NDCG@10 0.178 on raw counts,
 * 0.246 on the default quintile ratings, popularity 0.087; EASE ranks higher on MovieLens-100K
 * but is refused above 10,000 items).
 */
export const DEFAULT_RECOMMENDER: ModelName = 'ials';

/**
 * The model list with `popularity` appended when missing: a comparison always shows the line
 * every recommender must beat.
 *
 * @example
 * withPopularity(['svd', 'ials']); // ['svd', 'ials', 'popularity']
 */
export function withPopularity(models: readonly ModelName[]): ModelName[] {
  return models.includes('popularity') ? [...models] : [...models, 'popularity'];
}

/** Commander argument parser for a whole number ≥ `min`. */
export function integerArg(min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
    if (n < min) throw new InvalidArgumentError(`must be ≥ ${min}`);
    return n;
  };
}

/** Commander argument parser for a finite number, optionally strictly above `above`. */
export function numberArg(above?: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
    if (above !== undefined && !(n > above)) throw new InvalidArgumentError(`must be > ${above}`);
    return n;
  };
}

/** Commander argument parser accepting one of `choices`. */
export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`use one of ${choices.join(', ')}`);
    return value as T;
  };
}

export const formatArg = choiceArg(INPUT_FORMATS);
export const presetArg = choiceArg(SYNTHETIC_PRESET_NAMES as readonly SyntheticPreset[]);
export const metadataFormatArg = choiceArg(METADATA_FORMATS);

export function transformArg(value: string): TransformName {
  if (!isTransformName(value)) throw new InvalidArgumentError(`use one of ${TRANSFORM_NAMES.join(', ')}`);
  return value;
}

/** The registered model names for help texts (new models appear without editing any help). */
export const MODEL_NAMES_HELP = MODEL_NAMES.join(', ');

export function modelArg(value: string): ModelName {
  if (!isModelName(value)) throw new InvalidArgumentError(`use one of ${MODEL_NAMES.join(', ')}`);
  return value;
}

/** `svd,u-autorec` → model names, each checked against the registry. */
export function modelListArg(value: string): ModelName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('name at least one model');
  for (const n of names)
    if (!isModelName(n))
      throw new InvalidArgumentError(`unknown model '${n}'; use ${MODEL_NAMES.join(', ')}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InvalidArgumentError(`'${dup}' is listed twice`);
  return names as ModelName[];
}

/** Collects a repeatable `--param KEY=VALUE` into a list. */
export function collectParam(value: string, previous: string[] = []): string[] {
  if (!/^[A-Za-z][\w.-]*=/.test(value))
    throw new InvalidArgumentError('write it as KEY=VALUE, e.g. patience=5');
  return [...previous, value];
}

/**
 * How to split: one train/test split (`SplitOptions` of the data package) or every fold of a
 * k-fold cross-validation.
 */
export type SplitChoice =
  | {
      kind: 'single';
      options: SplitOptions;
      /** `files:TRAIN,TEST`: the split is given as two files (`options.method` is 'given'). */
      files?: { train: string; test: string };
    }
  | { kind: 'kfold'; folds: number; validation?: number };

/** Share of each fold's training part carved out for validation (early stopping) under `kfold:K`. */
export const KFOLD_VALIDATION = 0.1;

/**
 * Parses --split:
 * - `holdout:TEST[:VALIDATION]` — random holdout of plays (validation default 0.1, carved out of
 *   training for learning curves and early stopping; `holdout:0.1:0` for none);
 * - `per-user:TEST[:VALIDATION]` — the same share of every user's plays;
 * - `kfold:K` — K-fold cross-validation (every fold; `kfold:K:F` picks fold F, counted from 1
 *   as it is shown — `kfold:5:1` … `kfold:5:5` — where a single split is needed);
 * - `held-out-users:N[:V]` — N test users (and V validation users) folded in at test time;
 * - `files:TRAIN,TEST` — a split made elsewhere, as two files (read with --format; the transform
 *   fitted on TRAIN; 10% of TRAIN carved out for validation);
 * - `none` — every play trains the model (a final model; nothing to test on).
 *
 * @example
 * parseSplit('holdout:0.1'); // { kind: 'single', options: { method: 'random', test: 0.1, validation: 0.1 } }
 */
export function parseSplit(spec: string): SplitChoice {
  if (spec === 'none') return { kind: 'single', options: { method: 'random', test: 0, validation: 0 } };
  if (spec.startsWith('files:')) {
    const paths = spec.slice('files:'.length).split(',');
    if (paths.length !== 2 || paths.some((p) => p.trim() === ''))
      throw new InvalidArgumentError('write it as files:TRAIN,TEST, e.g. files:train.tsv,test.tsv');
    return {
      kind: 'single',
      options: { method: 'given', validation: KFOLD_VALIDATION },
      files: { train: paths[0], test: paths[1] },
    };
  }
  const [method, ...rest] = spec.split(':');
  const num = (s: string | undefined, what: string, fallback?: number): number => {
    if (s === undefined || s === '') {
      if (fallback !== undefined) return fallback;
      throw new InvalidArgumentError(`${method} needs ${what}, e.g. ${example(method)}`);
    }
    const n = Number(s);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${what} '${s}' is not a number`);
    return n;
  };
  const share = (s: string | undefined, what: string, fallback?: number): number => {
    const x = num(s, what, fallback);
    if (!(x >= 0 && x < 1)) throw new InvalidArgumentError(`${what} must be a share in [0, 1), got ${x}`);
    return x;
  };
  const whole = (s: string | undefined, what: string, min: number, fallback?: number): number => {
    const x = num(s, what, fallback);
    if (!Number.isInteger(x) || x < min)
      throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}`);
    return x;
  };
  if (rest.length > 2) throw new InvalidArgumentError(`too many parts in '${spec}'`);
  switch (method) {
    case 'holdout':
    case 'random':
    case 'per-user': {
      const test = share(rest[0], 'the test share');
      const validation = share(rest[1], 'the validation share', 0.1);
      if (test <= 0) throw new InvalidArgumentError('the test share must be > 0');
      if (test + validation >= 1) throw new InvalidArgumentError('test + validation must be < 1');
      const by = method === 'per-user' ? 'per-user' : 'random';
      return { kind: 'single', options: { method: by, test, validation } };
    }
    case 'kfold':
    case 'k-fold': {
      const folds = whole(rest[0], 'the number of folds', 2);
      const validation = KFOLD_VALIDATION;
      if (rest[1] === undefined) return { kind: 'kfold', folds, validation };
      // Folds are counted from 1 on the command line, as every message shows them.
      const fold = whole(rest[1], 'the fold (counted from 1)', 1);
      if (fold > folds) throw new InvalidArgumentError(`the fold must be 1 to ${folds}, got ${fold}`);
      return { kind: 'single', options: { method: 'k-fold', folds, fold: fold - 1, validation } };
    }
    case 'held-out-users': {
      const testUsers = whole(rest[0], 'the number of test users', 1);
      const validationUsers = whole(rest[1], 'the number of validation users', 0, 0);
      return { kind: 'single', options: { method: 'held-out-users', testUsers, validationUsers } };
    }
    default:
      throw new InvalidArgumentError(
        `unknown split '${method}'; use holdout:0.1, per-user:0.2, kfold:5, held-out-users:N, files:TRAIN,TEST or none`,
      );
  }
}

function example(method: string): string {
  if (method === 'kfold' || method === 'k-fold') return 'kfold:5';
  if (method === 'held-out-users') return 'held-out-users:500';
  return `${method}:0.1`;
}

/** A single split for commands that train one model (k-fold without a fold index means fold 1, index 0). */
export function singleSplit(choice: SplitChoice): SplitOptions {
  return choice.kind === 'single'
    ? choice.options
    : { method: 'k-fold', folds: choice.folds, fold: 0, validation: choice.validation };
}

/**
 * The split a one-model command (prepare, train) really uses: `kfold:K` without a fold is fold 1,
 * and says so, with how to get the others — a cache or a model holds one fold, not K.
 */
export function oneFold(choice: SplitChoice): { choice: SplitChoice; note?: string } {
  if (choice.kind !== 'kfold') return { choice };
  return {
    choice: { kind: 'single', options: singleSplit(choice) },
    note: `one fold is used here: fold 1; --split kfold:${choice.folds}:F picks fold F (1 to ${choice.folds}), and \`autorec compare --split kfold:${choice.folds}\` runs them all`,
  };
}

/** A short human name of a split, e.g. `holdout 10% test, 10% validation`. */
export function describeSplit(choice: SplitChoice): string {
  const val = (v = 0) =>
    v > 0 ? `, ${Math.round(v * 1000) / 10}% of each fold's training part for validation` : '';
  if (choice.kind === 'kfold') return `${choice.folds}-fold cross-validation${val(choice.validation)}`;
  const o = choice.options;
  const pct = (x = 0) => `${Math.round(x * 1000) / 10}%`;
  switch (o.method) {
    case 'given': {
      const f = choice.files;
      return `given split${f ? ` (train ${f.train}, test ${f.test})` : ''}${val(o.validation).replace("each fold's training part", 'the training file')}`;
    }
    case 'random':
      if (!o.test && !o.validation) return 'no split: every play trains the model';
      return `random holdout: ${pct(o.test)} test, ${pct(o.validation)} validation`;
    case 'per-user':
      return `per-user holdout: ${pct(o.test)} of each user's plays for test, ${pct(o.validation)} validation`;
    case 'k-fold':
      return `fold ${o.fold + 1} of ${o.folds}-fold cross-validation${val(o.validation)}`;
    case 'held-out-users':
      return `held-out users: ${o.testUsers} test, ${o.validationUsers ?? 0} validation`;
  }
}

/**
 * The common hyper-parameter flags and the model option each stands for, first match wins:
 * `--lambda` is AutoRec's λ and SVD's (and the SGD baseline's) regularization.
 */
export const HYPER_FLAGS = {
  hidden: {
    flag: '--hidden <n>',
    params: ['hiddenUnits'],
    parse: integerArg(1),
    help: 'AutoRec hidden units',
  },
  epochs: {
    flag: '--epochs <n>',
    params: ['epochs', 'iterations'],
    parse: integerArg(0),
    help: 'training epochs (most; iALS sweeps)',
  },
  lr: { flag: '--lr <x>', params: ['learningRate'], parse: numberArg(0), help: 'learning rate' },
  lambda: {
    flag: '--lambda <x>',
    params: ['lambda', 'regularization'],
    parse: numberArg(),
    help: 'L2 weight (AutoRec λ, SVD regularization)',
  },
  factors: {
    flag: '--factors <n>',
    params: ['factors'],
    parse: integerArg(1),
    help: 'latent factors (SVD, iALS)',
  },
  batchSize: {
    flag: '--batch-size <n>',
    params: ['batchSize'],
    parse: integerArg(1),
    help: 'AutoRec batch size',
  },
} as const;

export type HyperFlagName = keyof typeof HYPER_FLAGS;
export type HyperFlagValues = Partial<Record<HyperFlagName, number>>;

/** Option names of a model, from the registry (no training, no backend start). */
export function modelOptionNames(name: ModelName): string[] {
  return Object.keys(modelEntry(name).params);
}

/** `KEY=VALUE` → value typed as the model expects: numbers and true/false, else the text. */
export function parseParamValue(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * Hyper-parameters for each model from the shared flags and `--param [MODEL.]KEY=VALUE`.
 * A shared flag applies to every listed model that has the option; a flag no listed model
 * understands, a `--param` for a model not listed, or an invalid value is a usage error
 * (checked here against each model's parameter table, before any training starts).
 *
 * @example
 * modelParams(['svd', 'u-autorec'], { epochs: 5, hidden: 100 }, ['u-autorec.patience=3']);
 * // { svd: { epochs: 5 }, 'u-autorec': { epochs: 5, hiddenUnits: 100, patience: 3 } }
 */
export function modelParams(
  models: readonly ModelName[],
  flags: HyperFlagValues,
  params: readonly string[] = [],
): Record<string, ModelParams> {
  const out: Record<string, ModelParams> = {};
  const names = new Map(models.map((m) => [m, modelOptionNames(m)]));
  for (const m of models) out[m] = {};
  for (const [flag, value] of Object.entries(flags) as [HyperFlagName, number | undefined][]) {
    if (value === undefined) continue;
    const spec = HYPER_FLAGS[flag];
    let used = false;
    for (const m of models) {
      const key = spec.params.find((p) => names.get(m)!.includes(p));
      if (key) {
        out[m][key] = value;
        used = true;
      }
    }
    if (!used)
      throw new UsageError(
        `${spec.flag.split(' ')[0]} does not apply to ${models.join(', ')}`,
        `it sets ${spec.help}; leave it out or add a model that has it`,
      );
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    const value = parseParamValue(p.slice(eq + 1));
    const dot = key.indexOf('.');
    const target = dot > 0 ? key.slice(0, dot) : undefined;
    const option = dot > 0 ? key.slice(dot + 1) : key;
    if (target !== undefined && !models.includes(target as ModelName))
      throw new UsageError(`--param ${p}: '${target}' is not among the models (${models.join(', ')})`);
    const targets = target ? [target as ModelName] : models.filter((m) => names.get(m)!.includes(option));
    if (targets.length === 0)
      throw new UsageError(
        `--param ${p}: no model here has an option '${option}'`,
        models.map((m) => `${m}: ${names.get(m)!.join(', ')}`).join('; '),
      );
    for (const m of targets) out[m][option] = value;
  }
  for (const m of models) {
    try {
      checkModelParams(m, out[m]);
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      throw new UsageError(
        e.message,
        `see \`autorec train --help\`; ${m} options: ${names.get(m)!.join(', ')}`,
      );
    }
  }
  return out;
}

/**
 * Caps each model's `threads` at the cores of this machine (more workers than cores only add
 * memory and switching: 1,000 threads took 8.8 GB) and returns a note for each cap, so the
 * user knows their number was not used.
 *
 * @example
 * const params = { 'u-autorec': { threads: 1000 } };
 * capThreads(params); // ['u-autorec: threads=1000 is more than the 2 cores here; using 2'], params.threads now 2
 */
export function capThreads(params: Record<string, ModelParams>, cores = availableParallelism()): string[] {
  const notes: string[] = [];
  for (const [model, p] of Object.entries(params)) {
    if (typeof p.threads !== 'number' || p.threads <= cores) continue;
    notes.push(`${model}: threads=${p.threads} is more than the ${cores} cores here; using ${cores}`);
    p.threads = cores;
  }
  return notes;
}
