import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { memoryStore } from '../stores/memory.ts';
import { readWeights, writeWeights } from './autorec-persist.ts';

const meta = { model: 'u-autorec' as const, hyperParameters: { hiddenUnits: 2 } };
const weights = [{ name: 'W', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }];

describe('AutoRec weight files', () => {
  it('round-trip the weights', async () => {
    const store = memoryStore();
    await writeWeights(store, meta, weights);
    await store.commit();
    const back = await readWeights(store, 'u-autorec');
    expect(Array.from(back.weights.get('W')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.weights.get('W')!.shape).toEqual([2, 3]);
  });

  it('report damage as a ModelFormatError naming the file', async () => {
    const store = memoryStore();
    await writeWeights(store, meta, weights);
    await store.commit();
    await expect(readWeights(store, 'i-autorec')).rejects.toThrow(ModelFormatError);
    const truncated = memoryStore({
      'model.json': await store.readText('model.json'),
      'weights.bin': new Uint8Array(8),
    });
    const err = await readWeights(truncated, 'u-autorec').catch((e) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.message).toMatch(/weights\.bin: expected 24 bytes/);
  });

  it('refuse NaN or infinite weights, naming the file and the weight (issue 8, item 13)', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const store = memoryStore();
      await writeWeights(store, meta, [
        { name: 'W', shape: [2, 3], data: Float32Array.of(1, 2, bad, 4, 5, 6) },
      ]);
      await store.commit();
      const err = await readWeights(store, 'u-autorec').catch((e) => e);
      expect(err).toMatchObject({ constructor: ModelFormatError, file: 'weights.bin' });
      expect(err.message).toMatch(new RegExp(`weights\\.bin: weight 'W' holds ${bad} at index 2`));
    }
  });
});
