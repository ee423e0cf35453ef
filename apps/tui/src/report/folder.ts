import { type AtomicFolder, openAtomicFolder } from '@autorec/core/node';

/**
 * A report folder, written atomically by the core's `openAtomicFolder`: files go to a hidden
 * sibling and `commit()` swaps it into place, with a `files.json` index that lets the next run
 * replace it. The destination must be new, empty or an earlier report holding only the files it
 * wrote — anything else is refused (an `OutputPathError`) before any training.
 *
 * @example
 * const folder = await openReportFolder('reports/latest');
 * await folder.write('report.md', text);
 * await folder.commit();
 */
export type ReportFolder = AtomicFolder;

export function openReportFolder(out: string): Promise<ReportFolder> {
  return openAtomicFolder(out, 'autorec-report');
}
