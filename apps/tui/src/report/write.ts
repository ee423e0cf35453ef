import { type EpochRecord, type FitResult, knownPlaysOf, saveKnownPlays } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import type { ExperimentResult, ExperimentRun } from '../experiment.ts';
import { jsonReplacer } from '../output.ts';
import type { ReportFolder } from './folder.ts';
import { type RunInfo, reportMarkdown } from './markdown.ts';
import { trainingCurvesSvg } from './plot.ts';

export const REPORT_FILES = {
  report: 'report.md',
  results: 'results.json',
  plot: 'training-curves.svg',
  models: 'models',
} as const;

/** The comparison as one JSON document: what `compare --json` prints and `results.json` holds. */
export interface ComparisonJson {
  dataset: ExperimentResult['dataset'];
  split: ExperimentResult['split'];
  backend: string;
  protocol: ExperimentResult['protocol'];
  reference: string;
  k: number;
  seed: number;
  seconds: number;
  results: ExperimentResult['results'];
  /** Loss and validation RMSE per epoch, by model. */
  curves: Record<string, EpochRecord[]>;
  /** The report folder, when one was written. */
  report?: string;
  /** Skipped lines and diverged models (see `ExperimentResult.warnings`); absent when none. */
  warnings?: string[];
}

export function comparisonJson(result: ExperimentResult, report?: string): ComparisonJson {
  const doc: ComparisonJson = {
    dataset: result.dataset,
    split: result.split,
    backend: result.backend,
    protocol: result.protocol,
    reference: result.reference,
    k: result.k,
    seed: result.seed,
    seconds: result.seconds,
    results: result.results,
    curves: Object.fromEntries(result.comparisons.map((m) => [m.label, m.curve])),
  };
  if (result.warnings?.length) doc.warnings = result.warnings;
  if (report) doc.report = report;
  return doc;
}

/**
 * Writes every report file into the (uncommitted) folder: report.md, results.json, the SVG of
 * the training curves and each trained model through the core's `directoryStore`, so
 * `autorec recommend --model <report>/models/<name>` works on them. The caller commits.
 */
export async function writeReport(
  folder: ReportFolder,
  run: ExperimentRun,
  info: Omit<RunInfo, 'files'>,
): Promise<void> {
  const { result, trained, prepared } = run;
  const doc = comparisonJson(result, folder.dir);
  await folder.write(REPORT_FILES.results, `${JSON.stringify(doc, jsonReplacer, 2)}\n`);
  await folder.write(
    REPORT_FILES.plot,
    trainingCurvesSvg(
      result.comparisons.map((m, i) => ({
        label: m.label,
        curve: m.curve,
        folds: result.foldCurves?.[i]?.curves,
        keptEpochs: result.foldCurves?.[i]?.keptEpochs ?? [m.bestEpoch],
      })),
    ),
  );
  const known = knownPlaysOf(prepared);
  for (let i = 0; i < trained.length; i++) {
    const model = trained[i];
    const cmp = result.comparisons[i];
    const row = result.results[i];
    const fit: FitResult = {
      epochs: cmp.curve,
      bestEpoch: cmp.bestEpoch,
      seconds: cmp.trainSeconds,
      aborted: false,
      backend: cmp.backend,
    };
    const extra = {
      dataset: result.dataset.name,
      format: prepared.dataset.format,
      sourceChecksum: prepared.sourceChecksum,
      split: prepared.params.split,
      seed: prepared.params.seed,
      evaluation: row,
    };
    const store = directoryStore(folder.path(REPORT_FILES.models, cmp.label));
    // Validation and test plays are known plays: `recommend` leaves them out of every list.
    if (known) await saveKnownPlays(store, known);
    await model.save(store, extra, fit);
  }
  await folder.write(
    REPORT_FILES.report,
    reportMarkdown(result, {
      ...info,
      files: { results: REPORT_FILES.results, plot: REPORT_FILES.plot, models: REPORT_FILES.models },
    }),
  );
}
