import {
  comparisonJsonText,
  curveSeries,
  type FitResult,
  knownPlaysOf,
  REPORT_FILES,
  type RunInfo,
  reportMarkdown,
  saveKnownPlays,
  trainingCurvesSvg,
} from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import type { ExperimentRun } from '../experiment.ts';
import type { ReportFolder } from './folder.ts';

/**
 * Writes every report file into the (uncommitted) folder: report.md, results.json, the SVG of
 * the training curves (all three made by the core's report module, as the web app makes them)
 * and each trained model through the core's `directoryStore`, so
 * `autorec recommend --model <report>/models/<name>` works on them. The caller commits.
 */
export async function writeReport(
  folder: ReportFolder,
  run: ExperimentRun,
  info: Omit<RunInfo, 'files'>,
): Promise<void> {
  const { result, trained, prepared } = run;
  await folder.write(REPORT_FILES.results, comparisonJsonText(result, folder.dir));
  await folder.write(REPORT_FILES.plot, trainingCurvesSvg(curveSeries(result)));
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
