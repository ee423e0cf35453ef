import { describe, expect, it } from 'vitest';
import { readInteractions } from './formats/read.ts';
import { joinTrainTest } from './given-split.ts';
import { prepareDataset } from './prepare.ts';
import { getValue, nnz } from './sparse.ts';
import { givenSplit, SPLIT_LABEL } from './splits.ts';

const read = (text: string) => readInteractions(text, { format: 'taste-profile' });
const TRAIN = 'u1\tsA\t3\nu1\tsB\t1\nu2\tsA\t5\nu2\tsC\t2\nu3\tsB\t4\n';
const TEST = 'u1\tsC\t7\nu2\tsB\t1\nu4\tsA\t2\nu3\tsD\t9\n';

describe('joinTrainTest and the given split', () => {
  it('joins the two files on their ids and marks exactly the test plays', async () => {
    const { dataset, testMask } = joinTrainTest(await read(TRAIN), await read(TEST));
    expect(dataset.users.toArray()).toEqual(['u1', 'u2', 'u3', 'u4']);
    expect(dataset.items.toArray()).toEqual(['sA', 'sB', 'sC', 'sD']);
    expect(nnz(dataset.counts)).toBe(9);
    expect(testMask.reduce((a, b) => a + b, 0)).toBe(4);
    const p = prepareDataset(dataset, { split: { method: 'given' }, testMask, seed: 1, transform: 'none' });
    const at = (m: typeof p.ratings.test, u: string, i: string) =>
      getValue(m, dataset.users.indexOf(u), dataset.items.indexOf(i));
    expect(at(p.ratings.test, 'u1', 'sC')).toBe(7);
    expect(at(p.ratings.test, 'u3', 'sD')).toBe(9);
    expect(at(p.ratings.train, 'u2', 'sA')).toBe(5);
    expect(at(p.ratings.train, 'u1', 'sC')).toBe(0);
    expect(nnz(p.ratings.train)).toBe(5);
    expect(p.params.split).toEqual({ method: 'given' });
  });

  it('carves validation from the training file only, seeded', async () => {
    const { dataset, testMask } = joinTrainTest(await read(TRAIN), await read(TEST));
    const s = givenSplit(dataset.counts, testMask, { method: 'given', validation: 0.4 }, 3);
    expect(nnz(s.validation!)).toBe(2);
    expect(nnz(s.test)).toBe(4);
    for (let p = 0; p < testMask.length; p++) if (testMask[p]) expect(s.labels[p]).toBe(SPLIT_LABEL.test);
    expect(givenSplit(dataset.counts, testMask, { method: 'given', validation: 0.4 }, 3).labels).toEqual(
      s.labels,
    );
  });

  it('refuses a pair in both files, naming it, and a filter', async () => {
    const overlap = 'u2\tsC\t1\n';
    await expect(async () => joinTrainTest(await read(TRAIN), await read(overlap))).rejects.toThrow(
      /user 'u2' and item 'sC' are in both the train and the test file/,
    );
    const { dataset, testMask } = joinTrainTest(await read(TRAIN), await read(TEST));
    expect(() =>
      prepareDataset(dataset, {
        split: { method: 'given' },
        testMask,
        seed: 1,
        filter: { minItemsPerUser: 1, minUsersPerItem: 1 },
      }),
    ).toThrow(/cannot be filtered/);
    expect(() => prepareDataset(dataset, { split: { method: 'given' }, seed: 1 })).toThrow(/needs testMask/);
  });
});
