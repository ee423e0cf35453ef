import {
  bestRows,
  cellText,
  comparisonJsonText,
  curveSeries,
  type ExperimentResult,
  REPORT_FILES,
  reportMarkdown,
  resultColumns,
  rowTests,
  title,
  trainingCurvesSvg,
  verdictParts,
} from '@autorec/core';
import type { ReportView } from './protocol.ts';

/**
 * The run's report for the page: every cell, mark, test and sentence comes from the core's
 * report module — the same functions that write `autorec compare`'s report — so the page
 * shows the numbers the downloaded files hold. Shaping only: no maths here.
 */
export function reportView(
  result: ExperimentResult,
  run: { command: string; startedAt: Date; runtime: string },
): ReportView {
  const columns = resultColumns(result.k);
  const best = bestRows(result.results, columns);
  return {
    columns: columns.map((c) => ({ key: c.key, title: c.title })),
    rows: result.results.map((row, i) => ({
      model: row.model,
      title: title(row.model),
      cells: columns.map((c) => cellText(row, c)),
      best: columns.map((c) => best.get(c.key) === i),
      tests: rowTests(row),
    })),
    reference: result.reference,
    rankingReference: result.rankingReference,
    verdict: verdictParts(result),
    warnings: result.warnings ?? [],
    files: {
      names: { markdown: REPORT_FILES.report, json: REPORT_FILES.results, svg: REPORT_FILES.plot },
      markdown: reportMarkdown(result, {
        ...run,
        files: { results: REPORT_FILES.results, plot: REPORT_FILES.plot },
      }),
      json: comparisonJsonText(result),
      svg: trainingCurvesSvg(curveSeries(result)),
    },
  };
}
