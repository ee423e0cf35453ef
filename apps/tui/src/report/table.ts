import { bestRows, cellText, type ResultRow, resultColumns } from '@autorec/core';
import { displayWidth, padEndCells, padStartCells, truncateEnd } from '../text.ts';

export interface TextTableOptions {
  /** Header row, drawn above a rule; none for key/value tables. */
  head?: readonly string[];
  rows: readonly (readonly string[])[];
  /** Per column; left by default. */
  align?: readonly ('left' | 'right')[];
  /** Total width in cells the table may take (e.g. the terminal's); unlimited when absent. */
  maxWidth?: number;
  /** The column that gives up room (its cells cut with `…`) when the table is wider than maxWidth. */
  shrink?: number;
}

const MIN_SHRUNK = 8;

/**
 * A boxed text table whose columns are measured in terminal cells (string-width), so
 * 浜崎あゆみ, Thai vowel marks and emoji sequences keep the borders straight. Written here
 * rather than with cli-table3 because cli-table3 pins string-width 4, which counts Thai
 * combining marks and emoji ZWJ sequences as extra cells and bends the right border.
 *
 * @example
 * textTable({ head: ['#', 'artist'], rows: [['1', '浜崎あゆみ']], align: ['right', 'left'] });
 */
export function textTable(options: TextTableOptions): string {
  const { head, rows, align = [] } = options;
  const all = head ? [head, ...rows] : rows;
  const n = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, j) =>
    Math.max(0, ...all.map((r) => displayWidth(r[j] ?? ''))),
  );
  const total = widths.reduce((a, w) => a + w + 3, 1);
  if (options.maxWidth !== undefined && options.shrink !== undefined && total > options.maxWidth) {
    const j = options.shrink;
    widths[j] = Math.max(Math.min(widths[j], MIN_SHRUNK), widths[j] - (total - options.maxWidth));
  }
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const line = (cells: readonly string[]) =>
    `│${widths
      .map((w, j) => {
        const text = truncateEnd(cells[j] ?? '', w);
        return ` ${align[j] === 'right' ? padStartCells(text, w) : padEndCells(text, w)} `;
      })
      .join('│')}│`;
  const out = [rule('┌', '┬', '┐')];
  if (head) out.push(line(head), rule('├', '┼', '┤'));
  for (const r of rows) out.push(line(r));
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}

/**
 * The comparison as a terminal table, the best value of each column marked with `*`. No
 * colour codes, so it reads the same in a pipe or a log.
 *
 * @example
 * console.log(comparisonTable(result.results, 10));
 */
export function comparisonTable(rows: readonly ResultRow[], k: number): string {
  const columns = resultColumns(k);
  const best = bestRows(rows, columns);
  return `${textTable({
    head: ['model', ...columns.map((c) => c.title)],
    rows: rows.map((row, i) => [
      row.model,
      ...columns.map((c) => cellText(row, c) + (best.get(c.key) === i ? '*' : ' ')),
    ]),
    align: ['left', ...columns.map(() => 'right' as const)],
  })}\n* best in column (lower is better for errors, higher for ranking)`;
}

/** A two-column key/value table, for stats and single-model summaries. */
export function keyValueTable(entries: readonly [string, string][]): string {
  return textTable({ rows: entries });
}
