import { describe, expect, it } from 'vitest';
import { MODEL_FORMAT_VERSION } from '../recommender.ts';
import { memoryStore } from '../stores/memory.ts';
import { BaselineOnlyModel } from './baselines.ts';
import { contractTrainSet } from './contract.ts';
import { createModel, isModelName, loadModel, MODEL_NAMES, readManifest } from './registry.ts';
import { SvdModel } from './svd.ts';

describe('model registry', () => {
  it('builds every registered model by name with its parameters', () => {
    expect(MODEL_NAMES).toEqual(expect.arrayContaining(['svd', 'baseline', 'popularity', 'global-mean']));
    for (const name of MODEL_NAMES) expect(createModel(name).name).toBe(name);
    const svd = createModel('svd', { factors: 12 });
    expect(svd).toBeInstanceOf(SvdModel);
    expect(svd.hyperParameters.factors).toBe(12);
    expect(createModel('baseline', { method: 'sgd' })).toBeInstanceOf(BaselineOnlyModel);
    expect(isModelName('svd')).toBe(true);
    expect(isModelName('toString')).toBe(false);
    expect(() => createModel('nope' as never)).toThrow(/unknown model 'nope'; available: .*svd, baseline/);
    expect(() => createModel('baseline', { method: 'newton' })).toThrow(/method.*als, sgd/);
  });

  it('loads a saved model with its hyper-parameters', async () => {
    const model = new SvdModel({ factors: 3, epochs: 2, seed: 4 });
    const fit = await model.fit(contractTrainSet());
    const store = memoryStore();
    await model.save(store, { rmse: 0.9 }, fit);
    const manifest = await readManifest(store);
    expect(manifest.extra).toEqual({ rmse: 0.9 });
    expect(manifest.fit?.epochs).toHaveLength(2);
    const loaded = await loadModel(store);
    expect(loaded).toBeInstanceOf(SvdModel);
    expect(loaded.hyperParameters).toEqual(model.hyperParameters);
  });

  it('explains a bad manifest', async () => {
    const bad = (manifest: unknown) => memoryStore({ 'manifest.json': JSON.stringify(manifest) });
    await expect(loadModel(memoryStore({ 'manifest.json': '{not json' }))).rejects.toThrow(
      /manifest.json: not valid JSON/,
    );
    await expect(loadModel(bad({ formatVersion: MODEL_FORMAT_VERSION + 1, model: 'svd' }))).rejects.toThrow(
      /format version 2 is not supported/,
    );
    await expect(loadModel(bad({ formatVersion: MODEL_FORMAT_VERSION, model: 'magic' }))).rejects.toThrow(
      /unknown model 'magic'/,
    );
    await expect(loadModel(memoryStore())).rejects.toThrow(/'manifest.json' not found/);
  });

  it('reports a corrupt weights file by name', async () => {
    const model = new SvdModel({ factors: 3, epochs: 1 });
    await model.fit(contractTrainSet());
    const store = memoryStore();
    await model.save(store);
    const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
    const cut = files['svd.bin'].slice(0, files['svd.bin'].length - 16);
    await expect(loadModel(memoryStore({ ...files, 'svd.bin': cut }))).rejects.toThrow(/svd\.bin/);
  });
});
