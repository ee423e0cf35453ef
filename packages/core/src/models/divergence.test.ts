import { prepareDataset, syntheticDataset } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { TrainingDivergedError } from '../errors.ts';
import { compareModels } from '../evaluation/compare.ts';
import { createModel } from './registry.ts';

// A non-finite loss stops training in every model (the shared TrainingLoop), instead of a model
// whose every score is NaN being saved and reported as trained.

const prepared = prepareDataset(syntheticDataset('tiny'), {
  split: { method: 'random', test: 0.1, validation: 0.1 },
  seed: 1,
});

describe('training that diverges', () => {
  it('svd with a huge learning rate throws TrainingDivergedError naming the epoch', async () => {
    const model = createModel('svd', { learningRate: 1e308, epochs: 3 });
    await expect(model.fit(prepared.trainSet, { validation: prepared.ratings.validation })).rejects.toThrow(
      TrainingDivergedError,
    );
    await expect(
      createModel('svd', { learningRate: 1e308, epochs: 3 }).fit(prepared.trainSet),
    ).rejects.toThrow(/^svd: training diverged at epoch 1: the loss is (NaN|Infinity)$/);
  });

  it('u-autorec with a huge regularisation diverges with the same error', async () => {
    const model = createModel('u-autorec', { lambda: 1e308, epochs: 2, hiddenUnits: 8 });
    await expect(model.fit(prepared.trainSet)).rejects.toThrow(TrainingDivergedError);
  });

  it('compare leaves a diverged model out, says why, and still tests the others against the reference', async () => {
    const r = await compareModels(prepared, {
      models: [
        { name: 'svd', label: 'svd' },
        { name: 'svd', label: 'svd-wild', params: { learningRate: 1e308 } },
        { name: 'baseline' },
      ],
      seed: 1,
      ranking: false,
    });
    expect(r.models.map((m) => m.label)).toEqual(['svd', 'baseline']);
    expect(r.diverged).toEqual([
      {
        label: 'svd-wild',
        model: 'svd',
        message: expect.stringMatching(/^svd: training diverged at epoch 1/),
      },
    ]);
    expect(r.models[1].significance?.against).toBe('svd');
    expect(Number.isFinite(r.models[1].significance?.userMse.tTest.pValue)).toBe(true);
  });
});
