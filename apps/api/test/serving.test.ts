import { createModel } from '@autorec/core';
import { csrFromTriplets, IdIndex, type TrainSet } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { listFor, type ServedModel } from '../src/serving.ts';

/** u0 played s0 and s1, u1 s0 and s2, u2 s1; s3 is in the catalogue with no training plays (cold). */
function trainSet(): TrainSet {
  const { duplicates: _, ...ratings } = csrFromTriplets(
    3,
    4,
    [0, 0, 1, 1, 2],
    [0, 1, 0, 2, 1],
    [5, 3, 4, 1, 2],
  );
  return {
    ratings,
    users: new IdIndex(['u0', 'u1', 'u2']),
    items: new IdIndex(['s0', 's1', 's2', 's3']),
    scale: { min: 1, max: 5 },
    transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
  };
}

async function served(): Promise<ServedModel> {
  const model = createModel('popularity');
  await model.fit(trainSet());
  return {
    model,
    popular: model,
    version: {
      model: 'popularity',
      version: 1,
      path: 'models/popularity/1',
      status: 'ready',
      hyperParameters: {},
      data: {},
      metrics: {},
      createdAt: '2026-12-05T00:00:00Z',
      eventWatermark: 0,
    } as ServedModel['version'],
  };
}

describe('listFor', () => {
  it('leaves songs without training plays out of lists, but ranks them when a rerank names them', async () => {
    const s = await served();
    const candidates = ['s3', 's2', 's0'];
    const list = listFor(s, { user: 'u2', k: 3, candidates, excludeSeen: false }, []);
    expect(list.items.map((i) => i.item)).toEqual(['s0', 's2']);
    const rank = listFor(s, { user: 'u2', k: 3, candidates, excludeSeen: false, includeColdItems: true }, []);
    expect(rank.items.map((i) => i.item).sort()).toEqual(['s0', 's2', 's3']);
    expect(rank.source).toBe('model');
  });
});
