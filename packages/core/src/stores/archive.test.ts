import { contractTrainSet } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { loadModel } from '../models/registry.ts';
import { SvdModel } from '../models/svd.ts';
import { encodeModelArchive, modelArchiveStore } from './archive.ts';
import { memoryStore } from './memory.ts';

describe('model archive', () => {
  it('round-trips a saved model: the loaded copy recommends exactly as the original', async () => {
    const data = contractTrainSet();
    const model = new SvdModel({ factors: 4, epochs: 3, seed: 1 });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store, { dataset: 'contract' });
    const bytes = encodeModelArchive(store);
    const again = await loadModel(modelArchiveStore(bytes, 'svd.autorec'));
    const user = data.users.external(0);
    expect(again.recommend(user, 5)).toEqual(model.recommend(user, 5));
    expect(modelArchiveStore(bytes).files().sort()).toEqual(store.files().sort());
    model.dispose();
    again.dispose();
  });

  it('names the file when it is not an archive or is damaged', async () => {
    expect(() => modelArchiveStore(new TextEncoder().encode('user\titem\t3\n'), 'plays.tsv')).toThrow(
      ModelFormatError,
    );
    expect(() => modelArchiveStore(new TextEncoder().encode('user\titem\t3\n'), 'plays.tsv')).toThrow(
      /plays\.tsv.*expected a model exported by autorec/,
    );
    const store = memoryStore({ 'manifest.json': '{}', 'w.bin': Uint8Array.of(1, 2, 3, 4) });
    const bytes = encodeModelArchive(store);
    bytes[bytes.length - 1] ^= 0xff;
    expect(() => modelArchiveStore(bytes, 'svd.autorec')).toThrow(/svd\.autorec.*checksum mismatch/);
  });

  it('refuses to pack a store without a saved model', () => {
    expect(() => encodeModelArchive(memoryStore({ 'x.bin': Uint8Array.of(1) }))).toThrow(/no manifest\.json/);
  });
});
