import { join } from 'node:path';
import { createModel, type ModelName } from '@autorec/core';
import { describe, expect, it } from 'vitest';
import { formatScore, scoreMeaning } from '../src/models.ts';
import { runCli, runJson, tempDir } from './cli-helpers.ts';

// The small things issue 14 (item 7) lists, one test each.

describe('report wording', () => {
  it('scores say what they are: listeners for popularity, unitless scores for implicit models, predicted ratings otherwise', () => {
    const scale = { min: 1, max: 5 };
    const meaning = (name: ModelName) => scoreMeaning({ scoreKind: createModel(name).scoreKind, scale });
    expect(meaning('popularity')).toBe('listeners');
    expect(meaning('u-autorec')).toBe('predicted rating (1–5)');
    expect(meaning('svd')).toBe('predicted rating (1–5)');
    expect(meaning('ials')).toBe('score (higher ranks first)');
    expect(meaning('ease')).toBe('score (higher ranks first)');
    expect(meaning('bpr')).toBe('score (higher ranks first)');
    expect(
      scoreMeaning({ scoreKind: createModel('i-autorec', { objective: 'implicit' }).scoreKind, scale }),
    ).toBe('score (higher ranks first)');
    expect(formatScore(412, 'listeners')).toBe('412');
    expect(formatScore(0.0912, 'score (higher ranks first)')).toBe('0.091');
  });
});

describe('autorec --help', () => {
  it('credits AutoRec to Sedhain et al. and the Taste Profile study to Irawan & Baizal', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Irawan & Baizal');
    expect(run.stdout).not.toMatch(/Sedhain et al\. 2015 on the Million Song/);
  });
});

describe('k-fold on one-model commands', () => {
  it('prepare --split kfold:5 says it keeps fold 1 of 5 and how to get the others; kfold:5:5 is the last fold', async () => {
    const { dir, remove } = await tempDir('kfold');
    try {
      const first = await runCli([
        'prepare',
        '--synthetic',
        'tiny',
        '--split',
        'kfold:5',
        '--out',
        join(dir, 'a'),
      ]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain(
        'one fold is used here: fold 1; --split kfold:5:F picks fold F (1 to 5)',
      );
      expect(first.stdout).toContain('split: fold 1 of 5-fold cross-validation');
      const last = await runJson<{ split: { fold: number; description: string } }>([
        'prepare',
        '--synthetic',
        'tiny',
        '--split',
        'kfold:5:5',
        '--out',
        join(dir, 'b'),
      ]);
      expect(last.json.split).toMatchObject({
        fold: 4,
        description: expect.stringMatching(/^fold 5 of 5-fold/),
      });
      const zero = await runCli([
        'prepare',
        '--synthetic',
        'tiny',
        '--split',
        'kfold:5:0',
        '--out',
        join(dir, 'c'),
      ]);
      expect(zero.code).toBe(2);
      expect(zero.stderr).toContain('the fold (counted from 1) must be a whole number ≥ 1');
    } finally {
      await remove();
    }
  });
});
