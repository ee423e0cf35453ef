import { ModelFormatError, OptionError } from '../errors.ts';
import { MODEL_FORMAT_VERSION, type ModelManifest, parseJson, type Recommender } from '../recommender.ts';
import type { ModelName, ModelStore } from '../types.ts';
import { IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { BaselineOnlyModel, GlobalMeanModel, PopularityModel } from './baselines.ts';
import { EaseModel } from './ease.ts';
import { IalsModel } from './ials.ts';
import type { ParamValue } from './shared.ts';
import { SvdModel } from './svd.ts';

/** Hyper-parameters by name, as given on the CLI, in a form or in manifest.json. */
export type ModelParams = Record<string, ParamValue>;

/**
 * Every model the package can build, by name. Adding a model is one line here (and its name in
 * `ModelName`); `MODEL_NAMES`, `createModel` and `loadModel` follow from this table.
 */
const FACTORIES: { [N in ModelName]?: (params: ModelParams) => Recommender } = {
  'u-autorec': (p) => new UAutoRecModel(p),
  'i-autorec': (p) => new IAutoRecModel(p),
  svd: (p) => new SvdModel(p),
  baseline: (p) => new BaselineOnlyModel(p),
  popularity: (p) => new PopularityModel(p),
  'global-mean': (p) => new GlobalMeanModel(p),
  ials: (p) => new IalsModel(p),
  ease: (p) => new EaseModel(p),
};

/** Names of the registered models, in the order listed above. */
export const MODEL_NAMES: readonly ModelName[] = Object.keys(FACTORIES) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(FACTORIES, name);
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
  const factory = FACTORIES[name];
  if (!factory)
    throw new OptionError(`unknown model '${name}'; available: ${MODEL_NAMES.join(', ')}`, { model: name });
  return factory(params);
}

/**
 * Reads and checks `manifest.json` of a saved model: valid JSON, a known format version and
 * a registered model name; otherwise a `ModelFormatError` (a missing file too, from the store).
 *
 * @example
 * const manifest = await readManifest(directoryStore('models/svd')); // from '@autorec/core/node'
 * manifest.model; // 'svd'
 */
export async function readManifest(store: ModelStore): Promise<ModelManifest> {
  const manifest = parseJson<ModelManifest>(await store.readText('manifest.json'), 'manifest.json');
  if (typeof manifest !== 'object' || manifest === null)
    throw new ModelFormatError('manifest.json: expected an object; the model directory is corrupt', {
      file: 'manifest.json',
    });
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
  return manifest;
}

/**
 * Loads a model saved with `Recommender.save`: reads the manifest, builds the model named
 * there with the saved hyper-parameters and restores its ids, training ratings and weights.
 * A folder that is not a readable model raises `ModelFormatError` (or the data package's
 * `DataError` for a damaged binary file).
 *
 * @example
 * const model = await loadModel(directoryStore('models/svd-lastfm')); // from '@autorec/core/node'
 * model.recommend('user-1', 10);
 */
export async function loadModel(store: ModelStore): Promise<Recommender> {
  const manifest = await readManifest(store);
  let model: Recommender;
  try {
    model = createModel(manifest.model, manifest.hyperParameters ?? {});
  } catch (error) {
    // Options the user never typed: the manifest is what is wrong (edited, or from another version).
    if (error instanceof OptionError)
      throw new ModelFormatError(`manifest.json: ${error.message}`, { file: 'manifest.json', cause: error });
    throw error;
  }
  await model.restore(store, manifest);
  return model;
}
