import { ModelFormatError, OptionError } from '../errors.ts';
import { MODEL_FORMAT_VERSION, type ModelManifest, parseJson, type Recommender } from '../recommender.ts';
import type { HyperParameterInfo, ModelName, ModelStore } from '../types.ts';
import { IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { BaselineOnlyModel, GlobalMeanModel, PopularityModel } from './baselines.ts';
import { BprModel } from './bpr.ts';
import { EaseModel } from './ease.ts';
import { IalsModel } from './ials.ts';
import { MultDaeModel } from './mult-dae.ts';
import { MultVaeModel } from './mult-vae.ts';
import { type ParamSpec, type ParamValue, readParams } from './shared.ts';
import { SvdModel } from './svd.ts';
import { SvdppModel } from './svdpp.ts';

/** Hyper-parameters by name, as given on the CLI, in a form or in manifest.json. */
export type ModelParams = Record<string, ParamValue>;

/** A model class as the registry takes it: its parameter table and a constructor from parameters. */
export interface ModelClass {
  readonly params: Readonly<Record<string, ParamSpec>>;
  new (params?: ModelParams): Recommender;
}

/**
 * What the registry knows of a model without building one: its parameter table (kind,
 * default, range, meaning of each option — for help screens, forms and manifest checks), how to
 * create it untrained, and how to load it from a saved folder.
 */
export interface ModelEntry {
  readonly name: ModelName;
  readonly params: Readonly<Record<string, ParamSpec>>;
  create(params?: ModelParams): Recommender;
  /** Builds the model from a checked manifest and restores its state from `store`. */
  load(store: ModelStore, manifest: ModelManifest): Promise<Recommender>;
}

/**
 * Every model the package can build, by name, in the order front ends list them. Adding a model
 * is its own file (a `Recommender` subclass with a static `params` table) and one line here;
 * `ModelName`, `MODEL_NAMES`, `modelEntry`, `createModel` and `loadModel` follow from this table.
 */
const MODELS = {
  'u-autorec': UAutoRecModel,
  'i-autorec': IAutoRecModel,
  svd: SvdModel,
  baseline: BaselineOnlyModel,
  popularity: PopularityModel,
  'global-mean': GlobalMeanModel,
  ials: IalsModel,
  ease: EaseModel,
  bpr: BprModel,
  svdpp: SvdppModel,
  'mult-vae': MultVaeModel,
  'mult-dae': MultDaeModel,
};

/** Names of the registered models (the keys of the table above). */
export type RegisteredModelName = keyof typeof MODELS;

/** The table as the registry uses it (this also checks that every entry is a `ModelClass`). */
const CLASSES: Record<string, ModelClass> = MODELS;

const ENTRIES = new Map<string, ModelEntry>(
  Object.entries(CLASSES).map(([name, Model]) => [
    name,
    {
      name: name as ModelName,
      params: Model.params,
      create: (params = {}) => new Model(params),
      load: async (store, manifest) => {
        const model = new Model(manifest.hyperParameters);
        await model.restore(store, manifest);
        return model;
      },
    },
  ]),
);

/** Names of the registered models, in the order listed above. */
export const MODEL_NAMES: readonly ModelName[] = Object.keys(MODELS) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODELS, name);
}

/**
 * The registry's entry for `name`: parameters, `create`, `load` — read options and defaults
 * without building (or starting anything for) a model. Unknown names throw an `OptionError`.
 *
 * @example
 * modelEntry('svd').params.factors; // { kind: 'int', default: 100, min: 1, description: 'Number of latent factors k' }
 * Object.keys(modelEntry('ials').params); // ['factors', 'iterations', …]
 */
export function modelEntry(name: ModelName): ModelEntry {
  const entry = ENTRIES.get(name);
  if (!entry || !isModelName(name))
    throw new OptionError(`unknown model '${name}'; available: ${MODEL_NAMES.join(', ')}`, { model: name });
  return entry;
}

/**
 * The hyper-parameters of a model with their defaults and meaning, from the registry's table
 * (what `describe()` of an untrained model with default options says, without building one).
 *
 * @example
 * describeParams('svd')[0]; // { name: 'factors', value: 100, description: 'Number of latent factors k' }
 */
export function describeParams(name: ModelName): HyperParameterInfo[] {
  return Object.entries(modelEntry(name).params).map(([param, spec]) => ({
    name: param,
    value: spec.default,
    description: spec.description,
  }));
}

