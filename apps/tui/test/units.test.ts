import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createModel, ModelFormatError, OptionError, UnknownIdError } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { DataError, prepareDataset, syntheticDataset } from '@autorec/data';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, UsageError, UserError } from '../src/errors.ts';
import { type ExperimentConfig, ExperimentInterruptedError, runExperiment } from '../src/experiment.ts';
import { openModel } from '../src/models.ts';
import { describeSplit, modelParams, parseSplit } from '../src/options.ts';
import { jsonReplacer } from '../src/output.ts';
import { bar, epochLine, fitFraction, formatSeconds } from '../src/progress.ts';
import { openReportFolder } from '../src/report/folder.ts';
import { readPlaysFile } from '../src/sources.ts';
import { tempDir } from './cli-helpers.ts';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await tempDir('units'));
});
afterAll(async () => {
  await remove();
});

describe('parseSplit', () => {
  it('reads holdout, per-user, k-fold and held-out-users specs with defaults', () => {
    expect(parseSplit('holdout:0.1')).toEqual({
      kind: 'single',
      options: { method: 'random', test: 0.1, validation: 0.1 },
    });
    expect(parseSplit('holdout:0.2:0')).toEqual({
      kind: 'single',
      options: { method: 'random', test: 0.2, validation: 0 },
    });
    expect(parseSplit('per-user:0.2:0.05')).toEqual({
      kind: 'single',
      options: { method: 'per-user', test: 0.2, validation: 0.05 },
    });
    // k-fold carves 10% of each fold's training part for validation (early stopping inside folds).
    expect(parseSplit('kfold:5')).toEqual({ kind: 'kfold', folds: 5, validation: 0.1 });
    // Folds are counted from 1, as messages show them: kfold:5:3 is fold index 2, "fold 3 of 5".
    const third = parseSplit('kfold:5:3');
    expect(third).toEqual({
      kind: 'single',
      options: { method: 'k-fold', folds: 5, fold: 2, validation: 0.1 },
    });
    expect(describeSplit(third)).toMatch(/^fold 3 of 5-fold cross-validation/);
    expect(parseSplit('kfold:5:5')).toMatchObject({ options: { fold: 4 } });
    expect(parseSplit('none')).toEqual({
      kind: 'single',
      options: { method: 'random', test: 0, validation: 0 },
    });
    expect(parseSplit('files:a/train.tsv,b/test.tsv')).toEqual({
      kind: 'single',
      options: { method: 'given', validation: 0.1 },
      files: { train: 'a/train.tsv', test: 'b/test.tsv' },
    });
    expect(() => parseSplit('files:only.tsv')).toThrow(/files:TRAIN,TEST/);
    expect(parseSplit('held-out-users:100:50')).toEqual({
      kind: 'single',
      options: { method: 'held-out-users', testUsers: 100, validationUsers: 50 },
    });
  });

  it('rejects impossible specs with a reason', () => {
    expect(() => parseSplit('holdout')).toThrow(/needs the test share, e.g. holdout:0.1/);
    expect(() => parseSplit('holdout:0.6:0.5')).toThrow(/test \+ validation must be < 1/);
    expect(() => parseSplit('kfold:1')).toThrow(/≥ 2/);
    expect(() => parseSplit('kfold:3:4')).toThrow(/the fold must be 1 to 3, got 4/);
    expect(() => parseSplit('kfold:3:0')).toThrow(/the fold \(counted from 1\) must be a whole number ≥ 1/);
    expect(() => parseSplit('sideways:1')).toThrow(InvalidArgumentError);
  });
});

