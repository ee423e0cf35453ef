import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createModel, ModelFormatError, OptionError, UnknownIdError } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { DataError, prepareDataset, syntheticDataset } from '@autorec/data';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, UsageError, UserError } from '../src/errors.ts';
import {
  type ExperimentConfig,
  ExperimentInterruptedError,
  type ExperimentResult,
  type ResultRow,
  runExperiment,
} from '../src/experiment.ts';
import { openModel } from '../src/models.ts';
import { describeSplit, modelParams, parseSplit } from '../src/options.ts';
import { jsonReplacer } from '../src/output.ts';
import { bar, epochLine, fitFraction, formatSeconds } from '../src/progress.ts';
import { bestRows, resultColumns } from '../src/report/columns.ts';
import { openReportFolder } from '../src/report/folder.ts';
import { trainingCurvesSvg } from '../src/report/plot.ts';
import { verdict } from '../src/report/verdict.ts';
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
  });

  it('writes NaN and typed arrays as JSON can hold them', () => {
    expect(JSON.stringify({ a: Number.NaN, b: Float32Array.of(1, 2) }, jsonReplacer)).toBe(
      '{"a":null,"b":[1,2]}',
    );
  });
});

function row(model: string, rmse: number, ndcg: number, p?: number): ResultRow {
  const r = {
    model,
    rmse,
    mae: rmse / 2,
    rmseWarm: rmse,
    rmseCold: null,
    'precision@10': 0,
    'recall@10': 0,
    'ndcg@10': ndcg,
    trainSeconds: 1,
    epochs: 3,
    bestEpoch: 3,
    backend: 'js',
    hyperParameters: {},
  } as ResultRow;
  if (p !== undefined) r.vsReference = { model: 'svd', pValueT: p, pValueWilcoxon: p, meanMseDelta: 0 };
  return r;
}

function result(rows: ResultRow[], extra: Partial<ExperimentResult> = {}): ExperimentResult {
  return {
    results: rows,
    k: 10,
    split: {},
    reference: 'svd',
    protocol: 'holdout',
    dataset: { transform: 'global-quantiles', format: 'lastfm-hetrec' },
    ...extra,
  } as unknown as ExperimentResult;
}

function rankedAgainstPopularity(r: ResultRow, p: number): ResultRow {
  r.rankingVsReference = { model: 'popularity', k: 10, pValueT: p, pValueWilcoxon: p, meanNdcgDelta: 0 };
  return r;
}

