import { Box, Text } from 'ink';
import type { ResultRow } from '../experiment.ts';
import { bestRows, cellText, resultColumns } from '../report/columns.ts';
import { title } from '../report/verdict.ts';

/** The comparison table with the best value of each column in green and starred. */
export function ResultsTable({ rows, k }: { rows: readonly ResultRow[]; k: number }) {
  const columns = resultColumns(k);
  const best = bestRows(rows, columns);
  const widths = columns.map((c) => Math.max(c.title.length, ...rows.map((r) => cellText(r, c).length)) + 1);
  const nameWidth = Math.max(5, ...rows.map((r) => title(r.model).length)) + 1;
  return (
    <Box flexDirection="column">
      <Text bold>
        {'model'.padEnd(nameWidth)}
        {columns.map((c, j) => ` ${c.title.padStart(widths[j])}`).join('')}
      </Text>
      {rows.map((row, i) => (
        <Text key={row.model}>
          {title(row.model).padEnd(nameWidth)}
          {columns.map((c, j) => {
            const isBest = best.get(c.key) === i;
            const text = (cellText(row, c) + (isBest ? '*' : ' ')).padStart(widths[j] + 1);
            return (
              <Text key={c.key} color={isBest ? 'green' : undefined} bold={isBest}>
                {` ${text}`}
              </Text>
            );
          })}
        </Text>
      ))}
      <Text dimColor>* best in column</Text>
    </Box>
  );
}
