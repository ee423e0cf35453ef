import Table from 'cli-table3';
import type { ResultRow } from '../experiment.ts';
import { bestRows, cellText, resultColumns } from './columns.ts';

/**
 * The comparison as a terminal table (cli-table3), the best value of each column marked with
 * `*`. No colour codes, so it reads the same in a pipe or a log.
 *
 * @example
 * console.log(comparisonTable(result.results, 10));
 */
export function comparisonTable(rows: readonly ResultRow[], k: number): string {
  const columns = resultColumns(k);
  const best = bestRows(rows, columns);
  const table = new Table({
    head: ['model', ...columns.map((c) => c.title)],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', ...columns.map(() => 'right' as const)],
  });
  rows.forEach((row, i) => {
    table.push([row.model, ...columns.map((c) => cellText(row, c) + (best.get(c.key) === i ? '*' : ' '))]);
  });
  return `${table.toString()}\n* best in column (lower is better for errors, higher for ranking)`;
}

/** A two-column key/value table, for stats and single-model summaries. */
export function keyValueTable(entries: readonly [string, string][]): string {
  const table = new Table({ style: { head: [], border: [], compact: true } });
  for (const [k, v] of entries) table.push({ [k]: v });
  return table.toString();
}