describe('verdict and best values', () => {
  it('says whether AutoRec beat SVD, by how much and whether it is significant', () => {
    const lines = verdict(
      result([
        row('svd', 0.9, 0.01),
        row('u-autorec', 0.81, 0.02, 0.0001),
        row('i-autorec', 0.92, 0.03, 0.4),
      ]),
    );
    expect(lines[0]).toBe(
      "Rating: U-AutoRec has the lowest test RMSE, 0.8100 (SVD 0.9000; paired t-test over users' squared errors p < 0.001).",
    );
    expect(lines[1]).toBe(
      "U-AutoRec beat SVD on test RMSE: 0.8100 vs 0.9000 (10.0% lower; paired t-test over users' squared errors p < 0.001).",
    );
    expect(lines[2]).toBe(
      "I-AutoRec did not beat SVD on test RMSE: 0.9200 vs 0.9000 (2.2% higher; but the difference is not significant, paired t-test over users' squared errors p = 0.400).",
    );
    expect(lines[3]).toMatch(/I-AutoRec has the highest NDCG@10, 0.0300 \(popularity was not in the run/);
  });

  it("does not pretend to answer the paper's question without both SVD and an AutoRec", () => {
    const lines = verdict(result([row('svd', 0.9, 0.01), row('baseline', 0.95, 0)]));
    expect(lines[0]).toMatch(/^Rating: SVD has the lowest test RMSE, 0.9000\.$/);
    expect(lines[1]).toMatch(/does not answer/);
  });

  it('names the ranking winner the table marks, held-out users included, against popularity', () => {
    // The held-out-users bug: the table starred popularity while the verdict named I-AutoRec.
    const rows = [row('svd', 0.9, 0.01), row('i-autorec', 0.85, 0.03), row('popularity', 1.1, 0.05)];
    const heldOut = verdict(result(rows, { protocol: 'held-out-users' }));
    expect(bestRows(rows, resultColumns(10)).get('ndcg@10')).toBe(2);
    expect(heldOut.at(-2)).toBe(
      'Ranking: popularity has the highest NDCG@10, 0.0500: no model beat recommending the most played artists to everyone.',
    );
    expect(heldOut.at(-1)).toBe('Not above popularity on NDCG@10: SVD 0.0100, I-AutoRec 0.0300.');
    const better = [
      row('svd', 0.9, 0.01),
      rankedAgainstPopularity(row('ials', 1.2, 0.2), 0.0001),
      row('popularity', 1.1, 0.05),
    ];
    expect(verdict(result(better)).at(-2)).toBe(
      "Ranking: ials has the highest NDCG@10, 0.2000, against popularity's 0.0500; paired t-test over users' NDCG p < 0.001.",
    );
  });

  it('declares no rating winner with the binary transform', () => {
    const lines = verdict(
      result([row('svd', 0.2, 0.01), row('u-autorec', 0.1, 0.02, 0.01)], {
        dataset: { transform: 'binary' } as ExperimentResult['dataset'],
      }),
    );
    expect(lines[0]).toMatch(/binary transform .* no rating winner/);
    expect(lines.join('\n')).not.toMatch(/beat SVD|lowest test RMSE/);
  });

  it('marks the lowest error and the highest ranking score, nothing for a lone value', () => {
    const best = bestRows([row('svd', 0.9, 0.01), row('u-autorec', 0.8, 0.005)], resultColumns(10));
    expect(best.get('rmse')).toBe(1);
    expect(best.get('ndcg@10')).toBe(0);
    expect(best.has('rmseCold')).toBe(false);
    expect(best.has('trainSeconds')).toBe(false);
  });
});

describe('trainingCurvesSvg', () => {
  const curve = (epochs: number, scale: number, validation = true) =>
    Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      loss: scale / (i + 1),
      trainRmse: 1 - i / 40,
      ...(validation ? { validationRmse: 1.05 - i / 50 } : {}),
      seconds: 0.1,
    }));
  /** The panels' quantities, in order. */
  const panels = (svg: string) =>
    [...svg.matchAll(/class="panel" data-quantity="([^"]+)"/g)].map((m) => m[1]);
  /** The `d` of every marker, by fill colour. */
  const markers = (svg: string) => {
    const out = new Map<string, Set<string>>();
    for (const m of svg.matchAll(/class="marker" transform="[^"]+" d="([^"]+)" fill="([^"]+)"/g))
      out.set(m[2], (out.get(m[2]) ?? new Set()).add(m[1]));
    return out;
  };

  it('draws one panel per comparable quantity, with losses relative to their first epoch, not on one raw axis', () => {
    const svg = trainingCurvesSvg([
      { label: 'svd', curve: curve(20, 0.5), keptEpochs: [20] },
      // Objectives of different sizes (AutoRec's sums over a user's row) share no axis.
      { label: 'a<b>&"c"', curve: curve(12, 40), keptEpochs: [9] },
      { label: 'popularity', curve: [] },
    ]);
    expect(panels(svg)).toEqual(['train-rmse', 'validation-rmse', 'relative-loss']);
    expect(svg).not.toContain('log scale');
    expect(svg.match(/<path class="curve" /g)).toHaveLength(6);
    // Every model's line has markers, one shape per model (the legend repeats it).
    const shapes = markers(svg);
    expect(shapes.size).toBe(2);
    for (const set of shapes.values()) expect(set.size).toBe(1);
    expect(new Set([...shapes.values()].map((s) => [...s][0])).size).toBe(2);
    for (const [fill] of shapes)
      expect(svg.match(new RegExp(`class="marker"[^>]*fill="${fill}"`, 'g'))!.length).toBeGreaterThan(6);
    // The kept epoch is ringed on each panel, and explained in the legend.
    expect(svg.match(/class="kept"/g)).toHaveLength(6);
    expect(svg).toContain('epoch whose weights were kept');
    // The legend is one column right of the panels, not laid across them.
    const legendX = Number(/<g class="legend">\n<text x="(\d+)"/.exec(svg)![1]);
    expect(legendX).toBeGreaterThanOrEqual(3 * 360);
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;');
    expect(svg).toContain('popularity (closed form, no epochs)');
    expect(svg).toContain('>epoch</text>');
    expect(svg).not.toContain('NaN');
  });

  it('draws k-fold runs as the mean over folds with a ± 1 sd band, and leaves out panels with no data', () => {
    const folds = [
      curve(10, 1, false),
      curve(10, 1.2, false).map((r) => ({
        ...r,
        loss: r.loss * (1 - r.epoch / 100),
        trainRmse: r.trainRmse! + 0.05,
      })),
    ];
    const svg = trainingCurvesSvg([{ label: 'svd', curve: folds[0], folds, keptEpochs: [10, 10] }]);
    expect(panels(svg)).toEqual(['train-rmse', 'relative-loss']);
    expect(svg).not.toContain('no data');
    expect(svg.match(/<path class="band" /g)).toHaveLength(2);
    expect(svg).toContain('mean ± 1 sd over folds');
  });

  it('says so when no model trains by epochs', () => {
    const svg = trainingCurvesSvg([{ label: 'popularity', curve: [] }]);
    expect(panels(svg)).toEqual([]);
    expect(svg).toContain('nothing to plot');
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
