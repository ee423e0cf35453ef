import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../evaluation/compare.ts';
import { divergenceWarnings } from './result.ts';

describe('divergenceWarnings', () => {
  it('names models left out and models kept at an earlier epoch, with the fold', () => {
    const comparison = {
      diverged: [{ label: 'svd', model: 'svd', message: 'svd: training diverged at epoch 1' }],
      models: [
        { label: 'u-autorec', diverged: 'u-autorec: loss not finite at epoch 9', bestEpoch: 7 },
        { label: 'popularity', bestEpoch: 0 },
      ],
    } as unknown as ComparisonResult;
    expect(divergenceWarnings(comparison, ' (fold 2)')).toEqual([
      'svd: training diverged at epoch 1 (fold 2): left out of the results',
      'u-autorec: loss not finite at epoch 9 (fold 2): kept epoch 7, the best before it',
    ]);
    expect(divergenceWarnings({ models: [] } as unknown as ComparisonResult)).toEqual([]);
  });
});