/**
 * Checks hyper-parameters against the model's parameter table — names, kinds, ranges — without
 * building the model: an `OptionError` naming the model, the option and the valid choices.
 *
 * @example
 * checkModelParams('svd', { factors: 0 }); // throws "svd: option 'factors' must be ≥ 1, got 0"
 */
export function checkModelParams(name: ModelName, params: ModelParams): void {
  readParams(name, params, modelEntry(name).params);
}

/**
 * A new, untrained model. Unknown names and unknown or ill-typed hyper-parameters throw an
 * `OptionError` that lists the valid choices.
 *
 * @example
 * const model = createModel('svd', { factors: 50, seed: 7 });
 * await model.fit(trainSet);
 */
export function createModel(name: ModelName, params: ModelParams = {}): Recommender {
  return modelEntry(name).create(params);
}

/**
 * Reads and checks `manifest.json` of a saved model: valid JSON, a known format version, a
 * registered model name, and every field of the shape `save` writes — the hyper-parameters
 * against the model's parameter table — or a `ModelFormatError` naming the field (a missing
 * file too, from the store).
 *
 * @example
 * const manifest = await readManifest(directoryStore('models/svd')); // from '@autorec/core/node'
 * manifest.model; // 'svd'
 */
export async function readManifest(store: ModelStore): Promise<ModelManifest> {
  const manifest = parseJson<ModelManifest>(await store.readText('manifest.json'), 'manifest.json');
  const bad = (what: string) =>
    new ModelFormatError(`manifest.json: ${what}; the model directory is corrupt`, { file: 'manifest.json' });
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw bad('expected an object');
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION)
    throw new ModelFormatError(
      `manifest.json: model format version ${manifest.formatVersion} is not supported ` +
        `(this version of @autorec/core reads version ${MODEL_FORMAT_VERSION}); retrain or re-save the model`,
      { file: 'manifest.json' },
    );
  if (typeof manifest.model !== 'string' || !isModelName(manifest.model))
    throw new ModelFormatError(
      `manifest.json: unknown model '${manifest.model}'; this build knows ${MODEL_NAMES.join(', ')}`,
      { file: 'manifest.json' },
    );
  const hyper = manifest.hyperParameters ?? {};
  if (typeof hyper !== 'object' || hyper === null || Array.isArray(hyper))
    throw bad(`field 'hyperParameters' should be an object of options, got ${JSON.stringify(hyper)}`);
  try {
    readParams(manifest.model, hyper, modelEntry(manifest.model).params);
  } catch (error) {
    // Options the user never typed: the manifest is what is wrong (edited, or from another version).
    if (error instanceof OptionError)
      throw new ModelFormatError(
        `manifest.json: ${error.message} (field 'hyperParameters.${error.option}')`,
        {
          file: 'manifest.json',
          cause: error,
        },
      );
    throw error;
  }
  const scale = manifest.scale as unknown;
  if (
    typeof scale !== 'object' ||
    scale === null ||
    !Number.isFinite((scale as { min: unknown }).min) ||
    !Number.isFinite((scale as { max: unknown }).max) ||
    !((scale as { min: number }).min <= (scale as { max: number }).max)
  )
    throw bad(`field 'scale' should be { min, max } with finite min ≤ max, got ${JSON.stringify(scale)}`);
  const transform = manifest.transform as unknown;
  if (
    typeof transform !== 'object' ||
    transform === null ||
    typeof (transform as { name: unknown }).name !== 'string'
  )
    throw bad(`field 'transform' should be a transform with a name, got ${JSON.stringify(transform)}`);
  return manifest;
}

/**
 * Loads a model saved with `Recommender.save`: reads and checks the manifest, builds the model
 * named there with the saved hyper-parameters and restores its ids, training ratings and
 * weights. A folder that is not a readable model raises `ModelFormatError` (or the data
 * package's `DataError` for a damaged binary file).
 *
 * @example
 * const model = await loadModel(directoryStore('models/svd-lastfm')); // from '@autorec/core/node'
 * model.recommend('user-1', 10);
 */
export async function loadModel(store: ModelStore): Promise<Recommender> {
  const manifest = await readManifest(store);
  return modelEntry(manifest.model).load(store, {
    ...manifest,
    hyperParameters: manifest.hyperParameters ?? {},
  });
}
