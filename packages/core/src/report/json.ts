import type { EpochRecord } from '../types.ts';
import type { ExperimentResult } from './result.ts';

/** The files of a report, by role: what `compare --out` writes and the web app downloads. */
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

/**
 * The result as the JSON document of the report (`report`: the folder it was written to).
 *
 * @example
 * JSON.stringify(comparisonJson(result), jsonReplacer, 2);
 */
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

/** JSON has no NaN or Infinity: write them as null rather than fail or lie; typed arrays as arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** `results.json`'s text: the document, indented, with a final newline. */
export function comparisonJsonText(result: ExperimentResult, report?: string): string {
  return `${JSON.stringify(comparisonJson(result, report), jsonReplacer, 2)}\n`;
}
