import { MODEL_FORMAT_VERSION, type ModelManifest, parseJson, type Recommender } from '../recommender.ts';
import type { ModelName, ModelStore } from '../types.ts';
import { IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { BaselineOnlyModel, GlobalMeanModel, PopularityModel } from './baselines.ts';
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
};

/** Names of the registered models, in the order listed above. */
export const MODEL_NAMES: readonly ModelName[] = Object.keys(FACTORIES) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(FACTORIES, name);
}

/**
 * A new, untrained model. Unknown names and unknown or ill-typed hyper-parameters throw an
 * error that lists the valid choices.
 *
 * @example
 * const model = createModel('svd', { factors: 50, seed: 7 });
 * await model.fit(trainSet);
 */
export function createModel(name: ModelName, params: ModelParams = {}): Recommender {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`unknown model '${name}'; available: ${MODEL_NAMES.join(', ')}`);
  return factory(params);
}

/**
 * Reads and checks `manifest.json` of a saved model: valid JSON, a known format version and
 * a registered model name.
 */
export async function readManifest(store: ModelStore): Promise<ModelManifest> {
  const manifest = parseJson<ModelManifest>(await store.readText('manifest.json'), 'manifest.json');
  if (typeof manifest !== 'object' || manifest === null)
    throw new Error('manifest.json: expected an object; the model directory is corrupt');
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION)
    throw new Error(
      `manifest.json: model format version ${manifest.formatVersion} is not supported ` +
        `(this version of @autorec/core reads version ${MODEL_FORMAT_VERSION}); retrain or re-save the model`,
    );
  if (typeof manifest.model !== 'string' || !isModelName(manifest.model))
    throw new Error(
      `manifest.json: unknown model '${manifest.model}'; this build knows ${MODEL_NAMES.join(', ')}`,
    );
  return manifest;
}

/**
 * Loads a model saved with `Recommender.save`: reads the manifest, builds the model named
 * there with the saved hyper-parameters and restores its ids, training ratings and weights.
 *
 * @example
 * const model = await loadModel(directoryStore('models/svd-lastfm')); // from '@autorec/core/node'
 * model.recommend('user-1', 10);
 */
export async function loadModel(store: ModelStore): Promise<Recommender> {
  const manifest = await readManifest(store);
  const model = createModel(manifest.model, manifest.hyperParameters ?? {});
  await model.restore(store, manifest);
  return model;
}