describe('modelParams', () => {
  it('applies shared flags to the models that have the option and --param to one model', () => {
    const p = modelParams(['svd', 'u-autorec', 'baseline'], { epochs: 4, hidden: 20, lambda: 0.5 }, [
      'u-autorec.patience=3',
      'residual=true',
    ]);
    expect(p.svd).toEqual({ epochs: 4, regularization: 0.5 });
    expect(p['u-autorec']).toEqual({ epochs: 4, hiddenUnits: 20, lambda: 0.5, patience: 3, residual: true });
    expect(p.baseline).toEqual({ epochs: 4, regularization: 0.5 });
  });

  it('is a usage error when nothing takes a flag, the model is not listed or a value is invalid', () => {
    expect(() => modelParams(['svd'], { hidden: 10 })).toThrow(UsageError);
    expect(() => modelParams(['svd'], {}, ['u-autorec.patience=3'])).toThrow(/not among the models/);
    expect(() => modelParams(['svd'], {}, ['wibble=3'])).toThrow(/no model here has an option 'wibble'/);
    expect(() => modelParams(['svd'], { factors: 0 } as never)).toThrow(/factors/);
    // The core's OptionError becomes a usage error (exit 2) with the model's options as the hint.
    const error = (() => {
      try {
        modelParams(['svd'], {}, ['svd.biased=maybe']);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({
      exitCode: 2,
      message: `svd: option 'biased' must be true or false, got "maybe"`,
    });
    expect(error?.hint).toMatch(/svd options: factors, epochs/);
  });
});

describe('describeError', () => {
  it('shows user errors as they are and hides bugs behind a hint', () => {
    expect(describeError(new DataError('file not found', { file: 'a.tsv' }))).toMatchObject({
      message: 'a.tsv: file not found',
      exitCode: 1,
      expected: true,
    });
    expect(describeError(new UnknownIdError('user', 'u9'))).toMatchObject({ exitCode: 1, expected: true });
    expect(describeError(new UsageError('bad'))).toMatchObject({ exitCode: 2 });
    expect(describeError(new OptionError("svd: unknown option 'factor'", { model: 'svd' }))).toMatchObject({
      message: "svd: unknown option 'factor'",
      exitCode: 2,
      expected: true,
    });
    expect(describeError(new ModelFormatError('manifest.json: not valid JSON'))).toMatchObject({
      exitCode: 1,
      expected: true,
      hint: expect.stringMatching(/model folder/),
    });
    expect(describeError(new TypeError('x is undefined'))).toMatchObject({
      expected: false,
      message: 'internal error: x is undefined',
    });
  });
});

describe('progress formatting', () => {
  it('formats times, bars, fractions and epoch lines', () => {
    expect(formatSeconds(3.21)).toBe('3.2s');
    expect(formatSeconds(42.4)).toBe('42s');
    expect(formatSeconds(125)).toBe('2m 05s');
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    const p = {
      model: 'svd' as const,
      phase: 'batch' as const,
      epoch: 1,
      epochs: 4,
      batch: 2,
      batches: 4,
      elapsedSeconds: 1,
    };
    expect(fitFraction(p)).toBe((4 + 2) / 16);
    expect(
      epochLine('svd', { ...p, phase: 'epoch', epoch: 2, loss: 0.5, validationRmse: 0.9, etaSeconds: 3 }),
    ).toBe('svd: epoch 2/4  loss 0.5000  val RMSE 0.9000  1.0s  ETA 3.0s');
    expect(epochLine('i-autorec', { ...p, phase: 'epoch', epoch: 3, loss: 0.25, validationNdcg: 0.21 })).toBe(
      'i-autorec: epoch 3/4  loss 0.2500  val NDCG@10 0.2100  1.0s',
    );
  });

  it('writes NaN and typed arrays as JSON can hold them', () => {
    expect(JSON.stringify({ a: Number.NaN, b: Float32Array.of(1, 2) }, jsonReplacer)).toBe(
      '{"a":null,"b":[1,2]}',
    );
  });
});

describe('openReportFolder', () => {
  it('writes nothing under the final name until commit, and replaces an earlier report whole', async () => {
    const out = join(dir, 'report');
    const first = await openReportFolder(out);
    await first.write('report.md', 'one');
    await expect(readdir(out)).rejects.toThrow();
    await first.commit();
    expect(await readFile(join(out, 'report.md'), 'utf8')).toBe('one');

    const second = await openReportFolder(out);
    await second.write('results.json', '{}');
    await second.discard();
    expect((await readdir(out)).sort()).toEqual(['files.json', 'report.md']);

    const third = await openReportFolder(out);
    await third.write('report.md', 'three');
    await third.commit();
    expect(await readFile(join(out, 'report.md'), 'utf8')).toBe('three');
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses to replace a folder that is not a report', async () => {
    const other = join(dir, 'photos');
    await mkdir(other);
    await writeFile(join(other, 'cat.jpg'), 'meow');
    await expect(openReportFolder(other)).rejects.toThrow(/refusing to replace/);
  });
});

describe('readPlaysFile', () => {
  it('reads a listener file through the data package: header, comma lines, bare ids and summed repeats', async () => {
    const path = join(dir, 'mine.csv');
    await writeFile(path, 'song,plays\nSOAAA,3\nSOBBB\nSOAAA,2\n');
    expect(await readPlaysFile(path)).toEqual([
      { item: 'SOAAA', count: 5, line: 2 },
      { item: 'SOBBB', count: 1, line: 3 },
    ]);
    await writeFile(path, 'SOAAA\t3\nSOBBB\tlots\n');
    const error = await readPlaysFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toEqual({ file: path, line: 2, field: 'count' });
  });
});

describe('runExperiment interrupted', () => {
  const config = (split: string): ExperimentConfig => ({
    source: { kind: 'preset', preset: 'tiny' },
    split: parseSplit(split),
    seed: 42,
    models: ['baseline', 'popularity', 'global-mean'],
    params: {},
    k: 10,
  });
  /** Runs until `when` sees its event, then aborts; returns the rejection. */
  const interrupt = async (split: string, when: (model: string, stage: string, fold: number) => boolean) => {
    const controller = new AbortController();
    const error = await runExperiment(config(split), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'model' && when(e.model, e.stage, e.fold))
          controller.abort(new Error('interrupted by Ctrl-C'));
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExperimentInterruptedError);
    return error as ExperimentInterruptedError;
  };

  it('rejects with the finished models’ rows and where it stopped', async () => {
    const full = await runExperiment(config('holdout:0.1'));
    const error = await interrupt('holdout:0.1', (m, stage) => m === 'popularity' && stage === 'evaluate');
    expect(error.message).toBe('interrupted by Ctrl-C');
    expect(error.exitCode).toBe(130);
    expect(error.interruption).toEqual({
      model: 'popularity',
      stage: 'evaluate',
      notStarted: ['global-mean'],
      fold: 0,
      folds: 1,
      completeFolds: 0,
    });
    expect(error.result.results.map((r) => r.model)).toEqual(['baseline']);
    expect(error.result.results[0].rmse).toBe(full.result.results[0].rmse);
    expect(error.result.dataset).toEqual(full.result.dataset);
    for (const m of full.trained) m.dispose();
  });

  it('in k-fold, reports the folds every model finished', async () => {
    const error = await interrupt(
      'kfold:2',
      (m, stage, fold) => fold === 1 && m === 'popularity' && stage === 'fit',
    );
    expect(error.interruption).toMatchObject({
      model: 'popularity',
      stage: 'fit',
      fold: 1,
      folds: 2,
      completeFolds: 1,
    });
    expect(error.result.results.map((r) => r.model)).toEqual(['baseline', 'popularity', 'global-mean']);
  });
});

describe('openModel', () => {
  it('turns the core’s ModelFormatError and a damaged binary (DataError) into a user error with a hint', async () => {
    const prepared = prepareDataset(syntheticDataset('tiny'), {
      split: { method: 'random', test: 0.1 },
      seed: 1,
    });
    const model = createModel('svd', { factors: 2, epochs: 1 });
    await model.fit(prepared.trainSet);
    const folder = join(dir, 'svd');
    await model.save(directoryStore(folder));
    const opened = await openModel(folder);
    expect(opened.manifest.model).toBe('svd');
    opened.model.dispose();

    const failure = async () => {
      const e = await openModel(folder).catch((error: unknown) => error);
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).hint).toMatch(/is this a model folder/);
      return e as UserError;
    };
    const manifest = await readFile(join(folder, 'manifest.json'), 'utf8');
    await rm(join(folder, 'files.json')); // without the index, the edits below are read as they are
    await writeFile(
      join(folder, 'manifest.json'),
      manifest.replace('"formatVersion": 1', '"formatVersion": 9'),
    );
    expect((await failure()).cause).toBeInstanceOf(ModelFormatError);
    expect((await failure()).message).toMatch(
      /^.*svd: manifest.json: model format version 9 is not supported/,
    );

    await writeFile(join(folder, 'manifest.json'), manifest);
    await writeFile(join(folder, 'svd.bin'), 'not a bundle');
    expect((await failure()).cause).toBeInstanceOf(DataError);
  });
});
