import {
  bestRows,
  cellText,
  cellValue,
  type ResultColumn,
  type ResultRow,
  resultColumns,
  title,
} from '@autorec/core';
import { Box, Text } from 'ink';
import { displayWidth, padEndCells, padStartCells, truncateEnd } from '../text.ts';

/** Which columns go first when the table is wider than the terminal (last in this list first). */
const KEEP_ORDER = [
  'rmse',
  'ndcg@',
  'precision@',
  'recall@',
  'mae',
  'trainSeconds',
  'rmseWarm',
  'rmseCold',
  'epochs',
];

function rank(column: ResultColumn): number {
  const i = KEEP_ORDER.indexOf(column.key.replace(/@\d+$/, '@'));
  return i < 0 ? KEEP_ORDER.length : i;
}

/**
 * The comparison table with the best value of each column in green and starred. Columns with
 * no value in any row are left out, and when the table is wider than `width` the least
 * telling columns go (epochs, cold and warm RMSE, time…) until it fits; the line under the
 * table names them.
 */
export function ResultsTable({
  rows,
  k,
  width = 200,
}: {
  rows: readonly ResultRow[];
  k: number;
  width?: number;
}) {
  const all = resultColumns(k).filter((c) => rows.some((r) => cellValue(r, c.key) !== undefined));
  const best = bestRows(rows, all);
  const widthOf = (c: ResultColumn) =>
    Math.max(displayWidth(c.title), ...rows.map((r) => displayWidth(cellText(r, c)) + 1));
  const nameWidth = Math.max(5, ...rows.map((r) => displayWidth(title(r.model))));
  const columns = [...all];
  const total = () => nameWidth + columns.reduce((sum, c) => sum + 1 + widthOf(c), 0);
  const dropped: string[] = [];
  while (columns.length > 1 && total() > width) {
    const worst = columns.reduce((a, b) => (rank(b) > rank(a) ? b : a));
    columns.splice(columns.indexOf(worst), 1);
    dropped.push(worst.title);
  }
  const widths = columns.map(widthOf);
  return (
    <Box flexDirection="column">
      <Text bold>
        {padEndCells('model', nameWidth)}
        {columns.map((c, j) => ` ${padStartCells(c.title, widths[j])}`).join('')}
      </Text>
      {rows.map((row, i) => (
        <Text key={row.model}>
          {padEndCells(title(row.model), nameWidth)}
          {columns.map((c, j) => {
            const isBest = best.get(c.key) === i;
            const text = padStartCells(cellText(row, c) + (isBest ? '*' : ' '), widths[j]);
            return (
              <Text key={c.key} color={isBest ? 'green' : undefined} bold={isBest}>
                {` ${text}`}
              </Text>
            );
          })}
        </Text>
      ))}
      <Text dimColor>
        {truncateEnd(
          `* best in column${dropped.length > 0 ? ` · not shown for width: ${dropped.reverse().join(', ')} (all in the saved report)` : ''}`,
          width,
        )}
      </Text>
    </Box>
  );
}
