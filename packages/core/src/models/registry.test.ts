import { DataError } from '@autorec/data';
import { contractTrainSet } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { ModelFormatError, OptionError } from '../errors.ts';
import { MODEL_FORMAT_VERSION } from '../recommender.ts';
import { memoryStore } from '../stores/memory.ts';
import { BaselineOnlyModel } from './baselines.ts';
import {
  checkModelParams,
  createModel,
  describeParams,
  isModelName,
  loadModel,
  MODEL_NAMES,
  modelEntry,
  readManifest,
} from './registry.ts';
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

  it('reports bad names and options as OptionError, naming model and option', () => {
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('did not throw');
    };
    expect(thrown(() => createModel('nope' as never))).toMatchObject({
      constructor: OptionError,
      model: 'nope',
      option: undefined,
    });
    const unknown = thrown(() => createModel('svd', { factor: 5 }));
    expect(unknown).toBeInstanceOf(OptionError);
    expect(unknown).toMatchObject({ model: 'svd', option: 'factor' });
    expect((unknown as Error).message).toMatch(/^svd: unknown option 'factor'; valid options: factors,/);
    for (const [params, option] of [
      [{ factors: 0 }, 'factors'],
      [{ factors: 2.5 }, 'factors'],
      [{ biased: 'yes' }, 'biased'],
      [{ learningRate: 0 }, 'learningRate'],
    ] as const) {
      const error = thrown(() => createModel('svd', params));
      expect(error, JSON.stringify(params)).toBeInstanceOf(OptionError);
      expect(error).toMatchObject({ model: 'svd', option });
    }
    expect(thrown(() => createModel('baseline', { method: 'newton' }))).toBeInstanceOf(OptionError);
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

  it('explains a bad manifest with a ModelFormatError naming the file', async () => {
    const bad = (manifest: unknown) => memoryStore({ 'manifest.json': JSON.stringify(manifest) });
    const cases: [ReturnType<typeof memoryStore>, RegExp][] = [
      [memoryStore({ 'manifest.json': '{not json' }), /manifest.json: not valid JSON/],
      [bad(null), /manifest.json: expected an object; the model directory is corrupt/],
      [bad({ formatVersion: MODEL_FORMAT_VERSION + 1, model: 'svd' }), /format version 2 is not supported/],
      [bad({ formatVersion: MODEL_FORMAT_VERSION, model: 'magic' }), /unknown model 'magic'/],
      // Options the manifest holds but this build does not know (edited, or from another version).
      [
        bad({ formatVersion: MODEL_FORMAT_VERSION, model: 'svd', hyperParameters: { factor: 3 } }),
        /^manifest.json: svd: unknown option 'factor'/,
      ],
      [memoryStore(), /'manifest.json' not found/],
    ];
    for (const [store, message] of cases) {
      const error = await loadModel(store).catch((e: unknown) => e);
      expect(error, String(message)).toBeInstanceOf(ModelFormatError);
      expect((error as Error).message).toMatch(message);
    }
    const version = await readManifest(bad({ formatVersion: 0, model: 'svd' })).catch((e: unknown) => e);
    expect(version).toMatchObject({ constructor: ModelFormatError, file: 'manifest.json' });
  });

  it('reports a corrupt weights file by name', async () => {
    const model = new SvdModel({ factors: 3, epochs: 1 });
    await model.fit(contractTrainSet());
    const store = memoryStore();
    await model.save(store);
    const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
    const cut = files['svd.bin'].slice(0, files['svd.bin'].length - 16);
    const truncated = await loadModel(memoryStore({ ...files, 'svd.bin': cut })).catch((e: unknown) => e);
    expect((truncated as Error).message).toMatch(/svd\.bin/);
    // The bundle reader (data package) finds the cut; a user error either way, never a plain Error.
    expect(truncated instanceof DataError || truncated instanceof ModelFormatError).toBe(true);
    // A well-formed file with arrays that do not fit the manifest is the model's own check.
    const other = new SvdModel({ factors: 4, epochs: 1 });
    await other.fit(contractTrainSet());
    const otherStore = memoryStore();
    await other.save(otherStore);
    const mixed = await loadModel(memoryStore({ ...files, 'svd.bin': otherStore.peek('svd.bin')! })).catch(
      (e: unknown) => e,
    );
    expect(mixed).toMatchObject({ constructor: ModelFormatError, file: 'svd.bin' });
    expect((mixed as Error).message).toMatch(/svd\.bin: holds 4 factors but manifest.json says 3/);
  });

  it("reads every model's options and defaults from its parameter table, without building it", () => {
    for (const name of MODEL_NAMES) {
      const entry = modelEntry(name);
      expect(entry.name).toBe(name);
      const model = entry.create();
      // The table is what an untrained model with default options describes, in the same order.
      expect(describeParams(name)).toEqual(model.describe());
      model.dispose();
    }
    expect(modelEntry('svd').params.factors).toMatchObject({ kind: 'int', default: 100, min: 1 });
    expect(() => modelEntry('nope' as never)).toThrow(OptionError);
    // Options are checked against the table alone, ranges included, as construction checks them.
    expect(() => checkModelParams('svd', { factors: 12 })).not.toThrow();
    for (const [name, params, message] of [
      ['svd', { factor: 5 }, /^svd: unknown option 'factor'/],
      ['u-autorec', { inputDropout: 1 }, /^u-autorec: option 'inputDropout' must be < 1, got 1$/],
      ['i-autorec', { inputDropout: -0.1 }, /must be ≥ 0/],
    ] as const) {
      expect(() => checkModelParams(name, params), String(message)).toThrow(message);
      expect(() => createModel(name, params), String(message)).toThrow(message);
    }
  });

  it('checks a manifest against the parameter table and its own shape, naming the wrong field', async () => {
    const model = new SvdModel({ factors: 3, epochs: 1 });
    await model.fit(contractTrainSet());
    const store = memoryStore();
    await model.save(store);
    const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    const edited = (change: (m: Record<string, unknown>) => void) => {
      const m = structuredClone(manifest);
      change(m);
      return memoryStore({ ...files, 'manifest.json': JSON.stringify(m) });
    };
    const cases: [(m: Record<string, unknown>) => void, RegExp][] = [
      [
        (m) => ((m.hyperParameters as Record<string, unknown>).factors = 'three'),
        /option 'factors' must be a finite number, got "three" \(field 'hyperParameters.factors'\)/,
      ],
      [(m) => ((m.hyperParameters as Record<string, unknown>).biased = 1), /field 'hyperParameters.biased'/],
      [
        (m) => ((m.hyperParameters as Record<string, unknown>).depth = 2),
        /unknown option 'depth'.*field 'hyperParameters.depth'/,
      ],
      [(m) => (m.hyperParameters = [1]), /field 'hyperParameters' should be an object/],
      [(m) => (m.scale = { min: 5, max: 1 }), /field 'scale' should be \{ min, max \}/],
      [(m) => (m.scale = undefined), /field 'scale'/],
      [(m) => (m.transform = 'log'), /field 'transform' should be a transform/],
    ];
    for (const [change, message] of cases) {
      const error = await loadModel(edited(change)).catch((e: unknown) => e);
      expect(error, String(message)).toBeInstanceOf(ModelFormatError);
      expect(error).toMatchObject({ file: 'manifest.json' });
      expect((error as Error).message).toMatch(message);
    }
    // The untouched manifest still loads.
    expect((await loadModel(edited(() => {}))).hyperParameters).toEqual(model.hyperParameters);
  });
});
